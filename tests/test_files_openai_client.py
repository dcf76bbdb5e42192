"""The Files API against the official `openai` SDK (sync and async) over uvicorn: the whole file lifecycle."""

import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI
from openai.types import FileDeleted as SDKFileDeleted
from openai.types import FileObject as SDKFileObject

from openai_compat_files import FileObject, UploadStream, create_files_router


class MemoryStore:
    """A small store with a streaming upload callback; it records every upload call."""

    def __init__(self) -> None:
        self.files: dict[str, FileObject] = {}
        self.contents: dict[str, bytes] = {}
        self.upload_calls = 0
        self._ids = itertools.count(1)

    async def upload(self, file: UploadStream, purpose: str) -> FileObject:
        self.upload_calls += 1
        content = bytearray()
        async for chunk in file:
            content += chunk
        file_id = f"file-{next(self._ids):04d}"
        self.files[file_id] = FileObject(
            id=file_id,
            bytes=file.size,
            created_at=int(time.time()) + len(self.files),
            filename=file.filename,
            purpose=purpose,
        )
        self.contents[file_id] = bytes(content)
        return self.files[file_id]

    def list(self, purpose: str | None, limit: int, after: str | None, order: str) -> list[FileObject]:
        files = sorted(self.files.values(), key=lambda f: f.created_at, reverse=order == "desc")
        if purpose is not None:
            files = [f for f in files if f.purpose == purpose]
        if after is not None:
            ids = [f.id for f in files]
            files = files[ids.index(after) + 1 :] if after in ids else []
        return files[: limit + 1]

    def retrieve(self, file_id: str) -> FileObject | None:
        return self.files.get(file_id)

    def delete(self, file_id: str) -> bool:
        self.contents.pop(file_id, None)
        return self.files.pop(file_id, None) is not None

    async def content(self, file_id: str) -> Any:
        if file_id not in self.contents:
            return None
        data = self.contents[file_id]

        async def chunks() -> Any:
            for start in range(0, len(data), 1000):
                yield data[start : start + 1000]

        return chunks()


@pytest.fixture
def sdk() -> Iterator[Callable[..., openai.OpenAI]]:
    """Make sync `openai` clients for a server; every client made is closed after the test."""
    made: list[openai.OpenAI] = []

    def make(server: Any, **options: Any) -> openai.OpenAI:
        options.setdefault("max_retries", 0)
        client = openai.OpenAI(base_url=server.base_url, api_key="unused", **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def files_app(store: MemoryStore, **options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(
        create_files_router(
            run_file_upload=store.upload,
            list_files=store.list,
            retrieve_file=store.retrieve,
            delete_file=store.delete,
            retrieve_file_content=store.content,
            **options,
        )
    )
    return app


def test_sync_client_full_lifecycle(live_server: Any, sdk: Any, tmp_path: Path) -> None:
    store = MemoryStore()
    server = live_server(files_app(store))
    client = sdk(server)
    report = tmp_path / "report.txt"
    report.write_bytes(b"quarterly numbers\n" * 5000)

    uploaded = client.files.create(file=report, purpose="user_data")
    raw = client.files.with_raw_response.create(file=("notes é.md", b"# notes", "text/markdown"), purpose="assistants")
    second = raw.parse()
    SDKFileObject.model_validate(raw.http_response.json())

    assert isinstance(uploaded, SDKFileObject)
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose, uploaded.status) == (
        "report.txt",
        report.stat().st_size,
        "user_data",
        "processed",
    )
    assert second.filename == "notes é.md"

    listed = client.files.list()
    assert [f.id for f in listed.data] == [second.id, uploaded.id]
    assert [f.id for f in client.files.list(purpose="assistants")] == [second.id]
    assert client.files.retrieve(uploaded.id) == uploaded
    content = client.files.content(uploaded.id)
    assert hashlib.sha256(content.read()).digest() == hashlib.sha256(report.read_bytes()).digest()
    assert content.response.headers["content-type"] == "application/octet-stream"

    deleted = client.files.delete(uploaded.id)
    assert isinstance(deleted, SDKFileDeleted)
    assert (deleted.id, deleted.deleted, deleted.object) == (uploaded.id, True, "file")
    with pytest.raises(openai.NotFoundError) as missing:
        client.files.retrieve(uploaded.id)
    assert missing.value.code == "file_not_found"
    assert isinstance(missing.value.body, dict)
    assert missing.value.body["message"] == f"No such File object: {uploaded.id}"
    with pytest.raises(openai.NotFoundError):
        client.files.content(uploaded.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(uploaded.id)


def test_sync_client_pages_through_files(live_server: Any, sdk: Any) -> None:
    store = MemoryStore()
    server = live_server(files_app(store))
    client = sdk(server)
    ids = [client.files.create(file=(f"{i}.txt", b"x" * i), purpose="batch").id for i in range(5)]

    first_page = client.files.list(limit=2, order="asc")
    assert [f.id for f in first_page.data] == ids[:2]
    assert first_page.has_more is True
    assert [f.id for f in client.files.list(limit=2, order="asc")] == ids  # auto-pagination follows `after`
    assert [f.id for f in client.files.list(limit=2)] == ids[::-1]


async def test_async_client_full_lifecycle(live_server: Any) -> None:
    store = MemoryStore()
    server = live_server(files_app(store))
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        await async_lifecycle(client)


async def async_lifecycle(client: openai.AsyncOpenAI) -> None:
    payload = bytes(range(256)) * 4096
    uploaded = await client.files.create(file=("blob.bin", payload, "application/octet-stream"), purpose="user_data")
    assert uploaded.bytes == len(payload)
    assert [f.id async for f in client.files.list()] == [uploaded.id]
    assert (await client.files.retrieve(uploaded.id)).filename == "blob.bin"
    assert (await client.files.content(uploaded.id)).read() == payload
    assert (await client.files.delete(uploaded.id)).deleted is True
    with pytest.raises(openai.NotFoundError):
        await client.files.retrieve(uploaded.id)


def test_too_large_upload_is_413_for_the_sdk_without_retries(live_server: Any, sdk: Any) -> None:
    store = MemoryStore()
    server = live_server(files_app(store, max_file_size=100_000))
    requests: list[httpx.Request] = []
    client = sdk(server, max_retries=2, http_client=httpx.Client(event_hooks={"request": [requests.append]}))

    with pytest.raises(openai.APIStatusError) as refused:
        client.files.create(file=("big.bin", b"\0" * 1_000_000), purpose="user_data")
    assert refused.value.status_code == 413
    assert refused.value.code == "request_too_large"
    assert store.upload_calls == 0
    assert len(requests) == 1  # the SDK does not retry a 413
    assert client.files.create(file=("small.bin", b"\0" * 100_000), purpose="user_data").bytes == 100_000


def test_bytes_callback_of_1_4_works_with_the_sdk(live_server: Any, sdk: Any) -> None:
    received: list[tuple[Any, ...]] = []

    def run_file_upload(filename: str | None, content_type: str | None, content: bytes, purpose: str) -> dict[str, Any]:
        received.append((filename, content_type, content, purpose))
        return {"id": "file-1", "bytes": len(content), "created_at": 1, "filename": filename, "purpose": purpose}

    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=run_file_upload))
    server = live_server(app)
    client = sdk(server)
    created = client.files.create(file=("a.csv", b"a,b\n1,2\n", "text/csv"), purpose="batch")
    assert created.id == "file-1"
    assert received == [("a.csv", "text/csv", b"a,b\n1,2\n", "batch")]
