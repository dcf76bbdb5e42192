"""The Responses router, in process: routes, callback arguments, result shapes, hooks, errors, options."""

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import Depends, FastAPI, HTTPException, Request
from openai.types.responses import Response as SDKResponse
from starlette.responses import StreamingResponse

from openai_compat_core import DEFAULT_MAX_BODY_SIZE, default_chunk_mapper
from openai_compat_core.testing import FunctionCallChunk
from openai_compat_responses import (
    Response,
    ResponseRequest,
    create_async_responses_streaming_response,
    create_responses_router,
    create_responses_streaming_response,
)
from openai_compat_responses.testing import check_response_object

MODELS = ["my-model"]


def app_with(run_response: Any, **options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: MODELS, run_response=run_response, **options))
    return app


async def post(app: FastAPI, asgi_client: Any, path: str = "/v1/responses", **body: Any) -> Any:
    async with asgi_client(app) as client:
        return await client.post(path, json={"model": "my-model", **body})


def test_signature_keeps_1_4_and_adds_keyword_options() -> None:
    params = inspect.signature(create_responses_router).parameters
    assert list(params) == [
        "list_models",
        "run_response",
        "pre_hook",
        "post_hook",
        "chunk_mapper",
        "owned_by",
        "tags",
        "include_models_endpoints",
        "dependencies",
        "validate_model",
        "max_body_size",
        "expose_errors",
        "store",
        "store_scope",
        "on_usage",
    ]
    assert all(p.kind is p.KEYWORD_ONLY for p in params.values())
    defaults = {name: p.default for name, p in params.items() if p.default is not p.empty}
    assert defaults == {
        "pre_hook": None,
        "post_hook": None,
        "chunk_mapper": default_chunk_mapper,
        "owned_by": "custom",
        "tags": None,
        "include_models_endpoints": False,
        "dependencies": None,
        "validate_model": False,
        "max_body_size": DEFAULT_MAX_BODY_SIZE,
        "expose_errors": True,
        "store": None,
        "store_scope": None,
        "on_usage": None,
    }


def operations(**options: Any) -> dict[tuple[str, str], Any]:
    """(path, method) -> OpenAPI operation, as the app documents its routes."""
    schema = app_with(lambda m, i, b: "x", **options).openapi()
    return {(path, method): op for path, item in schema["paths"].items() for method, op in item.items()}


def test_routes_operation_ids_and_tags() -> None:
    routes = operations()
    assert set(routes) == {("/v1/responses", "post"), ("/responses", "post")}
    assert routes[("/v1/responses", "post")]["operationId"] == "openai_responses"
    assert routes[("/responses", "post")]["operationId"] == "openai_responses_alias"
    assert routes[("/v1/responses", "post")]["tags"] == ["openai"]
    assert routes[("/responses", "post")]["summary"] == "Create response"
    assert operations(tags=["mine"])[("/responses", "post")]["tags"] == ["mine"]
    with_models = operations(include_models_endpoints=True)
    assert with_models[("/v1/models", "get")]["operationId"] == "responses_openai_models"
    assert ("/v1/models/{model}", "get") in with_models


async def test_models_endpoints_only_when_asked(asgi_client: Any) -> None:
    app = app_with(lambda m, i, b: "x", include_models_endpoints=True, owned_by="me")
    async with asgi_client(app) as client:
        listed = (await client.get("/v1/models")).json()
        alias = (await client.get("/models")).json()
        one = await client.get("/v1/models/my-model")
        missing = await client.get("/v1/models/other")
    assert [m["id"] for m in listed["data"]] == ["my-model"] == [m["id"] for m in alias["data"]]
    assert listed["data"][0]["owned_by"] == "me"
    assert one.json()["id"] == "my-model"
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"
    async with asgi_client(app_with(lambda m, i, b: "x")) as client:
        assert (await client.get("/v1/models")).status_code == 404


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Hello", [{"type": "message", "role": "user", "content": "Hello"}]),
        (None, []),
        (
            [{"type": "function_call_output", "call_id": "call_1", "output": "22"}],
            [{"type": "function_call_output", "call_id": "call_1", "output": "22"}],
        ),
    ],
)
async def test_callback_arguments(given: Any, expected: Any, asgi_client: Any) -> None:
    seen: dict[str, Any] = {}

    def run(model: str, input_items: list[Any], body: dict[str, Any]) -> str:
        seen.update(model=model, input_items=input_items, body=body)
        return "ok"

    extra = {"previous_response_id": "resp_before", "store": True, "include": ["x"], "conversation": "c_1"}
    response = await post(app_with(run), asgi_client, input=given, **extra)
    assert response.status_code == 200
    assert seen["model"] == "my-model"
    assert seen["input_items"] == expected
    body = seen["body"]
    assert body["input"] == given
    assert body["previous_response_id"] == "resp_before"
    assert body["store"] is True
    assert body["include"] == ["x"]
    assert body["conversation"] == "c_1"
    assert body["stream"] is False
    assert set(ResponseRequest.model_fields) <= set(body)


