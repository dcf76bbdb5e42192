"""The response store interface: what stateful Responses keep, and what every store guarantees.

`create_responses_router(..., store=...)` keeps responses, their input items, the event logs of
background streams and conversations in a `ResponseStore`. `InMemoryResponseStore` (one process) is
the reference implementation; a store for several workers (Redis) implements the same methods with
the same guarantees, and passes the same contract tests.

Rules every method follows:

- Records are plain data (`StoredResponse`, `StoredConversation`, `StoredItem`, `EventBatch`; defined
  in `openai_compat_responses.records`, importable from here), each with `to_dict()` / `from_dict()`
  for stores that keep JSON.
- Every record carries the *scope* (owner) it was created under, and every read takes a scope: a record
  of another scope is "not found", exactly as an unknown id (never a different answer or error).
- Ids are unique in a store (the router makes them: 128 random bits).
- "Running" means status `queued` or `in_progress`. A running response is never evicted or expired;
  once it reaches a terminal status (`completed`, `failed`, `incomplete`, `cancelled`) it is final:
  `update_response` is a compare-and-set on the status, so a result arriving after a cancel is dropped.
- Callers never mutate a record they passed in or got back (a store may keep and hand out the same
  objects); a store never mutates them either, it stores new ones.
- A store that cannot answer (its server is down) raises `StoreUnavailableError` within a bounded
  time: the router answers OpenAI's 503 envelope. It never answers "not found" for a record it has.
"""

import os
from collections.abc import AsyncIterator, Collection, Iterable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_responses.records import (
    RUNNING_STATUSES,
    TERMINAL_STATUSES,
    EventBatch,
    ItemPage,
    StoredConversation,
    StoredItem,
    StoredResponse,
)

Order = Literal["asc", "desc"]


# --- errors --------------------------------------------------------------------------------------


class StoreError(Exception):
    """Base class of the errors a store raises."""


class StoreUnavailableError(StoreError, OpenAIHTTPException):
    """The store cannot answer now (its server is unreachable, or it is full of running responses).

    The router answers it as it is: OpenAI's error envelope, status 503, `type` `server_error`,
    `code` `store_unavailable` and `x-should-retry: true` (the `openai` SDKs retry it).
    """

    def __init__(self, message: str = "The response store is unavailable; please retry shortly.") -> None:
        OpenAIHTTPException.__init__(
            self, 503, message, type="server_error", code="store_unavailable", headers={"x-should-retry": "true"}
        )


class EventsUnavailableError(StoreError):
    """The events asked for are not (or no longer) kept: never a silent gap.

    Raised by `ResponseStore.events` when the response has no event log (unknown id, another scope,
    not a streamed background response, its log was dropped), when the events right after `after`
    were trimmed (`first_kept` then says where the log starts), or while following a log that is
    dropped (the response was deleted or evicted) or trimmed past the reader.
    """

    def __init__(self, response_id: str, after: int, first_kept: int | None = None) -> None:
        self.response_id = response_id
        self.after = after
        self.first_kept = first_kept
        where = "no events are kept" if first_kept is None else f"the oldest kept is {first_kept}"
        super().__init__(f"The events of response '{response_id}' after {after} are not kept ({where}).")


class BrokenChainError(StoreError):
    """A response of a `previous_response_id` chain is gone (deleted, evicted or expired).

    `missing_id` names it; the whole history cannot be rebuilt, so none is returned.
    """

    def __init__(self, missing_id: str) -> None:
        self.missing_id = missing_id
        super().__init__(f"Response '{missing_id}' of the previous_response_id chain is no longer stored.")


class UnknownCursorError(StoreError):
    """A paging cursor (`after` or `before`) names no item of the list."""

    def __init__(self, item_id: str, param: str) -> None:
        self.item_id = item_id
        self.param = param
        super().__init__(f"No item with id '{item_id}' in this list.")


# --- the interface ---------------------------------------------------------------------------------


