"""The request pipeline every API router runs: body, pre-hook, callback, post-hook, then a JSON answer or a stream.

An API package subclasses `Pipeline` with what is its own (the request model, the callback's
arguments, its encoder, how a whole answer is written) and registers `Pipeline.endpoint` as its
route. Everything else happens here, once, the same for every API:

1. the body is read and validated through public API (`read_json_body`): 400 / 413 envelopes;
2. the pre-hook may replace the request; with `validate_model` the model must be one `list_models` names;
3. `run`: the callback runs (sync ones in the thread pool), cancelled (async) or dropped (sync) if
   the client disconnects first; it gets the request headers only if it declares `headers`; then
   the post-hook may replace the result;
4. `answer`: the result is answered as the request's `stream` flag asks, whatever its shape: a whole answer
   (text or the API's object) as JSON or as a one-chunk stream; a generator streamed, or run to
   its end and answered as JSON from the encoder's state;
5. a failure before the answer starts is an error envelope (`<failure prefix>: <message>`, 500);
   after a stream started, the encoder's error frames (see `errors.stream_error`).

Every request is recorded by `openai_compat_core.telemetry` when something records it (an
OpenTelemetry SDK, or `on_usage`): a span around all of the above (current while the hooks, the
callback and the generator run), the GenAI metrics, and a `UsageRecord`. The API says what is its
own through `operation`, `request_attributes`, `content_attributes`, `stream_facts` and, for whole
answers, `RequestTelemetry.answered` from `answer_json`.
"""

import logging
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_JSON_DEPTH, read_json_body
from openai_compat_core.callbacks import Callback, PostHook, PreHook, ensure_async, request_headers, run_hook
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.collect import run_to_end
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import OpenAIHTTPException, callback_errors
from openai_compat_core.models_router import ModelCatalog
from openai_compat_core.streaming import EventStreamResponse, StreamEncoder
from openai_compat_core.telemetry import RequestTelemetry, RouterTelemetry, current_request
from openai_compat_core.usage import OnUsage

RequestT = TypeVar("RequestT", bound=BaseModel)

FAILURE_PREFIX = "Pipeline execution failed"
"""How a failing hook or callback is reported: `Pipeline execution failed: <message>` (the 1.x text)."""


async def _one(chunk: Any) -> AsyncIterator[Any]:
    """A whole answer as a one-chunk stream (async: no producer thread for a single chunk)."""
    yield chunk


