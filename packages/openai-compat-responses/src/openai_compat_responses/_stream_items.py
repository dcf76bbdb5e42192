"""The output items a Responses stream builds: messages, function calls and reasoning summaries."""

from collections.abc import Mapping
from typing import Any

from openai_compat_core.sse import FrameTemplate
from openai_compat_core.toolcalls import ToolCall
from openai_compat_responses._objects import message_item


class StreamItem:
    """An output item of the stream being built: a message, a function call or a reasoning summary."""

    __slots__ = ("call", "final", "id", "index", "kind", "parts", "template")

    def __init__(self, kind: str, item_id: str, index: int, template: FrameTemplate) -> None:
        self.kind = kind
        self.id = item_id
        self.index = index
        self.template = template
        self.parts: list[str] = []
        self.final: dict[str, Any] | None = None
        self.call: ToolCall | None = None

    def snapshot(self, status: str) -> dict[str, Any]:
        """The item as a dict, with what it holds so far and the given status."""
        if self.kind == "message":
            return message_item(self.id, "".join(self.parts), status=status)
        if self.call is not None:
            return {
                "id": self.id,
                "type": "function_call",
                "status": status,
                "call_id": self.call.call_id,
                "name": self.call.name or "function",
                "arguments": self.call.arguments_text,
            }
        return {"id": self.id, "type": "reasoning", "status": status, "summary": [summary_part("".join(self.parts))]}


def summary_part(text: str) -> dict[str, Any]:
    """A reasoning item's `summary_text` part."""
    return {"type": "summary_text", "text": text}


def identity(item: Mapping[str, Any]) -> tuple[str, Any]:
    """How clients identify an output item: a function call by its `call_id`, other items by their `id`."""
    if item.get("type") == "function_call":
        return ("call", item.get("call_id"))
    return ("item", item.get("id"))


__all__ = ["StreamItem", "identity", "summary_part"]
