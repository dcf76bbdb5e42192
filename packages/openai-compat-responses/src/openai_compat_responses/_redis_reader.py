"""Reading a background stream's event log from Redis: what is kept after a point, then live batches."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from openai_compat_responses._redis_plumbing import data, text
from openai_compat_responses.store import RUNNING_STATUSES, EventBatch, EventsUnavailableError

BLOCK_MS = 1000
"""How long one wait for new events lasts before the reader checks on the response (milliseconds)."""

PAGE = 100
"""Entries read per round trip."""

IDLE_CHECKS = 3
"""Waits without news after which a log whose response has ended without its final batch is given up."""


def _field(fields: dict[Any, Any], name: str) -> Any:
    return fields.get(name.encode(), fields.get(name))


async def follow(
    response_id: str,
    after: int,
    *,
    client: Any,
    events_key: str,
    call: Callable[..., Awaitable[Any]],
    log_state: Callable[[], Awaitable[Any]],
    check_lease: Callable[[], Awaitable[Any]],
) -> AsyncIterator[EventBatch]:
    """The events after `after`, in order, without gaps, until the final batch.

    Raises `EventsUnavailableError` when the log is gone (the response was deleted, or Redis lost it),
    trimmed past the reader, or left without its final batch by a worker that stopped. Each wait for
    new events lasts `BLOCK_MS`; then the reader checks the response (a running one whose lease ran
    out is marked failed, which ends its log with `response.failed`).
    """
    position = after
    found = await call("read events", client.xrevrange(events_key, max=f"{after + 1}-1", min="-", count=1))
    cursor = text(found[0][0]) if found else "-"
    inclusive = True
    idle = 0
    while True:
        low = cursor if inclusive or cursor == "-" else "(" + cursor
        entries = await call("read events", client.xrange(events_key, min=low, max="+", count=PAGE))
        if not entries:
            start = "0-0" if cursor == "-" else cursor
            got = await call(
                "follow events",
                client.xread({events_key: start}, count=PAGE, block=BLOCK_MS),
                extra_time=BLOCK_MS / 1000,
            )
            entries = got[0][1] if got else []
        if entries:
            idle = 0
            for entry_id, fields in entries:
                cursor, inclusive = text(entry_id), False
                first = int(cursor.split("-")[0])
                if first > position + 1:
                    raise EventsUnavailableError(response_id, position, first)
                batch = EventBatch(first, int(text(_field(fields, "l"))), data(_field(fields, "d"))).after(position)
                if batch is not None:
                    position = batch.last
                    yield batch
                if text(_field(fields, "f")) == "1":
                    return
            continue
        state = await log_state()
        if state is None or not state[1]:
            raise EventsUnavailableError(response_id, position)
        first_kept = int(text(state[1]).split("-")[0])
        if position + 1 < first_kept:
            raise EventsUnavailableError(response_id, position, first_kept)
        if text(state[0]) in RUNNING_STATUSES:
            await check_lease()
            continue
        idle += 1
        if idle >= IDLE_CHECKS:
            raise EventsUnavailableError(response_id, position, first_kept)