class Pipeline(Generic[RequestT]):
    """One API's request pipeline (see the module docstring); subclass it and override the API's parts.

    Args:
        callback: the user's callback (sync or async); it may declare `headers` to receive the request headers.
        pre_hook: called with the parsed request; returns a replacement or `None`.
        post_hook: called with the callback's result; returns a replacement or `None`.
        catalog: with `validate_model`, the `ModelCatalog` the request's model must be in (checked after `pre_hook`).
        logger: where tracebacks of failures go.
        expose_errors: put a failing callback's message in the answer (`Pipeline execution failed: <message>`).
        max_body_size: largest accepted body in bytes (`None`: no limit).
        max_json_depth: deepest accepted nesting of the JSON body (`None`: no limit of ours).
        on_usage: called with one `UsageRecord` per finished request (see `openai_compat_core.telemetry`).
    """

    request_model: ClassVar[type[BaseModel]]
    failure_prefix: ClassVar[str] = FAILURE_PREFIX
    operation: ClassVar[str] = "chat"
    """The request's `gen_ai.operation.name`."""

    def __init__(
        self,
        *,
        callback: Any,
        pre_hook: PreHook | None = None,
        post_hook: PostHook | None = None,
        catalog: ModelCatalog | None = None,
        logger: logging.Logger,
        expose_errors: bool = True,
        max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
        max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH,
        on_usage: OnUsage | None = None,
    ) -> None:
        self.callback = Callback(callback, optional=("headers",))
        self.pre_hook = ensure_async(pre_hook) if pre_hook is not None else None
        self.post_hook = ensure_async(post_hook) if post_hook is not None else None
        self.catalog = catalog
        self.logger = logger
        self.expose_errors = expose_errors
        self.max_body_size = max_body_size
        self.max_json_depth = max_json_depth
        self.wants_headers = self.callback.accepts("headers")
        self.telemetry = RouterTelemetry(self.operation, on_usage=on_usage, logger=logger)

    # --- what an API defines ----------------------------------------------------------------------

    def arguments(self, request: RequestT, body: dict[str, Any]) -> tuple[Any, ...]:
        """The callback's positional arguments for this request (`body` is `request.model_dump()`)."""
        raise NotImplementedError

    def is_answer(self, result: Any) -> bool:
        """Whether `result` is one whole answer (text, or the API's own object) rather than chunks."""
        return isinstance(result, str)

    def answer_json(self, result: Any, request: RequestT, body: dict[str, Any]) -> Response:
        """The JSON answer for a whole answer when the client did not ask for a stream."""
        raise NotImplementedError

    def encoder(self, request: RequestT, body: dict[str, Any], result: Any) -> StreamEncoder:
        """A new encoder for this request's stream (also used to collect a generator into one answer).

        `result` is what the callback returned (a whole answer or the generator), for an API that takes
        the stream's id from a whole answer.
        """
        raise NotImplementedError

    def collected(self, encoder: Any) -> Any:
        """The JSON answer built from the state of an encoder a whole generator went through."""
        raise NotImplementedError

    def request_attributes(self, request: RequestT) -> dict[str, Any]:
        """The request's GenAI attributes besides its model and `stream` (`gen_ai.request.temperature`, ...).

        Called only when a span records the request; read the request's fields, never trust their types.
        """
        return {}

    def content_attributes(self, request: RequestT) -> dict[str, Any]:
        """The prompt as span attributes (`gen_ai.input.messages`, `gen_ai.system_instructions`), as JSON text.

        Called only when a span records the request and content capture is on.
        """
        return {}

    def stream_facts(self, encoder: Any, telemetry: RequestTelemetry) -> None:
        """Tell `telemetry.answered` what an encoder's stream answered (id, model, finish reasons, usage)."""

    def unsupported(self, result: Any) -> OpenAIHTTPException:
        """The error for a callback result of a type this API cannot answer with."""
        kind = type(result).__name__
        return OpenAIHTTPException(
            500,
            f"Unsupported response type from the callback: {kind}",
            type="server_error",
            detail="Unsupported response type from the callback",
        )

    # --- the pipeline -------------------------------------------------------------------------------

    async def endpoint(self, request: Request) -> Response:
        """The route's endpoint: read and validate the body, then `serve` it."""
        telemetry = self.telemetry.begin()
        if telemetry is not None:
            return await self._observed(request, telemetry)
        parsed = await self._read(request)
        return await self.serve(parsed, request)

    def _read(self, request: Request) -> Awaitable[Any]:
        """Read and validate the request's body as `request_model` (`read_json_body`, under this pipeline's limits)."""
        return read_json_body(
            request, self.request_model, max_body_size=self.max_body_size, max_json_depth=self.max_json_depth
        )

    async def _observed(self, request: Request, telemetry: RequestTelemetry) -> Response:
        """`endpoint` for a request something records: its telemetry spans the answer and ends with it."""
        try:
            parsed = await self._read(request)
        except Exception as exc:  # noqa: BLE001 - answered with its envelope, as the route handler would
            telemetry.start()
            return telemetry.failed(exc)
        model = getattr(parsed, "model", None)
        telemetry.start(
            model if isinstance(model, str) else None,
            stream=getattr(parsed, "stream", False) is True,
            attributes=lambda: self.request_attributes(parsed),
            content=lambda: self.content_attributes(parsed),
        )
        return await telemetry.serve(lambda: self.serve(parsed, request))

    async def serve(self, parsed: RequestT, request: Request) -> Response:
        """Run hooks and callback for a parsed request, then `answer`."""
        with callback_errors(self.failure_prefix, self.logger, expose=self.expose_errors):
            if self.pre_hook is not None:
                parsed = await run_hook(self.pre_hook, parsed)
            if self.catalog is not None:
                await self.catalog.require(parsed.model)  # type: ignore[attr-defined]
            body = parsed.model_dump()
            result = await self.run(parsed, body, request)
        return await self.answer(result, parsed, body, request)

    async def run(self, parsed: RequestT, body: dict[str, Any], request: Request) -> Any:
        """Run the callback while the client is connected (see `cancel_on_disconnect`), then the post-hook.

        Called by `serve` after the pre-hook and the model check; returns what `answer` answers.
        """
        result = await cancel_on_disconnect(request, self.call(self.arguments(parsed, body), request))
        return await self.after_callback(result)

    def call(self, arguments: tuple[Any, ...], request: Request) -> Awaitable[Any]:
        """Call the callback with `arguments` (and the request's headers if it declares `headers`), not awaited."""
        if self.wants_headers:
            return self.callback(*arguments, headers=request_headers(request.headers))
        return self.callback(*arguments)

    async def after_callback(self, result: Any) -> Any:
        """The callback's result as the post-hook leaves it."""
        if self.post_hook is not None:
            result = await run_hook(self.post_hook, result)
        return result

    def source(self, result: Any) -> Iterator[Any] | AsyncIterator[Any]:
        """The result as chunks: a whole answer as one chunk, a generator as it is.

        Raises:
            OpenAIHTTPException: the result is of a type this API cannot answer with (see `unsupported`).
        """
        if self.is_answer(result):
            return _one(result)
        if isinstance(result, (Iterator, AsyncIterator)):
            return result
        self.logger.error("The callback returned an unsupported type: %s", type(result).__name__)
        raise self.unsupported(result)

    async def answer(self, result: Any, parsed: RequestT, body: dict[str, Any], request: Request) -> Response:
        """Answer `result` as the request's `stream` flag asks (OpenAI's contract), whatever its shape."""
        stream = getattr(parsed, "stream", False) is True
        if not stream and self.is_answer(result):
            return self.answer_json(result, parsed, body)
        source = self.source(result)
        encoder = self.encoder(parsed, body, result)
        telemetry = current_request()
        if stream:
            if telemetry is not None:
                telemetry.hand_over(self.stream_facts)
            return EventStreamResponse(source, encoder, log=self.logger, telemetry=telemetry)
        with callback_errors(self.failure_prefix, self.logger, expose=self.expose_errors):
            try:
                await run_to_end(source, encoder, request, keep=False)
            finally:
                if telemetry is not None:
                    telemetry.read(encoder, self.stream_facts)
        return json_response(self.collected(encoder))


__all__ = ["FAILURE_PREFIX", "Pipeline", "RequestT"]
