"""Uvicorn processes sharing one Redis, driven by the `openai` SDK: every stateful call works through any worker,
and Redis stopped, restarted or hung under them gives bounded 503s, no hang, no crash, no cut stream.

The workers are `worker_app.py` processes (see `conftest.py`); their callbacks wait for the test on
lists of a second Redis (`control`), and report there when they start and when they are closed, so
each step waits on a real hand-off. In the fault tests the workers' store `timeout` is 1 s. What the
store holds afterwards (documented in `RedisResponseStore` and docs/deploying.md): Redis restarted
without persistence has lost what it held (404); a background response that ended while Redis hung
has its final status written once Redis answers again, with its whole event log.
"""

import concurrent.futures
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
import redis
from openai.types.responses import ResponseStreamEvent

from openai_compat_responses.redis_testing import RedisServer
from openai_compat_responses.testing import check_events

WAIT = 20  # seconds any hand-off may take before the test fails instead of hanging
CANCEL_NOTICE = 3  # seconds within which a cancel or delete made on one worker stops the callback on the other


def sdk(worker: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=worker.base_url, api_key="unused", max_retries=0, timeout=WAIT)


def take(events: Iterator[ResponseStreamEvent], until: Callable[[ResponseStreamEvent], bool]) -> list[Any]:
    """Read events until one matches `until` (included); fail if the stream ends first."""
    taken = []
    for event in events:
        taken.append(event)
        if until(event):
            return taken
    pytest.fail(f"the stream ended before the awaited event; got {[e.type for e in taken]}")


def delta(text: str) -> Callable[[ResponseStreamEvent], bool]:
    return lambda event: event.type == "response.output_text.delta" and event.delta == text


def kind(name: str) -> Callable[[ResponseStreamEvent], bool]:
    return lambda event: event.type == name


def started_on(control: redis.Redis, gate: str) -> str:
    popped = control.blpop([f"test:started:{gate}"], timeout=WAIT)
    assert popped is not None, "the callback never started"
    return popped[1].decode()


def closed_on(control: redis.Redis, gate: str, timeout: float) -> str | None:
    popped = control.blpop([f"test:closed:{gate}"], timeout=timeout)
    return None if popped is None else popped[1].decode()


