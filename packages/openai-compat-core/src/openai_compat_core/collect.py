"""Running a generator through a `StreamEncoder` to its end without streaming it: a non-streaming request's answer.

`run_to_end` is what the request pipeline calls when a non-streaming request's callback returned a
generator: the same encoder as the stream's, the same bound on producer threads, the same closing of
the generator when the client leaves.
"""

import logging
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from starlette.requests import Request

from openai_compat_core._closing import close_async, close_sync
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.producer import ProducerSlot, stream_threads_busy
from openai_compat_core.streaming import StreamEncoder

# The streaming response's logger, where collecting a stream has always reported its troubles.
logger = logging.getLogger("openai_compat_core.streaming")


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
        close_sync(source)
        raise
    try:
        slot.start(drain)
    except RuntimeError as exc:
        slot.give_back()
        close_sync(source)
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
        close_sync(source)


async def _drain_async(source: AsyncIterator[Any], encoder: StreamEncoder, add: Callable[[bytes], None]) -> None:
    try:
        async for chunk in source:
            add(encoder.encode(chunk))
            if encoder.finished:
                break
    finally:
        await close_async(source)


__all__ = ["run_to_end"]
