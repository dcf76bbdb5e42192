"""The background runs of `RedisResponseStore`: leases, stops made elsewhere, event logs and final statuses."""

import asyncio
import contextlib
from typing import Any

from openai_compat_core.sse import event_frame
from openai_compat_responses._redis_logs import RETRY_DELAY, EventWriter, LocalLog, merge
from openai_compat_responses._redis_plumbing import RedisPlumbing, logger, text
from openai_compat_responses.store import RUNNING_STATUSES, EventBatch, StoreUnavailableError

_MAX_ENTRY_BYTES = 256 * 1024
_GIVE_UP_AFTER = 60.0
_WRITTEN = {True: "written", False: "not written (the response had changed meanwhile)"}


class RedisRuns(RedisPlumbing):
    """What a worker running background responses does in Redis (the base of `RedisResponseStore`).

    It renews the lease of each response it runs and tells the runner when the response was cancelled,
    deleted or ended through any worker (`until_cancelled`); it writes the events in batches (readers
    on this worker get them from memory meanwhile) and retries a final status while Redis is
    unreachable. A reader that finds a lease run out ends that response's log here too (`_end_log`).
    """

    # Set by `RedisResponseStore.__init__`: the runs on this worker, then the settings they follow.
    _local: dict[str, LocalLog]
    _writers: dict[str, EventWriter]
    _wakes: dict[str, asyncio.Event]
    poll_interval: float
    flush_interval: float
    max_events_per_response: int
    max_event_bytes: int
    _lease_ms: int

    async def until_cancelled(self, response_id: str) -> None:
        """Renew the lease while the response runs; return once it was cancelled, deleted or ended elsewhere.

        A cancel or delete made through this worker wakes it at once, one made elsewhere within
        `poll_interval`. While Redis is unreachable it keeps waiting (the work goes on).
        """
        wake = self._wakes.setdefault(response_id, asyncio.Event())
        keys = self._response_keys(response_id)
        try:
            while True:
                try:
                    status = text(await self._script("HEARTBEAT", keys, [self._lease_ms, self._ttl_ms]))
                except StoreUnavailableError:
                    status = "in_progress"  # not known: the work goes on, the lease is renewed when Redis is back
                if status not in RUNNING_STATUSES:
                    self._stopped(response_id, status)
                    return
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(wake.wait(), self.poll_interval)
        finally:
            if self._wakes.get(response_id) is wake:
                del self._wakes[response_id]

    def _wake(self, response_id: str) -> None:
        wake = self._wakes.get(response_id)
        if wake is not None:
            wake.set()

    def _stopped(self, response_id: str, status: str) -> None:
        """The response stopped running elsewhere: end the readers here that its runner cannot end."""
        local = self._local.get(response_id)
        if status == "":
            logger.warning("Background response %s is gone from Redis (deleted, or lost by a restart)", response_id)
            self._forget(response_id)
        elif local is not None and status != "cancelled" and not local.finished_here:
            self._forget(response_id)

    def _forget(self, response_id: str) -> None:
        """The response is gone: stop writing its events, and end its readers here."""
        writer = self._writers.pop(response_id, None)
        if writer is not None:
            writer.cancel()
        local = self._local.pop(response_id, None)
        if local is not None:
            local.drop()

    async def append_events(self, response_id: str, batch: EventBatch, *, final: bool = False) -> None:
        """Add events to the response's log (see `ResponseStore.append_events`).

        Readers on this worker get them at once; Redis gets them within `flush_interval`, several
        batches per write (the first batch and the final one are written before this returns). A
        write that fails is logged and retried; it never raises.
        """
        local = self._local.get(response_id)
        if local is not None:
            local.append(batch, final=final)
        writer = self._writers.get(response_id)
        first = writer is None
        if writer is None:
            writer = self._writers[response_id] = EventWriter(
                response_id,
                lambda batches, final_batch: self._write_events(response_id, batches, final_batch),
                interval=self.flush_interval,
                max_events=self.max_events_per_response,
                give_up_after=_GIVE_UP_AFTER,
                logger=logger,
            )
        if writer.closed:
            return
        writer.add(batch, final=final)
        if first or final:
            await writer.drain(self.timeout)
        if final:
            if self._writers.get(response_id) is writer:
                del self._writers[response_id]
            if self._local.get(response_id) is local:
                self._local.pop(response_id, None)

    async def _write_events(self, response_id: str, batches: list[EventBatch], final: bool) -> None:
        # Entries far smaller than the log's bounds, so that trimming the oldest keeps the log within them.
        entries = merge(
            batches,
            max_bytes=min(_MAX_ENTRY_BYTES, max(1, self.max_event_bytes // 4)),
            max_events=max(1, self.max_events_per_response // 4),
        )
        args: list[Any] = [self.max_events_per_response, self.max_event_bytes, self._ttl_ms, int(final), len(entries)]
        for entry in entries:
            args += [entry.first, entry.last, entry.data]
        keys = [self._key("response", response_id), self._key("events", response_id)]
        if await self._script("APPEND_EVENTS", keys, args) < 0:
            self._forget(response_id)  # the response is gone: nothing more to write

    async def _end_log(self, response_id: str, response: dict[str, Any]) -> None:
        """End the event log of a response failed by an expired lease with its `response.failed` event."""
        raw = await self._call("read log", self.client.hget(self._key("response", response_id), "evn"))
        sequence_number = int(text(raw)) if raw is not None else -1
        if sequence_number < 0:
            return
        event = {"type": "response.failed", "sequence_number": sequence_number, "response": response}
        batch = EventBatch(sequence_number, sequence_number, event_frame("response.failed", event))
        await self._write_events(response_id, [batch], True)

    async def _write_later(self, response_id: str, keys: list[str], args: list[Any]) -> None:
        """Retry a final status write until Redis answers (at most `_GIVE_UP_AFTER` seconds)."""
        deadline = asyncio.get_running_loop().time() + _GIVE_UP_AFTER
        while asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(RETRY_DELAY)
            try:
                done = await self._script("UPDATE_RESPONSE", keys, args)
            except StoreUnavailableError:
                continue
            logger.warning("Response %s: status %s %s once Redis was back", response_id, args[1], _WRITTEN[bool(done)])
            return
        logger.error("Response %s: status %s never written (Redis unreachable)", response_id, args[1])


__all__ = ["RedisRuns"]
