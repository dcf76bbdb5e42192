"""The route and router classes of every API router: OpenAI error envelopes, body limits, cheap path matching.

A router cannot register app-level exception handlers, so our routers use `OpenAIRoute`, a FastAPI
route class that turns every failure into OpenAI's envelope itself; it works the same whether our
routers are the whole app or included in a larger one::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}, "detail": ...}

`detail` keeps the text fastapi-openai-compat 1.x sent, for code that reads it. Everything here uses
FastAPI's and Starlette's public API: the documented `get_route_handler` extension point, the ASGI
`handle(scope, receive, send)` of a route, and `APIRouter.matches`.
"""

import re
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, ClassVar

from fastapi import APIRouter, params
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Message, Receive, Scope, Send

from openai_compat_core.bodies import (
    DEFAULT_MAX_BODY_SIZE,
    DEFAULT_MAX_JSON_DEPTH,
    declared_length,
    is_json_content_type,
    json_nesting_exceeds,
    raw_header,
)
from openai_compat_core.errors import (
    BodyTooLargeError,
    exception_to_response,
    invalid_json,
    method_not_allowed,
)
from openai_compat_core.models import ErrorResponse

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid request."},
    401: {"model": ErrorResponse, "description": "Missing or wrong API key (when an auth dependency is set)."},
    413: {"model": ErrorResponse, "description": "Request body too large."},
    500: {"model": ErrorResponse, "description": "The callback failed."},
}
"""OpenAPI documentation of the error answers our routes share."""


def _counting(receive: Receive, limit: int) -> Receive:
    """`receive` that raises `BodyTooLargeError` once more than `limit` body bytes have arrived."""
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLargeError(limit)
        return message

    return counting_receive


def _replaying(body: bytes, receive: Receive) -> Receive:
    """`receive` as it was before `body` was read from it: the body first, then what comes after it."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _read_all(receive: Receive, limit: int | None) -> bytes | None:
    """Read a whole body from `receive` under `limit`; None if the client left first."""
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        received += len(chunk)
        if limit is not None and received > limit:
            raise BodyTooLargeError(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class OpenAIRoute(APIRoute):
    """FastAPI route class that answers every failure with OpenAI's error envelope.

    Subclass it (or use `route_class_with`) to set `body_limit`, the request body limit in bytes
    (`None` for no limit; a larger body gets 413, refused by its `Content-Length` before it is read,
    or while it arrives), and `json_depth_limit`, how deeply the JSON body of a route with a body
    parameter may nest (`None`: as deep as the parser allows). A method the route does not serve is
    a 405 envelope with `Allow`. Nothing else about how FastAPI handles the route changes.
    """

    # Not `max_body_size`: newer FastAPI versions set an instance attribute of that name on every route.
    body_limit: int | None = DEFAULT_MAX_BODY_SIZE
    json_depth_limit: int | None = DEFAULT_MAX_JSON_DEPTH
    # The methods served on each path by the routes of this class: `route_class_with` makes one class
    # per router, so that a 405 can name every method of the path, not only those of one route.
    path_methods: ClassVar[dict[str, set[str]] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.path_methods is not None and self.methods:
            self.path_methods.setdefault(self.path_format, set()).update(self.methods)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request under the body limits, or answer a method this route does not serve with a 405."""
        if self.methods and scope["method"] not in self.methods:
            allowed = (self.path_methods or {}).get(self.path_format, self.methods)
            await method_not_allowed(scope["method"], allowed)(scope, receive, send)
            return
        limit = self.body_limit
        headers = scope["headers"]
        try:
            declared = declared_length(headers) if limit is not None else None
            if limit is not None and declared is not None and declared > limit:
                raise BodyTooLargeError(limit)  # refused before reading anything
            if (
                self.json_depth_limit is not None
                and self.body_field is not None
                and is_json_content_type(raw_header(headers, b"content-type"))
            ):
                # FastAPI parses this route's body as JSON after reading it whole: check its nesting first.
                body = await _read_all(receive, limit)
                if body is None:
                    return  # the client left
                if json_nesting_exceeds(body, self.json_depth_limit):
                    raise invalid_json(f"arrays and objects nest more than {self.json_depth_limit} levels deep")
                receive = _replaying(body, receive)
            elif limit is not None and declared is None:
                # No declared length (chunked): count while it arrives. A declared one is enforced by the server.
                receive = _counting(receive, limit)
        except Exception as exc:  # noqa: BLE001 - answered with the envelope, as in the handler
            await exception_to_response(exc)(scope, receive, send)
            return
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, with every exception turned into an error envelope."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every failure must become an envelope
                return exception_to_response(exc)

        return handle


