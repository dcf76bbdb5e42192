"""The Chat Completions router: `POST /v1/chat/completions` driven by your `run_completion` callable."""

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, params
from starlette.requests import Request
from starlette.responses import Response

from openai_compat_chat.models import ChatCompletion, ChatRequest, MessageParam
from openai_compat_chat.streaming import (
    ChatStreamEncoder,
    completion_from_frames,
    new_completion_id,
    streaming_response,
)
from openai_compat_core.callbacks import (
    Callback,
    ChunkMapper,
    ListModelsFn,
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
from openai_compat_core.streaming import run_to_end

logger = logging.getLogger("fastapi_openai_compat.chat_completions")

CompletionResult = str | ChatCompletion | Iterator[Any] | AsyncIterator[Any]
"""What `run_completion` may return: text, a whole `ChatCompletion`, or a (sync or async) generator to stream."""


class RunCompletion(Protocol):
    """`run_completion(model, messages, body)`, sync or async.

    `model` is the requested model name, `messages` the conversation, `body` the whole request
    (`ChatRequest.model_dump()`, extra fields included).
    """

    def __call__(
        self, model: str, messages: list[MessageParam], body: dict[str, Any], /
    ) -> CompletionResult | Awaitable[CompletionResult]: ...


class RunCompletionWithHeaders(Protocol):
    """`run_completion(model, messages, body, headers=...)`: also receives the request headers (lower-cased names)."""

    def __call__(
        self, model: str, messages: list[MessageParam], body: dict[str, Any], /, *, headers: dict[str, str]
    ) -> CompletionResult | Awaitable[CompletionResult]: ...


RunCompletionFn = RunCompletion | RunCompletionWithHeaders
"""The type of `run_completion`: the three-argument form, or one that also takes `headers` (or `**kwargs`)."""

_FAILURE = "Pipeline execution failed"

# One server-sent event of a stream (how OpenAPI before 3.2 documents event streams).
_STREAM_EVENT: dict[str, Any] = {
    "title": "ChatCompletionStreamEvent",
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "string",
            "description": 'A `chat.completion.chunk` object as JSON, an `{"error": ...}` object, or `[DONE]`.',
        }
    },
}

_DESCRIPTION = """\
Answers a conversation in OpenAI's Chat Completions format.

What comes back depends on what the server's `run_completion` returns: text or a `ChatCompletion`
gives one JSON `chat.completion` object; a generator gives a stream of server-sent events, each a
`chat.completion.chunk`, ending with `data: [DONE]`.

Fields other than `model`, `messages` and `stream` (`temperature`, `tools`, `stream_options`, ...)
are passed on to the pipeline. See the
[OpenAI reference](https://platform.openai.com/docs/api-reference/chat/create).
"""


def _include_usage(chat_req: ChatRequest) -> bool:
    options = getattr(chat_req, "stream_options", None)
    if isinstance(options, dict):
        return options.get("include_usage") is True
    return getattr(options, "include_usage", None) is True


async def _collect(
    source: Iterator[Any] | AsyncIterator[Any],
    model: str,
    http_request: Request,
    chunk_mapper: ChunkMapper,
    *,
    expose_errors: bool,
) -> Response:
    """Answer a non-streaming request whose callback returned a generator: run it, send one completion."""
    encoder = ChatStreamEncoder(new_completion_id(), model, chunk_mapper=chunk_mapper)
    with callback_errors(_FAILURE, logger, expose=expose_errors):
        frames = await run_to_end(source, encoder, http_request)
    return json_response(
        completion_from_frames(
            frames,
            completion_id=encoder.completion_id,
            model=model,
            created=encoder.created,
            usage=encoder.reported_usage,
        )
    )


def _text_completion(text: str, model: str) -> Response:
    """`chat_completion_response(text, ...)` as JSON, without building the pydantic models (a third of the CPU)."""
    message = {"role": "assistant", "content": text, "reasoning_content": None, "tool_calls": None, "refusal": None}
    return json_response(
        {
            "id": new_completion_id(),
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": message}],
            "usage": None,
            "system_fingerprint": None,
        }
    )


