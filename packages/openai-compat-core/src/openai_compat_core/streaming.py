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
"""

import asyncio
import contextlib
import functools
import logging
import threading
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
)
from typing import Any, Protocol, cast

import anyio
from starlette.background import BackgroundTask
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from openai_compat_core._resume import Resume, iterate
from openai_compat_core.cancellation import cancel_on_disconnect, wait_for_disconnect
from openai_compat_core.errors import OpenAIHTTPException, exception_to_response
from openai_compat_core.producer import Handoff, ProducerSlot, running_asyncio, stream_threads_busy
from openai_compat_core.sse import split_frames
from openai_compat_core.telemetry import RequestTelemetry, Status

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


async def _abandon(it: Any, yielded: Any) -> None:
    """Cancel an `__anext__` step that was started by hand and is suspended, as cancelling its task would."""
    if isinstance(yielded, asyncio.Future):
        yielded.cancel()
    # The step ends however it likes (most often with the cancellation itself): the stream is over.
    with anyio.CancelScope(shield=True), contextlib.suppress(BaseException):
        await Resume(it, it.throw(asyncio.CancelledError()))


# What `EventStreamResponse._start_step` found.
_READY = object()
_WAITING = object()
_ENDED = object()


def _close_sync(source: Iterator[Any]) -> None:
    close = getattr(source, "close", None)
    if close is None:
        return
    try:
        close()
    except Exception:
        logger.exception("Closing the stream's generator raised")


async def _close_async(source: AsyncIterator[Any]) -> None:
    aclose = getattr(source, "aclose", None)
    if aclose is None:
        return
    with anyio.CancelScope(shield=True):
        try:
            await aclose()
        except Exception:
            logger.exception("Closing the stream's async generator raised")


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    await wait_for_disconnect(receive)
    scope.cancel()


def _body(data: bytes, more: bool = True) -> dict[str, Any]:
    return {"type": "http.response.body", "body": data, "more_body": more}


class EventStreamResponse(StreamingResponse):
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

    def _fail(self, exc: Exception) -> bytes:
        """Log a mid-stream failure and return the encoder's frames reporting it (nothing if it cannot)."""
        self.log.error("Error while streaming the response", exc_info=exc)
        self._failure = exc
        try:
            return self.encoder.fail(exc)
        except Exception:
            # The stream then just ends; a crash here would leave the client waiting or kill the producer.
            self.log.exception("The stream encoder could not report the failure")
            return b""

    def _open(self) -> tuple[bytes, bool]:
        """The encoder's opening frames, and whether the stream may go on."""
        try:
            return self.encoder.open(), True
        except Exception as exc:  # noqa: BLE001 - reported to the client through the encoder
            return self._fail(exc), False

    def _close(self) -> bytes:
        """The encoder's closing frames (or its failure frames if closing raises)."""
        try:
            return self.encoder.close()
        except Exception as exc:  # noqa: BLE001 - reported to the client through the encoder
            return self._fail(exc)

    async def _encoded_async(self, source: AsyncIterator[Any]) -> AsyncGenerator[bytes, None]:
        """Encode an async source, yielding bytes; closes the source however iteration ends."""
        encoder = self.encoder
        try:
            head, ok = self._open()
            if head:
                yield head
            if not ok:
                return
            while True:
                try:
                    chunk = await source.__anext__()
                    data = encoder.encode(chunk)
                except StopAsyncIteration:
                    yield self._close()
                    return
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    yield self._fail(exc)
                    return
                if data:
                    yield data
                if encoder.finished:
                    yield self._close()
                    return
        finally:
            await _close_async(source)

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

    async def _respond(self, receive: Receive, send: Send, stream: Callable[[Send], Awaitable[None]]) -> None:
        """Start the response, then run `stream(send)` until it ends or the client disconnects."""
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        async with anyio.create_task_group() as group:
            group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
            try:
                await stream(send)
            except OSError:
                # The server reported the client gone while we wrote; nothing more can be sent.
                pass
            finally:
                group.cancel_scope.cancel()

    async def _stream_async(self, send: Send) -> None:
        source = aiter(cast(AsyncIterable[Any], self.source))
        if running_asyncio() is not None:
            await self._stream_batched(source, send)
            return
        # Other event loops (trio): one `send` per frame.
        frames = self._encoded_async(source)
        try:
            async for data in frames:
                await send(_body(data))
            await send(_body(b"", more=False))
            self._sent_all = True
        finally:
            with anyio.CancelScope(shield=True):
                await frames.aclose()

    async def _respond_from_thread(self, source: Iterator[Any], scope: Scope, receive: Receive, send: Send) -> None:
        """Stream a sync source from a producer thread, once it has a slot; else answer 503 (or 499)."""
        slot = ProducerSlot()
        refusal = None if slot.try_take() else await self._wait_for_slot(slot, receive)
        handoff = Handoff(self.max_buffered)
        if refusal is None:
            try:
                slot.start(self._produce, source, handoff)
            except RuntimeError:
                slot.give_back()
                self.log.warning("No thread could be started for a stream", exc_info=True)
                self._failure = stream_threads_busy()
                refusal = exception_to_response(self._failure)
        if refusal is not None:
            _close_sync(source)
            with contextlib.suppress(OSError):
                await refusal(scope, receive, send)
            return
        try:
            await self._respond(receive, send, functools.partial(self._stream_from_thread, handoff, slot))
        finally:
            # However the stream ended: a producer still running stops at its next hand-over.
            handoff.close()

    async def _wait_for_slot(self, slot: ProducerSlot, receive: Receive) -> Response | None:
        """Wait for a producer thread's slot while watching the client; the answer to send instead, if any."""
        refusal: Response | None = None
        left = False
        async with anyio.create_task_group() as group:

            async def watch_disconnect() -> None:
                nonlocal left
                await wait_for_disconnect(receive)
                left = True
                group.cancel_scope.cancel()

            group.start_soon(watch_disconnect)
            try:
                await slot.take(self.wait_timeout)
            except OpenAIHTTPException as exc:
                self._failure = exc
                refusal = exception_to_response(exc)
            group.cancel_scope.cancel()
        if left:
            # Nobody is listening: 499, as for any request whose client left before its answer.
            self._failure = None
            slot.give_back()
            return Response(status_code=499)
        return refusal

    async def _stream_batched(self, source: AsyncIterator[Any], send: Send) -> None:
        """Stream an async source on asyncio, one `send` for all the frames made without waiting.

        Each `__anext__` is started by hand: when it completes at once, its frame joins the batch;
        when the generator has to wait, the batch is sent first and the task then waits with the
        generator exactly as `await` would have. At most `max_buffered` chunks go into one batch.
        """
        encoder = self.encoder
        limit = self.max_buffered
        next_step = source.__anext__
        head, ok = self._open()
        batch = [head] if head else []
        try:
            while ok:
                state, chunk, yielded = self._start_step(next_step, batch)
                if state is _ENDED:
                    break
                if state is _WAITING:
                    try:
                        chunk = await self._finish_step(chunk, yielded, batch, send)
                    except StopAsyncIteration:
                        batch.append(self._close())
                        break
                    except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                        batch.append(self._fail(exc))
                        break
                try:
                    data = encoder.encode(chunk)
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    batch.append(self._fail(exc))
                    break
                if data:
                    batch.append(data)
                if encoder.finished:
                    batch.append(self._close())
                    break
                if len(batch) >= limit:
                    await send(_body(b"".join(batch)))
                    batch.clear()
                    # This generator has not waited for `limit` chunks: let the loop notice a
                    # disconnect (a send to a gone client returns at once) and serve other requests.
                    await asyncio.sleep(0)
            await send(_body(b"".join(batch), more=False))
            self._sent_all = True
        finally:
            await _close_async(source)

    def _start_step(self, next_step: Callable[[], Awaitable[Any]], batch: list[bytes]) -> tuple[object, Any, Any]:
        """Start the source's next step by hand.

        Returns `(_READY, chunk, None)` when it completed at once, `(_WAITING, it, yielded)` when it
        waits (see `_finish_step`), or `(_ENDED, None, None)` once the source ended or failed, with
        the encoder's closing or failure frames added to `batch`.
        """
        try:
            it = iterate(next_step())
        except Exception as exc:  # noqa: BLE001 - the end (StopAsyncIteration), or logged and reported
            return self._ended(exc, batch)
        try:
            yielded = it.send(None)
        except StopIteration as stop:
            return _READY, stop.value, None
        except Exception as exc:  # noqa: BLE001 - the end (StopAsyncIteration), or logged and reported
            return self._ended(exc, batch)
        return _WAITING, it, yielded

    def _ended(self, exc: Exception, batch: list[bytes]) -> tuple[object, Any, Any]:
        """Add the closing frames (the source ended) or the failure frames (it raised) to `batch`."""
        batch.append(self._close() if isinstance(exc, StopAsyncIteration) else self._fail(exc))
        return _ENDED, None, None

    @staticmethod
    async def _finish_step(it: Any, yielded: Any, batch: list[bytes], send: Send) -> Any:
        """Send the batch, then wait for the suspended step `it` and return the chunk it makes."""
        if batch:
            data = b"".join(batch)
            batch.clear()
            try:
                await send(_body(data))
            except Exception:
                await _abandon(it, yielded)
                raise
            except BaseException as exc:  # noqa: BLE001 - a cancellation; it is the generator's too
                # Where `await` would have delivered it: into the generator, at the point where it waits.
                try:
                    yielded = it.throw(exc)
                except StopIteration as stop:
                    return stop.value
        return await Resume(it, yielded)

    async def _stream_from_thread(self, handoff: Handoff, slot: ProducerSlot, send: Send) -> None:
        """Send what the producer thread hands over, one `send` per batch, up to its last frame."""
        on_asyncio = running_asyncio() is not None
        while True:
            items, last, waited = await handoff.take()
            await send(_body(b"".join(items), more=not last))
            if last:
                self._sent_all = True
                # Right after its last frame the producer closes the source and gives its slot back.
                await slot.finished()
                return
            if not waited:
                # A producer that never lets the buffer run empty must not keep the event loop
                # from noticing a disconnect (a send to a gone client returns at once) or from
                # serving other requests: one pass of the loop per batch.
                if on_asyncio:
                    await asyncio.sleep(0)
                else:
                    await anyio.lowlevel.checkpoint()

    def _produce(self, source: Iterator[Any], handoff: Handoff) -> None:
        """Producer thread: iterate the sync source, encode, hand frames over; always close the source."""
        encoder = self.encoder
        ended = False
        try:
            head, ok = self._open()
            if not ok:
                ended = True
                handoff.put(head, last=True)
                return
            if not handoff.put(head):
                return
            while True:
                try:
                    chunk = next(source)
                    data = encoder.encode(chunk)
                except StopIteration:
                    ended = True
                    handoff.put(self._close(), last=True)
                    return
                except Exception as exc:  # noqa: BLE001 - logged and reported by _fail
                    ended = True
                    handoff.put(self._fail(exc), last=True)
                    return
                if data and not handoff.put(data):
                    return
                if encoder.finished:
                    ended = True
                    handoff.put(self._close(), last=True)
                    return
        finally:
            _close_sync(source)
            if not ended:
                # Unblock the consumer whatever happened (the client left, or a BaseException here).
                handoff.put(b"", last=True)


