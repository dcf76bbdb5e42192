"""The `ResponseStore` contract: every store implementation passes this module.

The `store` fixture is parametrised by implementation name: each name `<x>` has a fixture
`<x>_store_factory` returning a callable that makes an empty store (keyword bounds allowed where the
test needs them). To add a store, add its name to `STORES` and define its factory fixture (for
example one that starts a real server).
"""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from openai_compat_responses.memory import InMemoryResponseStore
from openai_compat_responses.redis_testing import RedisServer
from openai_compat_responses.store import (
    BrokenChainError,
    EventBatch,
    EventsUnavailableError,
    ResponseStore,
    StoredConversation,
    StoredItem,
    StoredResponse,
    UnknownCursorError,
    assign_item_ids,
)

STORES = ["memory", "redis"]
RUNNING = ("queued", "in_progress")
WAIT = 10  # seconds any awaited hand-off may take before the test fails instead of hanging

StoreFactory = Callable[..., ResponseStore]


@pytest.fixture
def memory_store_factory() -> StoreFactory:
    return InMemoryResponseStore


@pytest.fixture
async def redis_store_factory(redis_server: RedisServer) -> AsyncIterator[StoreFactory]:
    """`RedisResponseStore` on a real `redis-server` (started for the test, persistence off)."""
    from openai_compat_responses.redis_store import RedisResponseStore

    made: list[RedisResponseStore] = []

    def make(**options: Any) -> RedisResponseStore:
        store = RedisResponseStore.from_url(redis_server.url, **options)
        made.append(store)
        return store

    yield make
    for store in made:
        await store.aclose()


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest) -> StoreFactory:
    factory: StoreFactory = request.getfixturevalue(f"{request.param}_store_factory")
    return factory


@pytest.fixture
def store(make_store: StoreFactory) -> ResponseStore:
    return make_store()


# --- records ---------------------------------------------------------------------------------------


def response_object(response_id: str, status: str, output: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"id": response_id, "object": "response", "status": status, "model": "m", "output": output or []}


def message(text: str, role: str = "user") -> dict[str, Any]:
    return {"type": "message", "role": role, "content": text}


def answer(text: str, item_id: str) -> dict[str, Any]:
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    }


def record(
    response_id: str,
    status: str = "completed",
    *,
    scope: str = "alice",
    inputs: list[dict[str, Any]] | None = None,
    output: list[dict[str, Any]] | None = None,
    previous: str | None = None,
    background: bool = False,
    stream: bool = False,
) -> StoredResponse:
    return StoredResponse(
        id=response_id,
        scope=scope,
        response=response_object(response_id, status, output),
        input_items=assign_item_ids(inputs or []),
        previous_response_id=previous,
        background=background,
        stream=stream,
    )


def batch(first: int, last: int) -> EventBatch:
    """Events `first..last`, each a frame naming its sequence number."""
    frames = [f'event: e\ndata: {{"type":"e","sequence_number":{n}}}\n\n'.encode() for n in range(first, last + 1)]
    return EventBatch(first, last, b"".join(frames))


def numbers(batches: list[EventBatch]) -> list[int]:
    """The sequence numbers the batches' frames carry, checked against each batch's bounds."""
    found = []
    for each in batches:
        frames = [json.loads(frame.split(b"data: ", 1)[1]) for frame in each.data.split(b"\n\n") if frame]
        seen = [frame["sequence_number"] for frame in frames]
        assert seen == list(range(each.first, each.last + 1))
        found += seen
    return found


async def collect(iterator: AsyncIterator[EventBatch]) -> list[EventBatch]:
    return [each async for each in iterator]


def test_records_round_trip_through_json() -> None:
    stored = record("resp_1", inputs=[message("hi")], previous="resp_0", background=True, stream=True)
    stored.conversation_id = "conv_1"
    assert StoredResponse.from_dict(json.loads(json.dumps(stored.to_dict()))) == stored
    conversation = StoredConversation("conv_1", "alice", 123, {"k": "v"})
    assert StoredConversation.from_dict(json.loads(json.dumps(conversation.to_dict()))) == conversation
    assert conversation.to_object() == {
        "id": "conv_1",
        "object": "conversation",
        "created_at": 123,
        "metadata": {"k": "v"},
    }
    events = batch(3, 5)
    assert EventBatch.from_dict(json.loads(json.dumps(events.to_dict()))) == events


