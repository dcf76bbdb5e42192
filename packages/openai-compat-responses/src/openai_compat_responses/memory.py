"""`InMemoryResponseStore`: the response store of one process, bounded in count, age and event bytes."""

import asyncio
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Collection
from typing import Any

from openai_compat_responses._eventlog import EventLog, follow
from openai_compat_responses._memory_conversations import MemoryConversations
from openai_compat_responses.store import (
    BrokenChainError,
    EventBatch,
    EventsUnavailableError,
    ItemPage,
    Order,
    StoredResponse,
    StoreUnavailableError,
    page_items,
)

DEFAULT_MAX_RESPONSES = 10_000
"""How many responses `InMemoryResponseStore` keeps by default (running ones included)."""

DEFAULT_TTL = 24 * 3600.0
"""Seconds a stored response or conversation is kept after its last write, by default (one day)."""

DEFAULT_MAX_CONVERSATIONS = 10_000
"""How many conversations `InMemoryResponseStore` keeps by default."""

DEFAULT_MAX_EVENTS_PER_RESPONSE = 8_192
"""How many events of one background stream are kept for resuming, by default (LocalAI's figure)."""

DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024
"""How many bytes all kept background events may take together, by default (64 MiB)."""


class _Entry:
    __slots__ = ("cancel", "expires_at", "record")

    def __init__(self, record: StoredResponse, expires_at: float) -> None:
        self.record = record
        self.expires_at = expires_at
        # Set when the running response must stop; None once it is terminal.
        self.cancel: asyncio.Event | None = asyncio.Event() if record.running else None


