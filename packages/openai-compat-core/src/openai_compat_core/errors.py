"""One mechanism that turns every failure on our routes into OpenAI's error envelope.

A router cannot register app-level exception handlers, so the routers of this project use
`OpenAIRoute` (a FastAPI route class) whose handler converts exceptions itself. The envelope works
the same whether our routers are the whole app or included in a larger one::

    {"error": {"message": ..., "type": ..., "param": ..., "code": ...}, "detail": ...}

`detail` keeps the text fastapi-openai-compat 1.x sent, for code that reads it.
"""

import json
import logging
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Message

from openai_compat_core.sse import dumps

logger = logging.getLogger("openai_compat_core.errors")

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
"""Default limit, in bytes, of a JSON request body on the routes of this project (16 MiB)."""

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
    return Response(dumps(body), status_code=status_code, headers=out, media_type="application/json")


def _detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if isinstance(detail, Mapping) and isinstance(detail.get("message"), str):
        return str(detail["message"])
    try:
        return json.dumps(detail, default=str)
    except (TypeError, ValueError):
        return str(detail)


def _param_from_loc(loc: Sequence[Any]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
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
    if len(errors) > 1:
        message += f" ({len(errors) - 1} more error{'s' if len(errors) > 2 else ''} in the request.)"
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


def callback_failure(exc: BaseException, prefix: str, *, expose: bool = True) -> OpenAIHTTPException:
    """Build the 500 answer for a user callback that raised `exc`.

    The message is `"<prefix>: <exception text>"` as in 1.x (`expose=False` leaves the exception text
    out). An exception with a boolean attribute `should_retry` sets `x-should-retry` accordingly;
    otherwise it is `false`.
    """
    message = f"{prefix}: {exc!s}" if expose else f"{prefix}."
    retry = getattr(exc, "should_retry", None)
    headers = {"x-should-retry": "true" if retry is True else "false"}
    return OpenAIHTTPException(500, message, type="server_error", headers=headers)


@contextmanager
def callback_errors(prefix: str, log: logging.Logger, *, expose: bool = True) -> Iterator[None]:
    """Run user code, turning an exception other than `HTTPException` into `callback_failure`.

    The traceback goes to `log`. `HTTPException`s pass through unchanged: they are the user's answer.
    """
    try:
        yield
    except HTTPException:
        raise
    except Exception as exc:
        log.exception("%s", prefix)
        raise callback_failure(exc, prefix, expose=expose) from exc


def model_not_found(model: str) -> OpenAIHTTPException:
    """The 404 OpenAI answers for a model it does not serve."""
    return OpenAIHTTPException(
        404,
        f"The model `{model}` does not exist or you do not have access to it.",
        type="invalid_request_error",
        param="model",
        code="model_not_found",
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
    value = request.headers.get("content-length")
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


class OpenAIRoute(APIRoute):
    """FastAPI route class that answers every failure with OpenAI's error envelope.

    Subclass it (or use `route_class_with`) to set `body_limit`, the request body limit in bytes
    (`None` for no limit).
    """

    # Not `max_body_size`: newer FastAPI versions set an instance attribute of that name on every route.
    body_limit: int | None = DEFAULT_MAX_BODY_SIZE

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so exceptions become error envelopes and bodies are limited."""
        handler = super().get_route_handler()
        limit = self.body_limit

        async def handle(request: Request) -> Response:
            try:
                if limit is not None:
                    declared = _declared_length(request)
                    if declared is not None and declared > limit:
                        # Refused before reading anything.
                        raise BodyTooLargeError(limit)
                    _limit_request_body(request, limit)
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - every failure must become an envelope
                return exception_to_response(exc)

        return handle


def route_class_with(*, max_body_size: int | None = DEFAULT_MAX_BODY_SIZE) -> type[OpenAIRoute]:
    """Return an `OpenAIRoute` subclass with the given request body limit."""
    if max_body_size == OpenAIRoute.body_limit:
        return OpenAIRoute
    return type("OpenAIRoute", (OpenAIRoute,), {"body_limit": max_body_size, "__module__": __name__})


__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "BodyTooLargeError",
    "OpenAIHTTPException",
    "OpenAIRoute",
    "callback_errors",
    "callback_failure",
    "error_body",
    "error_response",
    "error_type_for_status",
    "exception_to_response",
    "model_not_found",
    "route_class_with",
    "validation_exception",
]