async def run_to_end(
    source: Iterable[Any] | AsyncIterable[Any],
    encoder: StreamEncoder,
    request: Request,
    *,
    keep: bool = True,
    wait_timeout: float | None = None,
) -> bytes:
    """Run a generator through `encoder` to its end without streaming it; return the bytes it made.

    For a non-streaming request whose callback returned a generator: the router turns the frames
    (or the encoder's own state, with `keep=False`, which returns `b""`) into one JSON answer. The
    encoder's `open()`, `encode()` for each chunk and `close()` are called; an exception from the
    generator or the encoder propagates (nothing was sent yet, so the router can answer an error).
    A sync generator runs in a producer thread, under the same bound as streams (see
    `openai_compat_core.producer`; `wait_timeout` as for `EventStreamResponse`); if the client
    disconnects meanwhile, an async generator is cancelled and a sync one is closed after its current
    chunk (`ClientDisconnect`).

    Raises:
        OpenAIHTTPException: 503 with `x-should-retry: true`, no producer thread came free in time.
        starlette.requests.ClientDisconnect: the client left first.
    """
    parts: list[bytes] = []
    add = parts.append if keep else _discard
    add(encoder.open())
    if isinstance(source, AsyncIterable):
        await cancel_on_disconnect(request, _drain_async(aiter(source), encoder, add))
    else:
        stop = threading.Event()
        await cancel_on_disconnect(
            request, _drain_in_thread(iter(source), encoder, add, stop, wait_timeout), on_disconnect=stop.set
        )
    add(encoder.close())
    return b"".join(parts)


