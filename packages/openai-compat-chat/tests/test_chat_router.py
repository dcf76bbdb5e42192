"""The chat router in process: result shapes, hooks, headers, errors, models routes and options."""

import asyncio
import inspect
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from openai.types.chat import ChatCompletion as SDKChatCompletion

from openai_compat_chat import (
    ChatCompletion,
    ChatRequest,
    Choice,
    Message,
    create_chat_completion_router,
    create_openai_router,
)
from openai_compat_core import OpenAIHTTPException

MESSAGES = [{"role": "user", "content": "hi"}]


def app_with(run_completion: Callable[..., Any], **options: Any) -> FastAPI:
    app = FastAPI()
    options.setdefault("list_models", lambda: ["m"])
    app.include_router(create_chat_completion_router(run_completion=run_completion, **options))
    return app


async def post(app: FastAPI, path: str = "/v1/chat/completions", **body: Any) -> httpx.Response:
    body.setdefault("model", "m")
    body.setdefault("messages", MESSAGES)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.post(path, json=body)


def sse(response: httpx.Response) -> list[Any]:
    assert response.headers["content-type"].startswith("text/event-stream")
    out: list[Any] = []
    for block in response.text.split("\n\n"):
        if block:
            value = block.removeprefix("data:").removeprefix(" ")
            out.append(value if value == "[DONE]" else json.loads(value))
    return out


def contents(frames: list[Any]) -> str:
    return "".join(
        f["choices"][0]["delta"].get("content", "") for f in frames if isinstance(f, dict) and f.get("choices")
    )


# --- result shapes ------------------------------------------------------------------------------


async def test_string_result_is_a_chat_completion() -> None:
    response = await post(app_with(lambda model, messages, body: "Hello"))
    assert response.status_code == 200
    body = response.json()
    assert body["id"].startswith("chatcmpl-")
    assert len(body["id"]) == len("chatcmpl-") + 32
    int(body["id"].removeprefix("chatcmpl-"), 16)
    assert body["object"] == "chat.completion"
    assert body["model"] == "m"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["choices"][0]["message"]["content"] == "Hello"
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["choices"][0]["logprobs"] is None
    assert body.get("usage") is None