def test_event_batches_split_after_a_sequence_number() -> None:
    events = batch(3, 6)
    assert events.after(1) is events
    assert events.after(2) is events
    assert numbers([events.after(4)]) == [5, 6]  # type: ignore[list-item]
    assert events.after(6) is None
    assert events.after(9) is None


def test_item_ids_are_kept_or_assigned_and_unique_in_their_list() -> None:
    items = [
        message("a"),
        {"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c", "output": "x"},
        {"type": "reasoning", "summary": []},
        {"type": "other_kind"},
        answer("hi", "msg_given"),
        answer("again", "msg_given"),  # the same id twice: the second gets a new one
        answer("taken", "msg_taken"),
    ]
    stored = assign_item_ids(items, taken={"msg_taken"})
    ids = [each.id for each in stored]
    assert len(set(ids)) == len(ids)
    assert [each.item for each in stored] == items  # items kept as sent: no id added
    assert ids[5] == "msg_given"
    assert [i.split("_")[0] for i in ids[:5]] == ["msg", "fc", "fco", "rs", "item"]
    assert ids[6].startswith("msg_")
    assert ids[6] != "msg_given"
    assert ids[7] != "msg_taken"


def test_the_in_memory_store_is_a_response_store() -> None:
    assert isinstance(InMemoryResponseStore(), ResponseStore)


# --- responses -----------------------------------------------------------------------------------


async def test_a_response_is_found_only_in_its_scope(store: ResponseStore) -> None:
    stored = record("resp_1", inputs=[message("hi")])
    await store.create_response(stored)
    found = await store.get_response("resp_1", "alice")
    assert found is not None
    assert found.to_dict() == stored.to_dict()
    assert await store.get_response("resp_1", "bob") is None
    assert await store.get_response("resp_unknown", "alice") is None


async def test_update_is_a_compare_and_set_on_the_status(store: ResponseStore) -> None:
    await store.create_response(record("resp_1", "queued", background=True))
    assert await store.update_response("resp_1", response_object("resp_1", "in_progress"), expected=("queued",))
    # The status is not the expected one: nothing changes.
    assert not await store.update_response("resp_1", response_object("resp_1", "failed"), expected=("queued",))
    done = response_object("resp_1", "completed", [answer("hi", "msg_1")])
    assert await store.update_response("resp_1", done, expected=RUNNING)
    found = await store.get_response("resp_1", "alice")
    assert found is not None
    assert found.response == done
    assert found.status == "completed"
    assert not found.running
    # Terminal is final for anyone expecting a running response.
    assert not await store.update_response("resp_1", response_object("resp_1", "cancelled"), expected=RUNNING)
    assert not await store.update_response("resp_unknown", done, expected=RUNNING)


async def test_cancel_marks_a_running_response_and_tells_its_runner(store: ResponseStore) -> None:
    await store.create_response(record("resp_1", "queued", background=True))
    runner = asyncio.ensure_future(store.until_cancelled("resp_1"))
    assert await store.update_response("resp_1", response_object("resp_1", "in_progress"), expected=("queued",))
    await asyncio.sleep(0)
    assert not runner.done()  # a status change of its own is no reason to stop
    assert await store.cancel_response("resp_1", "bob") is None  # another scope: not found, nothing done
    assert not runner.done()

    cancelled = await store.cancel_response("resp_1", "alice")
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    await asyncio.wait_for(runner, WAIT)
    # The result arriving afterwards is dropped; the runner may still record its output under `cancelled`.
    assert not await store.update_response("resp_1", response_object("resp_1", "completed"), expected=RUNNING)
    partial = response_object("resp_1", "cancelled", [answer("par", "msg_1")])
    assert await store.update_response("resp_1", partial, expected=("cancelled",))
    # A second cancel answers the response unchanged.
    again = await store.cancel_response("resp_1", "alice")
    assert again is not None
    assert again.response == partial
    assert await store.cancel_response("resp_unknown", "alice") is None