async def _drain_in_thread(
    source: Iterator[Any],
    encoder: StreamEncoder,
    add: Callable[[bytes], None],
    stop: threading.Event,
    wait_timeout: float | None,
) -> None:
    """`_drain_sync` in a producer thread; its exception, if any, is raised here."""
    slot = ProducerSlot()
    failures: list[BaseException] = []

    def drain() -> None:
        try:
            _drain_sync(source, encoder, add, stop)
        except BaseException as exc:  # noqa: BLE001 - raised again on the event loop below
            failures.append(exc)

    try:
        await slot.take(wait_timeout)
    except BaseException:
        _close_sync(source)
        raise
    try:
        slot.start(drain)
    except RuntimeError as exc:
        slot.give_back()
        _close_sync(source)
        logger.warning("No thread could be started to collect a stream", exc_info=True)
        raise stream_threads_busy() from exc
    # Cancelled (the client left), this wait ends at once; the thread then stops after its current
    # chunk and gives its slot back itself.
    await slot.finished()
    if failures:
        raise failures[0]


def _discard(data: bytes) -> None:
    return None


def _drain_sync(
    source: Iterator[Any], encoder: StreamEncoder, add: Callable[[bytes], None], stop: threading.Event
) -> None:
    try:
        for chunk in source:
            if stop.is_set():  # the client left: stop after the chunk the generator just made
                break
            add(encoder.encode(chunk))
            if encoder.finished:
                break
    finally:
        _close_sync(source)


async def _drain_async(source: AsyncIterator[Any], encoder: StreamEncoder, add: Callable[[bytes], None]) -> None:
    try:
        async for chunk in source:
            add(encoder.encode(chunk))
            if encoder.finished:
                break
    finally:
        await _close_async(source)


__all__ = ["DEFAULT_MAX_BUFFERED", "SSE_HEADERS", "EventStreamResponse", "StreamEncoder", "run_to_end"]