class InMemoryResponseStore(MemoryConversations):
    """A `ResponseStore` in this process's memory: one worker, bounded, gone on restart.

    Bounds (keyword options):

    - `max_responses`: responses kept; beyond it the least recently used *finished* one is evicted
      (a response is used when it is stored, read, or read as a `previous_response_id` chain). A
      queued or in-progress response is never evicted: with `max_responses` of them running, a new
      background response is refused with 503 (`StoreUnavailableError`).
    - `ttl`: seconds a finished response or a conversation is kept after its last write (`None`: no
      age limit). Expired records read as "not found" and are dropped as they are met.
    - `max_conversations`: conversations kept (least recently used evicted first, items with them).
    - `max_events_per_response`, `max_event_bytes`: the event logs of background streams (for
      `GET ...?stream=true&starting_after=N`). A log keeps at most `max_events_per_response` events;
      all logs together at most `max_event_bytes` bytes: beyond it the logs of finished responses
      go first (oldest first), then the oldest events of the log being written. A resume from an
      event no longer kept is refused (`EventsUnavailableError`), never served with a gap.
    - `clock`: the monotonic clock in seconds that `ttl` is measured with (tests pass their own).

    Conversation items are not counted by `max_responses`: a conversation grows with its turns and is
    bounded by `ttl` and `max_conversations`. Use it from one event loop (it is not thread-safe).
    """

    def __init__(
        self,
        *,
        max_responses: int = DEFAULT_MAX_RESPONSES,
        ttl: float | None = DEFAULT_TTL,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        max_events_per_response: int = DEFAULT_MAX_EVENTS_PER_RESPONSE,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_responses < 1 or max_conversations < 1 or max_events_per_response < 1 or max_event_bytes < 1:
            raise ValueError("the bounds of InMemoryResponseStore must be positive")
        self.max_responses = max_responses
        self.ttl = ttl
        self.max_conversations = max_conversations
        self.max_events_per_response = max_events_per_response
        self.max_event_bytes = max_event_bytes
        self.clock = clock
        self._finished: OrderedDict[str, _Entry] = OrderedDict()  # least recently used first
        self._running: dict[str, _Entry] = {}
        self._logs: dict[str, EventLog] = {}
        self._finished_logs: OrderedDict[str, None] = OrderedDict()  # logs that got their final batch, oldest first
        self._event_bytes = 0
        self._conversations = OrderedDict()

    # -- sizes (for tests and benchmarks) -------------------------------------------------------

    @property
    def response_count(self) -> int:
        """How many responses are held now (running and finished, expired ones not yet dropped included)."""
        return len(self._finished) + len(self._running)

    @property
    def event_bytes(self) -> int:
        """How many bytes the kept events take now."""
        return self._event_bytes

    # -- responses ------------------------------------------------------------------------------

    def _expiry(self) -> float:
        return float("inf") if self.ttl is None else self.clock() + self.ttl

    def _entry(self, response_id: str, scope: str | None = None, *, touch: bool = True) -> _Entry | None:
        entry = self._running.get(response_id)
        if entry is None:
            entry = self._finished.get(response_id)
            if entry is None:
                return None
            if entry.expires_at <= self.clock():
                self._drop(response_id)
                return None
            if touch:
                self._finished.move_to_end(response_id)
        if scope is not None and entry.record.scope != scope:
            return None
        return entry

    def _drop(self, response_id: str) -> None:
        """Forget a response and its log; tell its runner (if running) and its log's readers."""
        entry = self._finished.pop(response_id, None) or self._running.pop(response_id, None)
        if entry is not None and entry.cancel is not None:
            entry.cancel.set()
        self._drop_log(response_id)

    def _drop_log(self, response_id: str) -> None:
        log = self._logs.pop(response_id, None)
        self._finished_logs.pop(response_id, None)
        if log is not None:
            self._event_bytes -= log.drop()

    def _add_finished(self, response_id: str, entry: _Entry) -> None:
        self._finished[response_id] = entry
        self._finished.move_to_end(response_id)
        now = self.clock()
        # Expired records at the old end go now; those elsewhere go when met (and count against the bound).
        while self._finished:
            oldest_id, oldest = next(iter(self._finished.items()))
            if oldest.expires_at > now and self.response_count <= self.max_responses:
                break
            self._drop(oldest_id)

    async def create_response(self, record: StoredResponse) -> None:
        """Store a new response (see `ResponseStore.create_response`)."""
        entry = _Entry(record, self._expiry())
        if record.running:
            if len(self._running) >= self.max_responses:
                raise StoreUnavailableError("Too many responses are running in the background; please retry shortly.")
            self._running[record.id] = entry
        else:
            self._add_finished(record.id, entry)

    async def get_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """The response, or None (see `ResponseStore.get_response`)."""
        entry = self._entry(response_id, scope)
        return None if entry is None else entry.record

    async def update_response(self, response_id: str, response: dict[str, Any], *, expected: Collection[str]) -> bool:
        """Compare-and-set the Response object on its status (see `ResponseStore.update_response`)."""
        entry = self._entry(response_id, touch=False)
        if entry is None or entry.record.status not in expected:
            return False
        old = entry.record
        entry.record = StoredResponse(
            id=old.id,
            scope=old.scope,
            response=response,
            input_items=old.input_items,
            previous_response_id=old.previous_response_id,
            conversation_id=old.conversation_id,
            background=old.background,
            stream=old.stream,
        )
        entry.expires_at = self._expiry()
        if response_id in self._running and not entry.record.running:
            del self._running[response_id]
            if entry.cancel is not None:
                entry.cancel.set()
                entry.cancel = None
            self._add_finished(response_id, entry)
        elif response_id in self._finished:
            self._finished.move_to_end(response_id)
        return True

    async def cancel_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """Cancel a running response (see `ResponseStore.cancel_response`)."""
        entry = self._entry(response_id, scope)
        if entry is None:
            return None
        if entry.record.running:
            await self.update_response(
                response_id, {**entry.record.response, "status": "cancelled"}, expected=("queued", "in_progress")
            )
        return entry.record

    async def delete_response(self, response_id: str, scope: str) -> bool:
        """Delete a response and its log (see `ResponseStore.delete_response`)."""
        if self._entry(response_id, scope, touch=False) is None:
            return False
        self._drop(response_id)
        return True

    async def history(self, response_id: str, scope: str) -> list[dict[str, Any]] | None:
        """The items a follow-up sees (see `ResponseStore.history`)."""
        entry = self._entry(response_id, scope)
        if entry is None:
            return None
        chain = [entry.record]
        seen = {response_id}
        while chain[-1].previous_response_id is not None:
            previous_id = chain[-1].previous_response_id
            previous = self._entry(previous_id, scope) if previous_id not in seen else None
            if previous is None:
                raise BrokenChainError(previous_id)
            seen.add(previous_id)
            chain.append(previous.record)
        items: list[dict[str, Any]] = []
        for record in reversed(chain):
            items.extend(stored.item for stored in record.input_items)
            items.extend(record.response.get("output") or [])
        return items

    async def list_input_items(
        self,
        response_id: str,
        scope: str,
        *,
        after: str | None = None,
        before: str | None = None,
        limit: int = 20,
        order: Order = "desc",
    ) -> ItemPage | None:
        """A page of the response's own input items (see `ResponseStore.list_input_items`)."""
        entry = self._entry(response_id, scope)
        if entry is None:
            return None
        return page_items(entry.record.input_items, after=after, before=before, limit=limit, order=order)

    # -- background runs and their event logs -------------------------------------------------------

    async def until_cancelled(self, response_id: str) -> None:
        """Return once the running response should stop (see `ResponseStore.until_cancelled`)."""
        entry = self._running.get(response_id)
        if entry is None or entry.cancel is None:
            return
        await entry.cancel.wait()

    async def append_events(self, response_id: str, batch: EventBatch, *, final: bool = False) -> None:
        """Add events to the response's log (see `ResponseStore.append_events`)."""
        if self._entry(response_id, touch=False) is None:
            return
        log = self._logs.get(response_id)
        if log is None:
            log = self._logs[response_id] = EventLog(batch.first)
        if log.final:
            return
        self._event_bytes += log.add(batch, final=final)
        if final:
            self._finished_logs[response_id] = None
        # Readers woken by `add` run after this returns: they see the log trimmed.
        self._trim(response_id, log)

    def _trim(self, response_id: str, log: EventLog) -> None:
        """Keep the log and all logs together within their bounds (the batch just added stays)."""
        while self._event_bytes > self.max_event_bytes and self._finished_logs:
            oldest = next(iter(self._finished_logs))
            if oldest == response_id:
                break
            self._drop_log(oldest)
        while len(log.batches) > 1 and (
            log.next_seq - log.first_kept > self.max_events_per_response or self._event_bytes > self.max_event_bytes
        ):
            self._event_bytes -= log.pop_oldest()

    async def events(self, response_id: str, scope: str, *, after: int = -1) -> AsyncIterator[EventBatch]:
        """The events after `after`, then live ones (see `ResponseStore.events`)."""
        log = self._logs.get(response_id) if self._entry(response_id, scope) is not None else None
        if log is None:
            raise EventsUnavailableError(response_id, after)
        if after + 1 < log.first_kept:
            raise EventsUnavailableError(response_id, after, log.first_kept)
        return follow(response_id, log, after)


__all__ = [
    "DEFAULT_MAX_CONVERSATIONS",
    "DEFAULT_MAX_EVENTS_PER_RESPONSE",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_RESPONSES",
    "DEFAULT_TTL",
    "InMemoryResponseStore",
]
