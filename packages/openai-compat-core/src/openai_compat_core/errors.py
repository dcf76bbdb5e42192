"""One mechanism that turns every failure on our routes into OpenAI's error envelope.

A router cannot register app-level exception handlers, so the routers of this project use
`OpenAIRoute` (a FastAPI route class) whose handler converts exceptions itself. The envelope works
the same whether our routers are the whole app or included in a larger one::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}, "detail": ...}

`detail` keeps the text fastapi-openai-compat 1.x sent, for code that reads it.
"""

import functools
import itertools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any, ClassVar, TypeVar

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from openai_compat_core._fastpath import (
    DIRECT_CALLS,
    building_context,
    fast_json_handler,
    raw_header,
    request_context,
)
from openai_compat_core.sse import json_response

logger = logging.getLogger("openai_compat_core.errors")

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
"""Default limit, in bytes, of a JSON request body on the routes of this project (16 MiB)."""

DEFAULT_MAX_JSON_DEPTH = 128
"""Default limit of how deeply arrays and objects may nest in a JSON request body.

Far above anything a real request needs, and below the depths where Python's JSON parser and the
JSON encoder that writes answers give up (which would otherwise turn a hostile body into a 500).
"""

# FastAPI answers a body that `json.loads` rejects with something other than a JSONDecodeError
# (invalid UTF-8, nesting too deep for the parser, an integer with too many digits) with this detail.
_FASTAPI_PARSE_FAILURE = "There was an error parsing the body"

_TYPE_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "invalid_request_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


def error_type_for_status(status_code: int) -> str:
    """Return OpenAI's conventional error `type` for an HTTP status code."""
    if status_code >= 500:
        return "server_error"
    return _TYPE_BY_STATUS.get(status_code, "invalid_request_error")


class OpenAIHTTPException(HTTPException):
    """An `HTTPException` that knows the fields of OpenAI's error object.

    Raise it from a hook, a callback or a dependency to answer with exactly the error you want::

        raise OpenAIHTTPException(429, "Slow down", type="rate_limit_error", code="rate_limit_exceeded")

    Args:
        status_code: HTTP status of the answer.
        message: `error.message`; also the `detail` unless `detail` is given.
        type: `error.type`; by default derived from the status (`invalid_request_error`, `server_error`, ...).
        param: `error.param`, the request parameter at fault.
        code: `error.code`, a machine-readable string such as `model_not_found`.
        headers: extra response headers (for example `x-should-retry`).
        detail: the value of the top-level `detail` key (1.x compatibility); defaults to `message`.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str | None = None,  # noqa: A002 - the name of OpenAI's field
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
        detail: Any = None,
    ) -> None:
        super().__init__(status_code=status_code, detail=message if detail is None else detail, headers=headers)
        self.message = message
        self.type = type or error_type_for_status(status_code)
        self.param = param
        self.code = code


def error_body(
    message: str,
    *,
    type: str,  # noqa: A002 - the name of OpenAI's field
    param: str | None = None,
    code: str | None = None,
    detail: Any = None,
) -> dict[str, Any]:
    """Build the error envelope as a dict."""
    return {
        "error": {"message": message, "type": type, "param": param, "code": code},
        "detail": message if detail is None else detail,
    }


def error_response(
    status_code: int,
    message: str,
    *,
    type: str | None = None,  # noqa: A002 - the name of OpenAI's field
    param: str | None = None,
    code: str | None = None,
    detail: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Build a JSON response carrying the error envelope.

    Server errors (5xx) get `x-should-retry: false` unless `headers` already say otherwise: the
    `openai` SDKs would otherwise run a failing pipeline three times.
    """
    body = error_body(message, type=type or error_type_for_status(status_code), param=param, code=code, detail=detail)
    out = dict(headers or {})
    if status_code >= 500 and not any(k.lower() == "x-should-retry" for k in out):
        out["x-should-retry"] = "false"
    return json_response(body, status_code, out)


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, Mapping) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    try:
        return json.dumps(detail, default=str)
    except (TypeError, ValueError):
        return str(detail)


# pydantic puts the union member that failed in the location (`input.str`, `tool_choice.dict[str,any]`,
# `items.SomeModel`); OpenAI's `param` names only the fields and indexes.
_UNION_MEMBER = re.compile(r"(?:str|int|float|bool|bytes|none|[A-Z]\w*|[\w-]+\[.*\])\Z", re.DOTALL)


