"""Background responses: run detached from their request, logged for resuming, cancellable; and their replay.

A background response (`"background": true`) is answered at once with status `queued`; its callback
then runs in a task of this worker that no client disconnect stops. The task drives the callback's
result through core's `EventStreamResponse` exactly as a streamed answer (same producer threads,
batching and cancellation), with an ASGI `send` that appends the events to the store's log instead
of a socket and a `receive` that reports a "disconnect" when the response is cancelled. The terminal
event is held back until the store has taken the final status (a compare-and-set): when a cancel won
the race, the log ends with the cancelled response instead.

A stream of a cancelled response ends with `response.incomplete` carrying the Response object with
status `cancelled` (the SDKs have no `response.cancelled` event; `incomplete` says the output is
partial without calling it an error).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message

from openai_compat_core.callbacks import cancel_unless_in_thread
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.producer import stream_threads_busy
from openai_compat_core.sse import event_frame
from openai_compat_core.streaming import EventStreamResponse
from openai_compat_responses.encoder import TERMINAL_EVENTS, ResponseStreamEncoder
from openai_compat_responses.store import (
    RUNNING_STATUSES,
    EventBatch,
    EventsUnavailableError,
    ResponseStore,
    StoreUnavailableError,
)

logger = logging.getLogger("fastapi_openai_compat.responses")

CANCELLED_EVENT = "response.incomplete"
"""The event that ends the stream of a cancelled response (its `response.status` is `cancelled`)."""

_TERMINAL_HEADS = tuple(f"event: {name}\n".encode() for name in TERMINAL_EVENTS)
_ADD_TO_CONVERSATION = frozenset({"completed", "incomplete"})
_UNRECORDED = {"code": "server_error", "message": "The response could not be recorded."}


@dataclass
class Job:
    """One background response: what the task needs to run it and to record it."""

    response_id: str
    scope: str
    arguments: tuple[Any, ...]
    request: Request
    encoder: ResponseStreamEncoder
    stream: bool
    conversation_id: str | None
    new_items: list[dict[str, Any]]


async def add_to_conversation(
    store: ResponseStore,
    conversation_id: str | None,
    scope: str,
    new_items: list[dict[str, Any]],
    response: dict[str, Any],
) -> None:
    """Add a turn's new input items and its output to its conversation (if any), when the response ended with them."""
    if conversation_id is not None and response.get("status") in _ADD_TO_CONVERSATION:
        await store.add_conversation_items(conversation_id, scope, [*new_items, *(response.get("output") or [])])


class _Log:
    """Where the task's frames go: the store's log (streamed responses), the terminal frame held back."""

    def __init__(self, store: ResponseStore, job: Job, next_seq: int) -> None:
        self.store = store
        self.job = job
        self.next_seq = next_seq
        self.held: bytes | None = None

    async def deliver(self, data: bytes) -> None:
        if not data:
            return
        if self.job.encoder.terminated and self.held is None:
            # The terminal event is the last frame the encoder makes.
            end = data.rfind(b"\n\n", 0, len(data) - 2)
            start = end + 2 if end >= 0 else 0
            if data.startswith(_TERMINAL_HEADS, start):
                data, self.held = data[:start], data[start:]
        await self.append(data)

    async def append(self, data: bytes, *, final: bool = False) -> None:
        if not data:
            return
        count = data.count(b"\n\n")
        first = self.next_seq
        self.next_seq += count
        if self.job.stream:
            await self.store.append_events(
                self.job.response_id, EventBatch(first, first + count - 1, data), final=final
            )


