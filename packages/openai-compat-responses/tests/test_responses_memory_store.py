"""`InMemoryResponseStore`'s bounds: LRU eviction that spares running responses, TTL, event log caps."""

import asyncio
from typing import Any

import pytest

from openai_compat_responses.memory import InMemoryResponseStore
from openai_compat_responses.store import (
    EventBatch,
    EventsUnavailableError,
    StoredConversation,
    StoredResponse,
    StoreUnavailableError,
)

RUNNING = ("queued", "in_progress")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def record(response_id: str, status: str = "completed", previous: str | None = None) -> StoredResponse:
    return StoredResponse(
        id=response_id,
        scope="s",
        response={"id": response_id, "status": status, "output": []},
        previous_response_id=previous,
        background=status != "completed",
        stream=status != "completed",
    )


def frames(first: int, last: int, size: int = 10) -> EventBatch:
    data = b"".join(
        b'event: e\ndata: {"sequence_number":%d,"pad":"%s"}\n\n' % (n, b"x" * size) for n in range(first, last + 1)
    )
    return EventBatch(first, last, data)


async def ids(store: InMemoryResponseStore, candidates: list[str]) -> list[str]:
    return [rid for rid in candidates if await store.get_response(rid, "s") is not None]


def test_bounds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        InMemoryResponseStore(max_responses=0)


async def test_the_least_recently_used_finished_response_is_evicted() -> None:
    store = InMemoryResponseStore(max_responses=3)
    for n in range(3):
        await store.create_response(record(f"resp_{n}"))
    await store.get_response("resp_0", "s")  # used: now the most recent
    await store.create_response(record("resp_3"))
    assert await ids(store, ["resp_0", "resp_1", "resp_2", "resp_3"]) == ["resp_0", "resp_2", "resp_3"]
    assert store.response_count == 3


async def test_reading_a_chain_keeps_its_responses() -> None:
    store = InMemoryResponseStore(max_responses=3)
    await store.create_response(record("resp_0"))
    await store.create_response(record("resp_1", previous="resp_0"))
    await store.create_response(record("resp_x"))
    assert await store.history("resp_1", "s") == []  # uses resp_1 and resp_0
    await store.create_response(record("resp_y"))
    assert await ids(store, ["resp_0", "resp_1", "resp_x", "resp_y"]) == ["resp_0", "resp_1", "resp_y"]


async def test_running_responses_are_never_evicted() -> None:
    store = InMemoryResponseStore(max_responses=3)
    await store.create_response(record("resp_run", "queued"))
    for n in range(10):
        await store.create_response(record(f"resp_{n}"))
    assert await store.get_response("resp_run", "s") is not None
    assert store.response_count == 3
    # Once finished it is an ordinary (most recently used) response.
    done = {"id": "resp_run", "status": "completed", "output": []}
    assert await store.update_response("resp_run", done, expected=RUNNING)
    await store.create_response(record("resp_10"))
    assert await ids(store, ["resp_8", "resp_9", "resp_run", "resp_10"]) == ["resp_9", "resp_run", "resp_10"]
    await store.create_response(record("resp_11"))
    await store.create_response(record("resp_12"))  # resp_run was the least recently used
    assert await store.get_response("resp_run", "s") is None


async def test_a_store_full_of_running_responses_refuses_more() -> None:
    store = InMemoryResponseStore(max_responses=2)
    await store.create_response(record("resp_a", "queued"))
    await store.create_response(record("resp_b", "in_progress"))
    with pytest.raises(StoreUnavailableError) as full:
        await store.create_response(record("resp_c", "queued"))
    assert full.value.status_code == 503
    assert full.value.code == "store_unavailable"
    assert full.value.headers == {"x-should-retry": "true"}


async def test_finished_responses_expire_after_ttl_since_their_last_write() -> None:
    clock = Clock()
    store = InMemoryResponseStore(ttl=60, clock=clock)
    await store.create_response(record("resp_old"))
    await store.create_response(record("resp_run", "in_progress"))
    clock.now += 59
    assert await store.get_response("resp_old", "s") is not None  # reads do not extend it
    clock.now += 1
    assert await store.get_response("resp_old", "s") is None
    assert await store.get_response("resp_run", "s") is not None  # running: never expires
    done = {"id": "resp_run", "status": "completed", "output": []}
    assert await store.update_response("resp_run", done, expected=RUNNING)
    clock.now += 59
    assert await store.get_response("resp_run", "s") is not None
    clock.now += 1
    assert await store.get_response("resp_run", "s") is None


