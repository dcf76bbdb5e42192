"""What `RedisResponseStore` does beyond the store contract: several workers on one Redis, leases, caps, TTLs, outages.

Two store objects on one real `redis-server` stand for two workers (each keeps its own local state,
as two processes would). The contract itself is `test_responses_store_contract.py`.
"""

import asyncio
import logging
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio

from openai_compat_responses.redis_store import RedisResponseStore
from openai_compat_responses.redis_testing import RedisServer
from openai_compat_responses.store import (
    EventBatch,
    EventsUnavailableError,
    StoredResponse,
    StoreUnavailableError,
    assign_item_ids,
)

WAIT = 10  # seconds any awaited hand-off may take before the test fails instead of hanging
RUNNING = ("queued", "in_progress")

MakeStore = Callable[..., RedisResponseStore]


@pytest.fixture
async def make_store(redis_server: RedisServer) -> AsyncIterator[MakeStore]:
    made: list[RedisResponseStore] = []

    def make(**options: Any) -> RedisResponseStore:
        store = RedisResponseStore.from_url(redis_server.url, **{"poll_interval": 0.1, **options})
        made.append(store)
        return store

    yield make
    for store in made:
        await store.aclose()


def record(response_id: str, status: str = "in_progress", *, stream: bool = True, **fields: Any) -> StoredResponse:
    response = {"id": response_id, "object": "response", "status": status, "output": []}
    return StoredResponse(
        id=response_id, scope="s", response=response, background=status in RUNNING, stream=stream, **fields
    )


def batch(first: int, last: int, pad: int = 0) -> EventBatch:
    frames = [
        b'event: e\ndata: {"type":"e","sequence_number":%d,"pad":"%s"}\n\n' % (n, b"x" * pad)
        for n in range(first, last + 1)
    ]
    return EventBatch(first, last, b"".join(frames))


def numbers(batches: list[EventBatch]) -> list[int]:
    return [n for each in batches for n in range(each.first, each.last + 1)]


async def collect(iterator: AsyncIterator[EventBatch]) -> list[EventBatch]:
    return [each async for each in iterator]


def test_the_package_does_not_import_redis() -> None:
    code = "import sys, openai_compat_responses; print('redis' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.strip() == "False"


def test_bounds_must_be_positive(redis_server: RedisServer) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    for bad in ({"ttl": 0}, {"lease": -1}, {"timeout": 0}, {"max_events_per_response": 0}, {"max_event_bytes": 0}):
        with pytest.raises(ValueError, match="positive"):
            RedisResponseStore(client, **bad)


async def test_a_store_around_your_client_leaves_it_open(redis_server: RedisServer) -> None:
    client = redis.asyncio.Redis.from_url(redis_server.url)
    store = RedisResponseStore(client, key_prefix="app1:")
    await store.create_response(record("resp_1", "completed", stream=False))
    assert (await store.get_response("resp_1", "s")) is not None
    await store.aclose()
    assert await client.exists("app1:response:resp_1") == 1  # still usable: the store did not close it
    await client.aclose()


async def test_a_cancel_made_on_one_worker_wakes_the_runner_on_the_other(make_store: MakeStore) -> None:
    a, b = make_store(), make_store()
    await a.create_response(record("resp_1"))
    runner = asyncio.ensure_future(a.until_cancelled("resp_1"))
    cancelled = await b.cancel_response("resp_1", "s")
    assert cancelled is not None
    assert cancelled.status == "cancelled"
    await asyncio.wait_for(runner, WAIT)
    assert not await a.update_response("resp_1", {"id": "resp_1", "status": "completed"}, expected=RUNNING)


