"""One app with every router, all imported from the meta package, driven by the official `openai` SDK.

The app is the 1.x README's "Combining" layout (a dedicated models router, chat and responses
without their own models routes) plus the Files API, served under uvicorn; a second variant guards
every router with `APIKeyAuth`.
"""

import importlib
import json
import re
import secrets
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import httpx
import openai
import pytest
from fastapi import Depends, FastAPI, params
from openai.types import FileObject as SDKFileObject
from openai.types.chat import ChatCompletion as SDKChatCompletion
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

import fastapi_openai_compat
from fastapi_openai_compat import (
    APIKeyAuth,
    CompletionResult,
    FileDeleted,
    FileObject,
    InputItem,
    MessageParam,
    ResponseResult,
    create_chat_completion_router,
    create_files_router,
    create_models_router,
    create_responses_router,
)
from openai_compat_core.testing import LiveServer
from openai_compat_responses.testing import check_events

StartServer = Callable[[Any], LiveServer]
MODELS = ["echo", "shout"]
KEY = "sk-test-combined"


def _event_classes() -> dict[str, type[BaseModel]]:
    union = get_args(ResponseStreamEvent)[0]
    return {get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(union)}


SDK_EVENTS = _event_classes()
SDK_EVENT_UNION: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def list_models() -> list[str]:
    return MODELS


def reply_for(model: str, text: str) -> str:
    return text.upper() if model == "shout" else text


def words(text: str) -> Iterator[str]:
    for index, word in enumerate(text.split(" ")):
        yield word if index == 0 else " " + word


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> CompletionResult:
    reply = reply_for(model, str(messages[-1]["content"]))
    return words(reply) if body.get("stream") else reply


def run_response(model: str, input_items: list[InputItem], body: dict[str, Any]) -> ResponseResult:
    reply = reply_for(model, str(input_items[-1]["content"]))
    return words(reply) if body.get("stream") else reply


