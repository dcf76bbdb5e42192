"""The routes of stored responses: retrieve (and resume its stream), delete, cancel, list input items."""

# No `from __future__ import annotations` here: FastAPI must resolve the endpoints' annotations.

from typing import Any, Literal

from fastapi import APIRouter, Query
from starlette.requests import Request
from starlette.responses import Response

from openai_compat_core.encoding import json_response
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.models import ErrorResponse
from openai_compat_responses._records import invalid, not_found, page_envelope, unknown_cursor
from openai_compat_responses.background import replay_response
from openai_compat_responses.stateful import StatefulResponsesPipeline
from openai_compat_responses.store import UnknownCursorError

CANCEL_WAIT = 5.0
"""Seconds a cancel waits for this worker's task of the response to record the output it made."""

_STREAM_EVENTS = {"text/event-stream": {"schema": {"type": "string", "description": "The response's events."}}}


def add_response_routes(
    router: APIRouter, pipeline: StatefulResponsesPipeline, *, tags: list[Any], responses: dict[int | str, Any]
) -> None:
    """Add `GET`/`DELETE /v1/responses/{id}`, `POST .../cancel`, `GET .../input_items`, and their aliases."""
    store = pipeline.store

    async def retrieve_response(
        request: Request,
        response_id: str,
        stream: bool = Query(False, description="Stream the response's events (a background stream's log)."),
        starting_after: int | None = Query(
            None, description="With `stream`, send only the events after this sequence number."
        ),
    ) -> Response:
        scope = await pipeline.scope(request)
        record = await store.get_response(response_id, scope)
        if record is None:
            raise not_found("Response", response_id)
        if not stream:
            return json_response(record.response)
        if not (record.background and record.stream):
            raise invalid(
                f"Response '{response_id}' was not created with `background` and `stream`: it has no events to stream.",
                "stream",
            )
        after = -1 if starting_after is None else max(starting_after, -1)
        return await replay_response(store, response_id, scope, after)

    async def delete_response(request: Request, response_id: str) -> Response:
        scope = await pipeline.scope(request)
        # A running response is cancelled first: the store tells its task to stop.
        if not await store.delete_response(response_id, scope):
            raise not_found("Response", response_id)
        return json_response({"id": response_id, "object": "response", "deleted": True})

    async def cancel_response(request: Request, response_id: str) -> Response:
        scope = await pipeline.scope(request)
        record = await store.get_response(response_id, scope)
        if record is None:
            raise not_found("Response", response_id)
        if not record.background:
            raise OpenAIHTTPException(400, "Cannot cancel a synchronous response.")
        if not record.running:
            return json_response(record.response)  # finished (cancelled or not): unchanged
        cancelled = await store.cancel_response(response_id, scope)
        if cancelled is None:
            raise not_found("Response", response_id)
        # The task running it here records the output it made before it stopped; then answer that.
        await pipeline.runner.settled(response_id, CANCEL_WAIT)
        settled = await store.get_response(response_id, scope)
        return json_response((settled or cancelled).response)

    async def list_input_items(
        request: Request,
        response_id: str,
        *,
        after: str | None = Query(None, description="List the items after this item id."),
        before: str | None = Query(None, description="List the items before this item id."),
        limit: int = Query(20, ge=1, le=100, description="How many items, 1 to 100."),
        order: Literal["asc", "desc"] = Query("desc", description="`asc`: in the order sent; `desc`: newest first."),
    ) -> Response:
        scope = await pipeline.scope(request)
        try:
            page = await store.list_input_items(
                response_id, scope, after=after, before=before, limit=limit, order=order
            )
        except UnknownCursorError as exc:
            raise unknown_cursor(exc) from exc
        if page is None:
            raise not_found("Response", response_id)
        return json_response(page_envelope(page))

    not_found_doc: dict[int | str, Any] = {
        404: {"model": ErrorResponse, "description": "Unknown response (or one of another scope)."},
        503: {"model": ErrorResponse, "description": "The response store cannot answer now."},
    }
    routes = [
        ("/{response_id}", retrieve_response, "GET", "retrieve", "Retrieve a response (or stream its events)"),
        ("/{response_id}", delete_response, "DELETE", "delete", "Delete a response"),
        ("/{response_id}/cancel", cancel_response, "POST", "cancel", "Cancel a background response"),
        ("/{response_id}/input_items", list_input_items, "GET", "input_items", "List a response's input items"),
    ]
    for prefix, suffix in (("/v1/responses", ""), ("/responses", "_alias")):
        for path, endpoint, method, name, summary in routes:
            extra: dict[int | str, Any] = {}
            if name == "retrieve":
                extra = {
                    200: {"content": _STREAM_EVENTS},
                    409: {"model": ErrorResponse, "description": "The events asked for are no longer kept."},
                }
            router.add_api_route(
                prefix + path,
                endpoint,
                methods=[method],
                tags=tags,
                summary=summary,
                operation_id=f"openai_responses_{name}{suffix}",
                responses={**responses, **not_found_doc, **extra},
            )


__all__ = ["CANCEL_WAIT", "add_response_routes"]
