"""The Responses router factory: `POST /v1/responses` (and `/responses`), plain and streamed."""

# No `from __future__ import annotations` here: FastAPI must resolve the endpoint's annotations.

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, Request, params
from starlette.responses import Response as StarletteResponse

from openai_compat_core.callbacks import (
    Callback,
    ChunkMapper,
    PostHook,
    PreHook,
    ensure_async,
    request_headers,
    run_hook,
)
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.chunks import default_chunk_mapper
from openai_compat_core.errors import DEFAULT_MAX_BODY_SIZE, OpenAIHTTPException, callback_errors
from openai_compat_core.models import ErrorResponse
from openai_compat_core.router import ERROR_RESPONSES, ModelCatalog, add_models_routes, new_api_router
from openai_compat_core.sse import json_response
from openai_compat_core.streaming import EventStreamResponse, run_to_end
from openai_compat_responses._objects import (
    encode_text_response,
    new_id,
    normalise_response,
    now,
    request_settings,
)
from openai_compat_responses.models import InputItem, Response, ResponseRequest
from openai_compat_responses.streaming import FAILURE_PREFIX, ResponseStreamEncoder

logger = logging.getLogger("fastapi_openai_compat.responses")

ResponseResult = str | Response | Generator[Any, None, None] | AsyncGenerator[Any, None]
"""What `run_response` may return: text, a full `Response`, or a (sync or async) generator of chunks."""


class RunResponseFn(Protocol):
    """Your callback: `run_response(model, input_items, body)`, sync or async, returning a `ResponseResult`.

    - `model`: the request's model name;
    - `input_items`: the input as a list of items (a string input becomes one user message item,
      no input an empty list);
    - `body`: the whole request as a dict, fields this library does not know included
      (`previous_response_id`, `store`, `tools`, ...).

    A callback that also declares a `headers` parameter (or `**kwargs`) is called with
    `headers=` the request headers as a `dict[str, str]` with lower-cased names. Sync callbacks
    run in the thread pool.
    """

    def __call__(self, model: str, input_items: list[InputItem], body: dict[str, Any], /) -> Any: ...


# One server-sent event of a stream (how OpenAPI before 3.2 documents event streams).
_STREAM_EVENT: dict[str, Any] = {
    "title": "ResponseStreamEvent",
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "description": "The event type, for example `response.output_text.delta`."},
        "data": {"type": "string", "description": "The event object as JSON; its `type` repeats the event type."},
    },
}


def _input_items(value: str | list[InputItem] | None) -> list[InputItem]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    return value


async def _collect(
    source: Iterator[Any] | AsyncIterator[Any],
    encoder: ResponseStreamEncoder,
    http_request: Request,
    *,
    expose_errors: bool = True,
) -> dict[str, Any]:
    """Run a generator to its end for a non-streaming request and return the response it builds.

    If the client disconnects meanwhile, an async generator is cancelled and a sync one is closed
    after its current chunk (`ClientDisconnect` is raised).
    """
    with callback_errors(FAILURE_PREFIX, logger, expose=expose_errors):
        await run_to_end(source, encoder, http_request, keep=False)
    if encoder.final_response is None:
        raise OpenAIHTTPException(500, "The callback's stream ended without a response object.", type="server_error")
    return encoder.final_response


def _unsupported(result: Any) -> OpenAIHTTPException:
    return OpenAIHTTPException(
        500,
        f"Unsupported response type from run_response: {type(result).__name__}",
        type="server_error",
        headers={"x-should-retry": "false"},
        detail="Unsupported response type from run_response",
    )