async def test_cancel_after_completion_changes_nothing(store: ResponseStore) -> None:
    await store.create_response(record("resp_1", "in_progress", background=True))
    done = response_object("resp_1", "completed", [answer("hi", "msg_1")])
    assert await store.update_response("resp_1", done, expected=RUNNING)
    found = await store.cancel_response("resp_1", "alice")
    assert found is not None
    assert found.response == done


async def test_cancel_and_completion_racing_leave_exactly_one_winner(store: ResponseStore) -> None:
    for attempt in range(20):
        response_id = f"resp_race_{attempt}"
        await store.create_response(record(response_id, "in_progress", background=True))
        done = response_object(response_id, "completed")
        completed, cancelled, other_cancel = await asyncio.gather(
            store.update_response(response_id, done, expected=RUNNING),
            store.cancel_response(response_id, "alice"),
            store.cancel_response(response_id, "alice"),
        )
        assert cancelled is not None
        assert other_cancel is not None
        final = await store.get_response(response_id, "alice")
        assert final is not None
        assert final.status == ("completed" if completed else "cancelled")
        assert cancelled.status == other_cancel.status == final.status


async def test_until_cancelled_returns_at_once_for_a_response_not_running(store: ResponseStore) -> None:
    await store.create_response(record("resp_done"))
    await asyncio.wait_for(store.until_cancelled("resp_done"), WAIT)
    await asyncio.wait_for(store.until_cancelled("resp_unknown"), WAIT)


async def test_delete_removes_the_response_and_stops_a_running_one(store: ResponseStore) -> None:
    await store.create_response(record("resp_1"))
    assert not await store.delete_response("resp_1", "bob")
    assert await store.get_response("resp_1", "alice") is not None
    assert await store.delete_response("resp_1", "alice")
    assert await store.get_response("resp_1", "alice") is None
    assert not await store.delete_response("resp_1", "alice")

    await store.create_response(record("resp_2", "in_progress", background=True, stream=True))
    await store.append_events("resp_2", batch(0, 2))
    runner = asyncio.ensure_future(store.until_cancelled("resp_2"))
    reader = await store.events("resp_2", "alice")
    assert numbers([await reader.__anext__()]) == [0, 1, 2]
    assert await store.delete_response("resp_2", "alice")
    await asyncio.wait_for(runner, WAIT)
    with pytest.raises(EventsUnavailableError):
        await asyncio.wait_for(reader.__anext__(), WAIT)  # a reader following the log learns it is gone
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_2", "alice")
    assert not await store.update_response("resp_2", response_object("resp_2", "completed"), expected=RUNNING)
    await store.append_events("resp_2", batch(3, 3))  # a runner still writing: no effect
    assert await store.get_response("resp_2", "alice") is None


async def test_history_walks_the_chain_oldest_first(store: ResponseStore) -> None:
    await store.create_response(record("resp_1", inputs=[message("one")], output=[answer("1", "msg_a1")]))
    await store.create_response(
        record("resp_2", inputs=[message("two"), message("2b")], output=[answer("2", "msg_a2")], previous="resp_1")
    )
    await store.create_response(record("resp_3", inputs=[message("three")], output=[], previous="resp_2"))
    assert await store.history("resp_3", "alice") == [
        message("one"),
        answer("1", "msg_a1"),
        message("two"),
        message("2b"),
        answer("2", "msg_a2"),
        message("three"),
    ]
    assert await store.history("resp_1", "alice") == [message("one"), answer("1", "msg_a1")]
    assert await store.history("resp_3", "bob") is None
    assert await store.history("resp_unknown", "alice") is None
    # A deleted ancestor breaks the chain: no partial history.
    assert await store.delete_response("resp_1", "alice")
    with pytest.raises(BrokenChainError) as broken:
        await store.history("resp_3", "alice")
    assert broken.value.missing_id == "resp_1"


async def test_history_does_not_cross_scopes(store: ResponseStore) -> None:
    await store.create_response(record("resp_1", scope="bob", inputs=[message("secret")]))
    await store.create_response(record("resp_2", inputs=[message("mine")], previous="resp_1"))
    with pytest.raises(BrokenChainError):
        await store.history("resp_2", "alice")


