"""The output items a Responses stream builds (messages, function calls, reasoning summaries) and their events."""

from collections.abc import Mapping
from typing import Any

from openai_compat_core.sse import FrameTemplate, event_frame, slot
from openai_compat_core.toolcalls import ToolCall, ToolCallAssembler
from openai_compat_responses._objects import message_item, new_id, output_text_part


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


class OutputItems:
    """The events that open, fill and close a stream's output items, numbered in one sequence.

    The base of `ResponseStreamEncoder`: events are queued by `_emit` and taken by `_flush`. A message
    and a reasoning summary are never open together (opening one closes the other, a function call
    closes both); function calls are grouped by core's `ToolCallAssembler`. `_close_all` closes
    every open item.
    """

    def __init__(self) -> None:
        self._seq = 0
        self._pending: list[bytes] = []
        self._items: list[StreamItem] = []
        self._next_index = 0
        self._text: StreamItem | None = None
        self._reasoning: StreamItem | None = None
        self._calls = ToolCallAssembler()
        self._call_items: dict[ToolCall, StreamItem] = {}

    # -- events -------------------------------------------------------------------------------------

    def _emit(self, event: str, fields: dict[str, Any]) -> None:
        """Queue one event; its sequence number is taken only once the frame is built."""
        frame = event_frame(event, {"type": event, "sequence_number": self._seq, **fields})
        self._seq += 1
        self._pending.append(frame)

    def _flush(self) -> bytes:
        if not self._pending:
            return b""
        data = b"".join(self._pending)
        self._pending.clear()
        return data

    def _new_item(self, kind: str, prefix: str, event: str, fields: dict[str, Any]) -> StreamItem:
        """Open an output item at the next index; its delta event is pre-encoded (slot 0: sequence number, 1: delta)."""
        item_id = new_id(prefix)
        index = self._next_index
        self._next_index += 1
        template = FrameTemplate(
            {"type": event, "sequence_number": slot(0), "item_id": item_id, "output_index": index, **fields},
            event=event,
        )
        item = StreamItem(kind, item_id, index, template)
        self._items.append(item)
        return item

    def _delta(self, item: StreamItem, delta: str) -> None:
        seq = self._seq
        self._seq = seq + 1
        self._pending.append(item.template.render(seq, delta))

    # -- text -------------------------------------------------------------------------------------

    def _add_text(self, text: str) -> None:
        self._close_reasoning()
        item = self._text
        if item is None:
            item = self._new_item(
                "message", "msg", "response.output_text.delta", {"content_index": 0, "delta": slot(1), "logprobs": []}
            )
            self._text = item
            self._emit(
                "response.output_item.added",
                {
                    "output_index": item.index,
                    "item": {**message_item(item.id, "", status="in_progress"), "content": []},
                },
            )
            self._emit(
                "response.content_part.added",
                {"item_id": item.id, "output_index": item.index, "content_index": 0, "part": output_text_part("")},
            )
        item.parts.append(text)
        self._delta(item, text)

    def _close_text(self) -> None:
        item = self._text
        if item is None:
            return
        final = item.snapshot("completed")
        text = final["content"][0]["text"]
        position = {"item_id": item.id, "output_index": item.index, "content_index": 0}
        self._emit("response.output_text.done", {**position, "text": text, "logprobs": []})
        self._emit("response.content_part.done", {**position, "part": final["content"][0]})
        self._emit("response.output_item.done", {"output_index": item.index, "item": final})
        item.final = final
        self._text = None

    # -- reasoning --------------------------------------------------------------------------------

    def _add_reasoning(self, text: str) -> None:
        self._close_text()
        item = self._reasoning
        if item is None:
            item = self._new_item(
                "reasoning", "rs", "response.reasoning_summary_text.delta", {"summary_index": 0, "delta": slot(1)}
            )
            self._reasoning = item
            self._emit(
                "response.output_item.added",
                {
                    "output_index": item.index,
                    "item": {"id": item.id, "type": "reasoning", "status": "in_progress", "summary": []},
                },
            )
            self._emit(
                "response.reasoning_summary_part.added",
                {"item_id": item.id, "output_index": item.index, "summary_index": 0, "part": summary_part("")},
            )
        item.parts.append(text)
        self._delta(item, text)

    def _close_reasoning(self) -> None:
        item = self._reasoning
        if item is None:
            return
        final = item.snapshot("completed")
        part = final["summary"][0]
        position = {"item_id": item.id, "output_index": item.index, "summary_index": 0}
        self._emit("response.reasoning_summary_text.done", {**position, "text": part["text"]})
        self._emit("response.reasoning_summary_part.done", {**position, "part": part})
        self._emit("response.output_item.done", {"output_index": item.index, "item": final})
        item.final = final
        self._reasoning = None

    # -- function calls ---------------------------------------------------------------------------

    def _add_call_fragment(self, fragment: Any) -> None:
        self._close_reasoning()
        self._close_text()
        step = self._calls.add(fragment)
        for closed in step.closed:
            self._close_call(self._call_items[closed])
        if step.started:
            item = self._new_item("function_call", "fc", "response.function_call_arguments.delta", {"delta": slot(1)})
            item.call = step.call
            self._call_items[step.call] = item
            # The item as it is before this fragment's arguments, which follow as the first delta.
            added = item.snapshot("in_progress")
            added["arguments"] = ""
            self._emit("response.output_item.added", {"output_index": item.index, "item": added})
        else:
            item = self._call_items[step.call]
        if fragment.arguments:
            self._delta(item, fragment.arguments)

    def _close_call(self, item: StreamItem) -> None:
        final = item.snapshot("completed")
        self._emit(
            "response.function_call_arguments.done",
            {"item_id": item.id, "output_index": item.index, "name": final["name"], "arguments": final["arguments"]},
        )
        self._emit("response.output_item.done", {"output_index": item.index, "item": final})
        item.final = final

    def _close_all(self) -> None:
        """Close every open item, in output order."""
        self._calls.close_all()
        for item in self._items:
            if item.final is not None:
                continue
            if item is self._text:
                self._close_text()
            elif item is self._reasoning:
                self._close_reasoning()
            else:
                self._close_call(item)


__all__ = ["OutputItems", "StreamItem", "identity", "summary_part"]
