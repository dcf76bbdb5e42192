"""The records a `ResponseStore` keeps: responses, items, conversations, pages and event batches.

Plain data, each with `to_dict()` / `from_dict()` for stores that keep JSON. Import them from
`openai_compat_responses.store` (or the package), where the store interface is.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from openai_compat_core.sse import split_frames

RUNNING_STATUSES = frozenset({"queued", "in_progress"})
"""Statuses of a response that is still running (never evicted, never expired)."""

TERMINAL_STATUSES = frozenset({"completed", "failed", "incomplete", "cancelled"})
"""Final statuses: a response that reached one never changes status again."""


@dataclass
class StoredItem:
    """One item of a list the store pages through (a response's input items, a conversation's items).

    Attributes:
        id: the item's id in its list, unique there: the item's own `id` when it had one not taken
            already, else one the store assigned (`msg_...`, `fc_...`, ...; see `assign_item_ids`).
        item: the item exactly as it was sent or produced (without an id the store assigned).
    """

    id: str
    item: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data."""
        return {"id": self.id, "item": self.item}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StoredItem":
        """The record `to_dict` made."""
        return cls(id=data["id"], item=dict(data["item"]))


@dataclass
class StoredResponse:
    """A stored response: the Response object, the request's own input items, and how it relates to others.

    Attributes:
        id: the response id (`resp_...`), also `response["id"]`.
        scope: the owner it was created under (see `store_scope` of the router).
        response: the Response object as clients get it; `response["status"]` is the record's status.
        input_items: this request's own input items (not its ancestors': those are stored once, with
            them, and found by walking `previous_response_id`).
        previous_response_id: the response this one continues, if any.
        conversation_id: the conversation it was created in, if any.
        background: created with `background: true` (only those can be cancelled).
        stream: created with `stream: true` too: its events are logged for `GET ...?stream=true`.
    """

    id: str
    scope: str
    response: dict[str, Any]
    input_items: list[StoredItem] = field(default_factory=list)
    previous_response_id: str | None = None
    conversation_id: str | None = None
    background: bool = False
    stream: bool = False

    @property
    def status(self) -> str:
        """The response's status (`queued`, `in_progress`, or a terminal one)."""
        return str(self.response.get("status"))

    @property
    def running(self) -> bool:
        """Whether the status is `queued` or `in_progress`."""
        return self.status in RUNNING_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data."""
        return {
            "id": self.id,
            "scope": self.scope,
            "response": self.response,
            "input_items": [item.to_dict() for item in self.input_items],
            "previous_response_id": self.previous_response_id,
            "conversation_id": self.conversation_id,
            "background": self.background,
            "stream": self.stream,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StoredResponse":
        """The record `to_dict` made."""
        return cls(
            id=data["id"],
            scope=data["scope"],
            response=dict(data["response"]),
            input_items=[StoredItem.from_dict(item) for item in data.get("input_items") or []],
            previous_response_id=data.get("previous_response_id"),
            conversation_id=data.get("conversation_id"),
            background=bool(data.get("background")),
            stream=bool(data.get("stream")),
        )


@dataclass
class StoredConversation:
    """A conversation (its items are kept beside it, see the conversation methods of `ResponseStore`).

    Attributes:
        id: the conversation id (`conv_...`).
        scope: the owner it was created under.
        created_at: creation time, Unix seconds.
        metadata: up to 16 string pairs, as the client set them.
    """

    id: str
    scope: str
    created_at: int
    metadata: dict[str, str] = field(default_factory=dict)

    def to_object(self) -> dict[str, Any]:
        """The conversation object clients get (`object: "conversation"`)."""
        return {"id": self.id, "object": "conversation", "created_at": self.created_at, "metadata": self.metadata}

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-able data."""
        return {"id": self.id, "scope": self.scope, "created_at": self.created_at, "metadata": self.metadata}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StoredConversation":
        """The record `to_dict` made."""
        return cls(
            id=data["id"], scope=data["scope"], created_at=int(data["created_at"]), metadata=dict(data["metadata"])
        )


@dataclass
class ItemPage:
    """One page of a list of items.

    Attributes:
        items: the page's items, in the order asked for.
        has_more: whether more items follow the page in the direction of paging.
    """

    items: list[StoredItem]
    has_more: bool


@dataclass(frozen=True)
class EventBatch:
    """Consecutive events of a response's stream, as the SSE bytes clients get.

    Attributes:
        first: the `sequence_number` of the first event in `data`.
        last: the `sequence_number` of the last one (`last - first + 1` events, no gaps).
        data: the events' SSE frames (`event: ...\\ndata: {...}\\n\\n` each).
    """

    first: int
    last: int
    data: bytes

    def after(self, sequence_number: int) -> "EventBatch | None":
        """The part of this batch after `sequence_number` (None when nothing is left)."""
        if sequence_number < self.first:
            return self
        if sequence_number >= self.last:
            return None
        frames = split_frames(self.data)
        skip = sequence_number - self.first + 1
        return EventBatch(sequence_number + 1, self.last, b"".join(frames[skip:]))

    def to_dict(self) -> dict[str, Any]:
        """The batch as JSON-able data (`data` as text: SSE frames are UTF-8)."""
        return {"first": self.first, "last": self.last, "data": self.data.decode()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "EventBatch":
        """The batch `to_dict` made."""
        return cls(first=int(data["first"]), last=int(data["last"]), data=str(data["data"]).encode())


__all__ = [
    "RUNNING_STATUSES",
    "TERMINAL_STATUSES",
    "EventBatch",
    "ItemPage",
    "StoredConversation",
    "StoredItem",
    "StoredResponse",
]
