"""Collecting a stream into one `chat.completion`: what the encoder keeps per choice, and the body built from it."""

from collections.abc import Mapping, Sequence
from typing import Any

from openai_compat_core.toolcalls import ToolCall


class ChoiceState:
    """What the stream said for one choice: text, reasoning, refusal, tool-call deltas, finish reason."""

    __slots__ = ("call_deltas", "finish_reason", "reasoning", "refusal", "role", "text")

    def __init__(self) -> None:
        self.role = "assistant"
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.refusal: list[str] = []
        self.call_deltas: list[Mapping[str, Any]] = []
        self.finish_reason: str | None = None

    def merge(self, delta: Mapping[str, Any], finish_reason: str | None) -> None:
        """Add the delta of a `ChatCompletion` chunk the generator yielded."""
        self.role = str(delta.get("role") or self.role)
        for key, parts in (("content", self.text), ("reasoning_content", self.reasoning), ("refusal", self.refusal)):
            value = delta.get(key)
            if isinstance(value, str):
                parts.append(value)
        for call in delta.get("tool_calls") or ():
            if isinstance(call, Mapping):
                self.call_deltas.append(call)
        if finish_reason is not None:
            self.finish_reason = finish_reason


def _joined(parts: list[str]) -> str | None:
    return "".join(parts) if parts else None


def _merge_call(calls: dict[int, dict[str, Any]], delta: Mapping[str, Any]) -> None:
    """Merge one tool-call delta into the calls by index: id, type and name from the first, arguments appended."""
    index = delta.get("index", len(calls))
    function = delta.get("function") or {}
    call = calls.get(index)
    if call is None:
        calls[index] = {
            "id": delta.get("id"),
            "type": delta.get("type", "function"),
            "function": {"name": function.get("name"), "arguments": function.get("arguments") or ""},
        }
        return
    if function.get("name") and not call["function"]["name"]:
        call["function"]["name"] = function["name"]
    call["function"]["arguments"] += function.get("arguments") or ""


def _tool_calls(state: ChoiceState, assembled: Sequence[ToolCall]) -> list[dict[str, Any]] | None:
    calls: dict[int, dict[str, Any]] = {
        call.position: {
            "id": call.call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_text},
        }
        for call in assembled
    }
    for delta in state.call_deltas:
        _merge_call(calls, delta)
    return [calls[index] for index in sorted(calls)] or None


def completion_body(
    choices: Mapping[int, ChoiceState],
    assembled: Sequence[ToolCall],
    *,
    completion_id: str,
    model: str,
    created: int,
    usage: dict[str, Any] | None,
    fingerprint: str | None,
) -> dict[str, Any]:
    """One `chat.completion` object from what a stream said.

    Text, reasoning and refusal are concatenated per choice; the tool calls assembled from the
    generator's fragments (choice 0) and those of `ChatCompletion` chunks are merged by index; the
    last finish reason of a choice wins (`stop` if none came). Choices that said nothing are left
    out, except choice 0, whose content is then `""`. Custom events have no place in a completion.
    """
    out = []
    for index in sorted(choices):
        state = choices[index]
        calls = _tool_calls(state, assembled if index == 0 else ())
        said = bool(state.text or state.reasoning or state.refusal or calls)
        if index and not (said or state.finish_reason):
            continue
        # An answer with nothing in it is empty text, as its closing chunk said; one with only calls has none.
        content = _joined(state.text) if said else ""
        out.append(
            {
                "index": index,
                "finish_reason": state.finish_reason or "stop",
                "logprobs": None,
                "message": {
                    "role": state.role,
                    "content": content,
                    "reasoning_content": _joined(state.reasoning),
                    "tool_calls": calls,
                    "refusal": _joined(state.refusal),
                },
            }
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": out,
        "usage": usage,
        "system_fingerprint": fingerprint,
    }


__all__ = ["ChoiceState", "completion_body"]
