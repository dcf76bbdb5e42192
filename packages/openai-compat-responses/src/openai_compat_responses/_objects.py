"""Building the full Response object: defaults, the request's settings echoed back, normalisation."""

import os
import time
from collections.abc import Mapping
from typing import Any

from pydantic_core import PydanticSerializationError, to_jsonable_python

from openai_compat_core.chunks import to_responses_usage
from openai_compat_core.encoding import dumps, replace_unpaired_surrogates
from openai_compat_responses.models import Response


def _model_defaults() -> dict[str, Any]:
    """Every field of `Response`, in order, with its default (`None` for the fields a response must set)."""
    return {
        name: None if field.is_required() else field.get_default(call_default_factory=True)
        for name, field in Response.model_fields.items()
    }


# What OpenAI answers for each setting a request leaves out: the `Response` model's defaults, the one
# place they are written. Mutable defaults are copied per response (see `_default`).
_DEFAULTS: dict[str, Any] = _model_defaults()

RESPONSE_KEYS: tuple[str, ...] = tuple(_DEFAULTS)
"""Every key a Response object carries (strict clients require them all, `null` where allowed)."""

_MUTABLE_KEYS = tuple(key for key, value in _DEFAULTS.items() if isinstance(value, dict | list))

_IMMUTABLE_DEFAULTS = {key: None if key in _MUTABLE_KEYS else value for key, value in _DEFAULTS.items()}

# The request settings a Response repeats, when the request set them: every field after `completed_at`.
_ECHOED = RESPONSE_KEYS[RESPONSE_KEYS.index("completed_at") + 1 :]

# The keys after `completed_at` with their defaults, as the end of a JSON object: `,"instructions":null,...}`.
_DEFAULT_SETTINGS_JSON = b"," + dumps({key: _DEFAULTS[key] for key in _ECHOED})[1:]

_CHAT_USAGE_KEYS = frozenset(
    {"prompt_tokens", "completion_tokens", "prompt_tokens_details", "completion_tokens_details"}
)


def new_id(prefix: str) -> str:
    """Return a fresh id such as `resp_<32 hex digits>` (128 random bits)."""
    return f"{prefix}_{os.urandom(16).hex()}"


def now() -> int:
    """The current Unix time in whole seconds."""
    return int(time.time())


def _default(key: str) -> Any:
    value = _DEFAULTS[key]
    if isinstance(value, dict):
        return {k: dict(v) if isinstance(v, dict) else v for k, v in value.items()}
    if isinstance(value, list):
        return []
    return value


def request_settings(request: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the Response fields a request set (not `None`), ready to be sent as JSON.

    `text` gets the default `format` when the request gave only other options (e.g. `verbosity`);
    `reasoning` gets `effort` and `summary` keys (strict clients require both, `null` allowed).
    Values that are not JSON types (a pre-hook may put anything in the request) become strings.
    """
    if not request:
        return {}
    settings: dict[str, Any] = {}
    for key in _ECHOED:
        value = request.get(key)
        if value is None:
            continue
        if key == "text" and isinstance(value, Mapping):
            value = {"format": {"type": "text"}, **value}
        elif key == "reasoning" and isinstance(value, Mapping):
            value = {"effort": None, "summary": None, **value}
        elif key == "tools":
            value = complete_tools(value)
        settings[key] = value
    try:
        jsonable: dict[str, Any] = to_jsonable_python(settings, fallback=str)
    except (UnicodeEncodeError, PydanticSerializationError):
        # A request may carry unpaired surrogates (`"\\ud800"` in JSON), which cannot be encoded.
        jsonable = to_jsonable_python(replace_unpaired_surrogates(settings), fallback=str)
    return jsonable


def build_response(
    resp_id: str,
    model: str,
    created_at: int,
    settings: Mapping[str, Any],
    *,
    status: str,
    output: list[dict[str, Any]],
    usage: dict[str, Any] | None = None,
    error: dict[str, Any] | None = None,
    incomplete_details: dict[str, Any] | None = None,
    completed_at: int | None = None,
) -> dict[str, Any]:
    """Return a full Response object as a dict: every key, the request's settings, then the given values."""
    data = _IMMUTABLE_DEFAULTS.copy()  # every key, in order; the mutable defaults are replaced just below
    for key in _MUTABLE_KEYS:
        data[key] = _default(key)
    for key, value in settings.items():
        if key in data:
            data[key] = value
    data.update(
        id=resp_id,
        created_at=created_at,
        status=status,
        model=model,
        output=output,
        usage=usage,
        error=error,
        incomplete_details=incomplete_details,
        completed_at=completed_at,
    )
    return data


def encode_text_response(resp_id: str, model: str, created_at: int, settings: Mapping[str, Any], text: str) -> bytes:
    """The JSON of a completed Response whose output is one message holding `text`.

    The same bytes as `dumps(build_response(...))`; for a request that set none of the echoed
    settings (the usual case) the constant second half of the object is encoded once, not per request.
    """
    output = [message_item(new_id("msg"), text)]
    if settings:
        return dumps(
            build_response(
                resp_id, model, created_at, settings, status="completed", output=output, completed_at=created_at
            )
        )
    head = {
        "id": resp_id,
        "object": "response",
        "created_at": created_at,
        "status": "completed",
        "model": model,
        "output": output,
        "usage": None,
        "error": None,
        "incomplete_details": None,
        "completed_at": created_at,
    }
    return dumps(head)[:-1] + _DEFAULT_SETTINGS_JSON


def message_item(item_id: str, text: str, *, status: str = "completed") -> dict[str, Any]:
    """Return an assistant message output item holding one `output_text` part."""
    return {
        "id": item_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [output_text_part(text)],
    }


def output_text_part(text: str) -> dict[str, Any]:
    """Return an `output_text` content part."""
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}


