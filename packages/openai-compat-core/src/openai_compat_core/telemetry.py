"""What every request tells: OpenTelemetry GenAI spans and metrics, and one `UsageRecord` for `on_usage`.

Every router of this project records its requests here, the same way:

- With `opentelemetry-api` installed (the `otel` extra) and an SDK configured by the application,
  each request gets a span `{operation} {model}` (an INTERNAL span, a child of the HTTP server span
  when the app is instrumented, and the parent of the spans the callback makes) with the GenAI
  semantic conventions' attributes, and the conventions' server metrics are recorded. Where they go
  is the SDK's business (OTLP, Prometheus, ...). Without the API, or with the API but no SDK,
  nothing is made (see `openai_compat_core._otel` for how cheaply that is found out per request; an
  SDK configured after the first thousand requests is noticed within 16 requests).
- With `on_usage=` given to a router factory, the callback gets one `UsageRecord` per finished
  request (stream or not; completed, failed or disconnected), after the answer: it never delays or
  breaks it (its exceptions are logged). The record's types are in `openai_compat_core.usage`.
- Prompts and outputs are recorded (`gen_ai.input.messages`, `gen_ai.output.messages`,
  `gen_ai.system_instructions`) only when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` is `true`.

API packages tell what is theirs through `openai_compat_core.pipeline.Pipeline`'s hooks and
`RequestTelemetry.answered`, with the values of `openai_compat_core.semconv`; the request pipeline
and `EventStreamResponse` drive the rest. What a finished request's span and metrics get is written
by `openai_compat_core._otel.record`.
"""

import contextvars
import importlib
import logging
import os
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.responses import Response

from openai_compat_core import _otel
from openai_compat_core.callbacks import ensure_async
from openai_compat_core.errors import exception_to_response
from openai_compat_core.producer import running_asyncio
from openai_compat_core.semconv import DISCONNECTED, error_type, text_parts
from openai_compat_core.usage import OnUsage, Status, UsageRecord

CAPTURE_CONTENT_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
"""`true` records prompts and outputs on spans (the GenAI conventions' opt-in); read when a router is made."""


def capture_content() -> bool:
    """Whether prompts and outputs go on spans: `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`."""
    return os.environ.get(CAPTURE_CONTENT_ENV, "").strip().lower() == "true"


_CURRENT: "contextvars.ContextVar[RequestTelemetry | None]" = contextvars.ContextVar(
    "openai_compat_request_telemetry", default=None
)

# Tasks delivering records, kept until they are done (the event loop only keeps weak references).
_DELIVERIES: set[Any] = set()


def current_request() -> "RequestTelemetry | None":
    """The telemetry of the request being served here, when something records it (else `None`)."""
    return _CURRENT.get()


class RouterTelemetry:
    """The telemetry of one router: its operation name, its `on_usage`, its logger.

    Args:
        operation: `gen_ai.operation.name` of its requests (`chat`, `embeddings`, ...).
        on_usage: called with one `UsageRecord` per finished request (see `OnUsage`).
        logger: where an exception of `on_usage` is logged.
    """

    __slots__ = ("capture", "deliver", "logger", "on_usage", "operation")

    def __init__(self, operation: str, *, on_usage: OnUsage | None = None, logger: logging.Logger) -> None:
        self.operation = operation
        self.on_usage = on_usage
        self.deliver: Callable[[UsageRecord], Awaitable[Any]] | None = (
            ensure_async(on_usage) if on_usage is not None else None
        )
        self.logger = logger
        self.capture = capture_content()
        # Imported, and the providers looked up, now rather than during a request.
        if _otel.available():
            _otel.refresh()

    def begin(self, operation: str | None = None) -> "RequestTelemetry | None":
        """Start recording a request that has just arrived; `None` when nothing would record it."""
        otel = _otel.state()
        if otel is None and self.deliver is None:
            return None
        return RequestTelemetry(self, operation or self.operation, otel)

    async def run(self, operation: str, work: Callable[["RequestTelemetry | None"], Awaitable[Response]]) -> Response:
        """Answer a request with `work(telemetry)` and record it (for routes outside the request pipeline).

        A failure is answered with its error envelope (`exception_to_response`), as the route would.
        """
        observed = self.begin(operation)
        if observed is None:
            return await work(None)
        observed.start()
        return await observed.serve(lambda: work(observed))