@runtime_checkable
class ResponseStore(Protocol):
    """Where the router keeps responses, their items, background event logs and conversations.

    Every method is async and may raise `StoreUnavailableError`. See the module docstring for the
    rules all methods share (scopes, running responses, compare-and-set, no mutation).
    """

    # -- responses --------------------------------------------------------------------------------

    async def create_response(self, record: StoredResponse) -> None:
        """Store a new response (its id is new).

        A record created running (a background response, `queued`) is held until it reaches a
        terminal status; a record created terminal (a response answered in the foreground, stored
        once it has ended) may be evicted or expire from then on.

        Raises:
            StoreUnavailableError: also when a bounded store is full of running responses.
        """
        ...

    async def get_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """The response, or None if it is unknown, of another scope, deleted, evicted or expired.

        Stores with leases (see `until_cancelled`) mark a running response whose lease ran out
        `failed` here, with an error saying so, and return that.
        """
        ...

    async def update_response(self, response_id: str, response: dict[str, Any], *, expected: Collection[str]) -> bool:
        """Replace the Response object if the stored status is one of `expected`; tell whether it did.

        Atomic compare-and-set on the status (any scope: the worker running a response calls it).
        `response["status"]` becomes the record's status; a terminal status is final for every later
        caller that expects a running one. False also when the response is gone.
        """
        ...

    async def cancel_response(self, response_id: str, scope: str) -> StoredResponse | None:
        """Cancel a running response; return the record as it is afterwards (None: not found).

        Atomically: a running response gets status `cancelled` (its Response object otherwise as
        stored) and its runner is told (see `until_cancelled`); a response already terminal is
        returned unchanged (cancelling twice, or after completion, is no error).
        """
        ...

    async def delete_response(self, response_id: str, scope: str) -> bool:
        """Delete a response, its input items and its event log; False if it was not found.

        A running response is cancelled first (its runner is told). Responses that continue it keep
        existing, but their history is broken from then on (see `history`).
        """
        ...

    async def history(self, response_id: str, scope: str) -> list[dict[str, Any]] | None:
        """The items a follow-up of `response_id` sees: None if `response_id` is not found.

        For each response of the chain, oldest first (walking `previous_response_id`): its own input
        items as they were sent, then its output items. Each response's items are stored once; this
        reads the chain. Reading it counts as a use of every response in it (LRU stores).

        Raises:
            BrokenChainError: an ancestor is gone.
        """
        ...

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
        """A page of the response's own input items (None: response not found); see `page_items`.

        Raises:
            UnknownCursorError: `after` or `before` names no item of the list.
        """
        ...

    # -- background runs and their event logs -----------------------------------------------------

    async def until_cancelled(self, response_id: str) -> None:
        """Return once the running response should stop: cancelled, deleted, or no longer running.

        The worker running a background response awaits it beside the work and cancels it when the
        work ends. It returns at once if the response is not running (or not found). Stores shared
        by several workers notice a cancel made elsewhere within about a second; stores with leases
        renew the running worker's lease while this waits (and return if the lease is lost).
        """
        ...

    async def append_events(self, response_id: str, batch: EventBatch, *, final: bool = False) -> None:
        """Add the next events to the response's log (its runner calls it; the first call makes the log).

        Batches follow each other without gaps (`batch.first` is the previous batch's `last + 1`).
        `final`: the batch ends with the terminal event; nothing is appended after it, and readers
        following the log end there. Logs are bounded (in events and bytes): the oldest events go
        first. No effect once the response is gone.
        """
        ...

    async def events(self, response_id: str, scope: str, *, after: int = -1) -> AsyncIterator[EventBatch]:
        """The response's events after sequence number `after`: those kept, then live ones until the final batch.

        Awaiting this checks, at once, that every event after `after` is still kept. The iterator
        then yields each event after `after` exactly once, in order, without gaps (the first batch
        split when `after` falls inside it), follows the log as batches are appended, and ends
        after the final batch (at once if `after` is at or past its end).

        Raises:
            EventsUnavailableError: when awaited, or while iterating (see its docstring).
        """
        ...

    # -- conversations ----------------------------------------------------------------------------

    async def create_conversation(
        self, conversation: StoredConversation, items: Sequence[dict[str, Any]] = ()
    ) -> list[StoredItem]:
        """Store a new conversation with its first items; return them with their ids (see `assign_item_ids`)."""
        ...

    async def get_conversation(self, conversation_id: str, scope: str) -> StoredConversation | None:
        """The conversation, or None if unknown, of another scope, deleted, evicted or expired."""
        ...

    async def update_conversation(
        self, conversation_id: str, scope: str, metadata: dict[str, str]
    ) -> StoredConversation | None:
        """Replace the conversation's metadata; the conversation afterwards, or None if not found."""
        ...

    async def delete_conversation(self, conversation_id: str, scope: str) -> bool:
        """Delete the conversation and its items; False if not found."""
        ...

    async def add_conversation_items(
        self, conversation_id: str, scope: str, items: Sequence[dict[str, Any]]
    ) -> list[StoredItem] | None:
        """Append items (after those already there); return them with their ids, or None if not found.

        Ids are unique in the conversation: an item keeps its own `id` unless it is taken (see `assign_item_ids`).
        """
        ...

    async def conversation_items(self, conversation_id: str, scope: str) -> list[dict[str, Any]] | None:
        """Every item of the conversation, oldest first, as sent or produced (None: not found)."""
        ...

    async def list_conversation_items(
        self,
        conversation_id: str,
        scope: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: Order = "desc",
    ) -> ItemPage | None:
        """A page of the conversation's items (None: conversation not found); see `page_items`.

        Raises:
            UnknownCursorError: `after` names no item of the conversation.
        """
        ...

    async def get_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> StoredItem | None:
        """One item of the conversation; None if the conversation or the item is not found."""
        ...

    async def delete_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> bool:
        """Delete one item of the conversation; False if the conversation or the item is not found."""
        ...


