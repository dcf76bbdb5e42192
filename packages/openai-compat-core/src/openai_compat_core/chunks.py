"""The chunk model: what a streamed chunk carries, whatever library produced it, in one internal form.

`read_chunk` turns any supported chunk into a `Chunk`: a `str`; Haystack's `StreamingChunk` (with
`ToolCallDelta` and `ReasoningContent`) recognised without importing Haystack, and any other object
with the same attribute names; a `dict` with the same keys; a custom event (an object with
`to_event_dict()`). Every API's encoder reads chunks through it.
"""

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ChunkMapper = Callable[[Any], str]
"""Turns one streamed chunk that is not otherwise recognised into the text to send."""


def default_chunk_mapper(chunk: Any) -> str:
    """Turn a chunk into text: `str` as is, the `content` of objects (or dicts) that have one, else `str(chunk)`."""
    if isinstance(chunk, str):
        return chunk
    if isinstance(chunk, dict) and "content" in chunk:
        return _mapped_text(chunk["content"])
    if hasattr(chunk, "content"):
        return _mapped_text(chunk.content)
    return str(chunk)


def is_custom_event(chunk: Any) -> bool:
    """Tell whether a chunk is a custom event: an object with a callable `to_event_dict()`."""
    return callable(getattr(chunk, "to_event_dict", None))


def extract_reasoning_text(chunk: Any) -> str | None:
    """Return the reasoning text a chunk carries, or `None` when it carries none (or only empty text).

    Reads `chunk.reasoning.reasoning_text` when that is a string (Haystack `ReasoningContent`),
    otherwise `str(chunk.reasoning)` for any other truthy `reasoning`.
    """
    reasoning = getattr(chunk, "reasoning", None)
    if not reasoning:
        return None
    text = getattr(reasoning, "reasoning_text", None)
    if not isinstance(text, str):
        text = str(reasoning)
    return text or None


def extract_finish_reason(chunk: Any) -> str | None:
    """Return the chunk's `finish_reason` attribute as a string, or `None`."""
    reason = getattr(chunk, "finish_reason", None)
    return None if reason is None else str(reason)


@dataclass(frozen=True, slots=True)
class ToolCallFragment:
    """One piece of a streamed tool (function) call, normalised from whatever shape the chunk had.

    `index` is the position of the call among parallel calls when the chunk gave one; `call_id` and
    `name` are usually present only on a call's first fragment; `arguments` is the next piece of the
    JSON arguments text (`None` adds nothing).
    """

    index: int | None
    call_id: str | None
    name: str | None
    arguments: str | None


def _text_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def extract_tool_call_fragments(chunk: Any) -> list[ToolCallFragment]:
    """Return the tool-call fragments a chunk carries, in order; an empty list when it carries none.

    Two shapes are recognised:

    - a non-empty `tool_calls` list whose entries have `index`, `id`, `tool_name` or `name`, and
      `arguments` (Haystack `ToolCallDelta`, or dicts with those keys, or OpenAI's
      `{"index", "id", "function": {"name", "arguments"}}`);
    - a `function_call_id` attribute that is not `None`, with `function_call_name` and
      `function_call_arguments`.
    """
    tool_calls = getattr(chunk, "tool_calls", None)
    if tool_calls:
        return [_fragment_from_entry(entry) for entry in tool_calls]
    call_id = getattr(chunk, "function_call_id", None)
    if call_id is not None and hasattr(chunk, "function_call_arguments"):
        return [
            ToolCallFragment(
                index=None,
                call_id=str(call_id),
                name=_text_or_none(getattr(chunk, "function_call_name", None)),
                arguments=_text_or_none(chunk.function_call_arguments),
            )
        ]
    return []


def _fragment_from_entry(entry: Any) -> ToolCallFragment:
    if isinstance(entry, Mapping):
        function = entry.get("function") or {}
        name = entry.get("tool_name") or entry.get("name") or function.get("name")
        arguments = entry.get("arguments", function.get("arguments"))
        index = entry.get("index")
        call_id = entry.get("id")
    else:
        name = getattr(entry, "tool_name", None) or getattr(entry, "name", None)
        arguments = getattr(entry, "arguments", None)
        index = getattr(entry, "index", None)
        call_id = getattr(entry, "id", None)
    return ToolCallFragment(
        index=index if isinstance(index, int) else None,
        call_id=_text_or_none(call_id),
        name=_text_or_none(name),
        arguments=_text_or_none(arguments),
    )