def create_chat_completion_router(
    *,
    list_models: ListModelsFn,
    run_completion: RunCompletionFn,
    pre_hook: PreHook | None = None,
    post_hook: PostHook | None = None,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    include_models_endpoints: bool = True,
    dependencies: Sequence[params.Depends] | None = None,
    validate_model: bool = False,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    done_frame: bool = True,
    openai_done_frame: bool = False,
    expose_errors: bool = True,
) -> APIRouter:
    """Create a router serving OpenAI's Chat Completions API.

    Routes: `POST /v1/chat/completions` and `POST /chat/completions`, plus the models routes
    (`GET /v1/models`, `GET /v1/models/{model}` and their `/models` forms) unless
    `include_models_endpoints` is false. Callables may be sync (run in the thread pool) or async.

    Args:
        list_models: returns the names of the models (pipelines) you serve.
        run_completion: `run_completion(model, messages, body)` returns a `str`, a `ChatCompletion`,
            or a sync or async generator to stream (see `ChatStreamEncoder` for what a generator may
            yield). Declare a `headers` parameter (or `**kwargs`) to also get the request headers as
            a `dict[str, str]` with lower-cased names. They are all of them, credentials included
            (`authorization` carries the client's API key, `cookie` its cookies): never log or
            forward them blindly. If the client disconnects before the answer is ready, an async
            `run_completion` is cancelled; a sync one cannot be interrupted and its result is dropped.
        pre_hook: called with the `ChatRequest` before `run_completion`; return a replacement
            request, or `None` to keep it. Raise `HTTPException` to refuse the request.
        post_hook: called with what `run_completion` returned; return a replacement, or `None`.
        chunk_mapper: turns a streamed chunk that is not otherwise recognised into text.
        owned_by: the `owned_by` of the model objects.
        tags: OpenAPI tags of the routes (default `["openai"]`).
        include_models_endpoints: also serve the models routes.
        dependencies: FastAPI dependencies for every route, e.g. `[Depends(APIKeyAuth())]`.
        validate_model: answer 404 `model_not_found` when `list_models` does not name the requested
            model (checked after `pre_hook`). Off by default: `run_completion` decides.
        max_body_size: largest accepted request body in bytes (`None`: no limit); larger gets 413.
        done_frame: end streams with the `[DONE]` frame, as OpenAI's API does (many clients wait for
            it). `False` leaves it out, as fastapi-openai-compat 1.x did, for consumers that parse
            every `data` line of a stream as JSON.
        openai_done_frame: write that frame `data: [DONE]` exactly as OpenAI writes it, instead of
            the default `data:[DONE]` (the same SSE event, invisible to code that parses every
            `data: ` line as JSON).
        expose_errors: when a hook or `run_completion` raises (anything but an `HTTPException`),
            answer `Pipeline execution failed: <message>` (the 1.x text, the default), or with
            `False` only `Pipeline execution failed.`, in the 500 body and in a failed stream's error
            frame. Tracebacks and exception types are never sent; they go to the
            `fastapi_openai_compat.chat_completions` logger.

    Returns:
        An `APIRouter` to include in your FastAPI app.
    """
    run = Callback(run_completion, optional=("headers",))
    wants_headers = run.accepts("headers")
    run_pre = ensure_async(pre_hook) if pre_hook is not None else None
    run_post = ensure_async(post_hook) if post_hook is not None else None
    catalog = ModelCatalog(list_models, owned_by=owned_by, expose_errors=expose_errors) if validate_model else None
    route_tags: list[Any] = list(tags or ["openai"])

    router = new_api_router(dependencies=dependencies, max_body_size=max_body_size)

    route_params: dict[str, Any] = {
        "response_model": ChatCompletion,
        "tags": route_tags,
        "summary": "Create chat completion",
        "description": _DESCRIPTION,
        "responses": {
            200: {
                "description": "A `chat.completion` object, or an event stream of `chat.completion.chunk` objects.",
                "content": {"text/event-stream": {"schema": _STREAM_EVENT}},
            },
            404: {"model": ErrorResponse, "description": "Unknown model (with `validate_model=True`)."},
            **ERROR_RESPONSES,
        },
    }

    # The completion routes come first, `/v1` first: FastAPI tries a request on every route before
    # the one that matches, and this is the route nearly every request takes.
    @router.post("/chat/completions", **route_params, operation_id="openai_chat_completions_alias")
    @router.post("/v1/chat/completions", **route_params, operation_id="openai_chat_completions")
    async def create_chat_completion(chat_req: ChatRequest, http_request: Request) -> Response:
        extra = {"headers": request_headers(http_request.headers)} if wants_headers else {}
        with callback_errors(_FAILURE, logger, expose=expose_errors):
            chat_req = await run_hook(run_pre, chat_req)
            if catalog is not None:
                await catalog.require(chat_req.model)
            # Nobody waits for the answer of a client that left: stop (async) or drop (sync) the work.
            result = await cancel_on_disconnect(
                http_request, run(chat_req.model, chat_req.messages, chat_req.model_dump(), **extra)
            )
            result = await run_hook(run_post, result)

        # OpenAI's contract: `stream: true` is always answered with a stream, anything else with JSON,
        # whatever shape the callback returned.
        stream = chat_req.stream is True
        if isinstance(result, ChatCompletion):
            if not stream:
                return json_response(result)
            result = iter((result,))
        elif isinstance(result, str):
            if not stream:
                return _text_completion(result, chat_req.model)
            result = iter((result,))
        elif not isinstance(result, (Iterator, AsyncIterator)):
            logger.error("run_completion returned an unsupported type: %s", type(result).__name__)
            raise OpenAIHTTPException(500, "Unsupported response type from completion", type="server_error")
        if stream:
            return streaming_response(
                result,
                new_completion_id(),
                chat_req.model,
                chunk_mapper,
                include_usage=_include_usage(chat_req),
                done_frame=done_frame,
                openai_done_frame=openai_done_frame,
                expose_errors=expose_errors,
            )
        return await _collect(result, chat_req.model, http_request, chunk_mapper, expose_errors=expose_errors)

    if include_models_endpoints:
        add_models_routes(
            router,
            list_models=list_models,
            owned_by=owned_by,
            tags=route_tags,
            operation_id_prefix="openai",
            expose_errors=expose_errors,
        )
    return router


