"""The conversations of `RedisResponseStore`: a hash, the items by id, and their order, per conversation."""

import json
from collections.abc import Sequence
from typing import Any

from openai_compat_core.encoding import dumps
from openai_compat_responses._redis_plumbing import RedisPlumbing, data, text
from openai_compat_responses.store import (
    ItemPage,
    Order,
    StoredConversation,
    StoredItem,
    assign_item_ids,
    new_item_id,
    page_items,
)


class RedisConversations(RedisPlumbing):
    """The conversation methods of `ResponseStore`, in Redis (each an atomic script or transaction)."""

    def _conversation_keys(self, conversation_id: str) -> list[str]:
        kinds = ("conversation", "conversation-items", "conversation-order")
        return [self._key(kind, conversation_id) for kind in kinds]

    async def create_conversation(
        self, conversation: StoredConversation, items: Sequence[dict[str, Any]] = ()
    ) -> list[StoredItem]:
        """Store a new conversation with its first items (see `ResponseStore.create_conversation`)."""
        stored = assign_item_ids(items)
        keys = self._conversation_keys(conversation.id)

        async def write() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.delete(*keys)
                fields: dict[str, str | int | bytes] = {
                    "scope": conversation.scope,
                    "created": conversation.created_at,
                    "next": len(stored),
                    "metadata": dumps(conversation.metadata),
                }
                pipe.hset(keys[0], mapping=fields)  # type: ignore[arg-type] # redis-py's mapping type is invariant
                if stored:
                    pipe.hset(keys[1], mapping={each.id: dumps(each.item) for each in stored})
                    pipe.zadd(keys[2], {each.id: position for position, each in enumerate(stored, 1)})
                for key in keys:
                    pipe.pexpire(key, self._ttl_ms)
                await pipe.execute()

        await self._call("create conversation", write())
        return stored

    async def get_conversation(self, conversation_id: str, scope: str) -> StoredConversation | None:
        """The conversation, or None (see `ResponseStore.get_conversation`)."""
        key = self._key("conversation", conversation_id)
        found = await self._call("get conversation", self.client.hmget(key, ["scope", "created", "metadata"]))
        if found[0] is None or text(found[0]) != scope:
            return None
        return StoredConversation(conversation_id, scope, int(text(found[1])), json.loads(data(found[2])))

    async def update_conversation(
        self, conversation_id: str, scope: str, metadata: dict[str, str]
    ) -> StoredConversation | None:
        """Replace the conversation's metadata (see `ResponseStore.update_conversation`)."""
        keys = self._conversation_keys(conversation_id)
        created = await self._script("UPDATE_CONVERSATION", keys, [scope, dumps(metadata), self._ttl_ms])
        if created is None:
            return None
        return StoredConversation(conversation_id, scope, int(text(created)), dict(metadata))

    async def delete_conversation(self, conversation_id: str, scope: str) -> bool:
        """Delete a conversation and its items (see `ResponseStore.delete_conversation`)."""
        return bool(await self._script("DELETE_CONVERSATION", self._conversation_keys(conversation_id), [scope]))

    async def add_conversation_items(
        self, conversation_id: str, scope: str, items: Sequence[dict[str, Any]]
    ) -> list[StoredItem] | None:
        """Append items to a conversation (see `ResponseStore.add_conversation_items`): one atomic script call."""
        args: list[Any] = [scope, self._ttl_ms, len(items)]
        for item in items:
            own = item.get("id")
            args += [own if isinstance(own, str) else "", new_item_id(item), dumps(item)]
        ids = await self._script("ADD_ITEMS", self._conversation_keys(conversation_id), args)
        if ids is None:
            return None
        return [StoredItem(text(item_id), dict(item)) for item_id, item in zip(ids, items, strict=True)]

    async def _items(self, conversation_id: str, scope: str) -> list[StoredItem] | None:
        found = await self._script("ITEMS", self._conversation_keys(conversation_id), [scope])
        if found is None:
            return None
        return [StoredItem(text(found[i]), json.loads(found[i + 1])) for i in range(0, len(found), 2)]

    async def conversation_items(self, conversation_id: str, scope: str) -> list[dict[str, Any]] | None:
        """Every item of the conversation, oldest first (see `ResponseStore.conversation_items`)."""
        stored = await self._items(conversation_id, scope)
        return None if stored is None else [each.item for each in stored]

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
        stored = await self._items(conversation_id, scope)
        return None if stored is None else page_items(stored, after=after, limit=limit, order=order)

    async def get_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> StoredItem | None:
        """One item of a conversation (see `ResponseStore.get_conversation_item`)."""
        keys = self._conversation_keys(conversation_id)[:2]
        found = await self._script("GET_ITEM", keys, [scope, item_id])
        if found is None or not found:
            return None
        return StoredItem(item_id, json.loads(found))

    async def delete_conversation_item(self, conversation_id: str, scope: str, item_id: str) -> bool:
        """Delete one item of a conversation (see `ResponseStore.delete_conversation_item`)."""
        keys = self._conversation_keys(conversation_id)
        return bool(await self._script("DELETE_ITEM", keys, [scope, item_id, self._ttl_ms]))
