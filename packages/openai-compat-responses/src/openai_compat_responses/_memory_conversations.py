"""The conversations of `InMemoryResponseStore`: each with its items by id, in the order they were added."""

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from openai_compat_responses.store import (
    ItemPage,
    Order,
    StoredConversation,
    StoredItem,
    assign_item_ids,
    page_items,
)


class Conversation:
    """A conversation as kept: its record, when it expires, and its items by id (in the order they were added)."""

    __slots__ = ("expires_at", "items", "record")

    def __init__(self, record: StoredConversation, expires_at: float) -> None:
        self.record = record
        self.expires_at = expires_at
        self.items: dict[str, StoredItem] = {}


class MemoryConversations:
    """The conversation methods of `ResponseStore`, in memory (the base of `InMemoryResponseStore`).

    Conversations are kept least recently used first, `max_conversations` at the most; each expires
    `ttl` after its last write.
    """

    max_conversations: int
    clock: Callable[[], float]
    _conversations: OrderedDict[str, Conversation]

    if TYPE_CHECKING:

        def _expiry(self) -> float: ...

    def _conversation(self, conversation_id: str, scope: str, *, touch: bool = True) -> Conversation | None:
        found = self._conversations.get(conversation_id)
        if found is None or found.record.scope != scope:
            return None
        if found.expires_at <= self.clock():
            del self._conversations[conversation_id]
            return None
        if touch:
            self._conversations.move_to_end(conversation_id)
        return found

    def _written(self, conversation: Conversation) -> None:
        conversation.expires_at = self._expiry()
        self._conversations.move_to_end(conversation.record.id)

    async def create_conversation(
        self, conversation: StoredConversation, items: Sequence[dict[str, Any]] = ()
    ) -> list[StoredItem]:
        """Store a new conversation with its first items (see `ResponseStore.create_conversation`)."""
        found = Conversation(conversation, self._expiry())
        stored = assign_item_ids(items)
        found.items = {item.id: item for item in stored}
        self._conversations[conversation.id] = found
        now = self.clock()
        while self._conversations:
            oldest_id, oldest = next(iter(self._conversations.items()))
            if oldest.expires_at > now and len(self._conversations) <= self.max_conversations:
                break
            del self._conversations[oldest_id]
        return stored

    async def get_conversation(self, conversation_id: str, scope: str) -> StoredConversation | None:
        """The conversation, or None (see `ResponseStore.get_conversation`)."""
        found = self._conversation(conversation_id, scope)
        return None if found is None else found.record

    async def update_conversation(
        self, conversation_id: str, scope: str, metadata: dict[str, str]
    ) -> StoredConversation | None:
        """Replace the conversation's metadata (see `ResponseStore.update_conversation`)."""
        found = self._conversation(conversation_id, scope)
        if found is None:
            return None
        old = found.record
        found.record = StoredConversation(old.id, old.scope, old.created_at, dict(metadata))
        self._written(found)
        return found.record

    async def delete_conversation(self, conversation_id: str, scope: str) -> bool:
        """Delete a conversation and its items (see `ResponseStore.delete_conversation`)."""
        if self._conversation(conversation_id, scope, touch=False) is None:
            return False
        del self._conversations[conversation_id]
        return True

    async def add_conversation_items(
        self, conversation_id: str, scope: str, items: Sequence[dict[str, Any]]
    ) -> list[StoredItem] | None:
        """Append items to a conversation (see `ResponseStore.add_conversation_items`)."""
        found = self._conversation(conversation_id, scope)
        if found is None:
            return None
        stored = assign_item_ids(items, found.items)
        found.items.update((item.id, item) for item in stored)
        self._written(found)
        return stored

    async def conversation_items(self, conversation_id: str, scope: str) -> list[dict[str, Any]] | None:
        """Every item of the conversation, oldest first (see `ResponseStore.conversation_items`)."""
        found = self._conversation(conversation_id, scope)
        return None if found is None else [stored.item for stored in found.items.values()]

    async def list_conversation_items(
        self,
        conversation_id: str,
        scope: str,
        *,
        after: str | None = None,
        limit: int = 20,
        order: Order = "desc",
    ) -> ItemPage | None:
        """A page of the conversation's items (see `ResponseStore.list_conversation_items`)."""
        found = self._conversation(conversation_id, scope)
        if found is None:
            return None
        return page_items(list(found.items.values()), after=after, limit=limit, order=order)

    async def get_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> StoredItem | None:
        """One item of a conversation (see `ResponseStore.get_conversation_item`)."""
        found = self._conversation(conversation_id, scope)
        return None if found is None else found.items.get(item_id)

    async def delete_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> bool:
        """Delete one item of a conversation (see `ResponseStore.delete_conversation_item`)."""
        found = self._conversation(conversation_id, scope)
        if found is None or found.items.pop(item_id, None) is None:
            return False
        self._written(found)
        return True


__all__ = ["Conversation", "MemoryConversations"]