def create_openai_router(
    *,
    list_models: ListModelsFn,
    run_completion: RunCompletionFn,
    pre_hook: PreHook | None = None,
    post_hook: PostHook | None = None,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    include_models_endpoints: bool = True,
    dependencies: Sequence[params.Depends] | None = None,
    validate_model: bool = False,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    done_frame: bool = True,
    openai_done_frame: bool = False,
    expose_errors: bool = True,
) -> APIRouter:
    """The 1.x name of `create_chat_completion_router`; takes and forwards the same arguments."""
    return create_chat_completion_router(
        list_models=list_models,
        run_completion=run_completion,
        pre_hook=pre_hook,
        post_hook=post_hook,
        chunk_mapper=chunk_mapper,
        owned_by=owned_by,
        tags=tags,
        include_models_endpoints=include_models_endpoints,
        dependencies=dependencies,
        validate_model=validate_model,
        max_body_size=max_body_size,
        done_frame=done_frame,
        openai_done_frame=openai_done_frame,
        expose_errors=expose_errors,
    )


__all__ = [
    "CompletionResult",
    "PostHook",
    "PreHook",
    "RunCompletion",
    "RunCompletionFn",
    "RunCompletionWithHeaders",
    "create_chat_completion_router",
    "create_openai_router",
]
