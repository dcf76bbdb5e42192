"""The fast path of our JSON routes: FastAPI's request handler, minus its per-request machinery, when equivalent.

For every request FastAPI's handler reads the body, parses it, solves the route's dependencies (which
also validates the body), calls the endpoint and, unless the endpoint returned a `Response`,
serialises the result. For a route whose endpoint is a coroutine that takes one pydantic body model
and the `Request`, returns a Starlette `Response`, and has no dependency at any level, all of that
comes down to `Model.model_validate_json` and the call: about a third of the CPU. (FastAPI parses with
`json.loads` and then validates; pydantic's own JSON parser gives the same model for every body it
accepts, and a body it refuses, a lone surrogate or an integer of thousands of digits say, goes to
FastAPI's handler like any other it is not sure about.)

Whether a route qualifies is read from FastAPI's own handler for it (the `dependant` it closes over,
which holds the dependencies of the route, of its routers and of the app), never guessed from the
route alone, so a dependency (an API-key check, say) can never be skipped: anything unexpected, and
the fast path is simply not used. Every request the fast path is not sure about (another content
type, a body that does not parse or validate, FastAPI telemetry switched on) goes to FastAPI's
handler, so error answers keep their exact shape.

A fast-path handler can also be called by the route itself, without the layers FastAPI puts around
every handler (its exception-handler wrapper and two exit stacks, which only dependencies use): for
that the route must know which of the handlers FastAPI built for it a request takes. FastAPI 0.137
and later build one per inclusion of the route (an "effective route context") and say, in private
names read below, which one is being built and which one a request takes; when those names are
not there, routes are never called that way (`DIRECT_CALLS` is false).
"""

import contextlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import routing as fastapi_routing
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

Handler = Callable[[Request], Awaitable[Response]]
FastHandler = Callable[[Request], Awaitable[Response | None]]
"""A fast-path handler: None for a request FastAPI's handler must answer."""

# Present in the FastAPI versions that have them; the fast path defers to FastAPI when they say so.
_telemetry_data: Callable[[], Any] | None = getattr(fastapi_routing, "get_telemetry_data", None)
_body_limit_error: Callable[[Exception], Exception | None] | None = getattr(
    fastapi_routing, "get_body_limit_error", None
)

# Parameters of a Dependant that ask FastAPI for something per request: none may be set.
_SPECIAL_PARAMS = (
    "websocket_param_name",
    "http_connection_param_name",
    "response_param_name",
    "background_tasks_param_name",
    "security_scopes_param_name",
)
_OTHER_PARAMS = ("path_params", "query_params", "header_params", "cookie_params", "dependencies")


# FastAPI 0.137+: the inclusion whose handler is being built, and the one a request was matched through.
_building_context: Any = getattr(fastapi_routing, "_effective_route_context_var", None)
_scope_context: Callable[[Any], Any] | None = getattr(fastapi_routing, "_get_scope_effective_route_context", None)

DIRECT_CALLS = not hasattr(fastapi_routing, "_IncludedRouter") or (
    _building_context is not None and _scope_context is not None
)
"""Whether a route can tell which of its handlers a request takes (always, before FastAPI 0.137)."""


def building_context() -> Any:
    """The inclusion of a route whose handler FastAPI is building now; None for the route's own handler."""
    return _building_context.get() if _building_context is not None else None


def request_context(scope: Any, route: Any) -> Any:
    """The inclusion of `route` this request was matched through; None when it takes the route's own handler.

    The same choice FastAPI's `APIRoute.handle` makes.
    """
    context = _scope_context(scope) if _scope_context is not None else None
    return context if context is not None and getattr(context, "original_route", None) is route else None


def raw_header(request: Request, name: bytes) -> str | None:
    """The first value of the header `name` (lower-case bytes), as `request.headers.get` gives it, for less.

    Reads the ASGI scope's header list directly instead of building Starlette's `Headers`.
    """
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _closure(fn: Any) -> dict[str, Any]:
    """The variables a function closes over, by name."""
    code = getattr(fn, "__code__", None)
    cells = getattr(fn, "__closure__", None)
    if code is None or not cells:
        return {}
    values: dict[str, Any] = {}
    for name, cell in zip(code.co_freevars, cells, strict=False):
        with contextlib.suppress(ValueError):  # an empty cell
            values[name] = cell.cell_contents
    return values


def _returns_response(endpoint: Callable[..., Any]) -> bool:
    try:
        annotation = inspect.signature(endpoint).return_annotation
    except (TypeError, ValueError):
        return False
    return isinstance(annotation, type) and issubclass(annotation, Response)


def fast_json_handler(standard: Handler) -> FastHandler | None:
    """Return a handler serving the ordinary requests of FastAPI's handler `standard` directly, or None.

    None when the route does not qualify (see the module docstring) or when `standard` is not built
    the way this code knows (another FastAPI version): the route then keeps FastAPI's handler.
    The handler returned answers None for a request it leaves to FastAPI's handler, always after
    reading the body (which Starlette keeps: `await request.body()` then returns it at once).
    """
    state = _closure(standard)
    dependant = state.get("dependant")
    body_field = state.get("body_field")
    if dependant is None or body_field is None or state.get("embed_body_fields") is not False:
        return None
    if any(getattr(dependant, name, True) for name in _OTHER_PARAMS):
        return None
    if any(getattr(dependant, name, "unknown") is not None for name in _SPECIAL_PARAMS):
        return None
    body_params = getattr(dependant, "body_params", None)
    request_name = getattr(dependant, "request_param_name", None)
    endpoint = getattr(dependant, "call", None)
    if not body_params or len(body_params) != 1 or request_name is None or endpoint is None:
        return None
    model = getattr(getattr(body_field, "field_info", None), "annotation", None)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    if not (inspect.iscoroutinefunction(endpoint) and _returns_response(endpoint)):
        return None
    body_name: str = body_params[0].name
    validate_json = model.model_validate_json

    async def handle(request: Request) -> Response | None:
        try:
            # FastAPI's handler reads the body first too, whatever the content type.
            body = await request.body()
        except HTTPException:
            raise
        except Exception as exc:
            # What FastAPI's handler answers when reading the body fails.
            error = _body_limit_error(exc) if _body_limit_error is not None else None
            if error is not None:
                raise error from exc
            raise HTTPException(status_code=400, detail="There was an error parsing the body") from exc
        if (raw_header(request, b"content-type") or "").lower() != "application/json" or (
            _telemetry_data is not None and _telemetry_data() is not None
        ):
            return None
        try:
            value = validate_json(body)
        except Exception:  # noqa: BLE001 - FastAPI's handler reports it in its own words
            return None
        response = await endpoint(**{body_name: value, request_name: request})
        if not isinstance(response, Response):
            raise TypeError(f"{endpoint.__qualname__} must return a Response, not {type(response).__name__}")
        return response

    return handle


__all__ = ["DIRECT_CALLS", "building_context", "fast_json_handler", "raw_header", "request_context"]