async def test_input_items_page_both_ways(store: ResponseStore) -> None:
    inputs = [message(f"m{n}") for n in range(7)]
    await store.create_response(record("resp_1", inputs=inputs))
    full = await store.list_input_items("resp_1", "alice", limit=100, order="asc")
    assert full is not None
    assert [each.item for each in full.items] == inputs
    assert not full.has_more
    ids = [each.id for each in full.items]

    newest = await store.list_input_items("resp_1", "alice", limit=3)  # desc by default
    assert newest is not None
    assert [each.id for each in newest.items] == ids[::-1][:3]
    assert newest.has_more
    rest = await store.list_input_items("resp_1", "alice", after=ids[4], limit=3)
    assert rest is not None
    assert [each.id for each in rest.items] == [ids[3], ids[2], ids[1]]
    assert rest.has_more
    last = await store.list_input_items("resp_1", "alice", after=ids[1], limit=3)
    assert last is not None
    assert [each.id for each in last.items] == [ids[0]]
    assert not last.has_more

    before = await store.list_input_items("resp_1", "alice", before=ids[5], limit=2, order="asc")
    assert before is not None
    assert [each.id for each in before.items] == [ids[3], ids[4]]
    assert before.has_more
    between = await store.list_input_items("resp_1", "alice", after=ids[1], before=ids[4], order="asc")
    assert between is not None
    assert [each.id for each in between.items] == [ids[2], ids[3]]
    assert not between.has_more

    with pytest.raises(UnknownCursorError) as unknown:
        await store.list_input_items("resp_1", "alice", after="msg_nope")
    assert unknown.value.param == "after"
    assert await store.list_input_items("resp_1", "bob") is None
    assert await store.list_input_items("resp_unknown", "alice") is None


# --- event logs ------------------------------------------------------------------------------------


async def running_stream(store: ResponseStore, response_id: str = "resp_1") -> None:
    await store.create_response(record(response_id, "in_progress", background=True, stream=True))


async def test_events_replay_from_any_point(store: ResponseStore) -> None:
    await running_stream(store)
    await store.append_events("resp_1", batch(0, 1))
    await store.append_events("resp_1", batch(2, 4))
    await store.append_events("resp_1", batch(5, 5), final=True)
    for after in range(-1, 6):
        batches = await collect(await store.events("resp_1", "alice", after=after))
        assert numbers(batches) == list(range(after + 1, 6))
    assert numbers(await collect(await store.events("resp_1", "alice", after=42))) == []
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_1", "bob")
    with pytest.raises(EventsUnavailableError):
        await store.events("resp_unknown", "alice")


async def test_a_response_without_events_has_no_log(store: ResponseStore) -> None:
    await running_stream(store)
    with pytest.raises(EventsUnavailableError) as missing:
        await store.events("resp_1", "alice")
    assert missing.value.first_kept is None


async def test_readers_follow_the_log_live_until_the_final_batch(store: ResponseStore) -> None:
    await running_stream(store)
    await store.append_events("resp_1", batch(0, 1))
    early = await store.events("resp_1", "alice")
    late = await store.events("resp_1", "alice", after=2)
    early_batches = [await asyncio.wait_for(early.__anext__(), WAIT)]
    assert numbers(early_batches) == [0, 1]
    waiting_early = asyncio.ensure_future(early.__anext__())
    waiting_late = asyncio.ensure_future(late.__anext__())
    await store.append_events("resp_1", batch(2, 4))
    early_batches.append(await asyncio.wait_for(waiting_early, WAIT))
    late_batches = [await asyncio.wait_for(waiting_late, WAIT)]
    assert numbers(late_batches) == [3, 4]  # split inside the batch
    await store.append_events("resp_1", batch(5, 6), final=True)
    early_batches += await asyncio.wait_for(collect(early), WAIT)
    late_batches += await asyncio.wait_for(collect(late), WAIT)
    assert numbers(early_batches) == list(range(7))
    assert numbers(late_batches) == list(range(3, 7))
    await store.append_events("resp_1", batch(7, 7))  # after the final batch: ignored
    assert numbers(await collect(await store.events("resp_1", "alice"))) == list(range(7))


async def test_many_readers_each_get_every_event_once(store: ResponseStore) -> None:
    await running_stream(store)
    await store.append_events("resp_1", batch(0, 0))
    readers = [asyncio.ensure_future(collect(await store.events("resp_1", "alice"))) for _ in range(5)]
    for first in range(1, 40, 3):
        await store.append_events("resp_1", batch(first, first + 2))
    await store.append_events("resp_1", batch(40, 40), final=True)
    for reader in readers:
        assert numbers(await asyncio.wait_for(reader, WAIT)) == list(range(41))


