"""The Conversations API on the response store: conversations, their items, and the request bodies of both."""

# No `from __future__ import annotations` here: FastAPI must resolve the endpoints' annotations.

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import Field, field_validator
from starlette.requests import Request
from starlette.responses import Response

from openai_compat_core.bodies import parse_json_body, read_json_body, request_body_openapi
from openai_compat_core.encoding import json_response
from openai_compat_core.models import ErrorResponse, OpenAIBaseModel
from openai_compat_responses._objects import new_id, now
from openai_compat_responses._records import list_envelope, listed_item, not_found, page_envelope, unknown_cursor
from openai_compat_responses.models import InputItem
from openai_compat_responses.stateful import StatefulResponsesPipeline
from openai_compat_responses.store import ResponseStore, StoredConversation, UnknownCursorError

MAX_ITEMS_PER_REQUEST = 20
"""How many items one request may add to a conversation (OpenAI's limit)."""


def _check_metadata(value: dict[str, str] | None) -> dict[str, str] | None:
    # OpenAI's limits on metadata: 16 pairs, keys up to 64 characters, values up to 512.
    if value is None:
        return None
    if len(value) > 16:
        raise ValueError("at most 16 key-value pairs")
    for key, text in value.items():
        if len(key) > 64 or len(text) > 512:
            raise ValueError("keys have at most 64 characters, values at most 512")
    return value


class ConversationCreateRequest(OpenAIBaseModel):
    """The body of `POST /v1/conversations`."""

    items: list[InputItem] | None = Field(
        default=None, max_length=MAX_ITEMS_PER_REQUEST, description="Initial items (up to 20)."
    )
    metadata: dict[str, str] | None = Field(default=None, description="Up to 16 key-value pairs.")

    _metadata = field_validator("metadata")(_check_metadata)


class ConversationUpdateRequest(OpenAIBaseModel):
    """The body of `POST /v1/conversations/{conversation_id}`."""

    metadata: dict[str, str] = Field(description="Up to 16 key-value pairs; replaces the conversation's metadata.")

    _metadata = field_validator("metadata")(_check_metadata)


class ConversationItemsRequest(OpenAIBaseModel):
    """The body of `POST /v1/conversations/{conversation_id}/items`."""

    items: list[InputItem] = Field(
        min_length=1, max_length=MAX_ITEMS_PER_REQUEST, description="The items to add (1 to 20)."
    )


