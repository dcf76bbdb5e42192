"""How `EventStreamResponse` streams an async generator: on asyncio, one `send` for all the frames made without waiting.

A base of `openai_compat_core.streaming.EventStreamResponse`; the encoder's calls, the failure report
and the response's start are `openai_compat_core._encoded_stream.EncodedStream`'s.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import Any, cast

import anyio
from starlette.types import Send

from openai_compat_core._closing import close_async
from openai_compat_core._encoded_stream import EncodedStream, body
from openai_compat_core._resume import Resume, iterate
from openai_compat_core.producer import running_asyncio

# What `AsyncStream._start_step` found.
_READY = object()
_WAITING = object()
_ENDED = object()


async def _abandon(it: Any, yielded: Any) -> None:
    """Cancel an `__anext__` step that was started by hand and is suspended, as cancelling its task would."""
    if isinstance(yielded, asyncio.Future):
        yielded.cancel()
    # The step ends however it likes (most often with the cancellation itself): the stream is over.
    with anyio.CancelScope(shield=True), contextlib.suppress(BaseException):
        await Resume(it, it.throw(asyncio.CancelledError()))


class AsyncStream(EncodedStream):
    """The async-generator path of `EventStreamResponse`."""

    async def _stream_async(self, send: Send) -> None:
        source = aiter(cast(AsyncIterable[Any], self.source))
        if running_asyncio() is not None:
            await self._stream_batched(source, send)
            return
        # Other event loops (trio): one `send` per frame.
        frames = self._encoded_async(source)
        try:
            async for data in frames:
                await send(body(data))
            await send(body(b"", more=False))
            self._sent_all = True
        finally:
            with anyio.CancelScope(shield=True):
                await frames.aclose()

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
                    await send(body(b"".join(batch)))
                    batch.clear()
                    # This generator has not waited for `limit` chunks: let the loop notice a
                    # disconnect (a send to a gone client returns at once) and serve other requests.
                    await asyncio.sleep(0)
            await send(body(b"".join(batch), more=False))
            self._sent_all = True
        finally:
            await close_async(source)

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
                await send(body(data))
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


__all__ = ["AsyncStream"]