# --- conversations ---------------------------------------------------------------------------------


def conversation(conversation_id: str = "conv_1", scope: str = "alice") -> StoredConversation:
    return StoredConversation(conversation_id, scope, 1_700_000_000, {"topic": "tests"})


async def test_a_conversation_is_found_only_in_its_scope(store: ResponseStore) -> None:
    created = await store.create_conversation(conversation(), [message("hi"), answer("hello", "msg_given")])
    assert [each.item for each in created] == [message("hi"), answer("hello", "msg_given")]
    assert created[1].id == "msg_given"
    assert created[0].id.startswith("msg_")
    assert await store.get_conversation("conv_1", "alice") == conversation()
    assert await store.get_conversation("conv_1", "bob") is None
    assert await store.conversation_items("conv_1", "bob") is None
    assert await store.update_conversation("conv_1", "bob", {"x": "y"}) is None
    assert not await store.delete_conversation("conv_1", "bob")
    assert await store.add_conversation_items("conv_1", "bob", [message("x")]) is None
    assert await store.list_conversation_items("conv_1", "bob") is None
    assert await store.get_conversation_item("conv_1", "bob", "msg_given") is None
    assert not await store.delete_conversation_item("conv_1", "bob", "msg_given")
    assert await store.get_conversation("conv_unknown", "alice") is None


async def test_conversation_metadata_updates_and_delete(store: ResponseStore) -> None:
    await store.create_conversation(conversation())
    updated = await store.update_conversation("conv_1", "alice", {"topic": "new"})
    assert updated == StoredConversation("conv_1", "alice", 1_700_000_000, {"topic": "new"})
    assert await store.get_conversation("conv_1", "alice") == updated
    assert await store.delete_conversation("conv_1", "alice")
    assert await store.get_conversation("conv_1", "alice") is None
    assert await store.conversation_items("conv_1", "alice") is None
    assert not await store.delete_conversation("conv_1", "alice")


async def test_conversation_items_append_page_get_and_delete(store: ResponseStore) -> None:
    await store.create_conversation(conversation(), [message("m0")])
    added = await store.add_conversation_items("conv_1", "alice", [message(f"m{n}") for n in range(1, 6)])
    assert added is not None
    # An item whose own id is taken in the conversation gets a new one.
    again = await store.add_conversation_items("conv_1", "alice", [answer("a", added[0].id)])
    assert again is not None
    assert again[0].id != added[0].id
    everything = await store.conversation_items("conv_1", "alice")
    assert everything == [message(f"m{n}") for n in range(6)] + [answer("a", added[0].id)]

    page = await store.list_conversation_items("conv_1", "alice", limit=4)  # desc by default
    assert page is not None
    assert [each.item for each in page.items] == [answer("a", added[0].id), message("m5"), message("m4"), message("m3")]
    assert page.has_more
    rest = await store.list_conversation_items("conv_1", "alice", after=page.items[-1].id, limit=4)
    assert rest is not None
    assert [each.item for each in rest.items] == [message("m2"), message("m1"), message("m0")]
    assert not rest.has_more
    oldest = await store.list_conversation_items("conv_1", "alice", limit=2, order="asc")
    assert oldest is not None
    assert [each.item for each in oldest.items] == [message("m0"), message("m1")]
    with pytest.raises(UnknownCursorError):
        await store.list_conversation_items("conv_1", "alice", after="msg_nope")

    one = await store.get_conversation_item("conv_1", "alice", added[2].id)
    assert one == StoredItem(added[2].id, message("m3"))
    assert await store.get_conversation_item("conv_1", "alice", "msg_nope") is None
    assert await store.delete_conversation_item("conv_1", "alice", added[2].id)
    assert not await store.delete_conversation_item("conv_1", "alice", added[2].id)
    assert await store.get_conversation_item("conv_1", "alice", added[2].id) is None
    assert message("m3") not in (await store.conversation_items("conv_1", "alice") or [])
    assert await store.add_conversation_items("conv_unknown", "alice", [message("x")]) is None