def add_conversation_routes(
    router: APIRouter, pipeline: StatefulResponsesPipeline, *, tags: list[Any], responses: dict[int | str, Any]
) -> None:
    """Add the Conversations API (`/v1/conversations...`, and the aliases without `/v1`) on the pipeline's store."""
    store = pipeline.store
    limits = {"max_body_size": pipeline.max_body_size, "max_json_depth": pipeline.max_json_depth}

    async def conversation_of(request: Request, conversation_id: str) -> tuple[str, StoredConversation]:
        scope = await pipeline.scope(request)
        return scope, await _conversation(store, conversation_id, scope)

    async def create_conversation(request: Request) -> Response:
        raw = await request.body()
        # Every field is optional: an empty body is an empty conversation.
        parsed = (
            parse_json_body(ConversationCreateRequest, raw, max_json_depth=limits["max_json_depth"]) if raw else None
        )
        scope = await pipeline.scope(request)
        conversation = StoredConversation(new_id("conv"), scope, now(), (parsed and parsed.metadata) or {})
        await store.create_conversation(conversation, (parsed and parsed.items) or [])
        return json_response(conversation.to_object())

    async def retrieve_conversation(request: Request, conversation_id: str) -> Response:
        _, found = await conversation_of(request, conversation_id)
        return json_response(found.to_object())

    async def update_conversation(request: Request, conversation_id: str) -> Response:
        parsed = await read_json_body(request, ConversationUpdateRequest, **limits)
        scope = await pipeline.scope(request)
        updated = await store.update_conversation(conversation_id, scope, parsed.metadata)
        if updated is None:
            raise not_found("Conversation", conversation_id)
        return json_response(updated.to_object())

    async def delete_conversation(request: Request, conversation_id: str) -> Response:
        scope = await pipeline.scope(request)
        if not await store.delete_conversation(conversation_id, scope):
            raise not_found("Conversation", conversation_id)
        return json_response({"id": conversation_id, "object": "conversation.deleted", "deleted": True})

    async def create_items(request: Request, conversation_id: str) -> Response:
        parsed = await read_json_body(request, ConversationItemsRequest, **limits)
        scope = await pipeline.scope(request)
        added = await store.add_conversation_items(conversation_id, scope, parsed.items)
        if added is None:
            raise not_found("Conversation", conversation_id)
        return json_response(list_envelope(added, False))

    async def list_items(
        request: Request,
        conversation_id: str,
        after: str | None = Query(None, description="List the items after this item id."),
        limit: int = Query(20, ge=1, le=100, description="How many items, 1 to 100."),
        order: Literal["asc", "desc"] = Query("desc", description="`asc`: oldest first; `desc`: newest first."),
    ) -> Response:
        scope = await pipeline.scope(request)
        try:
            page = await store.list_conversation_items(conversation_id, scope, after=after, limit=limit, order=order)
        except UnknownCursorError as exc:
            raise unknown_cursor(exc) from exc
        if page is None:
            raise not_found("Conversation", conversation_id)
        return json_response(page_envelope(page))

    async def retrieve_item(request: Request, conversation_id: str, item_id: str) -> Response:
        scope = await pipeline.scope(request)
        item = await store.get_conversation_item(conversation_id, scope, item_id)
        if item is None:
            await _conversation(store, conversation_id, scope)  # read only on this way: the 404 names what is missing
            raise not_found("Item", item_id)
        return json_response(listed_item(item))

    async def delete_item(request: Request, conversation_id: str, item_id: str) -> Response:
        scope, found = await conversation_of(request, conversation_id)
        if not await store.delete_conversation_item(conversation_id, scope, item_id):
            raise not_found("Item", item_id)
        return json_response(found.to_object())

    _register(
        router,
        [
            ("", create_conversation, "POST", "create", "Create a conversation", ConversationCreateRequest),
            ("/{conversation_id}", retrieve_conversation, "GET", "retrieve", "Retrieve a conversation", None),
            (
                "/{conversation_id}",
                update_conversation,
                "POST",
                "update",
                "Update a conversation",
                ConversationUpdateRequest,
            ),
            ("/{conversation_id}", delete_conversation, "DELETE", "delete", "Delete a conversation", None),
            ("/{conversation_id}/items", create_items, "POST", "items_create", "Add items", ConversationItemsRequest),
            ("/{conversation_id}/items", list_items, "GET", "items_list", "List items", None),
            ("/{conversation_id}/items/{item_id}", retrieve_item, "GET", "items_retrieve", "Retrieve an item", None),
            ("/{conversation_id}/items/{item_id}", delete_item, "DELETE", "items_delete", "Delete an item", None),
        ],
        tags=tags,
        responses=responses,
    )


async def _conversation(store: ResponseStore, conversation_id: str, scope: str) -> StoredConversation:
    found = await store.get_conversation(conversation_id, scope)
    if found is None:
        raise not_found("Conversation", conversation_id)
    return found


def _register(
    router: APIRouter,
    routes: list[tuple[str, Any, str, str, str, Any]],
    *,
    tags: list[Any],
    responses: dict[int | str, Any],
) -> None:
    not_found_doc: dict[int | str, Any] = {
        404: {"model": ErrorResponse, "description": "Unknown conversation or item (or one of another scope)."},
        503: {"model": ErrorResponse, "description": "The response store cannot answer now."},
    }
    for prefix, suffix in (("/v1/conversations", ""), ("/conversations", "_alias")):
        for path, endpoint, method, name, summary, body in routes:
            router.add_api_route(
                prefix + path,
                endpoint,
                methods=[method],
                tags=tags,
                summary=summary,
                operation_id=f"openai_conversations_{name}{suffix}",
                responses={**responses, **not_found_doc},
                openapi_extra=request_body_openapi(body) if body is not None else None,
            )


__all__ = [
    "MAX_ITEMS_PER_REQUEST",
    "ConversationCreateRequest",
    "ConversationItemsRequest",
    "ConversationUpdateRequest",
    "add_conversation_routes",
]
