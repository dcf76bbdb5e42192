"""How `EventStreamResponse` streams a sync generator: from a producer thread, once it has a slot.

A base of `openai_compat_core.streaming.EventStreamResponse`; the encoder's calls, the failure report
and the response's start are `openai_compat_core._encoded_stream.EncodedStream`'s.
The thread, its slot and the frames' hand-off to the event loop are `openai_compat_core.producer`'s.
"""

import asyncio
import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openai_compat_core._closing import close_sync
from openai_compat_core._encoded_stream import EncodedStream, body
from openai_compat_core.cancellation import wait_for_disconnect
from openai_compat_core.errors import OpenAIHTTPException, exception_to_response
from openai_compat_core.producer import Handoff, ProducerSlot, running_asyncio, stream_threads_busy


class ThreadStream(EncodedStream):
    """The sync-generator path of `EventStreamResponse`."""

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
            close_sync(source)
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

    async def _stream_from_thread(self, handoff: Handoff, slot: ProducerSlot, send: Send) -> None:
        """Send what the producer thread hands over, one `send` per batch, up to its last frame."""
        on_asyncio = running_asyncio() is not None
        while True:
            items, last, waited = await handoff.take()
            await send(body(b"".join(items), more=not last))
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
            close_sync(source)
            if not ended:
                # Unblock the consumer whatever happened (the client left, or a BaseException here).
                handoff.put(b"", last=True)


__all__ = ["ThreadStream"]