def wire(events: list[Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(event.type, event.model_dump(mode="json", exclude_unset=True, warnings=False)) for event in events]


def test_a_background_stream_made_on_one_worker_is_followed_resumed_and_deleted_on_the_other(
    workers: Callable[..., list[Any]], control: redis.Redis
) -> None:
    a, b = workers(2)
    gate = uuid.uuid4().hex
    with sdk(a) as client_a, sdk(b) as client_b:
        stream = client_a.responses.create(
            model="gated", input="hi", background=True, stream=True, metadata={"gate": gate}
        )
        on_a = iter(stream)
        seen = take(on_a, kind("response.queued"))
        assert seen[0].type == "response.created"
        assert seen[0].response.status == "queued"
        response_id = seen[0].response.id
        assert started_on(control, gate) == "A"
        control.rpush(f"test:gate:{gate}", "go", "go")
        seen += take(on_a, delta("step-1 "))

        assert client_b.responses.retrieve(response_id).status == "in_progress"
        # B resumes inside the stream: what is kept, then live.
        point = seen[-3].sequence_number
        on_b = iter(client_b.responses.retrieve(response_id, stream=True, starting_after=point))
        replayed = take(on_b, delta("step-1 "))
        assert wire(replayed) == wire([event for event in seen if event.sequence_number > point])

        control.rpush(f"test:gate:{gate}", "go")
        live_a = take(on_a, delta("step-2 "))
        live_b = take(on_b, delta("step-2 "))
        assert wire(live_a) == wire(live_b)
        control.rpush(f"test:gate:{gate}", "end")
        end_a = take(on_a, kind("response.completed"))
        end_b = take(on_b, kind("response.completed"))
        assert wire(end_a) == wire(end_b)
        everything = seen + live_a + end_a
        final = check_events(wire(everything))
        assert final["status"] == "completed"

        retrieved = client_b.responses.retrieve(response_id)
        assert retrieved.status == "completed"
        assert retrieved.output_text == "step-0 step-1 step-2 "
        # The SDK's stream helper resumes a finished background stream from any point, through either worker.
        with client_a.responses.stream(response_id=response_id, starting_after=4) as helper:
            resumed = list(helper)
            assert helper.get_final_response().output_text == "step-0 step-1 step-2 "
        # (The helper adds its own `snapshot` field to text deltas: compare what the server sent.)
        expected = [(event.type, event.sequence_number) for event in everything if event.sequence_number > 4]
        assert [(event.type, event.sequence_number) for event in resumed] == expected
        items = client_b.responses.input_items.list(response_id)
        assert [[part.text for part in item.content] for item in items.data] == [["hi"]]  # type: ignore[union-attr]

        client_b.responses.delete(response_id)
        with pytest.raises(openai.NotFoundError):
            client_a.responses.retrieve(response_id)
        with pytest.raises(openai.NotFoundError):
            client_a.responses.input_items.list(response_id)


def test_a_cancel_through_one_worker_stops_the_callback_on_the_other(
    workers: Callable[..., list[Any]], control: redis.Redis
) -> None:
    a, b = workers(2)
    for model in ("gated", "sync-gated"):
        gate = uuid.uuid4().hex
        with sdk(a) as client_a, sdk(b) as client_b:
            created = client_a.responses.create(model=model, input="hi", background=True, metadata={"gate": gate})
            assert created.status == "queued"
            assert started_on(control, gate) == "A"
            asked = time.monotonic()
            cancelled = client_b.responses.cancel(created.id)
            assert cancelled.status == "cancelled"
            if model == "gated":
                # An async callback is cancelled where it waits.
                where = closed_on(control, gate, CANCEL_NOTICE)
                assert where == "A", f"the callback on A was not stopped within {CANCEL_NOTICE} s"
                assert time.monotonic() - asked < CANCEL_NOTICE
            else:
                # A sync generator is closed at its next chunk once A has noticed: give it chunks until then.
                where = None
                deadline = time.monotonic() + WAIT
                while where is None and time.monotonic() < deadline:
                    control.rpush(f"test:gate:{gate}", "go")
                    where = closed_on(control, gate, 0.2)
                assert where == "A"

            # Terminal is final, and a second cancel (through either worker) answers it unchanged.
            assert client_a.responses.retrieve(created.id).status == "cancelled"
            assert client_a.responses.cancel(created.id).status == "cancelled"
            assert client_b.responses.cancel(created.id).status == "cancelled"


def test_cancels_and_completion_racing_across_workers_agree_on_one_status(
    workers: Callable[..., list[Any]], control: redis.Redis
) -> None:
    a, b = workers(2)
    statuses = set()
    with sdk(a) as client_a, sdk(b) as client_b, concurrent.futures.ThreadPoolExecutor(3) as pool:
        for _ in range(6):
            gate = uuid.uuid4().hex
            created = client_a.responses.create(model="gated", input="hi", background=True, metadata={"gate": gate})
            started_on(control, gate)
            racing = [
                pool.submit(client_a.responses.cancel, created.id),
                pool.submit(client_b.responses.cancel, created.id),
                pool.submit(control.rpush, f"test:gate:{gate}", "end"),
            ]
            answers = [future.result(WAIT) for future in racing[:2]]
            racing[2].result(WAIT)
            final = client_b.responses.retrieve(created.id)
            deadline = time.monotonic() + WAIT
            while final.status in ("queued", "in_progress") and time.monotonic() < deadline:
                final = client_b.responses.retrieve(created.id)  # the completion is being written
            assert final.status in ("completed", "cancelled")
            statuses.add(final.status)
            for answer in answers:
                assert answer.status in (final.status, "in_progress")
            # Once settled, both workers and every later cancel see the same final status.
            assert client_a.responses.retrieve(created.id).status == final.status
            assert client_a.responses.cancel(created.id).status == final.status
            assert client_b.responses.cancel(created.id).status == final.status


def test_previous_response_id_chains_and_conversations_alternate_between_workers(
    workers: Callable[..., list[Any]],
) -> None:
    a, b = workers(2)
    with sdk(a) as client_a, sdk(b) as client_b:
        first = client_a.responses.create(model="echo", input="one")
        assert first.output_text == "one"
        second = client_b.responses.create(model="echo", input="two", previous_response_id=first.id)
        assert second.output_text.split("\n") == ["one", "one", "two"]
        third = client_a.responses.create(model="echo", input="three", previous_response_id=second.id)
        assert third.output_text.split("\n") == ["one", "one", "two", "one", "one", "two", "three"]
        fourth = client_b.responses.create(model="echo", input="four", previous_response_id=third.id)
        assert fourth.output_text.split("\n")[-2:] == ["three", "four"]
        with pytest.raises(openai.BadRequestError) as unknown:
            client_a.responses.create(model="echo", input="x", previous_response_id="resp_unknown")
        assert unknown.value.code == "previous_response_not_found"

        conversation = client_a.conversations.create(items=[{"type": "message", "role": "user", "content": "hello"}])
        answered = client_b.responses.create(model="echo", input="again", conversation=conversation.id)
        assert answered.output_text.split("\n") == ["hello", "again"]
        items = client_a.conversations.items.list(conversation.id, order="asc")
        assert [item.type for item in items.data] == ["message", "message", "message"]
        added = [{"type": "message", "role": "user", "content": "x"}]
        client_a.conversations.items.create(conversation.id, items=added)  # type: ignore[list-item]
        answered = client_b.responses.create(model="echo", input="last", conversation=conversation.id)
        assert answered.output_text.split("\n") == ["hello", "again", "hello", "again", "x", "last"]
        client_b.conversations.delete(conversation.id)
        with pytest.raises(openai.NotFoundError):
            client_a.conversations.retrieve(conversation.id)


def test_a_delete_through_one_worker_stops_a_response_running_on_the_other(
    workers: Callable[..., list[Any]], control: redis.Redis
) -> None:
    a, b = workers(2)
    gate = uuid.uuid4().hex
    with sdk(a) as client_a, sdk(b) as client_b:
        created = client_a.responses.create(model="gated", input="hi", background=True, metadata={"gate": gate})
        assert started_on(control, gate) == "A"
        client_b.responses.delete(created.id)
        assert closed_on(control, gate, CANCEL_NOTICE) == "A"
        with pytest.raises(openai.NotFoundError):
            client_a.responses.retrieve(created.id)


def test_a_worker_that_dies_leaves_its_response_failed_once_the_lease_runs_out(
    workers: Callable[..., list[Any]], control: redis.Redis
) -> None:
    a, b = workers(2, LEASE="1", POLL_INTERVAL="0.2")
    gate, streamed_gate = uuid.uuid4().hex, uuid.uuid4().hex
    with sdk(a) as client_a, sdk(b) as client_b:
        plain = client_a.responses.create(model="gated", input="hi", background=True, metadata={"gate": gate})
        stream = client_a.responses.create(
            model="gated", input="hi", background=True, stream=True, metadata={"gate": streamed_gate}
        )
        on_a = iter(stream)
        head = take(on_a, kind("response.queued"))
        streamed_id = head[0].response.id
        started_on(control, gate)
        started_on(control, streamed_gate)
        control.rpush(f"test:gate:{streamed_gate}", "go")
        point = take(on_a, delta("step-0 "))[-1].sequence_number
        on_b = iter(client_b.responses.retrieve(streamed_id, stream=True, starting_after=point - 1))
        assert wire(take(on_b, delta("step-0 ")))[-1][1]["sequence_number"] == point

        a.kill()
        assert client_b.responses.retrieve(plain.id).status == "in_progress"  # the lease still runs
        # B's live reader sees the log end with `response.failed` once the lease has run out.
        ended = take(on_b, kind("response.failed"))
        assert ended[-1].response.status == "failed"
        assert "lease expired" in ended[-1].response.error.message
        deadline = time.monotonic() + WAIT
        polled = client_b.responses.retrieve(plain.id)
        while polled.status == "in_progress" and time.monotonic() < deadline:
            polled = client_b.responses.retrieve(plain.id)
        assert polled.status == "failed"
        assert polled.error is not None
        assert "lease expired" in polled.error.message
        assert client_b.responses.retrieve(streamed_id).status == "failed"


def test_every_key_has_a_ttl(
    workers: Callable[..., list[Any]], control: redis.Redis, redis_server: RedisServer
) -> None:
    (a,) = workers(1, TTL="300")
    gate = uuid.uuid4().hex
    with sdk(a) as client:
        first = client.responses.create(model="echo", input="one")
        client.responses.create(model="echo", input="two", previous_response_id=first.id)
        conversation = client.conversations.create(items=[{"type": "message", "role": "user", "content": "hi"}])
        client.responses.create(model="echo", input="x", conversation=conversation.id)
        stream = client.responses.create(
            model="gated", input="hi", background=True, stream=True, metadata={"gate": gate}
        )
        events = iter(stream)
        take(events, kind("response.queued"))
        started_on(control, gate)
        store = redis.Redis.from_url(redis_server.url)
        kinds = set()
        for key in store.scan_iter():
            ttl = store.pttl(key)
            assert 0 < ttl <= 300_000, f"{key!r} has TTL {ttl} ms"
            kinds.add(key.decode().split(":")[1])
        assert kinds == {"response", "lease", "events", "conversation", "conversation-items", "conversation-order"}
        control.rpush(f"test:gate:{gate}", "end")
        take(events, kind("response.completed"))
        keys = list(store.scan_iter())
        assert keys
        assert all(0 < store.pttl(key) <= 300_000 for key in keys)
        store.close()


# --- Redis stopped, restarted or hung ----------------------------------------------------------------

BOUND = 5.0  # seconds: a 503 must come well within this (the store's timeout is 1 s), never a hang


def unavailable(call: Callable[[], Any]) -> None:
    """`call` fails with OpenAI's 503 envelope (`store_unavailable`) within `BOUND` seconds."""
    started = time.monotonic()
    with pytest.raises(openai.InternalServerError) as failed:
        call()
    took = time.monotonic() - started
    assert failed.value.status_code == 503
    assert failed.value.code == "store_unavailable"
    assert failed.value.type == "server_error"
    assert took < BOUND, f"the 503 took {took:.1f} s"


def test_requests_that_need_redis_get_a_503_while_it_is_down_and_work_after_a_restart(
    workers: Callable[..., list[Any]], redis_server: RedisServer
) -> None:
    (a,) = workers(1, TIMEOUT="1")
    with sdk(a) as client:
        kept = client.responses.create(model="echo", input="one")
        conversation = client.conversations.create()
        redis_server.stop()

        unavailable(lambda: client.responses.retrieve(kept.id))
        unavailable(lambda: client.responses.delete(kept.id))
        unavailable(lambda: client.responses.cancel(kept.id))
        unavailable(lambda: client.responses.input_items.list(kept.id))
        unavailable(lambda: client.responses.create(model="echo", input="two", previous_response_id=kept.id))
        unavailable(lambda: client.responses.create(model="echo", input="two"))  # `store` defaults to true
        unavailable(lambda: client.responses.create(model="echo", input="two", background=True))
        unavailable(client.conversations.create)
        unavailable(lambda: client.conversations.retrieve(conversation.id))
        unavailable(lambda: client.conversations.items.list(conversation.id))
        unavailable(lambda: client.responses.create(model="echo", input="two", conversation=conversation.id))
        # What does not need the store still works, and a stream to its client is not cut by the failed save.
        assert client.responses.create(model="echo", input="two", store=False).output_text == "two"
        streamed = list(client.responses.create(model="echo", input="three", stream=True))
        assert streamed[-1].type == "response.completed"
        assert streamed[-1].response.output_text == "three"

        redis_server.start()  # empty: it kept nothing (persistence off)
        with pytest.raises(openai.NotFoundError):
            client.responses.retrieve(kept.id)
        again = client.responses.create(model="echo", input="four")
        assert client.responses.retrieve(again.id).output_text == "four"
    assert a.process is not None
    assert a.process.poll() is None  # no crash
    assert "Redis unavailable" in a.log()


def test_a_hung_redis_gets_a_503_within_the_timeout(
    workers: Callable[..., list[Any]], redis_server: RedisServer
) -> None:
    (a,) = workers(1, TIMEOUT="1")
    with sdk(a) as client:
        kept = client.responses.create(model="echo", input="one")
        redis_server.pause()
        try:
            unavailable(lambda: client.responses.retrieve(kept.id))
            unavailable(lambda: client.responses.create(model="echo", input="two", previous_response_id=kept.id))
        finally:
            redis_server.resume()
        assert client.responses.retrieve(kept.id).output_text == "one"


def test_a_background_stream_goes_on_while_redis_is_down_and_is_gone_after_a_restart(
    workers: Callable[..., list[Any]], redis_server: RedisServer, control: redis.Redis
) -> None:
    a, b = workers(2, TIMEOUT="1")
    gate = uuid.uuid4().hex
    with sdk(a) as client_a, sdk(b) as client_b:
        stream = client_a.responses.create(
            model="gated", input="hi", background=True, stream=True, metadata={"gate": gate}
        )
        on_a = iter(stream)
        seen = take(on_a, kind("response.queued"))
        response_id = seen[0].response.id
        started_on(control, gate)
        control.rpush(f"test:gate:{gate}", "go")
        seen += take(on_a, delta("step-0 "))

        redis_server.stop()
        control.rpush(f"test:gate:{gate}", "go", "go")
        seen += take(on_a, delta("step-2 "))
        unavailable(lambda: client_b.responses.retrieve(response_id))
        control.rpush(f"test:gate:{gate}", "end")
        seen += take(on_a, kind("response.completed"))
        assert seen[-1].response.output_text == "step-0 step-1 step-2 "
        assert [event.sequence_number for event in seen] == list(range(len(seen)))

        redis_server.start()  # without persistence it lost the response: gone, as documented
        with pytest.raises(openai.NotFoundError):
            client_b.responses.retrieve(response_id)
    assert "Redis unavailable" in a.log()


def test_a_background_response_ending_while_redis_hangs_is_written_when_it_answers_again(
    workers: Callable[..., list[Any]], redis_server: RedisServer, control: redis.Redis
) -> None:
    a, b = workers(2, TIMEOUT="1")
    gate = uuid.uuid4().hex
    with sdk(a) as client_a, sdk(b) as client_b:
        stream = client_a.responses.create(
            model="gated", input="hi", background=True, stream=True, metadata={"gate": gate}
        )
        on_a = iter(stream)
        seen = take(on_a, kind("response.queued"))
        response_id = seen[0].response.id
        started_on(control, gate)
        control.rpush(f"test:gate:{gate}", "go")
        seen += take(on_a, delta("step-0 "))

        redis_server.pause()
        try:
            control.rpush(f"test:gate:{gate}", "go", "end")
            seen += take(on_a, kind("response.completed"))  # the live stream is not cut
        finally:
            redis_server.resume()
        assert seen[-1].response.output_text == "step-0 step-1 "

        deadline = time.monotonic() + WAIT
        retrieved = client_b.responses.retrieve(response_id)
        while retrieved.status != "completed" and time.monotonic() < deadline:
            retrieved = client_b.responses.retrieve(response_id)  # A writes the final status once Redis answers
        assert retrieved.status == "completed"
        assert retrieved.output_text == "step-0 step-1 "
        replayed = take(iter(client_b.responses.retrieve(response_id, stream=True)), kind("response.completed"))
        assert wire(replayed) == wire(seen)
    assert "Redis unavailable" in a.log()
