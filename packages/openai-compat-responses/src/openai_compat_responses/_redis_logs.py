"""The event logs a `RedisResponseStore` worker writes: a local copy for its own readers, and a batching writer.

A worker running a background stream keeps the log's recent events in memory (`LocalLog`, bounded
like the Redis log): its own client's live stream reads from there, so it costs no Redis round trip
and goes on while Redis is unreachable. `EventWriter` sends the same batches to Redis in the
background, several at a time (one script call per flush), and keeps them (bounded) to retry while
Redis is unreachable: a failed write never stops the stream.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from openai_compat_responses._eventlog import EventLog, follow
from openai_compat_responses.store import EventBatch, StoreUnavailableError


class LocalLog(EventLog):
    """The recent events of a background stream this worker runs, followed by its readers here.

    An `EventLog` that starts at its first batch and keeps itself within `max_events` and `max_bytes`.
    """

    __slots__ = ("finished_here", "max_bytes", "max_events", "scope", "started")

    def __init__(self, scope: str, *, max_events: int, max_bytes: int) -> None:
        super().__init__(0)
        self.scope = scope
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.started = False  # got its first batch (`first_kept` is known)
        self.finished_here = False  # the runner here took a terminal status (the log ends normally)

    def covers(self, after: int) -> bool:
        """Whether every event after `after` is here (or still to come here)."""
        return self.started and not self.lost(after)

    def append(self, batch: EventBatch, *, final: bool) -> None:
        """Add a batch (`final`: the last one), then trim the oldest beyond the bounds; ignored once ended."""
        if self.final or self.dropped:
            return
        if not self.started:
            self.started = True
            self.first_kept = batch.first
        # Readers woken by `add` run after this returns: they see the log trimmed.
        self.add(batch, final=final)
        while len(self.batches) > 1 and (
            self.next_seq - self.first_kept > self.max_events or self.nbytes > self.max_bytes
        ):
            self.pop_oldest()

    def follow(self, response_id: str, after: int) -> AsyncIterator[EventBatch]:
        """The events after `after`, those here then live ones, until the final batch."""
        return follow(response_id, self, after)


def merge(batches: list[EventBatch], *, max_bytes: int, max_events: int) -> list[EventBatch]:
    """Consecutive batches joined into fewer, each at most about `max_bytes` and `max_events` (a gap splits)."""
    merged: list[EventBatch] = []
    run: list[EventBatch] = []

    def close() -> None:
        if run:
            merged.append(EventBatch(run[0].first, run[-1].last, b"".join(each.data for each in run)))
            run.clear()

    size = 0
    for batch in batches:
        too_big = size + len(batch.data) > max_bytes or batch.last - run[0].first + 1 > max_events if run else False
        if run and (batch.first != run[-1].last + 1 or too_big):
            close()
            size = 0
        run.append(batch)
        size += len(batch.data)
    close()
    return merged


Write = Callable[[list[EventBatch], bool], Awaitable[None]]

RETRY_DELAY = 0.5
"""Seconds between two attempts to write events while Redis is unreachable."""


class EventWriter:
    """Sends one response's batches to Redis, several per write, retrying while Redis is unreachable.

    Args:
        response_id: for the log messages.
        write: sends batches (the last one final when told); raises `StoreUnavailableError`.
        interval: seconds to gather batches between two writes (a final batch is sent at once).
        max_events: how many unsent events are kept (the log's bound: the oldest go first).
        give_up_after: seconds of failed writes after which the unsent events are dropped.
        logger: where failed and dropped writes are reported.
    """

    def __init__(
        self,
        response_id: str,
        write: Write,
        *,
        interval: float,
        max_events: int,
        give_up_after: float,
        logger: logging.Logger,
    ) -> None:
        self.response_id = response_id
        self.write = write
        self.interval = interval
        self.max_events = max_events
        self.give_up_after = give_up_after
        self.logger = logger
        self.pending: list[EventBatch] = []
        self.unsent = 0  # events in `pending`
        self.final = False
        self.task: asyncio.Task[None] | None = None
        self.urgent = asyncio.Event()
        self.failing_since: float | None = None

    @property
    def closed(self) -> bool:
        """Whether the final batch was handed over (nothing more is taken)."""
        return self.final

    def add(self, batch: EventBatch, *, final: bool) -> None:
        """Queue a batch; it is written within `interval` (at once when final)."""
        if self.final:
            return
        self.pending.append(batch)
        self.unsent += batch.last - batch.first + 1
        self.final = final
        if final or (self.unsent > self.max_events // 4 and self.failing_since is None):
            self.urgent.set()  # a fast stream is written before its queue nears the log's bound
        if self.unsent > self.max_events:
            self._bound()
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._run(), name=f"redis-events-{self.response_id}")

    async def drain(self, timeout: float) -> bool:
        """Write what is queued now; wait at most `timeout` seconds. Whether everything was written."""
        self.urgent.set()
        task = self.task
        if task is not None:
            await asyncio.wait({task}, timeout=timeout)
        return not self.pending

    def cancel(self) -> None:
        """Drop what is queued and stop (the response is gone)."""
        self.pending.clear()
        self.unsent = 0
        self.final = True
        if self.task is not None and self.task is not asyncio.current_task():
            self.task.cancel()

    def _bound(self) -> None:
        self.unsent = sum(batch.last - batch.first + 1 for batch in self.pending)
        dropped = 0
        while len(self.pending) > 1 and self.unsent > self.max_events:
            batch = self.pending.pop(0)
            self.unsent -= batch.last - batch.first + 1
            dropped += batch.last - batch.first + 1
        # More unsent events than the log keeps: the oldest would be trimmed from it at once anyway. A
        # reader that reaches the gap is told the events are not kept (never a silent gap).
        if dropped and self.failing_since is not None:
            self.logger.warning(
                "Redis unreachable: %d events of response %s dropped from the unsent queue", dropped, self.response_id
            )

    async def _pause(self, seconds: float) -> None:
        if not self.urgent.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.urgent.wait(), seconds)

    async def _run(self) -> None:
        try:
            while self.pending:
                await self._pause(self.interval)
                if not self.final:
                    self.urgent.clear()
                batches, self.pending = self.pending, []
                self.unsent = 0
                try:
                    await self.write(batches, self.final)
                except StoreUnavailableError:
                    if not self._failed(batches):
                        return
                    await asyncio.sleep(RETRY_DELAY)
                    continue
                if self.failing_since is not None:
                    self.logger.warning("Redis reachable again: the events of response %s written", self.response_id)
                    self.failing_since = None
        finally:
            self.task = None

    def _failed(self, batches: list[EventBatch]) -> bool:
        """Queue the batches again after a failed write; False when it is time to give up."""
        now = time.monotonic()
        if self.failing_since is None:
            self.failing_since = now
            self.logger.warning("Redis unreachable: the events of response %s wait to be written", self.response_id)
        if now - self.failing_since > self.give_up_after:
            count = sum(batch.last - batch.first + 1 for batch in batches + self.pending)
            self.logger.error(
                "Redis unreachable for %.0f s: %d events of response %s dropped",
                now - self.failing_since,
                count,
                self.response_id,
            )
            self.pending.clear()
            self.unsent = 0
            return False
        self.pending = batches + self.pending
        self._bound()
        return True
