"""`RedisResponseStore`: stateful Responses shared by every worker and host that uses one Redis.

Needs the `redis` extra (`pip install "openai-compat-responses[redis]"`: redis-py's asyncio client)::

    store = RedisResponseStore.from_url("redis://localhost:6379/0", ttl=24 * 3600)
    app.include_router(create_responses_router(..., store=store))

Any worker can then retrieve, delete, cancel, list the input items of and resume the stream of a
response another worker created, continue its `previous_response_id` chain, and use the same
conversations. A background response runs on the worker that created it: that worker renews a lease
on it, polls for a cancel made elsewhere, and writes its events to Redis in batches. A worker that
dies leaves its running responses to be marked `failed` by the next reader once the lease runs out.

What happens when Redis is unreachable or restarted is described in `RedisResponseStore`. Not for
Redis Cluster (a `previous_response_id` chain is read in one script that walks across keys);
Sentinel and replicas work through the client you pass in.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Collection
from typing import Any

import redis.asyncio
import redis.exceptions
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from openai_compat_core.encoding import dumps
from openai_compat_responses import _redis_scripts as lua
from openai_compat_responses._redis_conversations import RedisConversations
from openai_compat_responses._redis_logs import EventWriter, LocalLog
from openai_compat_responses._redis_plumbing import logger, text
from openai_compat_responses._redis_reader import follow
from openai_compat_responses._redis_runs import RedisRuns
from openai_compat_responses.memory import DEFAULT_MAX_EVENTS_PER_RESPONSE, DEFAULT_TTL
from openai_compat_responses.store import (
    RUNNING_STATUSES,
    BrokenChainError,
    EventBatch,
    EventsUnavailableError,
    ItemPage,
    Order,
    StoredResponse,
    StoreUnavailableError,
    page_items,
)

DEFAULT_LEASE = 30.0
"""Seconds a background response stays `in_progress` after its worker last renewed its lease."""

DEFAULT_TIMEOUT = 5.0
"""Seconds a store operation may take before it fails with `StoreUnavailableError` (503)."""

DEFAULT_POLL_INTERVAL = 0.5
"""Seconds between two checks, by the worker running a background response, for a cancel made elsewhere."""

DEFAULT_MAX_EVENT_BYTES = 16 * 1024 * 1024
"""Bytes one background stream's event log may take in Redis, by default (16 MiB)."""

DEFAULT_FLUSH_INTERVAL = 0.02
"""Seconds a worker gathers the events of a background stream before it writes them to Redis."""

LEASE_EXPIRED = {
    "code": "server_error",
    "message": "The worker running this response stopped before the response ended (its lease expired).",
}
"""The `error` of a background response whose worker stopped renewing its lease."""


