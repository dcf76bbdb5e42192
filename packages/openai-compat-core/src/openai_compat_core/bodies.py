"""JSON request bodies of our endpoints: limits, parsing and validation through public API, and their OpenAPI schema.

Our endpoints take only the `Request` and read their body themselves: `await request.body()`, a nesting
check, then the request model's `model_validate_json`. Every body they refuse gets OpenAI's 400
envelope naming the parameter at fault; a body over the size limit gets 413 (see `OpenAIRoute`,
which refuses it before it is read whole).
"""

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from openai_compat_core.errors import BodyTooLargeError, OpenAIHTTPException, invalid_json, invalid_request

DEFAULT_MAX_BODY_SIZE = 16 * 1024 * 1024
"""Default limit, in bytes, of a JSON request body on the routes of this project (16 MiB)."""

DEFAULT_MAX_JSON_DEPTH = 128
"""Default limit of how deeply arrays and objects may nest in a JSON request body.

Far above anything a real request needs, and below the depths where Python's JSON parser and the
JSON encoder that writes answers give up (which would otherwise turn a hostile body into a 500).
"""

Model = TypeVar("Model", bound=BaseModel)


def declared_length(headers: Sequence[tuple[bytes, bytes]]) -> int | None:
    """The `Content-Length` among raw ASGI headers, or None when absent or not a number."""
    for key, value in headers:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def raw_header(headers: Sequence[tuple[bytes, bytes]], name: bytes) -> str | None:
    """The first value of the header `name` (lower-case bytes) among raw ASGI headers."""
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None


def is_json_content_type(content_type: str | None) -> bool:
    """Whether a body sent with this `Content-Type` is JSON: none given, `application/json` or `application/*+json`."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (media.startswith("application/") and media.endswith("+json"))


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


def _parse_failure(exc: Exception) -> OpenAIHTTPException:
    """The 400 for a body Python's JSON parser refuses, saying why."""
    if isinstance(exc, json.JSONDecodeError):
        return invalid_json(f"{exc.msg} at position {exc.pos}")
    if isinstance(exc, UnicodeError):
        return invalid_json("it is not UTF-8 text")
    if isinstance(exc, RecursionError):
        return invalid_json("arrays and objects are nested too deeply")
    if isinstance(exc, ValueError) and "digits" in str(exc):
        # Python's limit on the number of digits of an integer (CVE-2020-10735).
        return invalid_json("a number in it has too many digits")
    return invalid_json("it could not be parsed")


def _with_body_prefix(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """pydantic's errors located as FastAPI locates body errors (`("body", ...)`), which 1.x clients read."""
    return [{**error, "loc": ("body", *error.get("loc", ()))} for error in errors]


def parse_json_body(model: type[Model], body: bytes, *, max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH) -> Model:
    """Validate the JSON text `body` as `model`, or raise the 400 envelope naming what is wrong.

    pydantic's JSON parser validates in one pass. A body it refuses as JSON is parsed again with
    Python's `json` module, which accepts what JSON allows and pydantic does not (an escaped lone
    surrogate, say) and says why a body is not JSON at all; the result is then validated.

    Raises:
        OpenAIHTTPException: 400 `invalid_json` (not JSON, nested deeper than `max_json_depth`),
            `invalid_body` (empty, or not an object) or the parameter's error (`param` set).
    """
    if not body:
        raise invalid_request([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    if max_json_depth is not None and json_nesting_exceeds(body, max_json_depth):
        raise invalid_json(f"arrays and objects nest more than {max_json_depth} levels deep")
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        if not any(error["type"] == "json_invalid" for error in errors):
            raise invalid_request(_with_body_prefix(errors)) from None
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _parse_failure(exc) from None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise invalid_request(_with_body_prefix(exc.errors(include_url=False))) from None


async def read_json_body(
    request: Request,
    model: type[Model],
    *,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    max_json_depth: int | None = DEFAULT_MAX_JSON_DEPTH,
) -> Model:
    """Read the request's body and validate it as `model` (see `parse_json_body`).

    A `Content-Type` other than JSON is refused with 400 `invalid_body`; a body over
    `max_body_size` bytes with 413 (an `OpenAIRoute` refuses it while it arrives).
    """
    headers = request.scope["headers"]
    if not is_json_content_type(raw_header(headers, b"content-type")):
        raise invalid_request(
            [{"type": "model_attributes_type", "loc": ("body",), "msg": "Input should be a valid dictionary"}]
        )
    body = await request.body()
    if max_body_size is not None and len(body) > max_body_size:
        raise BodyTooLargeError(max_body_size)
    return parse_json_body(model, body, max_json_depth=max_json_depth)


def _inline_refs(schema: Any, definitions: Mapping[str, Any], seen: frozenset[str]) -> Any:
    if isinstance(schema, list):
        return [_inline_refs(item, definitions, seen) for item in schema]
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in seen or name not in definitions:
            return {}  # a recursive model: documented as any value below this point
        target = _inline_refs(definitions[name], definitions, seen | {name})
        siblings = {key: value for key, value in schema.items() if key != "$ref"}
        return {**target, **_inline_refs(siblings, definitions, seen)}
    return {key: _inline_refs(value, definitions, seen) for key, value in schema.items() if key != "$defs"}


def request_body_openapi(model: type[BaseModel], *, description: str | None = None) -> dict[str, Any]:
    """The `openapi_extra` documenting a JSON request body of `model`, for routes that read their body themselves.

    The schema is self-contained (nested models inlined), so it needs no entry in the app's components.
    """
    schema = model.model_json_schema(mode="validation")
    body: dict[str, Any] = {
        "required": True,
        "content": {"application/json": {"schema": _inline_refs(schema, schema.get("$defs", {}), frozenset())}},
    }
    if description is not None:
        body["description"] = description
    return {"requestBody": body}


__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_JSON_DEPTH",
    "declared_length",
    "is_json_content_type",
    "json_nesting_exceeds",
    "parse_json_body",
    "raw_header",
    "read_json_body",
    "request_body_openapi",
]