async def test_a_worker_follows_the_log_another_writes_live(make_store: MakeStore) -> None:
    a, b = make_store(), make_store()
    await a.create_response(record("resp_1"))
    await a.append_events("resp_1", batch(0, 1))
    reader = asyncio.ensure_future(collect(await b.events("resp_1", "s")))
    late = asyncio.ensure_future(collect(await b.events("resp_1", "s", after=0)))
    for first in range(2, 30, 4):
        await a.append_events("resp_1", batch(first, first + 3))
    await a.append_events("resp_1", batch(30, 30), final=True)
    assert numbers(await asyncio.wait_for(reader, WAIT)) == list(range(31))
    assert numbers(await asyncio.wait_for(late, WAIT)) == list(range(1, 31))
    # Many batches were written in few entries (one write per flush).
    raw = redis.asyncio.Redis.from_url(a.client.connection_pool.connection_kwargs and _url(a))
    assert await raw.xlen("openai-compat:events:resp_1") < 9
    await raw.aclose()


def _url(store: RedisResponseStore) -> str:
    kwargs = store.client.connection_pool.connection_kwargs
    return f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs.get('db', 0)}"


async def test_a_delete_on_one_worker_ends_the_runner_and_readers_on_the_other(make_store: MakeStore) -> None:
    a, b = make_store(), make_store()
    await a.create_response(record("resp_1"))
    await a.append_events("resp_1", batch(0, 2))
    runner = asyncio.ensure_future(a.until_cancelled("resp_1"))
    here = await a.events("resp_1", "s")
    assert numbers([await here.__anext__()]) == [0, 1, 2]
    there = await b.events("resp_1", "s")
    assert numbers([await there.__anext__()]) == [0, 1, 2]
    assert await b.delete_response("resp_1", "s")
    await asyncio.wait_for(runner, WAIT)
    with pytest.raises(EventsUnavailableError):
        await asyncio.wait_for(here.__anext__(), WAIT)
    with pytest.raises(EventsUnavailableError):
        await asyncio.wait_for(there.__anext__(), WAIT)


async def test_an_expired_lease_fails_the_response_and_ends_its_log(make_store: MakeStore) -> None:
    dead, alive = make_store(lease=0.3), make_store()
    await dead.create_response(record("resp_1"))
    await dead.append_events("resp_1", batch(0, 2))
    # `dead` never renews its lease (no until_cancelled): as a worker that was killed.
    reader = asyncio.ensure_future(collect(await alive.events("resp_1", "s", after=1)))
    found = await asyncio.wait_for(reader, WAIT)  # the reader itself notices the lease ran out
    assert numbers(found) == [2, 3]
    assert b"event: response.failed" in found[-1].data
    failed = await alive.get_response("resp_1", "s")
    assert failed is not None
    assert failed.status == "failed"
    assert "lease expired" in failed.response["error"]["message"]
    replay = await collect(await alive.events("resp_1", "s"))
    assert numbers(replay) == [0, 1, 2, 3]


async def test_a_renewed_lease_keeps_the_response_running(make_store: MakeStore, redis_server: RedisServer) -> None:
    worker, reader = make_store(lease=0.3, poll_interval=0.05), make_store()
    await worker.create_response(record("resp_1"))
    runner = asyncio.ensure_future(worker.until_cancelled("resp_1"))
    client = redis.asyncio.Redis.from_url(redis_server.url)
    # Wait until the lease was renewed several times (its TTL goes back up), then check the status.
    renewals = 0
    previous = await client.pttl("openai-compat:lease:resp_1")
    deadline = asyncio.get_running_loop().time() + WAIT
    while renewals < 5 and asyncio.get_running_loop().time() < deadline:
        ttl = await client.pttl("openai-compat:lease:resp_1")
        renewals += ttl > previous
        previous = ttl
    assert renewals == 5
    found = await reader.get_response("resp_1", "s")
    assert found is not None
    assert found.status == "in_progress"
    assert not runner.done()
    await reader.cancel_response("resp_1", "s")
    await asyncio.wait_for(runner, WAIT)
    await client.aclose()


