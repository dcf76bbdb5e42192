"""JSON encoding of answers and events: compact UTF-8, always valid JSON, and the JSON response built from it."""

from collections.abc import Mapping
from json.encoder import encode_basestring
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json
from starlette.responses import Response


def replace_unpaired_surrogates(value: Any) -> Any:
    """Return `value` with unpaired surrogates in its strings (and dict keys) replaced by U+FFFD.

    A JSON request may carry `"\\ud800"`, which Python decodes to a string UTF-8 cannot encode.
    Dicts, lists, tuples (as lists) and pydantic models (as dicts) are walked; other values are kept.
    """
    if isinstance(value, str):
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    if isinstance(value, dict):
        return {replace_unpaired_surrogates(key): replace_unpaired_surrogates(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [replace_unpaired_surrogates(item) for item in value]
    if isinstance(value, BaseModel):
        return replace_unpaired_surrogates(value.model_dump())
    return value


def _dumps_scrubbed(value: Any, exc: PydanticSerializationError) -> bytes:
    # A JSON body may carry `\ud800` escapes; echoing such a string must not fail the request.
    if "surrogates not allowed" not in str(exc):
        raise exc
    return to_json(replace_unpaired_surrogates(value), inf_nan_mode="null")


def dumps(value: Any) -> bytes:
    """Encode a value (dicts, lists, pydantic models, ...) as compact UTF-8 JSON.

    The output is always valid JSON: NaN and infinities are written as `null`, and unpaired
    surrogates in strings (valid in JSON escapes, not in UTF-8) as U+FFFD.
    """
    try:
        return to_json(value, inf_nan_mode="null")
    except PydanticSerializationError as exc:
        return _dumps_scrubbed(value, exc)


def json_response(value: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer: `value` encoded with `dumps` (or JSON already encoded, as `bytes`), no re-validation."""
    body = value if isinstance(value, bytes) else dumps(value)
    return Response(body, status_code=status_code, headers=headers, media_type="application/json")


def json_string(text: str) -> bytes:
    """Encode a `str` as a JSON string literal (with the quotes), UTF-8; unpaired surrogates become U+FFFD."""
    try:
        return encode_basestring(text).encode()
    except UnicodeEncodeError:
        return encode_basestring(replace_unpaired_surrogates(text)).encode()


__all__ = ["dumps", "json_response", "json_string", "replace_unpaired_surrogates"]