@pytest.mark.parametrize("path", ["/v1/responses", "/responses"])
async def test_a_str_result_is_a_full_response_object(path: str, asgi_client: Any) -> None:
    response = await post(
        app_with(lambda m, i, b: "Hello!"),
        asgi_client,
        path,
        input="hi",
        instructions="Be brief.",
        tools=[{"type": "function", "name": "f", "parameters": {}}],
        tool_choice="none",
        parallel_tool_calls=False,
        temperature=0.1,
        top_p=0.5,
        max_output_tokens=9,
        metadata={"k": "v"},
        store=True,
        previous_response_id="resp_prev",
        reasoning={"effort": "high"},
        text={"format": {"type": "json_object"}},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    check_response_object(data)
    sdk = SDKResponse.model_validate(data)
    assert sdk.output_text == "Hello!"
    assert data["id"].startswith("resp_")
    assert data["status"] == "completed"
    assert isinstance(data["completed_at"], int)
    assert data["output"][0]["content"][0] == {
        "type": "output_text",
        "text": "Hello!",
        "annotations": [],
        "logprobs": [],
    }
    assert data["instructions"] == "Be brief."
    assert data["tools"] == [{"type": "function", "name": "f", "description": None, "parameters": {}, "strict": None}]
    assert data["tool_choice"] == "none"
    assert data["parallel_tool_calls"] is False
    assert (data["temperature"], data["top_p"], data["max_output_tokens"]) == (0.1, 0.5, 9)
    assert data["metadata"] == {"k": "v"}
    assert data["store"] is True
    assert data["previous_response_id"] == "resp_prev"
    assert data["reasoning"] == {"effort": "high", "summary": None}
    assert data["text"] == {"format": {"type": "json_object"}}


async def test_a_response_result_keeps_what_the_callback_set(asgi_client: Any) -> None:
    def run(model: str, items: Any, body: Any) -> Response:
        return Response(id="resp_mine", created_at=5, model=model, output=[], metadata={"by": "callback"})

    data = (await post(app_with(run), asgi_client, input="hi", metadata={"by": "request"}, instructions="I")).json()
    check_response_object(data)
    assert data["id"] == "resp_mine"
    assert data["created_at"] == 5
    assert data["metadata"] == {"by": "callback"}
    assert data["instructions"] == "I"


def sync_words(model: str, items: Any, body: Any) -> Iterator[str]:
    yield from ["Hello", ", ", "world"]


async def async_words(model: str, items: Any, body: Any) -> AsyncIterator[str]:
    for word in ["Hello", ", ", "world"]:
        await asyncio.sleep(0)
        yield word


@pytest.mark.parametrize("run", [sync_words, async_words])
async def test_generators_stream(run: Any, asgi_client: Any, stream_reader: Any) -> None:
    response = await post(app_with(run), asgi_client, input="hi", stream=True, instructions="Be kind.")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    _, final = stream_reader(response.text)
    assert SDKResponse.model_validate(final).output_text == "Hello, world"
    assert final["instructions"] == "Be kind."


@pytest.mark.parametrize("run", [sync_words, async_words])
async def test_generators_are_collected_when_the_client_does_not_stream(run: Any, asgi_client: Any) -> None:
    response = await post(app_with(run), asgi_client, input="hi")
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    check_response_object(data)
    assert SDKResponse.model_validate(data).output_text == "Hello, world"
    assert data["status"] == "completed"


async def test_collected_function_calls(asgi_client: Any) -> None:
    def run(model: str, items: Any, body: Any) -> Iterator[Any]:
        yield FunctionCallChunk("call_1", "f", '{"a":')
        yield FunctionCallChunk("call_1", None, "1}")

    data = (await post(app_with(run), asgi_client, input="hi")).json()
    (call,) = data["output"]
    assert (call["type"], call["call_id"], call["name"], call["arguments"]) == (
        "function_call",
        "call_1",
        "f",
        '{"a":1}',
    )


async def test_str_and_response_results_stream_when_asked(asgi_client: Any, stream_reader: Any) -> None:
    _, final = stream_reader((await post(app_with(lambda m, i, b: "Hi"), asgi_client, stream=True)).text)
    assert SDKResponse.model_validate(final).output_text == "Hi"

    def run(model: str, items: Any, body: Any) -> Response:
        item = {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant", "content": []}
        return Response(id="resp_mine", created_at=1, model=model, output=[item])

    events, final = stream_reader((await post(app_with(run), asgi_client, stream=True)).text)
    assert [name for name, _ in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    assert final["output"][0]["id"] == "msg_1"


async def test_a_yielded_response_stops_the_generator(asgi_client: Any, stream_reader: Any) -> None:
    resumed = threading.Event()
    closed = threading.Event()

    def run(model: str, items: Any, body: Any) -> Iterator[Any]:
        try:
            yield "x"
            yield Response(id="resp_mine", created_at=1, model=model, output=[])
            resumed.set()
            yield "never"
        finally:
            closed.set()

    events, _ = stream_reader((await post(app_with(run), asgi_client, stream=True)).text, complete_output=False)
    assert events[-1][0] == "response.completed"
    # The producer thread closes the generator right after handing over the last frames.
    assert closed.wait(10)
    assert not resumed.is_set()


async def boom_sync(model: str, items: Any, body: Any) -> Any:
    def gen() -> Iterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    return gen()


async def boom_async(model: str, items: Any, body: Any) -> Any:
    async def gen() -> AsyncIterator[str]:
        yield "partial"
        raise RuntimeError("boom")

    return gen()


@pytest.mark.parametrize("run", [boom_sync, boom_async])
async def test_a_failure_mid_stream_ends_with_response_failed(
    run: Any, asgi_client: Any, stream_reader: Any, caplog: pytest.LogCaptureFixture
) -> None:
    response = await post(app_with(run), asgi_client, stream=True)
    assert response.status_code == 200
    events, final = stream_reader(response.text)
    assert [name for name, _ in events].count("response.failed") == 1
    assert events[-1][0] == "response.failed"
    assert final["error"] == {"code": "server_error", "message": "Pipeline execution failed: boom"}
    assert any(r.name == "fastapi_openai_compat.responses" and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("run", [boom_sync, boom_async])
async def test_a_failure_while_collecting_is_an_error_envelope(run: Any, asgi_client: Any) -> None:
    response = await post(app_with(run), asgi_client)
    assert response.status_code == 500
    assert response.json()["detail"] == "Pipeline execution failed: boom"
    assert response.json()["error"]["type"] == "server_error"


async def test_a_failing_callback_is_an_error_envelope(asgi_client: Any) -> None:
    def run(model: str, items: Any, body: Any) -> str:
        raise ValueError("no pipeline")

    response = await post(app_with(run), asgi_client, stream=True)
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    assert response.json()["detail"] == "Pipeline execution failed: no pipeline"
    assert response.json()["error"]["message"] == "Pipeline execution failed: no pipeline"


async def test_http_exceptions_keep_their_status_and_detail(asgi_client: Any) -> None:
    def run(model: str, items: Any, body: Any) -> str:
        raise HTTPException(status_code=429, detail="slow down")

    response = await post(app_with(run), asgi_client)
    assert response.status_code == 429
    assert response.json()["detail"] == "slow down"
    assert response.json()["error"]["type"] == "rate_limit_error"


@pytest.mark.parametrize("result", [None, 42, ["a", "b"], {"text": "x"}])
async def test_unsupported_results(result: Any, asgi_client: Any) -> None:
    response = await post(app_with(lambda m, i, b: result), asgi_client)
    assert response.status_code == 500
    assert response.json()["detail"] == "Unsupported response type from run_response"


async def test_hooks_transform_and_observe(asgi_client: Any) -> None:
    seen: list[str] = []

    async def pre_hook(request: ResponseRequest) -> ResponseRequest:
        return request.model_copy(update={"instructions": "from the hook"})

    def observer(value: Any) -> None:
        seen.append(type(value).__name__)

    def post_hook(result: str) -> str:
        return result.upper()

    def run(model: str, items: Any, body: dict[str, Any]) -> str:
        return f"{body['instructions']}"

    app = app_with(run, pre_hook=pre_hook, post_hook=post_hook)
    data = (await post(app, asgi_client, input="hi")).json()
    assert data["output"][0]["content"][0]["text"] == "FROM THE HOOK"
    assert data["instructions"] == "from the hook"
    observed = app_with(run, pre_hook=observer, post_hook=observer)
    data = (await post(observed, asgi_client, input="hi", instructions="original")).json()
    assert data["output"][0]["content"][0]["text"] == "original"
    assert seen == ["ResponseRequest", "str"]


async def test_hook_failures(asgi_client: Any) -> None:
    def failing(request: Any) -> None:
        raise RuntimeError("hook broke")

    def refusing(request: Any) -> None:
        raise HTTPException(status_code=403, detail="not you")

    response = await post(app_with(lambda m, i, b: "x", pre_hook=failing), asgi_client)
    assert (response.status_code, response.json()["detail"]) == (500, "Pipeline execution failed: hook broke")
    response = await post(app_with(lambda m, i, b: "x", post_hook=refusing), asgi_client)
    assert (response.status_code, response.json()["detail"]) == (403, "not you")


async def test_headers_go_only_to_callbacks_that_ask(asgi_client: Any) -> None:
    received: list[Any] = []

    def with_headers(model: str, items: Any, body: Any, headers: dict[str, str]) -> str:
        received.append(headers)
        return "x"

    async def with_kwargs(model: str, items: Any, body: Any, **kwargs: Any) -> str:
        received.append(kwargs["headers"])
        return "x"

    def plain(model: str, items: Any, body: Any) -> str:
        return "x"

    for run in (with_headers, with_kwargs, plain):
        async with asgi_client(app_with(run)) as client:
            response = await client.post(
                "/v1/responses", json={"model": "my-model"}, headers={"X-Tenant": "acme", "Authorization": "Bearer k"}
            )
        assert response.status_code == 200
    assert len(received) == 2
    for headers in received:
        assert headers["x-tenant"] == "acme"
        assert headers["authorization"] == "Bearer k"


async def test_validate_model(asgi_client: Any) -> None:
    assert (await post(app_with(lambda m, i, b: "x"), asgi_client, model="unknown")).status_code == 200
    app = app_with(lambda m, i, b: "x", validate_model=True)
    response = await post(app, asgi_client, model="unknown")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"
    assert response.json()["error"]["param"] == "model"
    assert (await post(app, asgi_client)).status_code == 200


async def test_dependencies_guard_every_route(asgi_client: Any) -> None:
    def require_key(request: Request) -> None:
        if request.headers.get("authorization") != "Bearer secret":
            raise HTTPException(status_code=401, detail="bad key")

    app = app_with(lambda m, i, b: "x", dependencies=[Depends(require_key)], include_models_endpoints=True)
    async with asgi_client(app) as client:
        assert (await client.post("/v1/responses", json={"model": "my-model"})).status_code == 401
        assert (await client.get("/v1/models")).status_code == 401
        ok = await client.post("/v1/responses", json={"model": "my-model"}, headers={"authorization": "Bearer secret"})
        assert ok.status_code == 200
        assert (await client.get("/v1/models", headers={"authorization": "Bearer secret"})).status_code == 200


async def test_max_body_size_and_validation_errors(asgi_client: Any) -> None:
    app = app_with(lambda m, i, b: "x", max_body_size=100)
    assert (await post(app, asgi_client, input="x" * 200)).status_code == 413
    async with asgi_client(app) as client:
        response = await client.post("/v1/responses", json={"input": "no model"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "model"


async def test_the_chunk_mapper_is_used(asgi_client: Any) -> None:
    @dataclass
    class Token:
        text: str

    def run(model: str, items: Any, body: Any) -> Iterator[Token]:
        yield Token("a")
        yield Token("b")

    data = (await post(app_with(run, chunk_mapper=lambda t: t.text.upper()), asgi_client)).json()
    assert data["output"][0]["content"][0]["text"] == "AB"


def test_openapi_documents_json_and_event_stream() -> None:
    schema = app_with(lambda m, i, b: "x", validate_model=True).openapi()
    operation = schema["paths"]["/v1/responses"]["post"]
    assert operation["operationId"] == "openai_responses"
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/event-stream"}
    assert "404" in operation["responses"]
    assert "Response" in schema["components"]["schemas"]


async def test_1_x_streaming_helpers_yield_one_str_per_frame(stream_reader: Any) -> None:
    def words() -> Iterator[str]:
        yield from ["a", "b"]

    async def async_words() -> AsyncIterator[str]:
        yield "a"
        yield "b"

    for response in (
        create_responses_streaming_response(words(), "resp_1", "m"),
        create_async_responses_streaming_response(async_words(), "resp_1", "m"),
    ):
        assert isinstance(response, StreamingResponse)
        assert response.media_type == "text/event-stream"
        frames = [frame async for frame in response.body_iterator]
        assert all(isinstance(frame, str) and frame.count("event: ") == 1 for frame in frames)
        _, final = stream_reader("".join(str(frame) for frame in frames))
        assert final["id"] == "resp_1"
        assert final["output"][0]["content"][0]["text"] == "ab"


async def test_1_x_streaming_helpers_serve_over_http(asgi_client: Any, stream_reader: Any) -> None:
    app = FastAPI()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return create_responses_streaming_response(iter(["x", "y"]), "resp_1", "m")  # type: ignore[arg-type]

    async with asgi_client(app) as client:
        response = await client.get("/stream")
    _, final = stream_reader(response.text)
    assert final["output"][0]["content"][0]["text"] == "xy"
