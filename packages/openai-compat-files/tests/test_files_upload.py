"""Uploads: both callback styles, field order, limits, malformed bodies and callback failures (in process)."""

import hashlib
import io
import random
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from fastapi import Depends, FastAPI, HTTPException

from openai_compat_core import APIKeyAuth
from openai_compat_files import (
    FileObject,
    FileTooLargeError,
    UploadError,
    UploadStream,
    create_files_router,
)

BOUNDARY = "test-boundary-7MA4YWxkTrZu0gW"
BIG = bytes(range(256)) * 8192  # 2 MiB: more than a spool keeps in memory


def form(*parts: tuple[str, bytes, str | None], boundary: str = BOUNDARY, close: bool = True) -> bytes:
    """Build a multipart body by hand, parts in the given order: (name, value, filename or None)."""
    out = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename is not None else "")
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if filename is not None:
            out += b"Content-Type: application/octet-stream\r\n"
        out += b"\r\n" + value + b"\r\n"
    return out + (f"--{boundary}--\r\n".encode() if close else b"")


def form_headers(boundary: str = BOUNDARY) -> dict[str, str]:
    return {"content-type": f"multipart/form-data; boundary={boundary}"}


def app_with(run_file_upload: Any, **options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=run_file_upload, **options))
    return app


def file_object(content_size: int, filename: str | None, purpose: str, **extra: Any) -> FileObject:
    return FileObject(
        id="file-abc", bytes=content_size, created_at=1700000000, filename=filename, purpose=purpose, **extra
    )


