"""Event logs of background streams in memory: bounded batches that readers replay and then follow.

`InMemoryResponseStore` keeps every log this way; a `RedisResponseStore` worker its own runs' (`LocalLog`).
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from openai_compat_responses.records import EventBatch
from openai_compat_responses.store import EventsUnavailableError


class EventLog:
    """The kept events of one background stream: batches in order, the oldest trimmed first."""

    __slots__ = ("batches", "changed", "dropped", "final", "first_kept", "head", "nbytes", "next_seq")

    def __init__(self, first: int) -> None:
        self.batches: deque[EventBatch] = deque()
        self.head = 0  # absolute index of batches[0]: how many batches were trimmed
        self.first_kept = first
        self.next_seq = first
        self.nbytes = 0
        self.final = False
        self.dropped = False
        self.changed = asyncio.Event()

    def lost(self, position: int) -> bool:
        """Whether events right after `position` are gone (trimmed, or the whole log dropped)."""
        return self.dropped or position + 1 < self.first_kept

    def add(self, batch: EventBatch, *, final: bool) -> int:
        """Append a batch (`final`: the last one); return its size in bytes."""
        self.batches.append(batch)
        self.next_seq = batch.last + 1
        self.nbytes += len(batch.data)
        self.final = final
        self.wake()
        return len(batch.data)

    def pop_oldest(self) -> int:
        """Trim the oldest batch; return its size in bytes."""
        dropped = self.batches.popleft()
        self.head += 1
        self.first_kept = dropped.last + 1
        self.nbytes -= len(dropped.data)
        return len(dropped.data)

    def drop(self) -> int:
        """Forget every batch (the response is gone) and tell the readers; return the bytes freed."""
        freed = self.nbytes
        self.dropped = True
        self.batches.clear()
        self.nbytes = 0
        self.wake()
        return freed

    def wake(self) -> None:
        """Wake every reader waiting for a change (each waits on the event it saw)."""
        changed = self.changed
        self.changed = asyncio.Event()
        changed.set()


async def follow(response_id: str, log: EventLog, after: int) -> AsyncIterator[EventBatch]:
    """Yield the log's events after `after`, then live ones until its final batch (see `ResponseStore.events`)."""
    position = after  # the last sequence number delivered
    index = log.head  # absolute index of the next batch to look at
    while True:
        changed = log.changed
        if log.lost(position):
            raise EventsUnavailableError(response_id, position, None if log.dropped else log.first_kept)
        index = max(index, log.head)
        while index - log.head < len(log.batches):
            batch = log.batches[index - log.head].after(position)
            index += 1
            if batch is not None:
                position = batch.last
                yield batch
                if log.lost(position):
                    break
        else:
            if log.final:
                return
            await changed.wait()


__all__ = ["EventLog", "follow"]