class BackgroundRunner:
    """Runs background responses on this worker, holding a strong reference to each task until it ends.

    Args:
        pipeline: the router's `StatefulResponsesPipeline` (its callback, post-hook and error options).
        store: where the responses and their event logs are kept.
    """

    def __init__(self, pipeline: Any, store: ResponseStore) -> None:
        self.pipeline = pipeline
        self.store = store
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, job: Job) -> None:
        """Start the job's task on the running event loop (asyncio)."""
        task = asyncio.get_running_loop().create_task(
            self._run(job), name=f"openai-compat-background-{job.response_id}"
        )
        self.tasks[job.response_id] = task
        task.add_done_callback(lambda _: self.tasks.pop(job.response_id, None))

    async def settled(self, response_id: str, timeout: float) -> None:
        """Wait (at most `timeout` seconds) until this worker's task for the response, if any, has ended."""
        task = self.tasks.get(response_id)
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)

    async def _run(self, job: Job) -> None:
        log = _Log(self.store, job, job.encoder.next_sequence_number)
        stop = asyncio.ensure_future(self.store.until_cancelled(job.response_id))
        try:
            started = await self.store.update_response(
                job.response_id, job.encoder.snapshot("in_progress"), expected=("queued",)
            )
            if not started:
                await self._cancelled(job, log, None)
                return
            call = asyncio.ensure_future(self._call(job))
            await asyncio.wait({call, stop}, return_when=asyncio.FIRST_COMPLETED)
            if not call.done():
                _abandon(call)
                await self._cancelled(job, log, None)
                return
            try:
                source = self.pipeline.source(call.result())
            except Exception as exc:
                logger.error("%s", self.pipeline.failure_prefix, exc_info=exc)
                await log.deliver(job.encoder.fail(exc))
            else:
                await self._drive(job, source, stop, log)
            if stop.done() and log.held is None:
                await self._cancelled(job, log, None)
            else:
                await self._finish(job, log)
        except asyncio.CancelledError:
            # The server is stopping: leave no response running for ever in a store that outlives it.
            failed = job.encoder.snapshot("failed")
            failed["error"] = {"code": "server_error", "message": "The server stopped while the response was running."}
            await self.store.update_response(job.response_id, failed, expected=RUNNING_STATUSES)
            raise
        except Exception:
            logger.exception("Background response %s could not be recorded", job.response_id)
            # Readers following the log on this worker must not wait for an end that would never come.
            failed = {**job.encoder.snapshot("failed"), "error": _UNRECORDED}
            with contextlib.suppress(Exception):
                await log.append(log.held or _terminal(failed, log.next_seq), final=True)
        finally:
            stop.cancel()

    async def _call(self, job: Job) -> Any:
        result = await self.pipeline.call(job.arguments, job.request)
        return await self.pipeline.after_callback(result)

    async def _drive(self, job: Job, source: Any, stop: "asyncio.Future[None]", log: _Log) -> None:
        """Stream `source` through the encoder into the log as a client would get it, until its end or a cancel."""
        cancelled = asyncio.Event()
        stop.add_done_callback(lambda _: cancelled.set())
        refused: list[bytes] = []

        async def receive() -> Message:
            await cancelled.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] != 200:
                    refused.append(b"")
                return
            if refused:
                refused.append(message.get("body", b""))
            else:
                await log.deliver(message.get("body", b""))

        streaming = EventStreamResponse(source, job.encoder, log=logger)
        await streaming({"type": "http", "method": "POST", "path": "/", "headers": []}, receive, send)
        if refused and not stop.done():
            # No producer thread came free in time: the response fails as a stream would have.
            # (Cancelled while it waited for one, it is simply cancelled.)
            await log.deliver(job.encoder.fail(stream_threads_busy()))

    async def _finish(self, job: Job, log: _Log) -> None:
        """Take the final status (compare-and-set), then end the log with the held terminal event."""
        final = job.encoder.final_response or job.encoder.snapshot("completed")
        try:
            recorded = await self.store.update_response(job.response_id, final, expected=RUNNING_STATUSES)
        except StoreUnavailableError:
            # The store cannot take the status now (it says so in the log): the live streams still end
            # with the real terminal event.
            await log.append(log.held or _terminal(final, log.next_seq), final=True)
            return
        if recorded:
            held, log.held = log.held, None
            await log.append(held or _terminal(final, log.next_seq), final=True)
            await add_to_conversation(self.store, job.conversation_id, job.scope, job.new_items, final)
            return
        # Cancelled before the result was recorded: the result is dropped, its output kept.
        await self._cancelled(job, log, final)

    async def _cancelled(self, job: Job, log: _Log, result: dict[str, Any] | None) -> None:
        """Record the output made before the cancel under status `cancelled`, and end the log with it."""
        response = {**(result or job.encoder.snapshot("cancelled")), "status": "cancelled", "completed_at": None}
        try:
            recorded = await self.store.update_response(job.response_id, response, expected=("cancelled",))
        except StoreUnavailableError:
            recorded = True  # not recorded now, but the live streams end as the response did
        if recorded:
            await log.append(_terminal(response, log.next_seq), final=True)