def route_class_with(
    *, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE, max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH
) -> type[OpenAIRoute]:
    """Return a new `OpenAIRoute` subclass with the given request body size and JSON nesting limits.

    Use one class per router: its routes share the record of which methods each path serves.
    """
    attributes: dict[str, Any] = {
        "body_limit": max_body_size,
        "json_depth_limit": max_json_depth,
        "path_methods": {},
        "__module__": __name__,
    }
    return type("OpenAIRoute", (OpenAIRoute,), attributes)


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _suffix_filter(routes: Sequence[BaseRoute]) -> "re.Pattern[str] | None":
    """One pattern found at the end of every path one of `routes` can match, wherever they are included.

    A router included under a prefix serves `prefix + path`, whose end the route's own pattern
    matches (Starlette anchors it with `$`). None when some route is not a plain path route (a
    mount, a host, a nested router) or the patterns cannot be combined: then nothing is filtered.
    """
    patterns = []
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if not isinstance(route, (Route, WebSocketRoute)) or not isinstance(regex, re.Pattern):
            return None
        pattern = regex.pattern
        if not (pattern.startswith("^") and pattern.endswith("$")):
            return None
        # Parameter names repeat between routes; the filter only needs to find a match, not name it.
        patterns.append(f"(?:{_NAMED_GROUP.sub('(?:', pattern[1:])})")
    if not patterns:
        return None
    try:
        return re.compile("|".join(patterns))
    except re.error:
        return None


class OpenAIAPIRouter(APIRouter):
    """An `APIRouter` that turns away a request none of its routes can serve with one pattern search.

    FastAPI (0.137 and later) keeps an included router as a unit and asks it, for every request the
    routers included before it did not take, whether one of its routes matches, trying them one by
    one: in an app serving chat and Responses, each Responses request first visits every chat route.
    This router first looks for any of its paths at the end of the request's path (the routes'
    own patterns, combined once and again whenever the routes change); when none is there, no
    route of it can match, and it answers so at once. Otherwise FastAPI matches as always. With
    FastAPI versions that copy an included router's routes into the app, nothing changes.
    """

    _path_filter: "tuple[tuple[BaseRoute, ...], re.Pattern[str] | None]" = ((), None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FastAPI's answer, or at once `Match.NONE` when no path of this router ends the request's path."""
        if scope["type"] == "http":
            routes = tuple(self.routes)
            known, path_filter = self._path_filter
            if known != routes:
                path_filter = _suffix_filter(routes)
                self._path_filter = (routes, path_filter)
            # The whole path (mount prefix included) ends like the path the routes see: search it as it is.
            if path_filter is not None and path_filter.search(scope["path"]) is None:
                return Match.NONE, {}
        parent: Any = super()
        result: tuple[Match, Scope] = parent.matches(scope)
        return result


def new_api_router(
    *,
    dependencies: Sequence[params.Depends] | None = None,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH,
) -> APIRouter:
    """Create an `APIRouter` whose routes answer errors with OpenAI's envelope.

    The router is an `OpenAIAPIRouter`: a request for a path it does not serve costs it one pattern search.

    Args:
        dependencies: FastAPI dependencies applied to every route (for example `Depends(APIKeyAuth())`).
        max_body_size: request body limit in bytes (`None` for no limit); larger bodies get 413.
        max_json_depth: how deeply a JSON body parsed by FastAPI may nest (`None`: no limit of ours).
    """
    return OpenAIAPIRouter(
        route_class=route_class_with(max_body_size=max_body_size, max_json_depth=max_json_depth),
        dependencies=list(dependencies or []),
    )


__all__ = ["ERROR_RESPONSES", "OpenAIAPIRouter", "OpenAIRoute", "new_api_router", "route_class_with"]