def create_responses_router(
    *,
    list_models: Callable[..., Any],
    run_response: Callable[..., Any],
    pre_hook: PreHook | None = None,
    post_hook: PostHook | None = None,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    include_models_endpoints: bool = False,
    dependencies: Sequence[params.Depends] | None = None,
    validate_model: bool = False,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    expose_errors: bool = True,
) -> APIRouter:
    """Create a router serving OpenAI's Responses API from your `run_response` callback.

    Routes: `POST /v1/responses` and `POST /responses`; with `include_models_endpoints=True` also
    the models endpoints (`GET /v1/models`, `GET /v1/models/{model}` and their aliases).

    What `run_response` returns decides the answer. With `"stream": true` in the request the answer is
    an event stream, otherwise one JSON response object:

    - `str`: one assistant message;
    - `Response`: sent with the request's settings filling the fields you left unset;
    - a sync or async generator: its chunks become the output (text, reasoning, function calls,
      custom events; see `ResponseStreamEncoder`); without `stream` the router collects them.

    A failure before the stream starts is an OpenAI error envelope (500, `Pipeline execution failed:
    ...`); a failure after it started ends the stream with a `response.failed` event.

    Args:
        list_models: returns the names of the models you serve; sync or async.
        run_response: your callback, `(model, input_items, body)` (see `RunResponseFn`); sync or async.
        pre_hook: called with the `ResponseRequest`; returns a replacement or `None` to keep it.
        post_hook: called with the callback's result; returns a replacement or `None` to keep it.
        chunk_mapper: turns streamed chunks that are neither `str` nor carry `str` `.content` into text.
        owned_by: `owned_by` of the model objects (with `include_models_endpoints`).
        tags: OpenAPI tags (default `["openai"]`).
        include_models_endpoints: also serve the models endpoints. Off by default so that this router
            can sit next to a chat router or a models router in one app.
        dependencies: FastAPI dependencies for every route, e.g. `[Depends(APIKeyAuth())]`.
        validate_model: answer 404 `model_not_found` when `list_models` does not name the request's
            model (checked after `pre_hook`); off by default, the callback decides.
        max_body_size: request body limit in bytes (`None` for none); larger bodies get 413.
        expose_errors: when a hook or `run_response` raises (anything but an `HTTPException`),
            answer `Pipeline execution failed: <message>` (the 1.x text, the default), or with
            `False` only `Pipeline execution failed.`, in the 500 body and in `response.failed`.
            Tracebacks and exception types are never sent; they go to the
            `fastapi_openai_compat.responses` logger.

    If the client disconnects before the answer is ready, an async `run_response` is cancelled; a
    sync one cannot be interrupted and its result is dropped. A callback that declares `headers`
    receives all request headers, credentials included (`authorization` carries the client's API
    key): never log or forward them blindly.

    Returns:
        An `APIRouter` to include in your app.
    """
    catalog = ModelCatalog(list_models, owned_by=owned_by, expose_errors=expose_errors)
    run = Callback(run_response, optional=("headers",))
    wants_headers = run.accepts("headers")
    pre = ensure_async(pre_hook) if pre_hook is not None else None
    post = ensure_async(post_hook) if post_hook is not None else None
    route_tags: list[Any] = list(tags or ["openai"])

    router = new_api_router(dependencies=dependencies, max_body_size=max_body_size)

    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "The response object, or with `stream: true` its events (`text/event-stream`).",
            "content": {"text/event-stream": {"schema": _STREAM_EVENT}},
        },
        **ERROR_RESPONSES,
    }
    if validate_model:
        responses[404] = {"model": ErrorResponse, "description": "Unknown model."}
    route_params: dict[str, Any] = {
        "response_model": Response,
        "tags": route_tags,
        "summary": "Create response",
        "description": (
            "Generates a response for OpenAI Responses API compatible clients. "
            "Supports non-streaming and named SSE streaming event formats."
        ),
        "responses": responses,
    }

    async def answer(
        result: Any, request: ResponseRequest, body: dict[str, Any], http_request: Request
    ) -> StarletteResponse:
        resp_id = new_id("resp")
        stream = bool(getattr(request, "stream", False))
        source: Iterator[Any] | AsyncIterator[Any]
        if isinstance(result, (Response, str)):
            if not stream:
                settings = request_settings(body)
                if isinstance(result, Response):
                    return json_response(normalise_response(result, settings))
                body_json = encode_text_response(resp_id, request.model, now(), settings, result)
                return json_response(body_json)
            if isinstance(result, Response):
                resp_id = result.id  # the callback's own id, on every event of the stream
            source = iter([result])
        elif isinstance(result, (Iterator, AsyncIterator)):
            source = result
        else:
            raise _unsupported(result)
        encoder = ResponseStreamEncoder(
            resp_id, request.model, chunk_mapper=chunk_mapper, request=body, expose_errors=expose_errors
        )
        if stream:
            return EventStreamResponse(source, encoder, log=logger)
        return json_response(await _collect(source, encoder, http_request, expose_errors=expose_errors))

    # `/v1` first: FastAPI tries a request on every route before the one that matches.
    @router.post("/responses", **route_params, operation_id="openai_responses_alias")
    @router.post("/v1/responses", **route_params, operation_id="openai_responses")
    async def create_response(response_req: ResponseRequest, http_request: Request) -> StarletteResponse:
        request = response_req
        if pre is not None:
            with callback_errors(FAILURE_PREFIX, logger, expose=expose_errors):
                request = await run_hook(pre, response_req)
        if validate_model:
            await catalog.require(request.model)
        body = request.model_dump()
        extra = {"headers": request_headers(http_request.headers)} if wants_headers else {}
        with callback_errors(FAILURE_PREFIX, logger, expose=expose_errors):
            # Nobody waits for the answer of a client that left: stop (async) or drop (sync) the work.
            result = await cancel_on_disconnect(
                http_request, run(request.model, _input_items(request.input), body, **extra)
            )
            result = await run_hook(post, result)
        return await answer(result, request, body, http_request)

    if include_models_endpoints:
        # Added to this router itself (they take its dependencies), after the route most requests take.
        add_models_routes(
            router,
            list_models=list_models,
            owned_by=owned_by,
            tags=route_tags,
            operation_id_prefix="responses_openai",
            expose_errors=expose_errors,
        )
    return router


__all__ = ["ResponseResult", "RunResponseFn", "create_responses_router"]
