"""One mechanism that turns every failure on our routes into OpenAI's error envelope.

A router cannot register app-level exception handlers, so the routers of this project use
`OpenAIRoute` (a FastAPI route class) whose handler converts exceptions itself. The envelope works
the same whether our routers are the whole app or included in a larger one::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}, "detail": ...}

`detail` keeps the text fastapi-openai-compat 1.x sent, for code that reads it.
"""

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from openai_compat_core.encoding import json_response

logger = logging.getLogger("openai_compat_core.errors")

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


def invalid_request(errors: Sequence[Mapping[str, Any]]) -> OpenAIHTTPException:
    """Turn validation errors (pydantic's or FastAPI's, located under `body`) into a 400 naming the parameter.

    The first error decides the message and `code` (`missing_required_parameter`, `invalid_type`,
    `invalid_value`, `invalid_json` or, for a body that is no JSON object, `invalid_body`).
    `detail` keeps the error list 1.x answered with (`type`, `loc`, `msg` of each error).
    """
    errors = list(errors)
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


def validation_exception(exc: RequestValidationError) -> OpenAIHTTPException:
    """Turn FastAPI's request validation error into a 400 `invalid_request_error` naming the parameter."""
    return invalid_request(list(exc.errors()))


def invalid_json(reason: str) -> OpenAIHTTPException:
    """The 400 `invalid_json` for a body that is not JSON: `The request body is not valid JSON: <reason>.`"""
    return OpenAIHTTPException(400, f"The request body is not valid JSON: {reason}.", code="invalid_json")


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


def _failure_message(exc: BaseException, prefix: str, expose: bool) -> str:
    """`<prefix>: <exception text>`, or `<prefix>.` when the exception's text is not to be shown."""
    return f"{prefix}: {_exception_text(exc)}" if expose else f"{prefix}."


def callback_failure(exc: BaseException, prefix: str, *, expose: bool = True) -> OpenAIHTTPException:
    """Build the 500 answer for a user callback that raised `exc`.

    The message is `"<prefix>: <exception text>"` as in 1.x (`expose=False` leaves the exception text
    out). An exception with a boolean attribute `should_retry` sets `x-should-retry` accordingly;
    otherwise it is `false`.
    """
    message = _failure_message(exc, prefix, expose)
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


def stream_error(exc: BaseException, prefix: str, *, expose: bool = True) -> dict[str, Any]:
    """The error object (`message`, `type`, `param`, `code`) reporting a failure after a stream started.

    Every API reports a mid-stream failure with it (chat's error frame, Responses' `response.failed`).
    An `OpenAIHTTPException` keeps its message, type, param and code; another `HTTPException` its
    text, with the type its status implies; any other exception is `<prefix>: <message>` (without
    the message when `expose` is false), type `server_error`.
    """
    if isinstance(exc, OpenAIHTTPException):
        return {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    if isinstance(exc, HTTPException):
        return {
            "message": _detail_text(exc.detail),
            "type": error_type_for_status(exc.status_code),
            "param": None,
            "code": None,
        }
    return {"message": _failure_message(exc, prefix, expose), "type": "server_error", "param": None, "code": None}


__all__ = [
    "BodyTooLargeError",
    "OpenAIHTTPException",
    "callback_errors",
    "callback_failure",
    "error_body",
    "error_response",
    "error_type_for_status",
    "exception_to_response",
    "invalid_json",
    "invalid_request",
    "method_not_allowed",
    "model_not_found",
    "stream_error",
    "validation_exception",
]
