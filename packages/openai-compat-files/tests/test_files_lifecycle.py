"""List, retrieve, delete and download: callbacks, result shapes, 404s and which routes exist (in process)."""

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.responses import PlainTextResponse

from openai_compat_files import FileDeleted, FileList, FileObject, create_files_router


def upload(filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
    raise AssertionError("not used here")


def make_files(count: int) -> list[FileObject]:
    return [
        FileObject(id=f"file-{i}", bytes=i, created_at=1700000000 + i, filename=f"f{i}.txt", purpose="user_data")
        for i in range(count)
    ]


def app_with(**callbacks: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=upload, **callbacks))
    return app


async def test_only_routes_whose_callback_is_given_exist(asgi_client: Any) -> None:
    async with asgi_client(app_with()) as client:
        for method, path in [
            ("GET", "/v1/files"),
            ("GET", "/v1/files/file-1"),
            ("DELETE", "/v1/files/file-1"),
            ("GET", "/v1/files/file-1/content"),
        ]:
            response = await client.request(method, path)
            assert response.status_code in (404, 405), (method, path)
            if response.status_code == 405:
                # The path belongs to the upload route, which says which method it serves.
                assert response.json()["error"]["code"] == "method_not_allowed"
                assert response.headers["allow"] == "POST"
            else:
                assert "error" not in response.json()


@pytest.mark.parametrize("path", ["/v1/files", "/files"])
async def test_list_passes_the_query_and_answers_a_page(path: str, asgi_client: Any) -> None:
    calls: list[tuple[Any, ...]] = []

    def list_files(purpose: str | None, limit: int, after: str | None, order: str) -> list[FileObject]:
        calls.append((purpose, limit, after, order))
        return make_files(3)

    async with asgi_client(app_with(list_files=list_files)) as client:
        default = (await client.get(path)).json()
        queried = (
            await client.get(path, params={"purpose": "batch", "limit": 5, "after": "file-9", "order": "asc"})
        ).json()
    assert calls == [(None, 10000, None, "desc"), ("batch", 5, "file-9", "asc")]
    assert default == queried
    assert default["object"] == "list"
    assert [f["id"] for f in default["data"]] == ["file-0", "file-1", "file-2"]
    assert (default["has_more"], default["first_id"], default["last_id"]) == (False, "file-0", "file-2")
    assert default["data"][0] == {
        "id": "file-0",
        "object": "file",
        "bytes": 0,
        "created_at": 1700000000,
        "filename": "f0.txt",
        "purpose": "user_data",
        "status": "processed",
    }


async def test_list_returning_one_more_than_the_limit_says_has_more(asgi_client: Any) -> None:
    async def list_files(purpose: str | None, limit: int, after: str | None, order: str) -> Iterator[dict[str, Any]]:
        return (f.model_dump() for f in make_files(limit + 1))

    async with asgi_client(app_with(list_files=list_files)) as client:
        page = (await client.get("/v1/files", params={"limit": 2})).json()
    assert [f["id"] for f in page["data"]] == ["file-0", "file-1"]
    assert page["has_more"] is True
    assert page["last_id"] == "file-1"


@pytest.mark.parametrize(
    "result",
    [
        FileList(data=make_files(2), has_more=True),
        {"data": [f.model_dump() for f in make_files(2)], "has_more": True},
    ],
)
async def test_list_may_return_a_whole_page(result: Any, asgi_client: Any) -> None:
    async with asgi_client(app_with(list_files=lambda *args: result)) as client:
        page = (await client.get("/v1/files")).json()
    assert [f["id"] for f in page["data"]] == ["file-0", "file-1"]
    assert (page["has_more"], page["first_id"], page["last_id"]) == (True, "file-0", "file-1")


@pytest.mark.parametrize("result", [None, []])
async def test_empty_list(result: Any, asgi_client: Any) -> None:
    async with asgi_client(app_with(list_files=lambda *args: result)) as client:
        page = (await client.get("/v1/files")).json()
    assert page == {"object": "list", "data": [], "has_more": False, "first_id": None, "last_id": None}


