"""Values of the GenAI semantic conventions, as the routers write them: error types, token counts, parameters, parts.

The API packages build their span attributes with these (`openai_compat_chat.telemetry`, ...), and
`openai_compat_core.telemetry` its metrics' and records' `error.type`.
"""

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from openai_compat_core.encoding import dumps

DISCONNECTED = "client_disconnected"
"""The `error.type` of a request whose client left before its answer was complete."""


def error_type(exc: BaseException) -> str:
    """The `error.type` of a failure: an exception class (`module.QualName`, builtins bare) or an HTTP status.

    A hook or callback failure that the pipeline answered as a 500 is named for the callback's own
    exception; an `HTTPException` the code raised deliberately for its status code (`"404"`).
    """
    if isinstance(exc, ClientDisconnect):
        return DISCONNECTED
    cause = failure_cause(exc)
    if isinstance(cause, HTTPException):
        return str(cause.status_code)
    kind = type(cause)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def failure_cause(exc: BaseException) -> BaseException:
    """The callback's own exception behind the 500 a pipeline answered with, else `exc` itself."""
    cause = exc.__cause__
    server_error = isinstance(exc, HTTPException) and exc.status_code >= 500
    if server_error and isinstance(cause, Exception) and not isinstance(cause, HTTPException):
        return cause
    return exc


def is_server_fault(exc: BaseException) -> bool:
    """Whether a failure marks the span as an error: 5xx and exceptions, not the client's 4xx or its leaving."""
    if isinstance(exc, ClientDisconnect):
        return False
    return not isinstance(exc, HTTPException) or exc.status_code >= 500


def token_counts(usage: Mapping[str, Any] | None) -> tuple[int | None, int | None]:
    """Input and output tokens of a usage dict in any API's terms (`prompt_tokens` or `input_tokens`, ...)."""
    if not usage:
        return None, None
    given = usage.get("input_tokens", usage.get("prompt_tokens"))
    made = usage.get("output_tokens", usage.get("completion_tokens"))
    return _count(given), _count(made)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def read_number(value: Any) -> float | None:
    """A request parameter that must be a number (`temperature`, ...), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def read_integer(value: Any) -> int | None:
    """A request parameter that must be an integer (`max_tokens`, `seed`, ...), or None when it is not one."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_strings(value: Any) -> tuple[str, ...] | None:
    """A request parameter that is a string or a list of strings (`stop`), as a tuple; None otherwise."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return tuple(value)
    return None


def as_json(value: Any) -> str:
    """A structured attribute (messages, instructions) as JSON text, as span attributes hold it."""
    return dumps(value).decode()


def text_parts(text: str) -> list[dict[str, Any]]:
    """A text as the GenAI conventions' message parts: `[{"type": "text", "content": text}]`."""
    return [{"type": "text", "content": text}]


__all__ = [
    "DISCONNECTED",
    "as_json",
    "error_type",
    "failure_cause",
    "is_server_fault",
    "read_integer",
    "read_number",
    "read_strings",
    "text_parts",
    "token_counts",
]
