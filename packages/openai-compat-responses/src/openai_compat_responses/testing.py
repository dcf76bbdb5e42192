"""Check a Responses event stream against OpenAI's wire contract, in your own tests.

::

    response = client.post("/v1/responses", json={"model": "m", "input": "hi", "stream": True})
    events = parse_events(response.text)
    final = check_events(events)  # raises StreamContractError naming the first problem
    assert final["status"] == "completed"

The checks are those strict clients (the `openai` SDK's stream helper, the Agents SDK, Codex) rely
on; they need nothing but the standard library.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from openai_compat_responses._objects import RESPONSE_KEYS
from openai_compat_responses.encoder import TERMINAL_EVENTS

LIFECYCLE_EVENTS = frozenset(
    {"response.created", "response.in_progress", "response.queued", *TERMINAL_EVENTS},
)

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(LIFECYCLE_EVENTS, ("response",)),
    "response.output_item.added": ("output_index", "item"),
    "response.output_item.done": ("output_index", "item"),
    "response.content_part.added": ("item_id", "output_index", "content_index", "part"),
    "response.content_part.done": ("item_id", "output_index", "content_index", "part"),
    "response.output_text.delta": ("item_id", "output_index", "content_index", "delta", "logprobs"),
    "response.output_text.done": ("item_id", "output_index", "content_index", "text", "logprobs"),
    "response.function_call_arguments.delta": ("item_id", "output_index", "delta"),
    "response.function_call_arguments.done": ("item_id", "output_index", "name", "arguments"),
    "response.reasoning_summary_part.added": ("item_id", "output_index", "summary_index", "part"),
    "response.reasoning_summary_part.done": ("item_id", "output_index", "summary_index", "part"),
    "response.reasoning_summary_text.delta": ("item_id", "output_index", "summary_index", "delta"),
    "response.reasoning_summary_text.done": ("item_id", "output_index", "summary_index", "text"),
    "error": ("message", "code", "param"),
}
"""Fields each event must carry besides `type` and `sequence_number`."""

# Events that refer to an item opened by `response.output_item.added`.
_ITEM_EVENTS = frozenset(name for name, fields in REQUIRED_FIELDS.items() if "item_id" in fields)


class StreamContractError(ValueError):
    """A Responses event stream breaks the wire contract."""


def parse_events(body: str) -> list[tuple[str, dict[str, Any]]]:
    """Split an SSE body into `(event name, JSON payload)` pairs; frames must be named and hold JSON.

    Raises:
        StreamContractError: a frame has no `event:` line, no `data:` line, or data that is not a JSON object.
    """
    events: list[tuple[str, dict[str, Any]]] = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        name: str | None = None
        data: list[str] = []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        if name is None or not data:
            raise StreamContractError(f"frame without an event name or data: {block!r}")
        payload = json.loads("\n".join(data))
        if not isinstance(payload, dict):
            raise StreamContractError(f"event {name} does not carry a JSON object")
        events.append((name, payload))
    return events


def check_response_object(response: Any, *, where: str = "response") -> None:
    """Check that a Response object carries every key strict clients require.

    Raises:
        StreamContractError: naming the missing keys.
    """
    if not isinstance(response, Mapping):
        raise StreamContractError(f"{where} is not an object")
    missing = [key for key in RESPONSE_KEYS if key not in response]
    if missing:
        raise StreamContractError(f"{where} lacks {missing}")
    if response["object"] != "response" or not str(response["id"]).startswith("resp_"):
        raise StreamContractError(f"{where} has object {response['object']!r} and id {response['id']!r}")
    if not isinstance(response["output"], list):
        raise StreamContractError(f"{where}.output is not a list")


def _fail(index: int, name: str, problem: str) -> StreamContractError:
    return StreamContractError(f"event {index} ({name}): {problem}")


def check_events(events: Sequence[tuple[str, Mapping[str, Any]]], *, complete_output: bool = True) -> dict[str, Any]:
    """Check a parsed Responses stream and return the response object of its terminal event.

    Checked: each payload repeats its event name as `type`; `sequence_number` counts from 0 without
    gaps; `response.created` comes first; exactly one terminal event, last; each known event has its
    required fields; every lifecycle event carries a full Response object with the same id; item
    events refer to an item opened earlier, at the same `output_index` and with the same id; output
    indexes are not reused; text and arguments deltas add up to their `.done` text; after
    `response.completed` every opened item was closed, and the final `output` holds the closed items
    in `output_index` order. With `complete_output=False` the terminal event may carry a `Response`
    your callback yielded: its output replaces the output streamed before it (only the items it holds
    are checked against the stream) and it keeps its own `id`.

    Raises:
        StreamContractError: naming the first problem found.
    """
    if not events:
        raise StreamContractError("the stream is empty")
    return _Checker(complete_output=complete_output).run(events)


class _Checker:
    def __init__(self, *, complete_output: bool) -> None:
        self.complete_output = complete_output
        self.opened: dict[int, Mapping[str, Any]] = {}
        self.closed: dict[int, Mapping[str, Any]] = {}
        self.deltas: dict[tuple[int, str], list[str]] = {}
        self.response_id: Any = None

    def run(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
        terminal: Mapping[str, Any] | None = None
        for index, (name, payload) in enumerate(events):
            if terminal is not None:
                raise _fail(index, name, "comes after the terminal event")
            self.check_envelope(index, name, payload)
            if name in LIFECYCLE_EVENTS:
                response = self.check_lifecycle(index, name, payload)
                if name in TERMINAL_EVENTS:
                    terminal = response
            elif name in ("response.output_item.added", "response.output_item.done"):
                self.check_item_event(index, name, payload)
            elif name in _ITEM_EVENTS:
                self.check_part_event(index, name, payload)
        if terminal is None:
            raise StreamContractError("the stream has no terminal event (response.completed, .failed or .incomplete)")
        if events[-1][0] == "response.completed":
            self.check_completed(terminal)
        return dict(terminal)

    def check_envelope(self, index: int, name: str, payload: Mapping[str, Any]) -> None:
        if payload.get("type") != name:
            raise _fail(index, name, f"payload type is {payload.get('type')!r}")
        if payload.get("sequence_number") != index:
            raise _fail(index, name, f"sequence_number is {payload.get('sequence_number')!r}, expected {index}")
        if index == 0 and name != "response.created":
            raise _fail(index, name, "the first event must be response.created")
        missing = [field for field in REQUIRED_FIELDS.get(name, ()) if field not in payload]
        if missing:
            raise _fail(index, name, f"lacks {missing}")

    def check_lifecycle(self, index: int, name: str, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        response: Mapping[str, Any] = payload["response"]
        check_response_object(response, where=f"event {index} ({name}).response")
        if self.response_id is None:
            self.response_id = response["id"]
        elif response["id"] != self.response_id and (self.complete_output or name not in TERMINAL_EVENTS):
            raise _fail(index, name, f"response id changed from {self.response_id!r} to {response['id']!r}")
        return response

    def check_item_event(self, index: int, name: str, payload: Mapping[str, Any]) -> None:
        position = payload["output_index"]
        item = payload["item"]
        if not isinstance(item, Mapping) or "type" not in item:
            raise _fail(index, name, "item is not an object with a type")
        if name == "response.output_item.added":
            if position in self.opened:
                raise _fail(index, name, f"output_index {position} is already used")
            self.opened[position] = item
            return
        added = self.opened.get(position)
        if added is None:
            raise _fail(index, name, f"no item was added at output_index {position}")
        if added.get("id") != item.get("id") or added.get("type") != item.get("type"):
            raise _fail(index, name, "the item differs from the one added at this output_index")
        if position in self.closed:
            raise _fail(index, name, f"the item at output_index {position} is already done")
        self.closed[position] = item

    def check_part_event(self, index: int, name: str, payload: Mapping[str, Any]) -> None:
        position = payload["output_index"]
        item = self.opened.get(position)
        if item is None:
            raise _fail(index, name, f"no item was added at output_index {position}")
        if item.get("id") != payload["item_id"]:
            raise _fail(index, name, f"item_id {payload['item_id']!r} is not the id of item {position}")
        if position in self.closed:
            raise _fail(index, name, f"the item at output_index {position} is already done")
        family = name.rsplit(".", 1)[0]
        if name.endswith(".delta"):
            self.deltas.setdefault((position, family), []).append(payload["delta"])
        elif name.endswith(".done") and "part" not in payload:
            text = payload.get("arguments", payload.get("text"))
            if "".join(self.deltas.get((position, family), [])) != text:
                raise _fail(index, name, "the deltas do not add up to the final text")

    def check_completed(self, response: Mapping[str, Any]) -> None:
        unfinished = sorted(set(self.opened) - set(self.closed))
        if unfinished:
            raise StreamContractError(f"response.completed leaves items open at output_index {unfinished}")
        final = [_identity(item) for item in response["output"]]
        positions = []
        for position in sorted(self.closed):
            identity = _identity(self.closed[position])
            if identity not in final:
                if not self.complete_output:
                    continue
                raise StreamContractError(f"the item done at output_index {position} is missing from the final output")
            positions.append(final.index(identity))
        if positions != sorted(positions):
            raise StreamContractError("the final output does not list the items in output_index order")


def _identity(item: Mapping[str, Any]) -> tuple[str, Any]:
    if item.get("type") == "function_call":
        return ("call", item.get("call_id"))
    return ("item", item.get("id"))


__all__ = [
    "LIFECYCLE_EVENTS",
    "REQUIRED_FIELDS",
    "StreamContractError",
    "check_events",
    "check_response_object",
    "parse_events",
]