class Recorder:
    """Upload callbacks of every style that record what they received."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def bytes_sync(self, filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
        self.calls.append({"filename": filename, "content_type": content_type, "content": content, "purpose": purpose})
        return file_object(len(content), filename, purpose)

    async def bytes_async(
        self, filename: str | None, content_type: str | None, content: bytes, purpose: str
    ) -> dict[str, Any]:
        self.calls.append({"filename": filename, "content_type": content_type, "content": content, "purpose": purpose})
        return {"id": "file-abc", "bytes": len(content), "created_at": 1, "filename": filename, "purpose": purpose}

    async def stream_async(self, file: UploadStream, purpose: str) -> FileObject:
        assert isinstance(file, UploadStream)
        data = b"".join([chunk async for chunk in file])
        self.calls.append({"filename": file.filename, "content": data, "purpose": purpose, "size": file.size})
        return file_object(file.size, file.filename, purpose)

    def stream_sync(self, file: UploadStream, purpose: str) -> FileObject:
        out = io.BytesIO()
        shutil.copyfileobj(file.file, out)
        self.calls.append({"filename": file.filename, "content": out.getvalue(), "purpose": purpose, "size": file.size})
        return file_object(file.size, file.filename, purpose)

    def stream_sync_iter(self, file: UploadStream, purpose: str) -> FileObject:
        data = b"".join(file)
        self.calls.append({"filename": file.filename, "content": data, "purpose": purpose, "size": file.size})
        return file_object(file.size, file.filename, purpose)


STYLES = ["bytes_sync", "bytes_async", "stream_async", "stream_sync", "stream_sync_iter"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", ["/v1/files", "/files"])
async def test_uploads_reach_every_callback_style(style: str, path: str, asgi_client: Any) -> None:
    recorder = Recorder()
    app = app_with(getattr(recorder, style))
    async with asgi_client(app) as client:
        response = await client.post(
            path, data={"purpose": "user_data"}, files={"file": ("report é.pdf", BIG, "application/pdf")}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "id": "file-abc",
        "object": "file",
        "bytes": len(BIG),
        "created_at": body["created_at"],
        "filename": "report é.pdf",
        "purpose": "user_data",
        "status": "processed",
    }
    [call] = recorder.calls
    assert call["content"] == BIG
    assert call["filename"] == "report é.pdf"
    assert call["purpose"] == "user_data"
    if style.startswith("bytes"):
        assert call["content_type"] == "application/pdf"
    else:
        assert call["size"] == len(BIG)


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("size", [0, 10, len(BIG)])
async def test_file_sent_before_purpose_is_spooled_then_delivered(style: str, size: int, asgi_client: Any) -> None:
    recorder = Recorder()
    content = BIG[:size]
    async with asgi_client(app_with(getattr(recorder, style))) as client:
        response = await client.post(
            "/v1/files",
            content=form(("file", content, "a.bin"), ("purpose", b"batch", None)),
            headers=form_headers(),
        )
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == size
    [call] = recorder.calls
    assert call["content"] == content
    assert call["purpose"] == "batch"


async def test_bytes_callback_gets_positional_arguments_like_1_4(asgi_client: Any) -> None:
    received: list[tuple[Any, ...]] = []

    def run_file_upload(*args: Any) -> dict[str, Any]:
        received.append(args)
        return {"id": "file-1", "bytes": len(args[2]), "created_at": 1, "filename": args[0], "purpose": args[3]}

    async with asgi_client(app_with(run_file_upload)) as client:
        response = await client.post("/v1/files", data={"purpose": "assistants"}, files={"file": ("a.txt", b"hi")})
    assert response.status_code == 200
    assert received == [("a.txt", "text/plain", b"hi", "assistants")]


async def test_bytes_callback_naming_its_parameter_file_as_bytes_keeps_bytes(asgi_client: Any) -> None:
    received: list[Any] = []

    def annotated(filename: str | None, content_type: str | None, file: bytes, purpose: str) -> dict[str, Any]:
        received.append(file)
        return {"id": "file-1", "bytes": len(file), "created_at": 1, "purpose": purpose}

    def both_names(file: Any, content_type: Any, content: bytes, purpose: str) -> dict[str, Any]:
        received.append(content)
        return {"id": "file-1", "bytes": len(content), "created_at": 1, "purpose": purpose}

    for callback in (annotated, both_names):
        async with asgi_client(app_with(callback)) as client:
            response = await client.post("/v1/files", data={"purpose": "x"}, files={"file": ("a.txt", b"data")})
        assert response.status_code == 200
    assert received == [b"data", b"data"]


async def test_streaming_callback_receives_the_optional_arguments_it_declares(asgi_client: Any) -> None:
    seen: dict[str, Any] = {}

    async def run_file_upload(  # noqa: PLR0917 - every optional argument, as a user may declare them
        filename: str | None,
        content_type: str | None,
        file: UploadStream,
        purpose: str,
        fields: dict[str, str],
        headers: dict[str, str],
    ) -> FileObject:
        seen.update(filename=filename, content_type=content_type, fields=fields, key=headers.get("x-tenant"))
        seen["head"] = await file.read(3)
        seen["rest"] = await file.read()
        seen["after_end"] = await file.read()
        seen["part_headers"] = file.headers
        return file_object(file.size, filename, purpose)

    async with asgi_client(app_with(run_file_upload)) as client:
        response = await client.post(
            "/v1/files",
            data={"purpose": "user_data", "expires_after[anchor]": "created_at", "expires_after[seconds]": "3600"},
            files={"file": ("notes.md", b"# Notes\nbody", "text/markdown")},
            headers={"x-tenant": "acme"},
        )
    assert response.status_code == 200, response.text
    assert seen["filename"] == "notes.md"
    assert seen["content_type"] == "text/markdown"
    assert seen["fields"] == {
        "purpose": "user_data",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "3600",
    }
    assert seen["key"] == "acme"
    assert (seen["head"], seen["rest"], seen["after_end"]) == (b"# N", b"otes\nbody", b"")
    assert seen["part_headers"]["content-type"] == "text/markdown"


async def test_kwargs_callbacks_get_fields_and_headers(asgi_client: Any) -> None:
    seen: dict[str, Any] = {}

    def bytes_style(filename: str | None, content_type: str | None, content: bytes, purpose: str, **kwargs: Any) -> Any:
        seen.update(kwargs)
        return {"id": "file-1", "bytes": len(content), "created_at": 1, "purpose": purpose}

    async with asgi_client(app_with(bytes_style)) as client:
        response = await client.post("/v1/files", data={"purpose": "p", "extra": "1"}, files={"file": ("a", b"z")})
    assert response.status_code == 200
    assert seen["fields"] == {"purpose": "p", "extra": "1"}
    assert "content-type" in seen["headers"]


async def test_streaming_callback_may_stop_reading_early(asgi_client: Any) -> None:
    async def first_line_only(file: UploadStream, purpose: str) -> FileObject:
        head = await file.read(4)
        return file_object(len(head), file.filename, purpose)

    async with asgi_client(app_with(first_line_only)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", BIG)})
        again = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"small")})
    assert response.status_code == 200
    assert response.json()["bytes"] == 4
    assert again.status_code == 200


async def test_reading_after_the_callback_returned_fails(asgi_client: Any) -> None:
    kept: list[UploadStream] = []

    async def keep(file: UploadStream, purpose: str) -> FileObject:
        kept.append(file)
        return file_object(0, file.filename, purpose)

    async with asgi_client(app_with(keep)) as client:
        assert (await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"x")})).status_code == 200
    with pytest.raises(RuntimeError, match="upload is over"):
        await kept[0].read()


@pytest.mark.parametrize("style", STYLES)
async def test_missing_file_is_400_naming_it(style: str, asgi_client: Any) -> None:
    recorder = Recorder()
    async with asgi_client(app_with(getattr(recorder, style))) as client:
        response = await client.post("/v1/files", content=form(("purpose", b"user_data", None)), headers=form_headers())
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": "Missing required parameter: 'file'.",
        "type": "invalid_request_error",
        "param": "file",
        "code": "missing_required_parameter",
    }
    assert recorder.calls == []


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("purpose_part", [None, ("purpose", b"", None)])
async def test_missing_or_empty_purpose_is_400_naming_it(style: str, purpose_part: Any, asgi_client: Any) -> None:
    recorder = Recorder()
    parts = [("file", b"content", "a.txt")] + ([purpose_part] if purpose_part else [])
    async with asgi_client(app_with(getattr(recorder, style))) as client:
        response = await client.post("/v1/files", content=form(*parts), headers=form_headers())
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["type"], error["param"], error["code"]) == (
        "invalid_request_error",
        "purpose",
        "missing_required_parameter",
    )
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        pytest.param(b'{"purpose": "x"}', {"content-type": "application/json"}, id="json"),
        pytest.param(b"", {}, id="no-content-type"),
        pytest.param(form(("purpose", b"x", None)), {"content-type": "multipart/form-data"}, id="no-boundary"),
        pytest.param(
            form(("purpose", b"x", None), ("file", b"abc", "a")), form_headers("other-boundary"), id="wrong-boundary"
        ),
        pytest.param(
            form(("purpose", b"x", None), ("file", BIG, "a"), close=False), form_headers(), id="truncated-in-file"
        ),
        pytest.param(form(("purpose", b"x", None), close=False), form_headers(), id="truncated-before-file"),
        pytest.param(b"garbage\r\n\r\n", form_headers(), id="garbage"),
        pytest.param(b"", form_headers(), id="empty"),
        pytest.param(
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=x\r\n".encode() + b"X-Pad: " + b"a" * 20000,
            form_headers(),
            id="huge-part-headers",
        ),
    ],
)
@pytest.mark.parametrize("style", ["bytes_async", "stream_async"])
async def test_malformed_bodies_are_400_envelopes(
    content: bytes, headers: dict[str, str], style: str, asgi_client: Any
) -> None:
    recorder = Recorder()
    async with asgi_client(app_with(getattr(recorder, style))) as client:
        response = await client.post("/v1/files", content=content, headers=headers)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] in {"invalid_content_type", "invalid_multipart"}
    assert body["detail"] == body["error"]["message"]
    if style == "bytes_async":
        assert recorder.calls == []


def chunked(body: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    """Send a body in pieces, without a Content-Length header."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