def _as_dict(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped = dump()
        return dict(dumped) if isinstance(dumped, Mapping) else None
    return None


def extract_usage(chunk: Any) -> dict[str, Any] | None:
    """Return the token usage a chunk carries, as a dict, or `None`.

    Looks at `chunk.usage` (a dict or a pydantic model), then at Haystack's `chunk.meta["usage"]`.
    """
    usage = _as_dict(getattr(chunk, "usage", None))
    if usage:
        return usage
    meta = getattr(chunk, "meta", None)
    if isinstance(meta, Mapping):
        usage = _as_dict(meta.get("usage"))
        if usage:
            return usage
    return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _nested(usage: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = usage.get(key)
    return value if isinstance(value, Mapping) else {}


def to_chat_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Express a usage dict in Chat Completions terms (`prompt_tokens`, `completion_tokens`, `total_tokens`).

    Accepts Chat-style or Responses-style keys; keeps any detail objects it is given.
    """
    prompt = _int(usage.get("prompt_tokens", usage.get("input_tokens")))
    completion = _int(usage.get("completion_tokens", usage.get("output_tokens")))
    total = _int(usage.get("total_tokens")) or prompt + completion
    result: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
    prompt_details = _nested(usage, "prompt_tokens_details") or _nested(usage, "input_tokens_details")
    completion_details = _nested(usage, "completion_tokens_details") or _nested(usage, "output_tokens_details")
    if prompt_details:
        result["prompt_tokens_details"] = dict(prompt_details)
    if completion_details:
        result["completion_tokens_details"] = dict(completion_details)
    return result


def to_responses_usage(usage: Mapping[str, Any]) -> dict[str, Any]:
    """Express a usage dict in Responses terms, with the detail objects strict clients require."""
    input_tokens = _int(usage.get("input_tokens", usage.get("prompt_tokens")))
    output_tokens = _int(usage.get("output_tokens", usage.get("completion_tokens")))
    total = _int(usage.get("total_tokens")) or input_tokens + output_tokens
    input_details = _nested(usage, "input_tokens_details") or _nested(usage, "prompt_tokens_details")
    output_details = _nested(usage, "output_tokens_details") or _nested(usage, "completion_tokens_details")
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {
            "cached_tokens": _int(input_details.get("cached_tokens")),
            # OpenAI's schema (and the openai SDK's ResponseUsage) require it next to cached_tokens.
            "cache_write_tokens": _int(input_details.get("cache_write_tokens")),
        },
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": _int(output_details.get("reasoning_tokens"))},
        "total_tokens": total,
    }


def new_call_id() -> str:
    """A fresh tool call id, `call_` and 24 hex digits, for calls whose producer gave none."""
    return f"call_{os.urandom(12).hex()}"


@dataclass(slots=True)
class Chunk:
    """What one streamed chunk carries, in the form every encoder reads.

    `text` is the text to send (`""` for none); `reasoning` the reasoning text, when the chunk is a
    reasoning chunk; `tool_calls` the tool-call fragments it carries; `usage` the token usage it
    reports (any key style; see `to_chat_usage` and `to_responses_usage`); `finish_reason` its
    finish reason; `event` the dict of a custom event (then nothing else is set).
    """

    text: str = ""
    reasoning: str | None = None
    tool_calls: list[ToolCallFragment] = field(default_factory=list)
    usage: dict[str, Any] | None = None
    finish_reason: str | None = None
    event: dict[str, Any] | None = None


class _Fields:
    """A dict chunk read like an object: its keys as attributes (`reasoning_content` also as `reasoning`)."""

    __slots__ = ("fields",)

    def __init__(self, fields: dict[Any, Any]) -> None:
        self.fields = fields

    def __getattr__(self, name: str) -> Any:
        fields = self.fields
        if name in fields:
            return fields[name]
        if name == "reasoning" and "reasoning_content" in fields:
            return fields["reasoning_content"]
        raise AttributeError(name)


def _mapped_text(value: Any) -> str:
    """A chunk's text: a `str` as it is, `None` as `""`, anything else through `str()`."""
    if isinstance(value, str):
        return value
    return "" if value is None else str(value)


def read_chunk(chunk: Any, mapper: ChunkMapper = default_chunk_mapper) -> Chunk:
    """Read what a chunk carries, in this order of precedence.

    - a custom event (an object with a callable `to_event_dict()`): `event` only;
    - a reasoning chunk (a truthy `reasoning` with text): `reasoning`;
    - tool-call fragments (see `extract_tool_call_fragments`): `tool_calls`, and as `text` the
      chunk's `content` when it is a non-empty string (text that arrives beside tool calls is kept);
    - a `str`: `text` as it is (the mapper is not asked, as 1.x's Responses helpers did not ask it);
    - anything else: `text` is `mapper(chunk)` (a mapper's non-string result is turned into text,
      `None` into `""`).

    `usage` and `finish_reason` are read from every chunk but custom events. A `dict` chunk is read
    by its keys as an object by its attributes (`content`, `reasoning` or `reasoning_content`,
    `tool_calls`, `usage`, `finish_reason`); the mapper still receives the dict itself.
    """
    if isinstance(chunk, str):
        return Chunk(text=chunk)
    if is_custom_event(chunk):
        return Chunk(event=dict(chunk.to_event_dict()))
    source = _Fields(chunk) if isinstance(chunk, dict) else chunk
    usage = extract_usage(source)
    finish_reason = extract_finish_reason(source)
    reasoning = extract_reasoning_text(source)
    if reasoning is not None:
        return Chunk(reasoning=reasoning, usage=usage, finish_reason=finish_reason)
    fragments = extract_tool_call_fragments(source)
    if fragments:
        content = getattr(source, "content", None)
        text = content if isinstance(content, str) else ""
        return Chunk(text=text, tool_calls=fragments, usage=usage, finish_reason=finish_reason)
    return Chunk(text=_mapped_text(mapper(chunk)), usage=usage, finish_reason=finish_reason)


__all__ = [
    "Chunk",
    "ChunkMapper",
    "ToolCallFragment",
    "default_chunk_mapper",
    "extract_finish_reason",
    "extract_reasoning_text",
    "extract_tool_call_fragments",
    "extract_usage",
    "is_custom_event",
    "new_call_id",
    "read_chunk",
    "to_chat_usage",
    "to_responses_usage",
]