@pytest.mark.parametrize(
    ("params", "param"),
    [({"order": "sideways"}, "order"), ({"limit": 0}, "limit"), ({"limit": 10001}, "limit"), ({"limit": "x"}, "limit")],
)
async def test_invalid_list_query_is_400(params: dict[str, Any], param: str, asgi_client: Any) -> None:
    async with asgi_client(app_with(list_files=lambda *args: [])) as client:
        response = await client.get("/v1/files", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["param"] == param


async def test_list_failure_and_unsupported_result_are_500(asgi_client: Any) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("db down")

    async with asgi_client(app_with(list_files=broken)) as client:
        failed = await client.get("/v1/files")
    async with asgi_client(app_with(list_files=lambda *args: 42)) as client:
        odd = await client.get("/v1/files")
    assert failed.status_code == 500
    assert failed.json()["detail"] == "Listing files failed: db down"
    assert odd.status_code == 500
    assert odd.json()["detail"] == "Unsupported response type from list_files"


@pytest.mark.parametrize("path", ["/v1/files/file-1", "/files/file-1"])
async def test_retrieve(path: str, asgi_client: Any) -> None:
    files = {f.id: f for f in make_files(2)}

    async def retrieve_file(file_id: str) -> FileObject | None:
        return files.get(file_id)

    async with asgi_client(app_with(retrieve_file=retrieve_file)) as client:
        found = await client.get(path)
        missing = await client.get(path.replace("file-1", "file-404"))
    assert found.json()["id"] == "file-1"
    assert missing.status_code == 404
    assert missing.json()["error"] == {
        "message": "No such File object: file-404",
        "type": "invalid_request_error",
        "param": "file_id",
        "code": "file_not_found",
    }


async def test_retrieve_may_return_a_dict_and_receive_headers(asgi_client: Any) -> None:
    def retrieve_file(file_id: str, headers: dict[str, str]) -> dict[str, Any]:
        return {"id": file_id, "bytes": 1, "created_at": 1, "purpose": headers["x-purpose"]}

    async with asgi_client(app_with(retrieve_file=retrieve_file)) as client:
        body = (await client.get("/v1/files/file-7", headers={"x-purpose": "vision"})).json()
    assert (body["id"], body["purpose"], body["object"]) == ("file-7", "vision", "file")


@pytest.mark.parametrize(
    "result",
    [True, FileDeleted(id="file-1"), {"deleted": True}, make_files(2)[1]],
    ids=["true", "model", "dict", "file-object"],
)
@pytest.mark.parametrize("path", ["/v1/files/file-1", "/files/file-1"])
async def test_delete(result: Any, path: str, asgi_client: Any) -> None:
    async with asgi_client(app_with(delete_file=lambda file_id: result)) as client:
        response = await client.delete(path)
    assert response.status_code == 200
    assert response.json() == {"id": "file-1", "object": "file", "deleted": True}


@pytest.mark.parametrize("result", [None, False])
async def test_delete_unknown_is_404(result: Any, asgi_client: Any) -> None:
    async with asgi_client(app_with(delete_file=lambda file_id: result)) as client:
        response = await client.delete("/v1/files/file-x")
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "No such File object: file-x"


def content_results() -> list[Any]:
    def sync_chunks() -> Iterator[bytes]:
        yield b"hello "
        yield b"world"

    async def async_chunks() -> AsyncIterator[bytes]:
        yield b"hello "
        yield b"world"

    return [b"hello world", bytearray(b"hello world"), sync_chunks, async_chunks, [b"hello ", b"world"]]


@pytest.mark.parametrize("result", content_results())
@pytest.mark.parametrize("path", ["/v1/files/file-1/content", "/files/file-1/content"])
async def test_content_is_streamed_as_octets(result: Any, path: str, asgi_client: Any) -> None:
    def retrieve_file_content(file_id: str) -> Any:
        return result() if callable(result) else result

    async with asgi_client(app_with(retrieve_file_content=retrieve_file_content)) as client:
        response = await client.get(path)
    assert response.status_code == 200
    assert response.content == b"hello world"
    assert response.headers["content-type"] == "application/octet-stream"


async def test_content_may_be_a_response_of_yours(asgi_client: Any) -> None:
    async with asgi_client(app_with(retrieve_file_content=lambda file_id: PlainTextResponse("text"))) as client:
        response = await client.get("/v1/files/file-1/content")
    assert response.text == "text"
    assert response.headers["content-type"].startswith("text/plain")


async def test_content_of_unknown_file_is_404_and_odd_results_500(asgi_client: Any) -> None:
    async with asgi_client(app_with(retrieve_file_content=lambda file_id: None)) as client:
        missing = await client.get("/v1/files/file-x/content")
    async with asgi_client(app_with(retrieve_file_content=lambda file_id: 3.5)) as client:
        odd = await client.get("/v1/files/file-x/content")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "file_not_found"
    assert odd.status_code == 500
    assert odd.json()["detail"] == "Unsupported response type from retrieve_file_content"


def test_openapi_documents_the_multipart_upload_and_every_route() -> None:
    app = app_with(
        list_files=lambda *args: [],
        retrieve_file=lambda file_id: None,
        delete_file=lambda file_id: None,
        retrieve_file_content=lambda file_id: None,
    )
    schema = app.openapi()
    upload_op = schema["paths"]["/v1/files"]["post"]
    assert upload_op["operationId"] == "openai_files_create"
    assert schema["paths"]["/files"]["post"]["operationId"] == "openai_files_create_alias"
    assert upload_op["tags"] == ["openai"]
    form = upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file", "purpose"]
    assert form["properties"]["file"] == {"type": "string", "format": "binary", "description": "The file to upload."}
    assert form["properties"]["purpose"]["type"] == "string"
    assert upload_op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/FileObject")
    assert "413" in upload_op["responses"]
    operations = {
        op["operationId"] for path in schema["paths"].values() for op in path.values() if isinstance(op, dict)
    }
    assert operations == {
        "openai_files_create",
        "openai_files_create_alias",
        "openai_files_list",
        "openai_files_list_alias",
        "openai_files_retrieve",
        "openai_files_retrieve_alias",
        "openai_files_delete",
        "openai_files_delete_alias",
        "openai_files_content",
        "openai_files_content_alias",
    }
    content_op = schema["paths"]["/v1/files/{file_id}/content"]["get"]
    assert "application/octet-stream" in content_op["responses"]["200"]["content"]


def test_custom_tags() -> None:
    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=upload, tags=["files"], list_files=lambda *a: []))
    schema = app.openapi()
    assert schema["paths"]["/v1/files"]["post"]["tags"] == ["files"]
    assert schema["paths"]["/v1/files"]["get"]["tags"] == ["files"]