class _Active:
    """`with telemetry.active():` the request's span is the current span, and `current_request()` finds it."""

    __slots__ = ("observed", "span_token", "var_token")

    def __init__(self, observed: "RequestTelemetry") -> None:
        self.observed = observed

    def __enter__(self) -> None:
        self.var_token = _CURRENT.set(self.observed)
        span = self.observed.span
        self.span_token = _otel.attach(span) if span is not None else None

    def __exit__(self, *exc_info: object) -> None:
        if self.span_token is not None:
            _otel.detach(self.span_token)
        _CURRENT.reset(self.var_token)


class RequestTelemetry:
    """The telemetry of one request, from its arrival to the end of its answer.

    `start()` opens the span (when tracing), `active()` makes it current while the request's code
    runs, `answered()` notes what the answer was, and `finish()` ends it all once: span, metrics,
    and the `UsageRecord` for `on_usage`. Made by `RouterTelemetry.begin`.
    """

    __slots__ = (
        "arrived",
        "arrived_ns",
        "capture",
        "finish_reasons",
        "finished",
        "first_chunk",
        "model",
        "operation",
        "otel",
        "output",
        "reader",
        "response_id",
        "response_model",
        "router",
        "span",
        "stream",
        "streaming",
        "usage",
    )

    def __init__(self, router: RouterTelemetry, operation: str, otel: "_otel.State | None") -> None:
        self.arrived = time.perf_counter()
        self.arrived_ns = time.time_ns()
        self.router = router
        self.operation = operation
        self.otel = otel
        self.span: Any = None
        self.capture = False
        self.model: str | None = None
        self.stream = False
        self.streaming = False  # a stream took the request over and finishes it
        self.reader: Callable[[Any, RequestTelemetry], None] | None = None
        self.finished = False
        self.first_chunk: float | None = None
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.finish_reasons: tuple[str, ...] = ()
        self.usage: dict[str, Any] | None = None
        self.output: Any = None

    @property
    def tracing(self) -> bool:
        """Whether a span records this request (its attributes are worth computing)."""
        return self.otel is not None and self.otel.tracer is not None

    def start(
        self,
        model: str | None = None,
        *,
        stream: bool = False,
        attributes: Callable[[], Mapping[str, Any]] | None = None,
        content: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """Open the span once the request is read: `attributes()` and, when capturing content, `content()`."""
        self.model = model
        self.stream = stream
        otel = self.otel
        if otel is None or otel.tracer is None:
            return
        names: dict[str, Any] = {"gen_ai.operation.name": self.operation}
        if model is not None:
            names["gen_ai.request.model"] = model
        if stream:
            names["gen_ai.request.stream"] = True
        if attributes is not None:
            names.update(attributes())
        self.capture = self.router.capture
        if self.capture and content is not None:
            names.update(content())
        name = f"{self.operation} {model}" if model else self.operation
        self.span = _otel.start_span(otel.tracer, name, names, self.arrived_ns)

    def active(self) -> _Active:
        """A context manager: the request's span is current inside it (for the callback's own spans)."""
        return _Active(self)

    def answered(
        self,
        *,
        response_id: str | None = None,
        response_model: str | None = None,
        finish_reasons: Iterable[str | None] = (),
        usage: Mapping[str, Any] | None = None,
        output: Callable[[], Any] | None = None,
    ) -> None:
        """Note what the answer is; `output()` (the output messages) is called only when capturing content."""
        if response_id is not None:
            self.response_id = response_id
        if response_model is not None:
            self.response_model = response_model
        reasons = tuple(reason for reason in finish_reasons if isinstance(reason, str))
        if reasons:
            self.finish_reasons = reasons
        if usage is not None:
            self.usage = dict(usage)
        if self.capture and output is not None:
            self.output = output()

    def answered_text(self, response_id: str, model: str, text: str) -> None:
        """Note a whole answer given as text: one assistant message, finish reason `stop`."""
        self.answered(
            response_id=response_id,
            response_model=model,
            finish_reasons=("stop",),
            output=lambda: [{"role": "assistant", "parts": text_parts(text), "finish_reason": "stop"}],
        )

    def read(self, encoder: Any, reader: Callable[[Any, "RequestTelemetry"], None]) -> None:
        """Let `reader(encoder, self)` note what an encoder's stream answered; its exceptions are logged."""
        try:
            reader(encoder, self)
        except Exception:
            self.router.logger.exception("Reading what the stream answered failed")

    def hand_over(self, reader: Callable[[Any, "RequestTelemetry"], None]) -> None:
        """A stream answers the request: `end_stream` finishes it, reading the encoder with `reader`."""
        self.streaming = True
        self.reader = reader

    def end_stream(self, encoder: Any, status: Status, error: BaseException | None = None) -> None:
        """The stream ended (`status`): note what it answered, then `finish`."""
        if self.reader is not None:
            self.read(encoder, self.reader)
        self.finish(status, error)

    def watch_first_chunk(self, encoder: Any) -> None:
        """Note when `encoder` encodes its first chunk (time to first token), at no cost per chunk after it.

        The encoder's `encode` is shadowed by a one-time wrapper that removes itself before encoding.
        (Set and deleted as an attribute: reading the instance's `__dict__` would make every later
        attribute access of the encoder slower on Python 3.11+.)
        """
        encode = encoder.encode
        own_method = hasattr(type(encoder), "encode")

        def first(chunk: Any) -> Any:
            self.first_chunk = time.perf_counter()
            if own_method:
                del encoder.encode
            else:
                encoder.encode = encode
            return encode(chunk)

        try:
            encoder.encode = first
        except AttributeError:  # `__slots__` without `encode`, or a read-only object: no time to first token
            return

    async def serve(self, work: Callable[[], Awaitable[Response]]) -> Response:
        """Answer with `work()`, its span current, then finish as completed unless a stream took the request over.

        A failure is answered with its error envelope (`exception_to_response`), as the route would.
        """
        with self.active():
            try:
                response = await work()
            except Exception as exc:  # noqa: BLE001 - answered with its envelope, as the route handler would
                return self.failed(exc)
            except BaseException as exc:
                self.finish("failed", exc)
                raise
        if not self.streaming:
            self.finish("completed")
        return response

    def failed(self, exc: Exception) -> Response:
        """Finish as failed (or disconnected) and return the error answer for `exc`."""
        response = exception_to_response(exc)
        self.finish("disconnected" if isinstance(exc, ClientDisconnect) else "failed", exc)
        return response

    def finish(self, status: Status, error: BaseException | None = None) -> None:
        """End the request's telemetry (once): the span, the metrics, and `on_usage`'s record."""
        if self.finished:
            return
        self.finished = True
        duration = time.perf_counter() - self.arrived
        first = self.first_chunk - self.arrived if self.first_chunk is not None else None
        kind = None
        if error is not None:
            kind = error_type(error)
        elif status == "disconnected":
            kind = DISCONNECTED
        if self.otel is not None:
            try:
                _otel.record(self, status, error, kind, duration=duration, first=first)
            except Exception:
                self.router.logger.exception("Recording the request's telemetry failed")
        if self.router.deliver is not None:
            record = UsageRecord(
                operation=self.operation,
                model=self.model,
                response_id=self.response_id,
                usage=self.usage,
                duration=duration,
                time_to_first_token=first,
                status=status,
                stream=self.stream,
                error_type=kind,
            )
            _later(self._deliver, record)

    async def _deliver(self, record: UsageRecord) -> None:
        deliver = self.router.deliver
        if deliver is None:
            return
        try:
            await deliver(record)
        except Exception:
            self.router.logger.exception("on_usage raised")


def _later(deliver: Callable[[UsageRecord], Coroutine[Any, Any, None]], record: UsageRecord) -> None:
    """Run `deliver(record)` as a task of its own, after what the current task is doing (the answer)."""
    loop = running_asyncio()
    if loop is not None:
        task = loop.create_task(deliver(record))
        _DELIVERIES.add(task)
        task.add_done_callback(_DELIVERIES.discard)
        return
    # AnyIO's only other backend, imported only when it is the one running (and not a dependency: no types).
    trio = importlib.import_module("trio")
    trio.lowlevel.spawn_system_task(deliver, record)


__all__ = ["CAPTURE_CONTENT_ENV", "RequestTelemetry", "RouterTelemetry", "capture_content", "current_request"]
