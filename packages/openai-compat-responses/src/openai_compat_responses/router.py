"""The Responses router factory: `POST /v1/responses` (and `/responses`), plain and streamed."""

# No `from __future__ import annotations` here: FastAPI must resolve the endpoint's annotations.

import logging
from collections.abc import AsyncGenerator, Awaitable, Generator, Sequence
from dataclasses import replace
from typing import Any, Protocol

from fastapi import APIRouter, params

from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.models import ErrorResponse
from openai_compat_core.pipeline_router import PipelineRoute, model_check, pipeline_router
from openai_compat_core.routing import ERROR_RESPONSES
from openai_compat_core.usage import OnUsage
from openai_compat_responses.conversations import add_conversation_routes
from openai_compat_responses.models import InputItem, Response
from openai_compat_responses.pipeline import ResponsesPipeline, input_items
from openai_compat_responses.routes import add_response_routes
from openai_compat_responses.stateful import StatefulResponsesPipeline, StoreScope
from openai_compat_responses.store import ResponseStore

logger = logging.getLogger("fastapi_openai_compat.responses")

ResponseResult = str | Response | Generator[Any, None, None] | AsyncGenerator[Any, None]
"""What `run_response` may return: text, a full `Response`, or a (sync or async) generator of chunks."""


class RunResponse(Protocol):
    """`run_response(model, input_items, body)`, sync or async, returning a `ResponseResult`.

    - `model`: the request's model name;
    - `input_items`: the input as a list of items (a string input becomes one user message item,
      no input an empty list);
    - `body`: the whole request as a dict, fields this library does not know included
      (`previous_response_id`, `store`, `tools`, ...).

    Sync callbacks run in the thread pool.
    """

    def __call__(
        self, model: str, input_items: list[InputItem], body: dict[str, Any], /
    ) -> ResponseResult | Awaitable[ResponseResult]: ...


class RunResponseWithHeaders(Protocol):
    """`run_response(model, input_items, body, headers=...)`: also receives the request headers (lower-cased names)."""

    def __call__(
        self, model: str, input_items: list[InputItem], body: dict[str, Any], /, *, headers: dict[str, str]
    ) -> ResponseResult | Awaitable[ResponseResult]: ...


RunResponseFn = RunResponse | RunResponseWithHeaders
"""The type of `run_response`: the three-argument form, or one that also takes `headers` (or `**kwargs`)."""

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


_ROUTE = PipelineRoute(
    path="/responses",
    operation_id="openai_responses",
    summary="Create response",
    description=(
        "Generates a response for OpenAI Responses API compatible clients. "
        "Supports non-streaming and named SSE streaming event formats."
    ),
    response_model=Response,
    models_prefix="responses_openai",
    responses={
        200: {
            "description": "The response object, or with `stream: true` its events (`text/event-stream`).",
            "content": {"text/event-stream": {"schema": _STREAM_EVENT}},
        }
    },
)
_STATEFUL_ROUTE = replace(
    _ROUTE,
    responses={
        **_ROUTE.responses,
        503: {"model": ErrorResponse, "description": "The response store cannot answer now."},
    },
)


def create_responses_router(
    *,
    list_models: ListModelsFn,
    run_response: RunResponseFn,
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
    store: ResponseStore | None = None,
    store_scope: StoreScope | None = None,
    on_usage: OnUsage | None = None,
) -> APIRouter:
    """Create a router serving OpenAI's Responses API from your `run_response` callback.

    Routes: `POST /v1/responses` and `POST /responses`; with `include_models_endpoints=True` also
    the models endpoints (`GET /v1/models`, `GET /v1/models/{model}` and their aliases). With a
    `store`, also `GET`/`DELETE /v1/responses/{id}`, `POST /v1/responses/{id}/cancel`,
    `GET /v1/responses/{id}/input_items` and the Conversations API (`/v1/conversations...`), each
    with its alias without `/v1`.

    With `"stream": true` in the request the answer is an event stream, otherwise one JSON response
    object, whatever `run_response` returns:

    - `str`: one assistant message;
    - `Response`: sent as you made it (its `id` included), the request's settings filling the
      fields you left unset and the output items completed with what the wire requires;
    - a sync or async generator: its chunks become the output (text, reasoning, function calls,
      custom events; see `ResponseStreamEncoder`); without `stream` the router collects them.

    A failure before the stream starts is an OpenAI error envelope (500, `Pipeline execution failed:
    ...`); a failure after it started ends the stream with a `response.failed` event.

    Args:
        list_models: returns the names of the models you serve; sync or async.
        run_response: your callback, `(model, input_items, body)` (see `RunResponse`); sync or async.
            Declare a `headers` parameter (or `**kwargs`) to also get the request headers.
        pre_hook: called with the `ResponseRequest`; returns a replacement or `None` to keep it.
        post_hook: called with the callback's result; returns a replacement or `None` to keep it.
        chunk_mapper: turns streamed chunks other than `str` into text (the default: `.content`, else `str()`).
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
        store: keep responses and conversations there (for example `InMemoryResponseStore()`): then
            `store` (default true), `previous_response_id` (the callback gets the whole conversation
            as its input items), `conversation` and `background` work as with OpenAI, and the
            retrieval routes are served. Without it (the default) the router is stateless, as in
            1.x: those fields are only passed to the callback in `body`.
        store_scope: with `store`, `store_scope(request) -> str` (sync or async) tells whose records a
            request may see (for example a hash of its API key); everyone shares them without it.
        on_usage: called once per finished request (streamed or not; completed, failed or the client
            gone) with a `UsageRecord`; sync or async, after the answer, never changing it (its
            exceptions are logged). Requests are also recorded as OpenTelemetry spans and metrics
            when an OpenTelemetry SDK is configured (see `openai_compat_core.telemetry`).

    If the client disconnects before the answer is ready, an async `run_response` is cancelled; a
    sync one cannot be interrupted and its result is dropped. A callback that declares `headers`
    receives all request headers, credentials included (`authorization` carries the client's API
    key): never log or forward them blindly.

    Returns:
        An `APIRouter` to include in your app.
    """
    pipeline_class: type[ResponsesPipeline] = ResponsesPipeline
    stateful: dict[str, Any] = {}
    if store is not None:
        pipeline_class = StatefulResponsesPipeline
        stateful = {"store": store, "store_scope": store_scope}
    pipeline = pipeline_class(
        callback=run_response,
        pre_hook=pre_hook,
        post_hook=post_hook,
        catalog=model_check(list_models, validate_model, owned_by=owned_by, expose_errors=expose_errors),
        logger=logger,
        expose_errors=expose_errors,
        max_body_size=max_body_size,
        on_usage=on_usage,
        chunk_mapper=chunk_mapper,
        **stateful,
    )

    def stateful_routes(router: APIRouter, route_tags: list[Any]) -> None:
        if isinstance(pipeline, StatefulResponsesPipeline):
            add_response_routes(router, pipeline, tags=route_tags, responses=dict(ERROR_RESPONSES))
            add_conversation_routes(router, pipeline, tags=route_tags, responses=dict(ERROR_RESPONSES))

    return pipeline_router(
        pipeline,
        _STATEFUL_ROUTE if store is not None else _ROUTE,
        models=list_models if include_models_endpoints else None,
        owned_by=owned_by,
        tags=tags,
        dependencies=dependencies,
        max_body_size=max_body_size,
        expose_errors=expose_errors,
        extra_routes=stateful_routes,
    )


__all__ = [
    "ResponseResult",
    "ResponsesPipeline",
    "RunResponse",
    "RunResponseFn",
    "RunResponseWithHeaders",
    "create_responses_router",
    "input_items",
]