class MemoryFiles:
    """Files kept in a dict; the upload callback has the 1.4.0 signature (whole content as bytes)."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[FileObject, bytes]] = {}

    def upload(self, filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
        file = FileObject(
            id=f"file-{secrets.token_hex(8)}",
            bytes=len(content),
            created_at=int(time.time()),
            filename=filename,
            purpose=purpose,
        )
        self.files[file.id] = (file, content)
        return file

    def list(self, purpose: str | None, limit: int, after: str | None, order: str) -> list[FileObject]:
        files = [file for file, _ in self.files.values() if purpose is None or file.purpose == purpose]
        if order == "desc":
            files.reverse()
        return files[: limit + 1]

    def retrieve(self, file_id: str) -> FileObject | None:
        entry = self.files.get(file_id)
        return entry[0] if entry else None

    def delete(self, file_id: str) -> FileDeleted | None:
        return FileDeleted(id=file_id) if self.files.pop(file_id, None) else None

    def content(self, file_id: str) -> bytes | None:
        entry = self.files.get(file_id)
        return entry[1] if entry else None


def build_app(store: MemoryFiles, dependencies: Sequence[params.Depends] | None = None) -> FastAPI:
    app = FastAPI()
    app.include_router(create_models_router(list_models=list_models, dependencies=dependencies))
    app.include_router(
        create_chat_completion_router(
            list_models=list_models,
            run_completion=run_completion,
            include_models_endpoints=False,
            dependencies=dependencies,
        )
    )
    app.include_router(
        create_responses_router(
            list_models=list_models,
            run_response=run_response,
            include_models_endpoints=False,
            dependencies=dependencies,
        )
    )
    app.include_router(
        create_files_router(
            run_file_upload=store.upload,
            list_files=store.list,
            retrieve_file=store.retrieve,
            delete_file=store.delete,
            retrieve_file_content=store.content,
            dependencies=dependencies,
        )
    )
    return app


@pytest.fixture
def store() -> MemoryFiles:
    return MemoryFiles()


@pytest.fixture
def client(live_server: StartServer, store: MemoryFiles) -> Iterator[openai.OpenAI]:
    server = live_server(build_app(store))
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as sdk:
        yield sdk


def checked_events(events: list[Any]) -> SDKResponse:
    for event in events:
        assert type(SDK_EVENT_UNION.validate_python(event.to_dict())) is SDK_EVENTS[event.type]
    check_events([(event.type, event.to_dict()) for event in events])
    assert events[-1].type == "response.completed"
    final: SDKResponse = events[-1].response
    return final


def test_openapi_has_each_route_once() -> None:
    app = build_app(MemoryFiles())
    # FastAPI warns about a duplicate operation id (two routers serving /v1/models, say).
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        schema = app.openapi()
    operations = [
        (path, method, op["operationId"]) for path, ops in schema["paths"].items() for method, op in ops.items()
    ]
    operation_ids = [operation_id for _, _, operation_id in operations]
    assert len(operation_ids) == len(set(operation_ids))
    paths = {path for path, _, _ in operations}
    assert {"/v1/models", "/v1/models/{model}", "/v1/chat/completions", "/v1/responses", "/v1/files",
            "/v1/files/{file_id}", "/v1/files/{file_id}/content"} <= paths  # fmt: skip
    assert all(path.removeprefix("/v1") in paths for path in paths), "every route also answers without /v1"


def test_models(client: openai.OpenAI) -> None:
    assert [(model.id, model.object, model.owned_by) for model in client.models.list()] == [
        ("echo", "model", "custom"),
        ("shout", "model", "custom"),
    ]
    assert client.models.retrieve("shout").id == "shout"
    with pytest.raises(openai.NotFoundError) as missing:
        client.models.retrieve("nope")
    assert missing.value.code == "model_not_found"


def test_chat_plain_and_streamed(client: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": "hello there"}]
    raw = client.chat.completions.with_raw_response.create(model="shout", messages=messages)
    SDKChatCompletion.model_validate(raw.http_response.json())
    assert raw.parse().choices[0].message.content == "HELLO THERE"

    with client.chat.completions.create(model="echo", messages=messages, stream=True) as stream:
        chunks = [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in stream]
    assert len({chunk.id for chunk in chunks}) == 1
    assert [chunk.choices[0].delta.content for chunk in chunks] == ["hello", " there", ""]
    assert [chunk.choices[0].finish_reason for chunk in chunks] == [None, None, "stop"]


async def test_chat_streamed_with_the_async_client(live_server: StartServer, store: MemoryFiles) -> None:
    server = live_server(build_app(store))
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        stream = await client.chat.completions.create(
            model="shout", messages=[{"role": "user", "content": "a b"}], stream=True
        )
        chunks = [ChatCompletionChunk.model_validate(chunk.to_dict()) async for chunk in stream]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == "A B"


def test_responses_plain_streamed_and_stream_helper(client: openai.OpenAI) -> None:
    raw = client.responses.with_raw_response.create(model="shout", input="good morning")
    SDKResponse.model_validate(raw.http_response.json())
    assert raw.parse().output_text == "GOOD MORNING"

    with client.responses.create(model="echo", input="good morning", stream=True) as stream:
        events = list(stream)
    assert checked_events(events).output_text == "good morning"
    assert [event.delta for event in events if event.type == "response.output_text.delta"] == ["good", " morning"]

    with client.responses.stream(model="shout", input="see you") as helper:
        streamed = list(helper)
        final = helper.get_final_response()
    assert [event.sequence_number for event in streamed] == list(range(len(streamed)))
    assert final.output_text == "SEE YOU"
    assert final.status == "completed"


def test_files_lifecycle(client: openai.OpenAI, store: MemoryFiles) -> None:
    created = client.files.create(file=("notes.txt", b"line one\nline two\n"), purpose="user_data")
    SDKFileObject.model_validate(created.to_dict())
    assert (created.filename, created.bytes, created.purpose) == ("notes.txt", 18, "user_data")
    assert created.id in store.files

    other = client.files.create(file=("data.jsonl", b"{}\n"), purpose="batch")
    assert [file.id for file in client.files.list(purpose="user_data")] == [created.id]
    assert {file.id for file in client.files.list()} == {created.id, other.id}
    assert client.files.retrieve(created.id).filename == "notes.txt"
    assert client.files.content(created.id).read() == b"line one\nline two\n"

    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    assert [file.id for file in client.files.list()] == [other.id]


def test_every_router_requires_the_api_key(live_server: StartServer, store: MemoryFiles) -> None:
    server = live_server(build_app(store, dependencies=[Depends(APIKeyAuth([KEY]))]))
    with openai.OpenAI(base_url=server.base_url, api_key="sk-wrong", max_retries=0) as wrong:
        calls: list[Callable[[], Any]] = [
            wrong.models.list,
            lambda: wrong.models.retrieve("echo"),
            lambda: wrong.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}]),
            lambda: wrong.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "hi"}], stream=True
            ),
            lambda: wrong.responses.create(model="echo", input="hi"),
            lambda: wrong.responses.create(model="echo", input="hi", stream=True),
            lambda: wrong.files.create(file=("a.txt", b"a"), purpose="user_data"),
            wrong.files.list,
            lambda: wrong.files.retrieve("file-1"),
            lambda: wrong.files.content("file-1"),
            lambda: wrong.files.delete("file-1"),
        ]
        for call in calls:
            with pytest.raises(openai.AuthenticationError) as refused:
                call()
            assert refused.value.code == "invalid_api_key"
    assert store.files == {}, "a refused upload stores nothing"

    # No key at all is refused too, in OpenAI's envelope.
    anonymous = httpx.post(f"{server.base_url}/chat/completions", json={"model": "echo", "messages": []})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["type"] == "authentication_error"

    with openai.OpenAI(base_url=server.base_url, api_key=KEY, max_retries=0) as right:
        assert [model.id for model in right.models.list()] == MODELS
        answer = right.chat.completions.create(model="shout", messages=[{"role": "user", "content": "ok"}])
        assert answer.choices[0].message.content == "OK"
        with right.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "ok go"}], stream=True
        ) as stream:
            assert "".join(chunk.choices[0].delta.content or "" for chunk in stream) == "ok go"
        assert right.responses.create(model="echo", input="fine").output_text == "fine"
        uploaded = right.files.create(file=("k.txt", b"key"), purpose="user_data")
        assert right.files.content(uploaded.id).read() == b"key"
        assert right.files.delete(uploaded.id).deleted is True


def test_every_top_level_name_is_the_object_of_its_distribution() -> None:
    """The meta package holds no code of its own: each exported name is defined in one of the four parts."""
    homes = [
        importlib.import_module(name)
        for name in ("openai_compat_core", "openai_compat_chat", "openai_compat_responses", "openai_compat_files")
    ]
    for name in fastapi_openai_compat.__all__:
        if name == "__version__":
            continue
        obj = getattr(fastapi_openai_compat, name)
        assert any(getattr(home, name, None) is obj for home in homes), name
    assert fastapi_openai_compat.__all__ == sorted(fastapi_openai_compat.__all__, key=_ruff_all_order)


def _ruff_all_order(name: str) -> tuple[int, str]:
    """The order ruff keeps `__all__` in: CONSTANTS, then Classes, then the rest (each alphabetical)."""
    if name.isupper():
        return (0, name)
    return (1, name) if name[0].isupper() else (2, name)


def test_streamed_chat_frames_are_sdk_chunks_on_the_wire(live_server: StartServer, store: MemoryFiles) -> None:
    server = live_server(build_app(store))
    request = {"model": "echo", "messages": [{"role": "user", "content": "x y"}], "stream": True}
    body = httpx.post(f"{server.base_url}/chat/completions", json=request).text
    frames = [frame for frame in body.split("\n\n") if frame]
    assert frames[-1] == "data:[DONE]"
    chunks = [ChatCompletionChunk.model_validate(json.loads(frame.removeprefix("data: "))) for frame in frames[:-1]]
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks) == "x y"


def test_the_package_readme_example_runs(live_server: StartServer) -> None:
    readme = Path(__file__).resolve().parents[1] / "packages" / "fastapi-openai-compat" / "README.md"
    [block] = re.findall(r"```python\n(.*?)```", readme.read_text(), re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(compile(block, str(readme), "exec"), namespace)  # noqa: S102 - our own README's example
    server = live_server(namespace["app"])
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        assert [model.id for model in client.models.list()] == ["my-pipeline"]
        chat = client.chat.completions.create(model="my-pipeline", messages=[{"role": "user", "content": "hi"}])
        assert chat.choices[0].message.content == "Hello from chat!"
        assert client.responses.create(model="my-pipeline", input="hi").output_text == "Hello from responses!"