# --- helpers every store may use ------------------------------------------------------------------

_ID_PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "reasoning": "rs",
    "custom_tool_call": "ctc",
    "custom_tool_call_output": "ctco",
}


def new_item_id(item: Mapping[str, Any]) -> str:
    """A fresh id for an item, with its type's prefix (`msg_`, `fc_`, `fco_`, `rs_`, ..., else `item_`)."""
    prefix = _ID_PREFIXES.get(str(item.get("type", "message")), "item")
    return f"{prefix}_{os.urandom(16).hex()}"


def assign_item_ids(items: Iterable[Mapping[str, Any]], taken: Collection[str] = ()) -> list[StoredItem]:
    """Give every item an id unique in its list: its own `id` (a non-empty string not in `taken` nor
    used by an earlier item), else a fresh one from `new_item_id`. The items themselves are kept as they are.
    """
    used = set(taken)
    stored = []
    for item in items:
        own = item.get("id")
        item_id = own if isinstance(own, str) and own and own not in used else new_item_id(item)
        used.add(item_id)
        stored.append(StoredItem(item_id, dict(item)))
    return stored


def page_items(
    items: Sequence[StoredItem],
    *,
    after: str | None = None,
    before: str | None = None,
    limit: int = 20,
    order: Order = "desc",
) -> ItemPage:
    """One page of `items` (oldest first) as the list routes page: OpenAI's cursor paging.

    The list is taken in `order` (`asc`: oldest first, `desc`: newest first). `after` keeps the items
    that follow that item in this order, `before` those that precede it (both: those between). The
    page holds the first `limit` of them; with `before` alone, the `limit` nearest the cursor.
    `has_more` tells whether more items lie beyond the page in the direction of paging.

    Raises:
        UnknownCursorError: `after` or `before` names no item of the list.
    """
    ordered = list(items) if order == "asc" else list(reversed(items))
    positions = {item.id: index for index, item in enumerate(ordered)}
    start, end = 0, len(ordered)
    if after is not None:
        if after not in positions:
            raise UnknownCursorError(after, "after")
        start = positions[after] + 1
    if before is not None:
        if before not in positions:
            raise UnknownCursorError(before, "before")
        end = positions[before]
    window = ordered[start:end] if start < end else []
    if before is not None and after is None:
        return ItemPage(window[-limit:], len(window) > limit)
    return ItemPage(window[:limit], len(window) > limit)


__all__ = [
    "RUNNING_STATUSES",
    "TERMINAL_STATUSES",
    "BrokenChainError",
    "EventBatch",
    "EventsUnavailableError",
    "ItemPage",
    "Order",
    "ResponseStore",
    "StoreError",
    "StoreUnavailableError",
    "StoredConversation",
    "StoredItem",
    "StoredResponse",
    "UnknownCursorError",
    "assign_item_ids",
    "new_item_id",
    "page_items",
]