async def test_chat_completion_result_is_returned_as_given_with_usage() -> None:
    completion = ChatCompletion(
        id="chatcmpl-mine",
        object="chat.completion",
        created=5,
        model="m",
        choices=[
            Choice(
                index=0,
                message=Message(
                    role="assistant",
                    tool_calls=[{"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
                ),
                finish_reason="tool_calls",
            )
        ],
        usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    )
    response = await post(app_with(lambda model, messages, body: completion))
    assert response.json() == completion.model_dump()
    assert response.json()["usage"] == {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}


async def test_sync_generator_streams_in_a_worker_thread() -> None:
    threads: list[int] = []

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[str]:
        def gen() -> Iterator[str]:
            threads.append(threading.get_ident())
            yield from ["a", "b"]

        return gen()

    response = await post(app_with(run), stream=True)
    frames = sse(response)
    assert contents(frames) == "ab"
    assert frames[-1] == "[DONE]"
    assert threads
    assert threads[0] != threading.get_ident()


async def test_async_generator_streams() -> None:
    async def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> AsyncIterator[str]:
        async def gen() -> AsyncIterator[str]:
            for word in ["x", "y"]:
                await asyncio.sleep(0)
                yield word

        return gen()

    frames = sse(await post(app_with(run), stream=True))
    assert contents(frames) == "xy"
    assert frames[-2]["choices"][0]["finish_reason"] == "stop"


async def test_the_stream_flag_decides_not_the_result_type() -> None:
    # OpenAI's contract (1.x let the result type decide): a generator answers a non-streaming request
    # with one completion, and text answers a streaming request with a stream.
    response = await post(app_with(lambda model, messages, body: iter(["a", "b"])))
    assert response.headers["content-type"] == "application/json"
    completion = SDKChatCompletion.model_validate(response.json())
    assert completion.choices[0].message.content == "ab"
    assert completion.choices[0].finish_reason == "stop"
    frames = sse(await post(app_with(lambda model, messages, body: "whole"), stream=True))
    assert contents(frames) == "whole"
    assert frames[0]["choices"][0]["delta"]["role"] == "assistant"
    assert frames[-2]["choices"][0]["finish_reason"] == "stop"


async def test_stream_ids_are_stable_and_fresh_per_request() -> None:
    app = app_with(lambda model, messages, body: iter(["a", "b", "c"]))
    first = [f for f in sse(await post(app, stream=True)) if isinstance(f, dict)]
    second = [f for f in sse(await post(app, stream=True)) if isinstance(f, dict)]
    assert len({(f["id"], f["created"], f["model"]) for f in first}) == 1
    assert first[0]["id"].startswith("chatcmpl-")
    assert first[0]["id"] != second[0]["id"]


async def test_include_usage_from_stream_options() -> None:
    class Chunk:
        def __init__(self, content: str, usage: dict[str, int] | None = None) -> None:
            self.content = content
            self.meta = {"usage": usage} if usage else {}

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Iterator[Chunk]:
        assert body["stream_options"] == {"include_usage": True}
        return iter([Chunk("a"), Chunk("", {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3})])

    frames = sse(await post(app_with(run), stream=True, stream_options={"include_usage": True}))
    assert [f["usage"] for f in frames[:-1]] == [
        None,
        None,  # the usage chunk's own (empty) text, sent as 1.x did
        None,
        {"prompt_tokens": 2, "completion_tokens": 1, "total_tokens": 3},
    ]
    assert frames[-2]["choices"] == []


async def test_openai_done_frame_option() -> None:
    app = app_with(lambda model, messages, body: iter(["a"]), openai_done_frame=True)
    response = await post(app, stream=True)
    assert response.text.endswith("\n\ndata: [DONE]\n\n")
    default = await post(app_with(lambda model, messages, body: iter(["a"])), stream=True)
    assert default.text.endswith("\n\ndata:[DONE]\n\n")
    # 1.x clients parse every line starting with "data: " as JSON: the default keeps that working.
    for line in default.text.splitlines():
        if line.startswith("data: "):
            json.loads(line[len("data: ") :])


async def test_unsupported_result_type_is_a_500_envelope() -> None:
    response = await post(app_with(lambda model, messages, body: 42))
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "Unsupported response type from completion"
    assert response.json()["detail"] == "Unsupported response type from completion"
    assert response.headers["x-should-retry"] == "false"


# --- request handling ---------------------------------------------------------------------------


async def test_both_paths_serve_chat_completions() -> None:
    app = app_with(lambda model, messages, body: "ok")
    for path in ("/v1/chat/completions", "/chat/completions"):
        assert (await post(app, path)).json()["choices"][0]["message"]["content"] == "ok"


async def test_body_is_the_whole_request_with_extra_fields() -> None:
    seen: list[Any] = []

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        seen.append((model, messages, body))
        return "ok"

    await post(app_with(run), temperature=0.5, tools=[{"type": "function"}])
    assert seen == [
        (
            "m",
            MESSAGES,
            {"model": "m", "messages": MESSAGES, "stream": False, "temperature": 0.5, "tools": [{"type": "function"}]},
        )
    ]


async def test_missing_messages_is_a_400_naming_the_parameter() -> None:
    app = app_with(lambda model, messages, body: "ok")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/v1/chat/completions", json={"model": "m"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"


async def test_headers_reach_callbacks_that_ask_for_them_only() -> None:
    seen: list[Any] = []

    def with_headers(model: str, messages: list[dict[str, Any]], body: dict[str, Any], headers: dict[str, str]) -> str:
        seen.append(headers)
        return "ok"

    async def with_kwargs(model: str, messages: list[dict[str, Any]], body: dict[str, Any], **kwargs: Any) -> str:
        seen.append(kwargs)
        return "ok"

    def plain(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        seen.append("plain")
        return "ok"

    for run in (with_headers, with_kwargs, plain):
        app = app_with(run)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.post(
                "/v1/chat/completions", json={"model": "m", "messages": MESSAGES}, headers={"X-Tenant": "acme"}
            )
        assert response.status_code == 200
    assert seen[0]["x-tenant"] == "acme"
    assert seen[1]["headers"]["x-tenant"] == "acme"
    assert seen[2] == "plain"


async def test_sync_callback_runs_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    threads: list[int] = []

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        threads.append(threading.get_ident())
        return "ok"

    await post(app_with(run))
    assert threads
    assert threads[0] != loop_thread


# --- hooks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("is_async", [False, True])
async def test_transformer_hooks(is_async: bool) -> None:
    def pre(request: ChatRequest) -> ChatRequest:
        return request.model_copy(update={"model": "renamed"})

    def post_hook(result: Any) -> Any:
        return f"[{result}]"

    async def apre(request: ChatRequest) -> ChatRequest:
        return pre(request)

    async def apost(result: Any) -> Any:
        return post_hook(result)

    app = app_with(
        lambda model, messages, body: f"model={model}",
        pre_hook=apre if is_async else pre,
        post_hook=apost if is_async else post_hook,
    )
    body = (await post(app)).json()
    assert body["choices"][0]["message"]["content"] == "[model=renamed]"
    assert body["model"] == "renamed"


async def test_observer_hooks_leave_values_alone() -> None:
    seen: list[Any] = []
    app = app_with(
        lambda model, messages, body: "ok",
        pre_hook=lambda request: seen.append(request.model),
        post_hook=seen.append,
    )
    assert (await post(app)).json()["choices"][0]["message"]["content"] == "ok"
    assert seen == ["m", "ok"]


async def test_post_hook_can_wrap_a_stream() -> None:
    def upper(result: Iterator[str]) -> Iterator[str]:
        return (chunk.upper() for chunk in result)

    frames = sse(await post(app_with(lambda model, messages, body: iter(["a", "b"]), post_hook=upper), stream=True))
    assert contents(frames) == "AB"


async def test_http_exception_from_a_hook_keeps_status_and_detail() -> None:
    def refuse(request: ChatRequest) -> None:
        raise HTTPException(status_code=403, detail="not for you")

    response = await post(app_with(lambda model, messages, body: "ok", pre_hook=refuse))
    assert response.status_code == 403
    assert response.json()["detail"] == "not for you"
    assert response.json()["error"]["type"] == "permission_error"


# --- errors -------------------------------------------------------------------------------------


async def test_failing_callback_is_a_500_with_the_1x_detail_and_no_retry(caplog: pytest.LogCaptureFixture) -> None:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        raise ValueError("pipeline broke")

    with caplog.at_level(logging.ERROR, logger="fastapi_openai_compat.chat_completions"):
        response = await post(app_with(run))
    assert response.status_code == 500
    assert response.json()["detail"] == "Pipeline execution failed: pipeline broke"
    assert response.json()["error"]["type"] == "server_error"
    assert response.headers["x-should-retry"] == "false"
    assert any(r.exc_info and "pipeline broke" in str(r.exc_info[1]) for r in caplog.records)


async def test_failing_post_hook_is_a_500() -> None:
    def explode(result: Any) -> Any:
        raise RuntimeError("post hook broke")

    response = await post(app_with(lambda model, messages, body: "ok", post_hook=explode))
    assert response.status_code == 500
    assert response.json()["detail"] == "Pipeline execution failed: post hook broke"


async def test_http_exception_from_the_callback_keeps_its_status() -> None:
    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        raise OpenAIHTTPException(404, "no such pipeline", code="model_not_found", param="model")

    response = await post(app_with(run))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "message": "no such pipeline",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_failure_mid_stream_sends_an_error_frame_then_done(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    def sync_gen() -> Iterator[str]:
        yield "partial"
        raise RuntimeError("stream broke")

    async def async_gen() -> AsyncIterator[str]:
        yield "partial"
        raise RuntimeError("stream broke")

    app = app_with(lambda model, messages, body: sync_gen() if kind == "sync" else async_gen())
    with caplog.at_level(logging.ERROR, logger="fastapi_openai_compat.chat_completions"):
        response = await post(app, stream=True)
    frames = sse(response)
    assert response.status_code == 200
    assert contents(frames) == "partial"
    assert frames[-2] == {
        "error": {
            "message": "Pipeline execution failed: stream broke",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert frames[-1] == "[DONE]"
    errors = [r for r in caplog.records if r.name == "fastapi_openai_compat.chat_completions" and r.exc_info]
    assert errors
    assert "stream broke" in str(errors[0].exc_info[1])  # type: ignore[index]


# --- models, validation, options ----------------------------------------------------------------


async def test_models_endpoints_are_included_unless_disabled() -> None:
    app = app_with(lambda model, messages, body: "ok", list_models=lambda: ["a", "b"], owned_by="me")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        listed = (await client.get("/v1/models")).json()
        assert [m["id"] for m in listed["data"]] == ["a", "b"]
        assert {m["owned_by"] for m in listed["data"]} == {"me"}
        assert (await client.get("/models")).status_code == 200
        assert (await client.get("/v1/models/a")).json()["id"] == "a"
    app = app_with(lambda model, messages, body: "ok", include_models_endpoints=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/v1/models")).status_code == 404


async def test_unknown_models_are_not_checked_by_default() -> None:
    response = await post(app_with(lambda model, messages, body: "ok"), model="nope")
    assert response.status_code == 200


async def test_validate_model_answers_404_model_not_found() -> None:
    calls: list[str] = []

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> str:
        calls.append(model)
        return "ok"

    app = app_with(run, validate_model=True)
    response = await post(app, model="nope")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert response.json()["error"]["param"] == "model"
    assert calls == []
    assert (await post(app, model="m")).status_code == 200


async def test_validate_model_checks_the_model_after_the_pre_hook() -> None:
    def alias(request: ChatRequest) -> ChatRequest:
        return request.model_copy(update={"model": "m"}) if request.model == "alias" else request

    app = app_with(lambda model, messages, body: model, validate_model=True, pre_hook=alias)
    assert (await post(app, model="alias")).json()["choices"][0]["message"]["content"] == "m"


async def test_dependencies_apply_to_every_route() -> None:
    def require_key(request: Request) -> None:
        if request.headers.get("authorization") != "Bearer k":
            raise HTTPException(status_code=401, detail="bad key")

    app = app_with(lambda model, messages, body: "ok", dependencies=[Depends(require_key)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        denied = await client.post("/v1/chat/completions", json={"model": "m", "messages": MESSAGES})
        assert denied.status_code == 401
        assert denied.json()["error"]["type"] == "authentication_error"
        assert (await client.get("/v1/models")).status_code == 401
        allowed = await client.post(
            "/v1/chat/completions", json={"model": "m", "messages": MESSAGES}, headers={"Authorization": "Bearer k"}
        )
        assert allowed.status_code == 200


async def test_max_body_size_answers_413() -> None:
    app = app_with(lambda model, messages, body: "ok", max_body_size=200)
    response = await post(app, messages=[{"role": "user", "content": "x" * 500}])
    assert response.status_code == 413
    assert (await post(app)).status_code == 200


def test_openapi_documents_the_routes_with_their_1x_operation_ids() -> None:
    schema = app_with(lambda model, messages, body: "ok").openapi()
    operations = {path: item["post"]["operationId"] for path, item in schema["paths"].items() if "post" in item}
    assert operations == {
        "/v1/chat/completions": "openai_chat_completions",
        "/chat/completions": "openai_chat_completions_alias",
    }
    post_op = schema["paths"]["/v1/chat/completions"]["post"]
    assert post_op["tags"] == ["openai"]
    assert post_op["summary"] == "Create chat completion"
    assert "ChatCompletion" in json.dumps(post_op["responses"]["200"])


def test_create_openai_router_is_create_chat_completion_router() -> None:
    assert create_openai_router is create_chat_completion_router
    ours = inspect.signature(create_chat_completion_router).parameters
    assert list(ours)[:8] == [
        "list_models",
        "run_completion",
        "pre_hook",
        "post_hook",
        "chunk_mapper",
        "owned_by",
        "tags",
        "include_models_endpoints",
    ]
    assert list(ours)[8:] == [
        "dependencies",
        "validate_model",
        "max_body_size",
        "done_frame",
        "openai_done_frame",
        "role_on_every_delta",
        "expose_errors",
        "on_usage",
    ]


async def test_create_openai_router_forwards_options() -> None:
    app = FastAPI()
    app.include_router(
        create_openai_router(
            list_models=lambda: ["m"],
            run_completion=lambda model, messages, body: iter(["a"]),
            include_models_endpoints=False,
            validate_model=True,
            openai_done_frame=True,
            tags=["chat"],
        )
    )
    assert (await post(app, model="nope")).status_code == 404
    assert (await post(app, stream=True)).text.endswith("data: [DONE]\n\n")
    assert app.openapi()["paths"]["/v1/chat/completions"]["post"]["tags"] == ["chat"]
    assert "/v1/models" not in app.openapi()["paths"]


async def test_slow_sync_generator_does_not_block_other_requests() -> None:
    started, release = threading.Event(), threading.Event()

    def run(model: str, messages: list[dict[str, Any]], body: dict[str, Any]) -> Any:
        if model == "slow":

            def gen() -> Iterator[str]:
                yield "start"
                started.set()  # asked for the next chunk: "start" has been handed over
                release.wait(5)
                yield "end"

            return gen()
        return "fast"

    app = app_with(run)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        slow = asyncio.ensure_future(
            client.post("/v1/chat/completions", json={"model": "slow", "messages": MESSAGES, "stream": True})
        )
        assert await asyncio.to_thread(started.wait, 5), "the slow stream did not start"
        fast = await client.post("/v1/chat/completions", json={"model": "m", "messages": MESSAGES})
        assert fast.json()["choices"][0]["message"]["content"] == "fast"
        assert not slow.done()
        release.set()
        assert contents(sse(await slow)) == "startend"