async def test_expired_responses_at_the_old_end_are_dropped_as_others_arrive() -> None:
    clock = Clock()
    store = InMemoryResponseStore(ttl=10, clock=clock)
    for n in range(5):
        await store.create_response(record(f"resp_{n}"))
    clock.now += 10
    await store.create_response(record("resp_new"))
    assert store.response_count == 1


async def test_no_ttl_keeps_responses_until_evicted() -> None:
    clock = Clock()
    store = InMemoryResponseStore(ttl=None, clock=clock)
    await store.create_response(record("resp_1"))
    clock.now += 10**9
    assert await store.get_response("resp_1", "s") is not None


async def test_conversations_expire_and_are_evicted() -> None:
    clock = Clock()
    store = InMemoryResponseStore(ttl=60, max_conversations=2, clock=clock)
    for name in ("conv_a", "conv_b"):
        await store.create_conversation(StoredConversation(name, "s", 0, {}))
    clock.now += 30
    await store.add_conversation_items("conv_a", "s", [{"type": "message", "role": "user", "content": "x"}])
    clock.now += 30
    assert await store.get_conversation("conv_b", "s") is None  # 60 s since its last write
    assert await store.get_conversation("conv_a", "s") is not None  # written 30 s ago
    await store.create_conversation(StoredConversation("conv_c", "s", 0, {}))
    await store.create_conversation(StoredConversation("conv_d", "s", 0, {}))
    assert await store.get_conversation("conv_a", "s") is None  # least recently used of three
    assert await store.get_conversation("conv_d", "s") is not None


async def test_a_log_keeps_its_newest_events_and_refuses_older_offsets() -> None:
    store = InMemoryResponseStore(max_events_per_response=10)
    await store.create_response(record("resp_1", "in_progress"))
    for first in range(0, 30, 3):
        await store.append_events("resp_1", frames(first, first + 2))
    with pytest.raises(EventsUnavailableError) as old:
        await store.events("resp_1", "s", after=5)
    assert old.value.first_kept == 21
    assert "the oldest kept is 21" in str(old.value)
    reader = await store.events("resp_1", "s", after=20)
    first = await reader.__anext__()
    assert (first.first, first.last) == (21, 23)


async def test_a_reader_that_falls_behind_gets_an_error_not_a_gap() -> None:
    store = InMemoryResponseStore(max_events_per_response=4)
    await store.create_response(record("resp_1", "in_progress"))
    await store.append_events("resp_1", frames(0, 1))
    reader = await store.events("resp_1", "s")
    assert (await reader.__anext__()).last == 1
    for first in range(2, 20, 2):
        await store.append_events("resp_1", frames(first, first + 1))
    with pytest.raises(EventsUnavailableError):
        await reader.__anext__()


async def test_logs_of_finished_responses_go_first_when_bytes_run_out() -> None:
    size = len(frames(0, 0).data)
    store = InMemoryResponseStore(max_event_bytes=size * 10)
    await store.create_response(record("resp_done", "in_progress"))
    await store.append_events("resp_done", frames(0, 3), final=True)
    await store.create_response(record("resp_live", "in_progress"))
    await store.append_events("resp_live", frames(0, 3))
    assert store.event_bytes == size * 8
    await store.append_events("resp_live", frames(4, 7))
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_done", "s")
    live = [each async for each in _take(await store.events("resp_live", "s"), 2)]
    assert [(each.first, each.last) for each in live] == [(0, 3), (4, 7)]
    assert store.event_bytes == size * 8
    # With no finished log left to drop, the live log loses its oldest events.
    await store.append_events("resp_live", frames(8, 11))
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_live", "s")
    assert store.event_bytes <= size * 10


async def test_evicting_a_response_drops_its_log() -> None:
    store = InMemoryResponseStore(max_responses=1)
    await store.create_response(record("resp_1", "in_progress"))
    await store.append_events("resp_1", frames(0, 1), final=True)
    assert await store.update_response("resp_1", {"id": "resp_1", "status": "completed"}, expected=RUNNING)
    await store.create_response(record("resp_2"))
    assert store.event_bytes == 0
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_1", "s")


async def _take(iterator: Any, count: int) -> Any:
    for _ in range(count):
        yield await asyncio.wait_for(iterator.__anext__(), 10)
