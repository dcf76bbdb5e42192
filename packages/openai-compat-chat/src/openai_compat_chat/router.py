"""The Chat Completions router: `POST /v1/chat/completions` driven by your `run_completion` callable."""

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Iterator, Sequence
from typing import Any, Protocol

from fastapi import APIRouter, params
from starlette.responses import Response

from openai_compat_chat import telemetry as chat_telemetry
from openai_compat_chat.encoder import ChatStreamEncoder, new_completion_id
from openai_compat_chat.models import ChatCompletion, ChatRequest, MessageParam
from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.pipeline import Pipeline
from openai_compat_core.pipeline_router import PipelineRoute, model_check, pipeline_router
from openai_compat_core.sse import COMPACT_DONE_FRAME, DONE_FRAME
from openai_compat_core.telemetry import RequestTelemetry, current_request
from openai_compat_core.usage import OnUsage

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

With `"stream": true` the answer is a stream of server-sent events, each a `chat.completion.chunk`,
ending with `data: [DONE]`; otherwise one JSON `chat.completion` object, whatever the server's
`run_completion` returns (text, a completion, or a generator, collected).

Fields other than `model`, `messages` and `stream` (`temperature`, `tools`, `stream_options`, ...)
are passed on to the pipeline. See the
[OpenAI reference](https://platform.openai.com/docs/api-reference/chat/create).
"""


_ROUTE = PipelineRoute(
    path="/chat/completions",
    operation_id="openai_chat_completions",
    summary="Create chat completion",
    description=_DESCRIPTION,
    response_model=ChatCompletion,
    models_prefix="openai",
    responses={
        200: {
            "description": "A `chat.completion` object, or an event stream of `chat.completion.chunk` objects.",
            "content": {"text/event-stream": {"schema": _STREAM_EVENT}},
        }
    },
)


def _include_usage(chat_req: ChatRequest) -> bool:
    options = getattr(chat_req, "stream_options", None)
    if isinstance(options, dict):
        return options.get("include_usage") is True
    return getattr(options, "include_usage", None) is True


def _text_completion(text: str, model: str, completion_id: str) -> Response:
    """`chat_completion_response(text, ...)` as JSON, without building the pydantic models (a third of the CPU)."""
    message = {"role": "assistant", "content": text, "reasoning_content": None, "tool_calls": None, "refusal": None}
    return json_response(
        {
            "id": completion_id,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None, "message": message}],
            "usage": None,
            "system_fingerprint": None,
        }
    )


class ChatPipeline(Pipeline[ChatRequest]):
    """The Chat Completions part of core's request pipeline: arguments, whole answers, the encoder."""

    request_model = ChatRequest

    def __init__(
        self, *, chunk_mapper: ChunkMapper, done_frame: bytes | None, role_on_every_delta: bool, **options: Any
    ) -> None:
        super().__init__(**options)
        self.chunk_mapper = chunk_mapper
        self.done_frame = done_frame
        self.role_on_every_delta = role_on_every_delta

    def arguments(self, request: ChatRequest, body: dict[str, Any]) -> tuple[Any, ...]:
        return (request.model, request.messages, body)

    def is_answer(self, result: Any) -> bool:
        return isinstance(result, (str, ChatCompletion))

    def answer_json(self, result: Any, request: ChatRequest, body: dict[str, Any]) -> Response:
        telemetry = current_request()
        if isinstance(result, ChatCompletion):
            if telemetry is not None:
                chat_telemetry.completion_answered(telemetry, result)
            return json_response(result)
        completion_id = new_completion_id()
        if telemetry is not None:
            telemetry.answered_text(completion_id, request.model, result)
        return _text_completion(result, request.model, completion_id)

    def request_attributes(self, request: ChatRequest) -> dict[str, Any]:
        return chat_telemetry.request_attributes(request)

    def content_attributes(self, request: ChatRequest) -> dict[str, Any]:
        return chat_telemetry.content_attributes(request)

    def stream_facts(self, encoder: Any, telemetry: RequestTelemetry) -> None:
        chat_telemetry.stream_answered(encoder, telemetry)

    def encoder(self, request: ChatRequest, body: dict[str, Any], result: Any) -> ChatStreamEncoder:
        telemetry = current_request()
        return ChatStreamEncoder(
            new_completion_id(),
            request.model,
            chunk_mapper=self.chunk_mapper,
            include_usage=_include_usage(request),
            done_frame=self.done_frame,
            expose_errors=self.expose_errors,
            # A stream keeps what it sends only when its output goes on the span.
            collect=request.stream is not True or (telemetry is not None and telemetry.capture),
            role_on_every_delta=self.role_on_every_delta,
        )

    def collected(self, encoder: Any) -> Any:
        return encoder.completion()

    def unsupported(self, result: Any) -> OpenAIHTTPException:
        return OpenAIHTTPException(500, "Unsupported response type from completion", type="server_error")


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
    role_on_every_delta: bool = True,
    expose_errors: bool = True,
    on_usage: OnUsage | None = None,
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
        chunk_mapper: turns a streamed chunk that is not otherwise recognised (nor a `str`) into text.
        owned_by: the `owned_by` of the model objects.
        tags: OpenAPI tags of the routes (default `["openai"]`).
        include_models_endpoints: also serve the models routes.
        dependencies: FastAPI dependencies for every route, e.g. `[Depends(APIKeyAuth())]`.
        validate_model: answer 404 `model_not_found` when `list_models` does not name the requested
            model (checked after `pre_hook`). Off by default: `run_completion` decides.
        max_body_size: largest accepted request body in bytes (`None`: no limit); larger gets 413.
        done_frame: end streams with the `[DONE]` frame (OpenAI's contract, the default); `False`
            ends them as fastapi-openai-compat 1.4.0 did, without it.
        openai_done_frame: write that frame `data: [DONE]` exactly as OpenAI does, instead of the
            default `data:[DONE]` (the same SSE event, invisible to code that parses every `data: `
            line as JSON).
        role_on_every_delta: every streamed delta carries `role: "assistant"`, as 1.4.0 sent it (code
            written against 1.x parses each chunk with a model that requires it); `False` sends it on
            the first delta only, as OpenAI does (the `openai` Python SDK's `chat.completions.stream()`
            helper concatenates the roles of every delta into its snapshot).
        expose_errors: when a hook or `run_completion` raises (anything but an `HTTPException`),
            answer `Pipeline execution failed: <message>` (the 1.x text, the default), or with
            `False` only `Pipeline execution failed.`, in the 500 body and in a failed stream's error
            frame. Tracebacks and exception types are never sent; they go to the
            `fastapi_openai_compat.chat_completions` logger.
        on_usage: called once per finished request (streamed or not; completed, failed or the client
            gone) with a `UsageRecord` (model, response id, token usage, duration, time to first
            token, status); sync or async. It runs after the answer and never changes it (its
            exceptions are logged). Requests are also recorded as OpenTelemetry spans and metrics when
            an OpenTelemetry SDK is configured (see `openai_compat_core.telemetry`).

    Returns:
        An `APIRouter` to include in your FastAPI app.
    """
    pipeline = ChatPipeline(
        callback=run_completion,
        pre_hook=pre_hook,
        post_hook=post_hook,
        catalog=model_check(list_models, validate_model, owned_by=owned_by, expose_errors=expose_errors),
        logger=logger,
        expose_errors=expose_errors,
        max_body_size=max_body_size,
        on_usage=on_usage,
        chunk_mapper=chunk_mapper,
        done_frame=(DONE_FRAME if openai_done_frame else COMPACT_DONE_FRAME) if done_frame else None,
        role_on_every_delta=role_on_every_delta,
    )
    return pipeline_router(
        pipeline,
        _ROUTE,
        models=list_models if include_models_endpoints else None,
        owned_by=owned_by,
        tags=tags,
        dependencies=dependencies,
        max_body_size=max_body_size,
        expose_errors=expose_errors,
    )


create_openai_router = create_chat_completion_router
"""The 1.x name of `create_chat_completion_router` (the same function)."""


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