class RedisResponseStore(RedisRuns, RedisConversations):
    """A `ResponseStore` in Redis, shared by every worker and host that uses it.

    Args:
        client: a `redis.asyncio.Redis` (any URL, TLS, Sentinel or credentials set up your way). Its
            `socket_timeout` must be longer than one second (followers of a live stream block that long).
        ttl: seconds a response, its event log, or a conversation is kept after its last write (a
            running response is kept while it runs; continuing a `previous_response_id` chain keeps
            the whole chain `ttl` longer). Every key the store writes has a TTL.
        lease: seconds a background response stays running after its worker last renewed it; then
            the next reader marks it `failed` (`LEASE_EXPIRED`). Renewed every `poll_interval`.
        poll_interval: seconds between two checks, by the worker running a background response, for a
            cancel or delete made through another worker (one made through this worker acts at once).
        timeout: seconds any operation may take; beyond it, or when Redis cannot be reached, it
            raises `StoreUnavailableError` (the router's 503 envelope) and logs why.
        key_prefix: put before every key (several apps can share one Redis database).
        max_events_per_response: events one background stream's log keeps (the oldest go first; a
            resume from an event no longer kept gets a clear error).
        max_event_bytes: bytes one background stream's log keeps.
        flush_interval: seconds the events of a background stream are gathered before one write.

    When Redis is unreachable (down, restarting, or hung), requests that need it get a 503 within
    `timeout`; a background response goes on running: its own client's live stream is served from
    the worker's memory, and its events and final status are written when Redis answers again
    (after 60 s of failures they are dropped: a resume across lost events gets the "no longer kept"
    error, and a status never written leaves the response to be marked `failed` once its lease runs
    out). Redis restarted without persistence has lost everything it held: those ids answer 404, and
    a response running through the restart is stopped as if it had been deleted.
    """

    def __init__(
        self,
        client: "redis.asyncio.Redis",
        *,
        ttl: float = DEFAULT_TTL,
        lease: float = DEFAULT_LEASE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        key_prefix: str = "openai-compat:",
        max_events_per_response: int = DEFAULT_MAX_EVENTS_PER_RESPONSE,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
    ) -> None:
        if ttl <= 0 or lease <= 0 or poll_interval <= 0 or timeout <= 0:
            raise ValueError("ttl, lease, poll_interval and timeout of RedisResponseStore must be positive")
        if max_events_per_response < 1 or max_event_bytes < 1 or flush_interval < 0:
            raise ValueError("the event log bounds of RedisResponseStore must be positive")
        self.client = client
        self.ttl = ttl
        self.lease = lease
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.key_prefix = key_prefix
        self.max_events_per_response = max_events_per_response
        self.max_event_bytes = max_event_bytes
        self.flush_interval = flush_interval
        self._ttl_ms = int(ttl * 1000)
        self._lease_ms = int(lease * 1000)
        self._owns_client = False
        self._local: dict[str, LocalLog] = {}  # logs of the background streams this worker runs
        self._writers: dict[str, EventWriter] = {}
        self._wakes: dict[str, asyncio.Event] = {}  # runners here, woken by a cancel or delete made here
        self._retries: set[asyncio.Task[None]] = set()  # final statuses waiting for Redis
        self._scripts = {
            name: client.register_script(getattr(lua, name))
            for name in (
                "CREATE_RESPONSE",
                "GET_RESPONSE",
                "UPDATE_RESPONSE",
                "CANCEL_RESPONSE",
                "DELETE_RESPONSE",
                "HEARTBEAT",
                "APPEND_EVENTS",
                "LOG_STATE",
                "HISTORY",
                "ADD_ITEMS",
                "ITEMS",
                "GET_ITEM",
                "DELETE_ITEM",
                "UPDATE_CONVERSATION",
                "DELETE_CONVERSATION",
            )
        }

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        ttl: float = DEFAULT_TTL,
        lease: float = DEFAULT_LEASE,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        key_prefix: str = "openai-compat:",
        max_events_per_response: int = DEFAULT_MAX_EVENTS_PER_RESPONSE,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        **client_options: Any,
    ) -> "RedisResponseStore":
        """A store on a new client for `url` (`redis://[user:password@]host:port/db`, `rediss://...`, `unix://...`).

        The store options are those of the constructor; `client_options` go to
        `redis.asyncio.Redis.from_url` (defaults here: connect timeout 2 s, socket timeout 5 s, one
        quick retry, which reconnects after a Redis restart). `aclose()` closes the client.
        """
        options: dict[str, Any] = {
            "socket_connect_timeout": 2.0,
            "socket_timeout": 5.0,
            "retry": Retry(ExponentialBackoff(cap=0.05, base=0.01), 1),
            **client_options,
        }
        store = cls(
            redis.asyncio.Redis.from_url(url, **options),
            ttl=ttl,
            lease=lease,
            poll_interval=poll_interval,
            timeout=timeout,
            key_prefix=key_prefix,
            max_events_per_response=max_events_per_response,
            max_event_bytes=max_event_bytes,
            flush_interval=flush_interval,
        )
        store._owns_client = True
        return store

    async def aclose(self) -> None:
        """Write the events still queued (at most `timeout` seconds), then close the client if `from_url` made it."""
        for writer in list(self._writers.values()):
            await writer.drain(self.timeout)
        if self._owns_client:
            await self.client.aclose()

    # -- responses --------------------------------------------------------------------------------

    async def create_response(self, record: StoredResponse) -> None:
        """Store a new response (see `ResponseStore.create_response`); a running one gets its lease."""
        data = record.to_dict()
        scope = data.pop("scope")
        response = data.pop("response")
        args = [
            scope,
            record.status,
            dumps(data),
            dumps(response),
            record.previous_response_id or "",
            self._ttl_ms,
            self._lease_ms if record.running else 0,
        ]
        await self._script("CREATE_RESPONSE", self._response_keys(record.id)[:2], args)
        if record.running:
            self._wakes[record.id] = asyncio.Event()
            if record.stream:
                self._local[record.id] = LocalLog(
                    scope, max_events=self.max_events_per_response, max_bytes=self.max_event_bytes
                )

    def _record(self, response_id: str, scope: str, fields: list[Any]) -> StoredResponse:
        status, meta, response, error = (text(value) if value is not None else "" for value in fields[:4])
        data = json.loads(meta)
        obj = json.loads(response)
        obj["status"] = status
        if status == "failed" and error:
            obj["error"] = json.loads(error)
        return StoredResponse.from_dict({**data, "id": response_id, "scope": scope, "response": obj})

    async def get_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """The response, or None; a running one whose lease ran out is marked `failed` here."""
        fields = await self._script("GET_RESPONSE", self._response_keys(response_id)[:2], [scope, dumps(LEASE_EXPIRED)])
        if fields is None:
            return None
        record = self._record(response_id, scope, fields)
        if int(fields[4]):
            logger.warning("Background response %s marked failed: its worker's lease expired", response_id)
            if record.stream:
                await self._end_log(response_id, record.response)
        return record

    async def update_response(self, response_id: str, response: dict[str, Any], *, expected: Collection[str]) -> bool:
        """Compare-and-set the Response object on its status (see `ResponseStore.update_response`)."""
        status = str(response.get("status"))
        args = [",".join(expected), status, dumps(response), self._ttl_ms]
        keys = self._response_keys(response_id)[:2]
        try:
            done = bool(await self._script("UPDATE_RESPONSE", keys, args))
        except StoreUnavailableError:
            if status not in RUNNING_STATUSES and response_id in self._wakes:
                # The end of a response running here: written as soon as Redis is back (if it still has it).
                retry = asyncio.get_running_loop().create_task(self._write_later(response_id, keys, args))
                self._retries.add(retry)
                retry.add_done_callback(self._retries.discard)
            raise
        local = self._local.get(response_id)
        if done and local is not None and status not in RUNNING_STATUSES:
            local.finished_here = True
        return done

    async def cancel_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """Cancel a running response (see `ResponseStore.cancel_response`); its worker stops within `poll_interval`."""
        if not await self._script("CANCEL_RESPONSE", self._response_keys(response_id)[:2], [scope, self._ttl_ms]):
            return None
        self._wake(response_id)
        return await self.get_response(response_id, scope)

    async def delete_response(self, response_id: str, scope: str) -> bool:
        """Delete a response, its lease and its event log (see `ResponseStore.delete_response`)."""
        if not await self._script("DELETE_RESPONSE", self._response_keys(response_id), [scope]):
            return False
        self._forget(response_id)
        self._wake(response_id)
        return True

    async def history(self, response_id: str, scope: str) -> list[dict[str, Any]] | None:
        """The items a follow-up sees, oldest first (see `ResponseStore.history`): one script call."""
        args = [self._key("response", ""), scope, self._ttl_ms]
        found = await self._script("HISTORY", [self._key("response", response_id)], args)
        if found is None:
            return None
        if text(found[0]) == "broken":
            raise BrokenChainError(text(found[1]))
        items: list[dict[str, Any]] = []
        chain = [(found[i], found[i + 1]) for i in range(1, len(found), 3)]
        for meta, response in reversed(chain):
            items.extend(stored["item"] for stored in json.loads(meta)["input_items"])
            items.extend(json.loads(response).get("output") or [])
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
        record = await self.get_response(response_id, scope)
        if record is None:
            return None
        return page_items(record.input_items, after=after, before=before, limit=limit, order=order)

    # -- reading event logs (`RedisRuns` writes them) ------------------------------------------------

    async def events(self, response_id: str, scope: str, *, after: int = -1) -> AsyncIterator[EventBatch]:
        """The events after `after`, then live ones (see `ResponseStore.events`).

        A stream this worker runs is read from its memory; any other from Redis, following it live
        (new batches arrive within `flush_interval` of their making).
        """
        local = self._local.get(response_id)
        if local is not None and local.scope == scope and local.covers(after):
            return local.follow(response_id, after)
        state = await self._script("LOG_STATE", self._response_keys(response_id)[::2], [scope])
        if state is None or not state[1]:
            raise EventsUnavailableError(response_id, after)
        first_kept = int(text(state[1]).split("-")[0])
        if after + 1 < first_kept:
            raise EventsUnavailableError(response_id, after, first_kept)
        keys = self._response_keys(response_id)
        return follow(
            response_id,
            after,
            client=self.client,
            events_key=keys[2],
            call=self._call,
            log_state=lambda: self._script("LOG_STATE", keys[::2], [scope]),
            check_lease=lambda: self.get_response(response_id, scope),
        )


__all__ = [
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_LEASE",
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_POLL_INTERVAL",
    "DEFAULT_TIMEOUT",
    "LEASE_EXPIRED",
    "RedisResponseStore",
]