def normalise_usage(usage: Any) -> Any:
    """Express a usage dict in Responses terms, with every detail key strict clients require.

    Chat-style keys (`prompt_tokens`, ...) are converted; other keys and details given are kept.
    """
    if not isinstance(usage, Mapping):
        return usage
    converted = to_responses_usage(usage)
    result = {key: value for key, value in usage.items() if key not in _CHAT_USAGE_KEYS}
    result.update(converted)
    for key in ("input_tokens_details", "output_tokens_details"):
        given = usage.get(key)
        if isinstance(given, Mapping):
            result[key] = {**converted[key], **given}
    return result


# The keys the Open Responses schema requires of a function tool, in its order.
_FUNCTION_TOOL_KEYS: dict[str, Any] = {
    "type": "function",
    **dict.fromkeys(("name", "description", "parameters", "strict")),
}


def complete_tools(tools: Any) -> Any:
    """Return the tools with the five keys the Open Responses schema requires of a function tool.

    `type`, `name`, `description`, `parameters` and `strict`: those a function tool lacks are `None`.
    Other tools, and anything that is not a list of objects, are returned as they are.
    """
    if not isinstance(tools, list):
        return tools
    return [
        {**_FUNCTION_TOOL_KEYS, **tool} if isinstance(tool, Mapping) and tool.get("type") == "function" else tool
        for tool in tools
    ]


def _filled(item: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """`item` with the `defaults` for the keys it lacks (or holds as `None`), the defaults' keys first."""
    out = dict(defaults)
    out.update(item)
    for key, value in defaults.items():
        if out[key] is None:
            out[key] = value
    return out


def _complete_part(part: Any) -> Any:
    if not isinstance(part, Mapping) or part.get("type", "output_text") != "output_text":
        return part
    return _filled(part, {"type": "output_text", "text": "", "annotations": [], "logprobs": []})


def complete_output_item(item: Any) -> Any:
    """Return an output item with every key the wire requires that its author left out (or set to `None`).

    A message gets `id`, `status`, `role` and, on each `output_text` part, `annotations: []` and
    `logprobs: []`; a function call gets `id`, `status`, `call_id` and `arguments`; a reasoning item
    gets `id`, `status` and `summary`. Items of other types, and keys already set, are left alone.
    """
    if not isinstance(item, Mapping):
        return item
    kind = item.get("type")
    if kind == "message":
        out = _filled(item, {"id": new_id("msg"), "type": "message", "status": "completed", "role": "assistant"})
        content = out.get("content")
        out["content"] = [_complete_part(part) for part in content] if isinstance(content, list) else []
        return out
    if kind == "function_call":
        defaults = {"id": new_id("fc"), "type": "function_call", "status": "completed", "call_id": new_id("call")}
        return _filled(item, {**defaults, "name": "function", "arguments": ""})
    if kind == "reasoning":
        return _filled(item, {"id": new_id("rs"), "type": "reasoning", "status": "completed", "summary": []})
    return dict(item)


def normalise_response(response: Response, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return a callback's `Response` as a dict with every key, filling what its author did not set.

    Fields the author set explicitly (its `id` too) are kept; the others take the request's
    settings. Output items get the keys the wire requires (see `complete_output_item`), function
    tools theirs (see `complete_tools`). A completed response gets `completed_at` if it has none,
    and usage is expressed in Responses terms.
    """
    data: dict[str, Any] = response.model_dump(mode="json")
    explicit = response.model_fields_set
    data.update({key: value for key, value in settings.items() if key not in explicit})
    data["output"] = [complete_output_item(item) for item in data.get("output") or []]
    data["tools"] = complete_tools(data.get("tools"))
    if data.get("status") == "completed" and data.get("completed_at") is None:
        data["completed_at"] = now()
    if data.get("usage") is not None:
        data["usage"] = normalise_usage(data["usage"])
    return data


__all__ = [
    "RESPONSE_KEYS",
    "build_response",
    "complete_output_item",
    "complete_tools",
    "encode_text_response",
    "message_item",
    "new_id",
    "normalise_response",
    "normalise_usage",
    "now",
    "output_text_part",
    "request_settings",
]