def _terminal(response: dict[str, Any], sequence_number: int) -> bytes:
    status = response.get("status")
    name = {"failed": "response.failed", "completed": "response.completed"}.get(str(status), CANCELLED_EVENT)
    return event_frame(name, {"type": name, "sequence_number": sequence_number, "response": response})


_CLOSING: "set[asyncio.Future[Any]]" = set()  # async generators being closed after a cancel


def _abandon(call: "asyncio.Future[Any]") -> None:
    """Stop waiting for a callback: cancel it, or (a sync one running in a thread) drop what it returns."""
    call.add_done_callback(_drop_result)
    if isinstance(call, asyncio.Task):
        cancel_unless_in_thread(call)


def _drop_result(call: "asyncio.Future[Any]") -> None:
    if call.cancelled() or call.exception() is not None:
        return
    result = call.result()
    close = getattr(result, "close", None)
    if callable(close):
        close()
    aclose = getattr(result, "aclose", None)
    if callable(aclose):
        closing = asyncio.ensure_future(aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)


# --- replaying a background stream ----------------------------------------------------------------


def _error_frame(sequence_number: int, code: str, message: str) -> bytes:
    error = {"type": "error", "sequence_number": sequence_number, "code": code, "message": message, "param": None}
    return event_frame("error", error)


class _Replay:
    """The stream encoder of a replay: the events are SSE bytes already; a failure is an `error` event."""

    finished = False

    def __init__(self, after: int) -> None:
        self.position = after  # the last sequence number sent

    def open(self) -> bytes:
        return b""

    def encode(self, chunk: Any) -> bytes:
        batch: EventBatch = chunk
        self.position = batch.last
        return batch.data

    def close(self) -> bytes:
        return b""

    def fail(self, exc: Exception) -> bytes:
        return _error_frame(self.position + 1, "server_error", "The events of this response could not be read.")


async def _batches(events: AsyncIterator[EventBatch], after: int) -> AsyncIterator[EventBatch]:
    position = after
    try:
        async for batch in events:
            position = batch.last
            yield batch
    except EventsUnavailableError as exc:
        # The reader fell behind the kept events, or the response was deleted: say so, never skip events.
        message = (
            f"The events of response '{exc.response_id}' after sequence number {position} are no longer kept; "
            "retrieve the response for its current state."
        )
        yield EventBatch(position + 1, position + 1, _error_frame(position + 1, "events_unavailable", message))


async def replay_response(store: ResponseStore, response_id: str, scope: str, after: int) -> Response:
    """The event stream of a background response after `after`: what is kept, then live until its end.

    Raises:
        OpenAIHTTPException: 409 `events_unavailable` (param `starting_after`) when the events right
            after `after` are no longer kept, or the response has no event log any more.
    """
    try:
        events = await store.events(response_id, scope, after=after)
    except EventsUnavailableError as exc:
        kept = "" if exc.first_kept is None else f" (the oldest kept is {exc.first_kept})"
        raise OpenAIHTTPException(
            409,
            f"The events of response '{response_id}' after sequence number {after} are no longer kept{kept}. "
            "Retrieve the response without `stream` for its current state.",
            param="starting_after",
            code="events_unavailable",
        ) from exc
    return EventStreamResponse(_batches(events, after), _Replay(after), log=logger)


__all__ = ["CANCELLED_EVENT", "BackgroundRunner", "Job", "add_to_conversation", "replay_response"]