def _param_from_loc(loc: Sequence[Any]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for position, part in enumerate(parts):
        if isinstance(part, int):
            text += f"[{part}]"
        elif position and _UNION_MEMBER.match(str(part)):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or None


def validation_exception(exc: RequestValidationError) -> OpenAIHTTPException:
    """Turn FastAPI's request validation error into a 400 `invalid_request_error` naming the parameter."""
    errors = list(exc.errors())
    # 1.x answered with FastAPI's list of errors under `detail`; keep its keys that are always JSON-safe.
    detail = [{k: e[k] for k in ("type", "loc", "msg") if k in e} for e in errors]
    if not errors:
        return OpenAIHTTPException(400, "Invalid request.", detail=detail)
    first = errors[0]
    kind = str(first.get("type", ""))
    loc = tuple(first.get("loc", ()))
    msg = str(first.get("msg", "invalid value"))
    param = None if kind == "json_invalid" else _param_from_loc(loc)
    if kind == "json_invalid":
        ctx = first.get("ctx") or {}
        reason = ctx.get("error", msg) if isinstance(ctx, Mapping) else msg
        position = loc[-1] if loc and isinstance(loc[-1], int) else None
        where = f" at position {position}" if position is not None else ""
        message, code = f"The request body is not valid JSON: {reason}{where}.", "invalid_json"
    elif param is None:
        if kind == "missing":
            message = "The request body is missing; expected a JSON object."
        else:
            message = f"The request body must be a JSON object sent with Content-Type: application/json ({msg})."
        code = "invalid_body"
    elif kind == "missing":
        message, code = f"Missing required parameter: '{param}'.", "missing_required_parameter"
    elif kind.endswith(("_type", "_parsing")) or kind == "is_instance_of":
        message, code = f"Invalid type for '{param}': {msg}.", "invalid_type"
    else:
        message, code = f"Invalid value for '{param}': {msg}.", "invalid_value"
    # A union reports one error per member for the same parameter: count the other parameters only.
    others = len({_param_from_loc(tuple(e.get("loc", ()))) for e in errors[1:]} - {param})
    if others:
        message += f" ({others} more error{'s' if others > 1 else ''} in the request.)"
    return OpenAIHTTPException(400, message, param=param, code=code, detail=detail)


def exception_to_response(exc: Exception) -> Response:
    """Answer any exception raised while handling a request with the error envelope.

    `OpenAIHTTPException` keeps all its fields; other `HTTPException`s keep their status, headers and
    `detail`; request validation errors become 400 with `param`; anything else is logged with its
    traceback and becomes a 500 `server_error` that does not reveal the exception.
    """
    if isinstance(exc, ClientDisconnect):
        # Nobody is listening; 499 is what nginx logs for it. Not an error of ours.
        logger.info("Client disconnected before the answer was ready")
        return Response(status_code=499)
    if isinstance(exc, RequestValidationError):
        exc = validation_exception(exc)
    if isinstance(exc, OpenAIHTTPException):
        return error_response(
            exc.status_code,
            exc.message,
            type=exc.type,
            param=exc.param,
            code=exc.code,
            detail=exc.detail,
            headers=exc.headers,
        )
    if isinstance(exc, HTTPException):
        return error_response(exc.status_code, _detail_text(exc.detail), detail=exc.detail, headers=exc.headers)
    logger.error("Unhandled error while handling a request", exc_info=exc)
    return error_response(500, "The server had an error while processing your request.", detail="Internal Server Error")


def _exception_text(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not turn the answer into a different error
        return "the exception's message could not be read"


def callback_failure(exc: BaseException, prefix: str, *, expose: bool = True) -> OpenAIHTTPException:
    """Build the 500 answer for a user callback that raised `exc`.

    The message is `"<prefix>: <exception text>"` as in 1.x (`expose=False` leaves the exception text
    out). An exception with a boolean attribute `should_retry` sets `x-should-retry` accordingly;
    otherwise it is `false`.
    """
    message = f"{prefix}: {_exception_text(exc)}" if expose else f"{prefix}."
    retry = getattr(exc, "should_retry", None)
    headers = {"x-should-retry": "true" if retry is True else "false"}
    return OpenAIHTTPException(500, message, type="server_error", headers=headers)


class callback_errors(ContextDecorator):  # noqa: N801 - a context manager named like the function it replaced
    """Run user code, turning an exception other than `HTTPException` into `callback_failure`.

    `with callback_errors(prefix, log, expose=True): ...`. The traceback goes to `log`.
    `HTTPException`s pass through unchanged: they are the user's answer. So does `ClientDisconnect`
    (see `cancel_on_disconnect`): the client left, nothing failed. (A class rather than a
    `@contextmanager` generator: it is entered on every request, at a fifth of the cost.)
    """

    __slots__ = ("expose", "log", "prefix")

    def __init__(self, prefix: str, log: logging.Logger, *, expose: bool = True) -> None:
        self.prefix = prefix
        self.log = log
        self.expose = expose

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, (HTTPException, ClientDisconnect)):
            return
        self.log.error("%s", self.prefix, exc_info=exc)
        raise callback_failure(exc, self.prefix, expose=self.expose) from exc


def model_not_found(model: str) -> OpenAIHTTPException:
    """The 404 OpenAI answers for a model it does not serve."""
    return OpenAIHTTPException(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        type="invalid_request_error",
        param="model",
        code="model_not_found",
    )


def _invalid_json(reason: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(400, f"The request body is not valid JSON: {reason}.", code="invalid_json")


def _parse_failure(cause: BaseException | None) -> OpenAIHTTPException:
    """The 400 for a body that FastAPI could not parse, saying why when the cause is known."""
    if isinstance(cause, UnicodeError):
        return _invalid_json("it is not UTF-8 text")
    if isinstance(cause, RecursionError):
        return _invalid_json("arrays and objects are nested too deeply")
    if isinstance(cause, ValueError) and "digits" in str(cause):
        # Python's limit on the number of digits of an integer (CVE-2020-10735).
        return _invalid_json("a number in it has too many digits")
    return _invalid_json("it could not be parsed")


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_BRACKET_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def json_nesting_exceeds(body: bytes, limit: int) -> bool:
    """Tell whether arrays and objects nest more than `limit` levels deep in the JSON text `body`.

    Cheap for ordinary bodies: a body with at most `limit` opening brackets cannot nest deeper, so
    only larger ones are scanned (brackets inside strings do not count). Linear in the body's size.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    if b"\\" in body:
        # Drop escaped backslashes, then escaped quotes: every quote left opens or closes a string.
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    # Every other piece between quotes is outside strings; keep only its brackets.
    skeleton = b"".join(body.split(b'"')[::2]).translate(None, _NOT_BRACKETS)
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, skeleton)), default=0) > limit


def _is_json_content(request: Request) -> bool:
    """Whether FastAPI will parse this request's body as JSON (same rule, simplified)."""
    content_type = raw_header(request, b"content-type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (media.startswith("application/") and media.endswith("+json"))


def method_not_allowed(method: str, allowed: Iterable[str]) -> Response:
    """The 405 envelope for a method a route does not serve, with its `Allow` header."""
    allow = ", ".join(sorted(allowed))
    return error_response(
        405,
        f"Method {method} is not allowed here; use {allow}.",
        code="method_not_allowed",
        detail="Method Not Allowed",
        headers={"allow": allow},
    )


class BodyTooLargeError(OpenAIHTTPException):
    """Raised while a request body is received once it exceeds the route's limit (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"The request body is larger than the limit of {limit} bytes.",
            code="request_too_large",
        )


def _declared_length(request: Request) -> int | None:
    value = raw_header(request, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _limit_request_body(request: Request, max_body_size: int) -> None:
    """Make `request` raise `BodyTooLargeError` as soon as more than `max_body_size` bytes arrive."""
    receive = request._receive  # noqa: SLF001 - Starlette reads the body through it; no public hook exists
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_body_size:
                raise BodyTooLargeError(max_body_size)
        return message

    request._receive = counting_receive  # noqa: SLF001


async def _read_body(request: Request, limit: int | None) -> bytes:
    """Read the whole body, refusing it once more than `limit` bytes arrived, and keep it for Starlette.

    What `await request.body()` does (after which it answers from what was kept), in one loop.
    """
    receive = request.receive
    chunks: list[bytes] = []
    received = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            received += len(chunk)
            if limit is not None and received > limit:
                raise BodyTooLargeError(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect
    body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    request._body = body  # noqa: SLF001 - where Starlette keeps the body it has read
    return body


def _replayed(body: bytes, receive: Receive) -> Receive:
    """`receive` as it was before `body` was read from it: the body first, then what comes after it."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


_Answer = TypeVar("_Answer", Response, Response | None)


async def _checked(
    request: Request, serve: Callable[[Request], Awaitable[_Answer]], limit: int | None, depth_limit: int | None
) -> _Answer | Response:
    """Enforce the body limits, then `serve` the request; every exception becomes an error envelope."""
    try:
        if limit is not None:
            declared = _declared_length(request)
            if declared is not None and declared > limit:
                # Refused before reading anything.
                raise BodyTooLargeError(limit)
        if depth_limit is not None and _is_json_content(request):
            # FastAPI reads the whole body before parsing it anyway; Starlette keeps it for the handler.
            if json_nesting_exceeds(await _read_body(request, limit), depth_limit):
                raise _invalid_json(f"arrays and objects nest more than {depth_limit} levels deep")
        elif limit is not None:
            _limit_request_body(request, limit)
        return await serve(request)
    except HTTPException as exc:
        if exc.status_code == 400 and exc.detail == _FASTAPI_PARSE_FAILURE:
            return exception_to_response(_parse_failure(exc.__cause__))
        return exception_to_response(exc)
    except Exception as exc:  # noqa: BLE001 - every failure must become an envelope
        return exception_to_response(exc)


# How many inclusions of one route keep their direct handler (FastAPI builds new ones when routes change).
_MAX_INCLUSIONS = 64


class OpenAIRoute(APIRoute):
    """FastAPI route class that answers every failure with OpenAI's error envelope.

    Subclass it (or use `route_class_with`) to set `body_limit`, the request body limit in bytes
    (`None` for no limit), and `json_depth_limit`, how deeply a JSON body may nest (`None`: as deep
    as the parser allows). A method the route does not serve is a 405 envelope with `Allow`.

    Where FastAPI's handler has nothing to do but parse the body and call the endpoint (no
    dependencies at any level), the route serves the request itself (see `_fastpath`).
    """

    # Not `max_body_size`: newer FastAPI versions set an instance attribute of that name on every route.
    body_limit: int | None = DEFAULT_MAX_BODY_SIZE
    json_depth_limit: int | None = DEFAULT_MAX_JSON_DEPTH
    # The methods served on each path by the routes of this class: `route_class_with` makes one class
    # per router, so that a 405 can name every method of the path, not only those of one route.
    path_methods: ClassVar[dict[str, set[str]] | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # For each handler FastAPI builds (keyed by the id of its inclusion, None for the route's own):
        # the inclusion, and what serves its requests directly, or None where FastAPI's handler must.
        self._direct: dict[int, tuple[Any, Callable[[Request], Awaitable[Response | None]] | None]] = {}
        super().__init__(*args, **kwargs)
        if self.path_methods is not None and self.methods:
            self.path_methods.setdefault(self.path_format, set()).update(self.methods)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, or answer a method this route does not serve with a 405 envelope."""
        if self.methods and scope["method"] not in self.methods:
            allowed = (self.path_methods or {}).get(self.path_format, self.methods)
            await method_not_allowed(scope["method"], allowed)(scope, receive, send)
            return
        context = request_context(scope, self)
        known, direct = self._direct.get(id(context), (None, None))
        # FastAPI's own body limit (`max_body_size`, newer versions) wraps its handler: leave it to it.
        if direct is None or known is not context or getattr(context or self, "max_body_size", None) is not None:
            await super().handle(scope, receive, send)
            return
        request = Request(scope, receive, send)
        response = await direct(request)
        if response is None:
            # Left to FastAPI's handler, with the body the fast path has read.
            await super().handle(scope, _replayed(await request.body(), receive), send)
            return
        await response(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so exceptions become error envelopes and bodies are limited."""
        handler = super().get_route_handler()
        # The same answers for less CPU where FastAPI's handler has nothing to do but parse and call.
        fast = fast_json_handler(handler)
        limit = self.body_limit
        # Only routes with a body model; an endpoint that reads the request itself (uploads) is left alone.
        depth_limit = self.json_depth_limit if self.body_field is not None else None

        direct: Callable[[Request], Awaitable[Response | None]] | None = None
        if fast is not None and DIRECT_CALLS:
            direct = functools.partial(_checked, serve=fast, limit=limit, depth_limit=depth_limit)
        context = building_context()
        if len(self._direct) > _MAX_INCLUSIONS:
            self._direct.clear()  # routes rebuilt again and again; inclusions not seen again take FastAPI's way
        self._direct[id(context)] = (context, direct)

        async def fast_or_standard(request: Request) -> Response:
            response = await fast(request) if fast is not None else None
            return response if response is not None else await handler(request)

        serve = handler if fast is None else fast_or_standard

        async def handle(request: Request) -> Response:
            return await _checked(request, serve, limit, depth_limit)

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


__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_JSON_DEPTH",
    "BodyTooLargeError",
    "OpenAIHTTPException",
    "OpenAIRoute",
    "callback_errors",
    "callback_failure",
    "error_body",
    "error_response",
    "error_type_for_status",
    "exception_to_response",
    "json_nesting_exceeds",
    "method_not_allowed",
    "model_not_found",
    "route_class_with",
    "validation_exception",
]
