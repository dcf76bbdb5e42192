"""How stored records are answered: items as list routes show them, list envelopes, the errors of stateful routes."""

from collections.abc import Sequence
from typing import Any

from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_responses._objects import output_text_part
from openai_compat_responses.store import ItemPage, StoredItem, UnknownCursorError

# Item types whose API form carries a `status` (`completed` once stored).
_WITH_STATUS = frozenset({"message", "function_call", "function_call_output", "custom_tool_call_output"})


def listed_item(stored: StoredItem) -> dict[str, Any]:
    """An item as the list and retrieve routes show it: with its id and the fields OpenAI's item types require.

    A message's text content becomes one `input_text` part (`output_text` for the assistant); messages,
    function calls and their outputs get `status: "completed"` when they have none.
    """
    item = dict(stored.item)
    item["id"] = stored.id
    kind = item.setdefault("type", "message")
    if kind == "message":
        content = item.get("content")
        if isinstance(content, str):
            part = (
                output_text_part(content)
                if item.get("role") == "assistant"
                else {"type": "input_text", "text": content}
            )
            item["content"] = [part]
    if kind in _WITH_STATUS and item.get("status") is None:
        item["status"] = "completed"
    return item


def list_envelope(items: Sequence[StoredItem], has_more: bool) -> dict[str, Any]:
    """OpenAI's list object: `data`, `first_id`, `last_id` (null for an empty page), `has_more`."""
    data = [listed_item(item) for item in items]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def page_envelope(page: ItemPage) -> dict[str, Any]:
    """The list object of a page."""
    return list_envelope(page.items, page.has_more)


def not_found(what: str, object_id: str) -> OpenAIHTTPException:
    """404 `<What> with id '<id>' not found.`, type `invalid_request_error`, code `not_found`."""
    return OpenAIHTTPException(404, f"{what} with id '{object_id}' not found.", code="not_found")


def unknown_cursor(exc: UnknownCursorError) -> OpenAIHTTPException:
    """400 naming the paging parameter whose item id is not in the list."""
    return OpenAIHTTPException(
        400,
        f"Invalid '{exc.param}': no item with id '{exc.item_id}' in this list.",
        param=exc.param,
        code="invalid_value",
    )


def previous_not_found(response_id: str) -> OpenAIHTTPException:
    """400 `previous_response_not_found`: clients (Codex, ...) recover from it by sending the whole context."""
    return OpenAIHTTPException(
        400,
        f"Previous response with id '{response_id}' not found.",
        param="previous_response_id",
        code="previous_response_not_found",
    )


def invalid(message: str, param: str, code: str | None = None) -> OpenAIHTTPException:
    """400 `invalid_request_error` naming `param`."""
    return OpenAIHTTPException(400, message, param=param, code=code)


__all__ = [
    "invalid",
    "list_envelope",
    "listed_item",
    "not_found",
    "page_envelope",
    "previous_not_found",
    "unknown_cursor",
]
