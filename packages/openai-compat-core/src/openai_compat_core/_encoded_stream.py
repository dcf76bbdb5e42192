"""What both paths of `EventStreamResponse` share: the encoder's calls, the failure report, the response's start.

`openai_compat_core.streaming.EventStreamResponse` is `EncodedStream` with its two paths mixed in:
`openai_compat_core._async_stream.AsyncStream` and `openai_compat_core._thread_stream.ThreadStream`.
"""

import logging
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

import anyio
from starlette.responses import StreamingResponse
from starlette.types import Receive, Send

from openai_compat_core._closing import close_async
from openai_compat_core.cancellation import wait_for_disconnect

if TYPE_CHECKING:
    from openai_compat_core.streaming import StreamEncoder


def body(data: bytes, more: bool = True) -> dict[str, Any]:
    """An `http.response.body` message; `more=False` makes it the response's last."""
    return {"type": "http.response.body", "body": data, "more_body": more}


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    await wait_for_disconnect(receive)
    scope.cancel()


class EncodedStream(StreamingResponse):
    """A streaming response driving a `StreamEncoder`: the base of `EventStreamResponse`, which sets these."""

    source: Iterable[Any] | AsyncIterable[Any]
    encoder: "StreamEncoder"
    log: logging.Logger
    max_buffered: int
    wait_timeout: float | None
    _failure: BaseException | None
    _sent_all: bool

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
            await close_async(source)

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


__all__ = ["EncodedStream", "body"]