async def achunked(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for piece in chunked(body, size):
        yield piece


@pytest.mark.parametrize("style", ["bytes_sync", "bytes_async"])
@pytest.mark.parametrize("purpose_first", [True, False])
async def test_too_large_file_is_413_and_bytes_callback_is_not_called(
    style: str, purpose_first: bool, asgi_client: Any
) -> None:
    recorder = Recorder()
    parts = [("purpose", b"p", None), ("file", BIG, "big.bin")]
    body = form(*(parts if purpose_first else parts[::-1]))
    async with asgi_client(app_with(getattr(recorder, style), max_file_size=100_000)) as client:
        response = await client.post("/v1/files", content=achunked(body), headers=form_headers())
    assert response.status_code == 413
    assert response.json()["error"] == {
        "message": "The file is larger than the limit of 100000 bytes.",
        "type": "invalid_request_error",
        "param": "file",
        "code": "file_too_large",
    }
    assert recorder.calls == []


async def test_file_of_exactly_the_limit_is_accepted(asgi_client: Any) -> None:
    recorder = Recorder()
    async with asgi_client(app_with(recorder.stream_async, max_file_size=len(BIG))) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", BIG)})
    assert response.status_code == 200
    assert recorder.calls[0]["content"] == BIG


class StreamingCallbacks:
    """Streaming callbacks that react to a too-large upload in different ways."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.received = 0

    async def propagate(self, file: UploadStream, purpose: str) -> FileObject:
        try:
            async for chunk in file:
                self.received += len(chunk)
        except UploadError as exc:
            self.errors.append(exc)
            raise
        raise AssertionError("the stream should have failed")

    async def swallow(self, file: UploadStream, purpose: str) -> FileObject:
        try:
            async for chunk in file:
                self.received += len(chunk)
        except FileTooLargeError as exc:
            self.errors.append(exc)
        return file_object(self.received, file.filename, purpose)

    async def wrap(self, file: UploadStream, purpose: str) -> FileObject:
        try:
            await file.read()
        except FileTooLargeError as exc:
            self.errors.append(exc)
            raise ValueError("storage gave up") from exc
        raise AssertionError("the stream should have failed")

    def sync_copy(self, file: UploadStream, purpose: str) -> FileObject:
        try:
            shutil.copyfileobj(file.file, io.BytesIO())
        except FileTooLargeError as exc:
            self.errors.append(exc)
            raise
        raise AssertionError("the stream should have failed")


@pytest.mark.parametrize("behaviour", ["propagate", "swallow", "wrap", "sync_copy"])
async def test_too_large_file_makes_the_stream_raise_and_the_answer_413(behaviour: str, asgi_client: Any) -> None:
    callbacks = StreamingCallbacks()
    body = form(("purpose", b"p", None), ("file", BIG, "big.bin"))
    app = app_with(getattr(callbacks, behaviour), max_file_size=100_000)
    async with asgi_client(app) as client:
        response = await client.post("/v1/files", content=achunked(body), headers=form_headers())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "file_too_large"
    [error] = callbacks.errors
    assert isinstance(error, FileTooLargeError)
    assert error.status_code == 413
    assert callbacks.received <= 100_000


@pytest.mark.parametrize("style", ["bytes_async", "stream_async"])
async def test_declared_content_length_over_the_limit_is_refused_before_reading(style: str, asgi_client: Any) -> None:
    recorder = Recorder()
    reads = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal reads
        for piece in chunked(form(("purpose", b"p", None), ("file", BIG, "a"))):
            reads += 1
            yield piece

    body_size = len(form(("purpose", b"p", None), ("file", BIG, "a")))
    headers = {**form_headers(), "content-length": str(body_size)}
    async with asgi_client(app_with(getattr(recorder, style), max_file_size=1000)) as client:
        response = await client.post("/v1/files", content=counted(), headers=headers)
    assert response.status_code == 413
    assert reads == 0
    error = response.json()["error"]
    assert error["code"] == "request_too_large"
    assert str(body_size) in error["message"]
    assert recorder.calls == []


async def test_large_form_fields_are_refused(asgi_client: Any) -> None:
    recorder = Recorder()
    body = form(("purpose", b"p" * 70_000, None), ("file", b"x", "a"))
    async with asgi_client(app_with(recorder.bytes_async, max_file_size=None)) as client:
        response = await client.post("/v1/files", content=achunked(body), headers=form_headers())
    assert response.status_code == 413
    assert response.json()["error"]["param"] == "purpose"
    assert recorder.calls == []


async def test_no_limit_when_max_file_size_is_none(asgi_client: Any) -> None:
    recorder = Recorder()
    async with asgi_client(app_with(recorder.stream_async, max_file_size=None)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", BIG * 2)})
    assert response.status_code == 200
    assert hashlib.sha256(recorder.calls[0]["content"]).digest() == hashlib.sha256(BIG * 2).digest()


async def test_extra_parts_are_ignored(asgi_client: Any) -> None:
    recorder = Recorder()
    body = form(
        ("purpose", b"first", None),
        ("purpose", b"second", None),
        ("attachment", b"not the file", "other.txt"),
        ("file", b"the file", "a.txt"),
        ("file", b"a second file", "b.txt"),
        ("after", b"late field", None),
    )
    async with asgi_client(app_with(recorder.stream_async)) as client:
        response = await client.post("/v1/files", content=body, headers=form_headers())
    assert response.status_code == 200
    assert recorder.calls[0]["content"] == b"the file"
    assert recorder.calls[0]["purpose"] == "first"


def failing_callbacks() -> list[Callable[..., Any]]:
    def bytes_style(filename: Any, content_type: Any, content: bytes, purpose: str) -> Any:
        raise ValueError("disk full")

    async def stream_style(file: UploadStream, purpose: str) -> Any:
        await file.read(10)
        raise ValueError("disk full")

    return [bytes_style, stream_style]


@pytest.mark.parametrize("callback", failing_callbacks())
async def test_callback_failure_is_500_with_the_1_4_detail(
    callback: Any, asgi_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with asgi_client(app_with(callback)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"content")})
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    body = response.json()
    assert body["detail"] == "File upload failed: disk full"
    assert body["error"]["type"] == "server_error"
    assert any(r.name == "fastapi_openai_compat.files" and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("streaming", [False, True])
async def test_http_exception_from_callback_keeps_status_and_detail(streaming: bool, asgi_client: Any) -> None:
    def bytes_style(filename: Any, content_type: Any, content: bytes, purpose: str) -> Any:
        raise HTTPException(status_code=415, detail="Only PDFs")

    def stream_style(file: UploadStream, purpose: str) -> Any:
        raise HTTPException(status_code=415, detail="Only PDFs")

    async with asgi_client(app_with(stream_style if streaming else bytes_style)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"content")})
    assert response.status_code == 415
    assert response.json()["detail"] == "Only PDFs"
    assert response.json()["error"]["message"] == "Only PDFs"


@pytest.mark.parametrize("result", [None, "file-1", 42, {"id": "file-1"}])
async def test_unsupported_or_invalid_results_are_500(result: Any, asgi_client: Any) -> None:
    def run_file_upload(filename: Any, content_type: Any, content: bytes, purpose: str) -> Any:
        return result

    async with asgi_client(app_with(run_file_upload)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"content")})
    assert response.status_code == 500
    detail = response.json()["detail"]
    if isinstance(result, dict):
        assert detail.startswith("File upload failed: ")
    else:
        assert detail == "Unsupported response type from run_file_upload"


async def test_extra_fields_of_the_result_are_kept_and_new_optional_fields_sent_when_set(asgi_client: Any) -> None:
    def run_file_upload(filename: Any, content_type: Any, content: bytes, purpose: str) -> Any:
        return file_object(len(content), filename, purpose, expires_at=1800000000, sha256="abc")

    async with asgi_client(app_with(run_file_upload)) as client:
        response = await client.post("/v1/files", data={"purpose": "p"}, files={"file": ("a", b"content")})
    body = response.json()
    assert body["expires_at"] == 1800000000
    assert body["sha256"] == "abc"
    assert "status_details" not in body


async def test_dependencies_run_before_the_body_is_read(asgi_client: Any) -> None:
    recorder = Recorder()
    reads = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal reads
        for piece in chunked(form(("purpose", b"p", None), ("file", BIG, "a"))):
            reads += 1
            yield piece

    app = FastAPI()
    app.include_router(
        create_files_router(run_file_upload=recorder.stream_async, dependencies=[Depends(APIKeyAuth(["sk-1"]))])
    )
    async with asgi_client(app) as client:
        refused = await client.post("/v1/files", content=counted(), headers=form_headers())
        accepted = await client.post(
            "/v1/files",
            data={"purpose": "p"},
            files={"file": ("a", b"x")},
            headers={"authorization": "Bearer sk-1"},
        )
    assert refused.status_code == 401
    assert reads == 0
    assert refused.json()["error"]["type"] == "authentication_error"
    assert accepted.status_code == 200
    assert len(recorder.calls) == 1


def test_negative_limit_is_refused() -> None:
    with pytest.raises(ValueError, match="max_file_size"):
        create_files_router(run_file_upload=Recorder().bytes_sync, max_file_size=-1)


async def test_non_latin_1_bytes_in_part_headers(asgi_client: Any) -> None:
    recorder = Recorder()
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="résumé ڻ.txt"; \u06bbx="y"\r\n\r\n'
        f"content\r\n--{BOUNDARY}--\r\n"
    ).encode()
    async with asgi_client(app_with(recorder.stream_async)) as client:
        response = await client.post("/v1/files", content=body, headers=form_headers())
    assert response.status_code == 200, response.text
    assert recorder.calls[0]["filename"] == "résumé ڻ.txt"


@pytest.mark.parametrize("style", ["bytes_sync", "stream_async"])
async def test_mutated_bodies_get_an_answer_never_a_server_error(style: str, asgi_client: Any) -> None:
    rnd = random.Random(20240518)  # noqa: S311 - a seeded, repeatable fuzz, not cryptography
    base = form(("purpose", b"user_data", None), ("file", b"hello world\r\n--x\r\n" * 20, "a.txt"))
    statuses: set[int] = set()
    async with asgi_client(app_with(getattr(Recorder(), style), max_file_size=1000)) as client:
        for _ in range(300):
            body = bytearray(base)
            position = rnd.randrange(len(body))
            operation = rnd.randrange(4)
            if operation == 0:
                del body[position:]
            elif operation == 1:
                body[position] = rnd.randrange(256)
            elif operation == 2:
                body[position:position] = rnd.randbytes(rnd.randrange(1, 50))
            else:
                del body[position : position + rnd.randrange(1, 50)]
            response = await client.post(
                "/v1/files", content=achunked(bytes(body), rnd.randrange(1, 64)), headers=form_headers()
            )
            statuses.add(response.status_code)
            assert response.status_code in {200, 400}, (response.text, bytes(body))
    assert statuses == {200, 400}