async def test_event_logs_are_capped_in_events_and_bytes(make_store: MakeStore, redis_server: RedisServer) -> None:
    writer, reader = make_store(max_events_per_response=10, max_event_bytes=10_000), make_store()
    await writer.create_response(record("resp_1"))
    for n in range(40):
        await writer.append_events("resp_1", batch(n, n))
        if n % 5 == 4:
            await writer._writers["resp_1"].drain(WAIT)  # noqa: SLF001 - one entry per five batches
    await writer.append_events("resp_1", batch(40, 40), final=True)
    with pytest.raises(EventsUnavailableError) as trimmed:
        await reader.events("resp_1", "s")
    # Entries of five events: the log keeps the newest entries holding at most ten events.
    assert trimmed.value.first_kept is not None
    assert 31 <= trimmed.value.first_kept <= 35
    assert numbers(await collect(await reader.events("resp_1", "s", after=34))) == list(range(35, 41))

    await writer.create_response(record("resp_2"))
    for n in range(20):
        await writer.append_events("resp_2", batch(n, n, pad=2_000), final=n == 19)
    client = redis.asyncio.Redis.from_url(redis_server.url)
    assert int(await client.hget("openai-compat:response:resp_2", "evb")) <= 10_000
    kept = await client.xrange("openai-compat:events:resp_2")
    assert sum(len(fields[b"d"]) for _, fields in kept) <= 10_000
    await client.aclose()


async def test_continuing_a_chain_keeps_its_ancestors(make_store: MakeStore, redis_server: RedisServer) -> None:
    store = make_store(ttl=100)
    await store.create_response(record("resp_1", "completed", stream=False, input_items=assign_item_ids([])))
    await store.create_response(record("resp_2", "completed", stream=False, previous_response_id="resp_1"))
    client = redis.asyncio.Redis.from_url(redis_server.url)
    await client.pexpire("openai-compat:response:resp_1", 1_000)
    assert await store.history("resp_2", "s") == []
    assert await client.pttl("openai-compat:response:resp_1") > 50_000
    await client.aclose()


class Failures(logging.Handler):
    """Counts the store's "Redis unavailable" warnings and lets a test wait for them."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0
        self.changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Redis unavailable"):
            self.count += 1
            self.changed.set()

    async def wait_for(self, count: int) -> None:
        while self.count < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), WAIT)


@pytest.fixture
def failures() -> Any:
    handler = Failures()
    logger = logging.getLogger("fastapi_openai_compat.responses.redis")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


async def test_redis_down_or_hung_fails_within_the_timeout_and_the_runner_goes_on(
    make_store: MakeStore, redis_server: RedisServer, failures: Failures
) -> None:
    store = make_store(timeout=0.5)
    await store.create_response(record("resp_1"))
    await store.append_events("resp_1", batch(0, 0))
    runner = asyncio.ensure_future(store.until_cancelled("resp_1"))
    here = await store.events("resp_1", "s")
    assert numbers([await here.__anext__()]) == [0]
    loop = asyncio.get_running_loop()

    for number, outage in enumerate((redis_server.pause, redis_server.stop), 1):
        outage()
        seen = failures.count
        started = loop.time()
        with pytest.raises(StoreUnavailableError):
            await store.get_response("resp_1", "s")
        assert loop.time() - started < 3
        # A runner does not stop because Redis cannot be reached; appends do not raise; readers here go on.
        await failures.wait_for(seen + 3)
        assert not runner.done()
        await store.append_events("resp_1", batch(number, number))
        assert numbers([await asyncio.wait_for(here.__anext__(), WAIT)]) == [number]
        if outage == redis_server.pause:
            redis_server.resume()
            found = await store.get_response("resp_1", "s")
            assert found is not None
            assert found.status == "in_progress"
    redis_server.start()  # empty: the response is gone, and its runner and readers learn it
    await asyncio.wait_for(runner, WAIT)
    with pytest.raises(EventsUnavailableError):
        await asyncio.wait_for(here.__anext__(), WAIT)
    assert await store.get_response("resp_1", "s") is None
