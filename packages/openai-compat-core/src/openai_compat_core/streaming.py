"""The streaming response every API of this project uses.

`EventStreamResponse` takes the user's generator (sync or async) and a `StreamEncoder` that knows
one API's wire format, and:

- iterates a sync generator in one producer thread per stream, handing encoded frames to the event
  loop through a bounded buffer, and writes everything that is ready in one `send` (no thread-pool
  round trip per chunk); producer threads are bounded (see `openai_compat_core.producer`): a stream
  takes its thread's slot before the response starts, and answers a 503 if none frees up in time;
- iterates an async generator on the event loop, and writes in one `send` every frame its
  generator makes without waiting (a generator that waits, e.g. for the next token of a model, gets
  each frame sent before it waits);
- stops the generator as soon as the client disconnects: an async generator is cancelled and
  closed; a sync generator is closed by its producer thread right after the chunk it is producing,
  so no thread is left running the pipeline;
- turns an exception raised by the generator mid-stream into the encoder's error frames (for
  example a chat `data: {"error": ...}` frame or a Responses `response.failed` event), logs the
  traceback and ends the stream cleanly instead of cutting the connection;
- applies back-pressure: a slow client stops a fast producer once the buffer is full;
- with a `RequestTelemetry`, keeps the request's span current while the generator runs, notes when
  the first chunk is encoded, and finishes the telemetry when the stream ends: completed (its last
  frame sent), failed (the generator or the encoder raised) or disconnected (the client left).

What both ways share (the encoder's calls, the failure report, the response's start) is in
`openai_compat_core._encoded_stream`, the async-generator path in `openai_compat_core._async_stream`,
the producer-thread path in `openai_compat_core._thread_stream`. A non-streaming request's generator
is run to its end by `openai_compat_core.collect.run_to_end`, through the same encoder.
"""

import logging
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Any, Protocol

from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.types import Receive, Scope, Send

from openai_compat_core._async_stream import AsyncStream
from openai_compat_core._thread_stream import ThreadStream
from openai_compat_core.sse import split_frames
from openai_compat_core.telemetry import RequestTelemetry
from openai_compat_core.usage import Status

logger = logging.getLogger("openai_compat_core.streaming")

DEFAULT_MAX_BUFFERED = 256
"""How many encoded chunks a producer may get ahead of the client: a sync generator's thread then waits,
and an async generator that does not wait itself gets what it made sent (and waits for the write)."""

SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
"""Headers sent with every event stream: no caching, and no buffering by nginx-style proxies."""


class StreamEncoder(Protocol):
    """Turns one API's stream of user chunks into SSE bytes.

    The response calls `open()` once, `encode(chunk)` for each chunk, then exactly one of `close()`
    (the generator ended) or `fail(exc)` (the generator or the encoder raised). Each returns the
    bytes of zero or more whole frames. The encoder sets `finished` to stop the stream early (for
    example when a chunk is itself the final response); the response then calls `close()`.
    With a sync generator these methods run in the producer thread, never concurrently.
    """

    finished: bool

    def open(self) -> bytes: ...

    def encode(self, chunk: Any) -> bytes: ...

    def close(self) -> bytes: ...

    def fail(self, exc: Exception) -> bytes: ...


class EventStreamResponse(AsyncStream, ThreadStream):
    """A `text/event-stream` response that drives a user generator through a `StreamEncoder`.

    Args:
        source: the user's sync or async iterable of chunks.
        encoder: the API's encoder (see `StreamEncoder`).
        log: where the traceback of a mid-stream failure goes.
        status_code: as for Starlette responses.
        headers: as for Starlette responses.
        background: as for Starlette responses.
        max_buffered: how many encoded chunks a producer may get ahead of the client (see `DEFAULT_MAX_BUFFERED`).
        wait_timeout: for a sync source, how many seconds to wait for a producer thread when all are
            busy before answering 503 (see `openai_compat_core.producer`); None reads
            `OPENAI_COMPAT_STREAM_WAIT_TIMEOUT` (default 10).
        telemetry: the request's telemetry, finished when the stream ends (see `openai_compat_core.telemetry`).

    A sync source runs in a producer thread, a slot of `stream_thread_limiter()` taken before the
    response starts. When none is free, the response waits for one while watching its client; if none
    frees up in `wait_timeout` seconds it answers OpenAI's error envelope with status 503 and
    `x-should-retry: true` instead of the stream (and an empty 499 if the client left meanwhile).

    For code written against the 1.x helpers, iterating `body_iterator` yields one `str` per SSE
    frame; the response then streams that way instead of through its producer thread.
    """

    media_type = "text/event-stream"

    def __init__(
        self,
        source: Iterable[Any] | AsyncIterable[Any],
        encoder: StreamEncoder,
        *,
        log: logging.Logger | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
        wait_timeout: float | None = None,
        telemetry: RequestTelemetry | None = None,
    ) -> None:
        self.source = source
        self.encoder = encoder
        self.log = log or logger
        self.status_code = status_code
        self.background = background
        self.max_buffered = max(1, max_buffered)
        self.wait_timeout = wait_timeout
        self._compat_iterator: AsyncIterator[str | bytes] | None = None
        self.telemetry = telemetry
        self._failure: BaseException | None = None  # what `_fail` reported, or why the stream was refused
        self._sent_all = False  # the last frame went out
        self.init_headers({**SSE_HEADERS, **(headers or {})})

    # 1.x compatibility: `body_iterator` is a public attribute of StreamingResponse.
    @property  # type: ignore[override]
    def body_iterator(self) -> AsyncIterator[str | bytes]:
        """An async iterator of the stream's frames, one `str` per SSE frame."""
        if self._compat_iterator is None:
            self._compat_iterator = self._frames_as_text()
        return self._compat_iterator

    @body_iterator.setter
    def body_iterator(self, value: AsyncIterator[str | bytes]) -> None:
        self._compat_iterator = value

    async def _frames_as_text(self) -> AsyncIterator[str]:
        async for data in self._encoded_async(self._as_async(self.source)):
            for frame in split_frames(data):
                yield frame.decode()

    @staticmethod
    def _as_async(source: Iterable[Any] | AsyncIterable[Any]) -> AsyncIterator[Any]:
        if isinstance(source, AsyncIterable):
            return aiter(source)
        return iterate_in_threadpool(iter(source))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stream the response, stopping the source when the client disconnects."""
        telemetry = self.telemetry
        if telemetry is None:
            await self._stream(scope, receive, send)
        else:
            telemetry.watch_first_chunk(self.encoder)
            try:
                with telemetry.active():
                    await self._stream(scope, receive, send)
            except BaseException as exc:
                # Not the client leaving (that ends the stream quietly): the server cancelled it.
                telemetry.end_stream(self.encoder, "failed", self._failure or exc)
                raise
            status: Status = (
                "failed" if self._failure is not None else "completed" if self._sent_all else "disconnected"
            )
            telemetry.end_stream(self.encoder, status, self._failure)
        if self.background is not None:
            await self.background()

    async def _stream(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._compat_iterator is not None or scope["type"] != "http":
            await super().__call__(scope, receive, send)
            self._sent_all = True
            return
        source = self.source
        if isinstance(source, AsyncIterable):
            await self._respond(receive, send, self._stream_async)
        else:
            await self._respond_from_thread(iter(source), scope, receive, send)


__all__ = ["DEFAULT_MAX_BUFFERED", "SSE_HEADERS", "EventStreamResponse", "StreamEncoder"]
