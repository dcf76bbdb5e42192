"""Streaming the Responses API: named server-sent events, built from whatever your callback yields.

`ResponseStreamEncoder` turns a stream of chunks into OpenAI's event sequence (see the README for
the chunk shapes it understands); `create_responses_streaming_response` and
`create_async_responses_streaming_response` wrap a generator into a streaming response with it.
The `create_*_event` functions build single events, as fastapi-openai-compat 1.x offered them.
"""

import logging
from collections.abc import AsyncGenerator, Generator, Mapping
from typing import Any

from openai_compat_core.callbacks import ChunkMapper
from openai_compat_core.chunks import (
    ToolCallFragment,
    default_chunk_mapper,
    extract_finish_reason,
    extract_reasoning_text,
    extract_tool_call_fragments,
    extract_usage,
    is_custom_event,
)
from openai_compat_core.sse import FrameTemplate, event_frame, slot
from openai_compat_core.streaming import EventStreamResponse
from openai_compat_responses._objects import (
    build_response,
    message_item,
    new_id,
    normalise_response,
    normalise_usage,
    now,
    output_text_part,
    request_settings,
)
from openai_compat_responses.models import Response

logger = logging.getLogger("fastapi_openai_compat.responses")

TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete"})
"""The events that end a Responses stream; every stream ends with exactly one of them."""

FAILURE_PREFIX = "Pipeline execution failed"

# finish_reason values that make a response incomplete, and the reason OpenAI gives for each.
_INCOMPLETE_REASONS = {
    "length": "max_output_tokens",
    "max_tokens": "max_output_tokens",
    "content_filter": "content_filter",
}
_TERMINAL_FOR_STATUS = {"failed": "response.failed", "incomplete": "response.incomplete"}


# --- single events ------------------------------------------------------------------------------


def format_named_sse_event(event_name: str, data_dict: dict[str, Any]) -> str:
    """Return one named SSE frame, `event: <event_name>` then `data: <compact JSON>`, as a `str`."""
    return event_frame(event_name, data_dict).decode()


def _payload(event: str, sequence_number: int | None, fields: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": event}
    if sequence_number is not None:
        payload["sequence_number"] = sequence_number
    payload.update(fields)
    return payload


def _named(event: str, sequence_number: int | None, fields: dict[str, Any]) -> str:
    return format_named_sse_event(event, _payload(event, sequence_number, fields))


def _response_json(response: Response | Mapping[str, Any]) -> Any:
    return response.model_dump(mode="json") if isinstance(response, Response) else dict(response)


def response_from_text(text: str, resp_id: str, model_name: str) -> Response:
    """Return a completed `Response` whose output is one assistant message holding `text`."""
    created = now()
    return Response(
        id=resp_id,
        created_at=created,
        status="completed",
        model=model_name,
        output=[message_item(new_id("msg"), text)],
        completed_at=created,
    )


def create_response_created_event(response: Response, *, sequence_number: int | None = None) -> str:
    """Return the `response.created` event for `response`."""
    return _named("response.created", sequence_number, {"response": _response_json(response)})


def create_response_in_progress_event(response: Response, *, sequence_number: int | None = None) -> str:
    """Return the `response.in_progress` event for `response`."""
    return _named("response.in_progress", sequence_number, {"response": _response_json(response)})


def create_response_completed_event(response: Response, *, sequence_number: int | None = None) -> str:
    """Return the `response.completed` event for `response`."""
    return _named("response.completed", sequence_number, {"response": _response_json(response)})


def create_response_failed_event(response: Response, *, sequence_number: int | None = None) -> str:
    """Return the `response.failed` event for `response` (whose `status` should be `failed`, with `error`)."""
    return _named("response.failed", sequence_number, {"response": _response_json(response)})


def create_response_incomplete_event(response: Response, *, sequence_number: int | None = None) -> str:
    """Return the `response.incomplete` event for `response` (with `incomplete_details`)."""
    return _named("response.incomplete", sequence_number, {"response": _response_json(response)})


def create_output_item_added_event(
    output_index: int, item: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.output_item.added` event opening `item` at `output_index`."""
    return _named("response.output_item.added", sequence_number, {"output_index": output_index, "item": item})


def create_output_item_done_event(
    output_index: int, item: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.output_item.done` event closing `item` (in its final state) at `output_index`."""
    return _named("response.output_item.done", sequence_number, {"output_index": output_index, "item": item})


def create_content_part_added_event(
    item_id: str, output_index: int, content_index: int, part: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.content_part.added` event opening `part` of a message item."""
    fields = {"item_id": item_id, "output_index": output_index, "content_index": content_index, "part": part}
    return _named("response.content_part.added", sequence_number, fields)


def create_content_part_done_event(
    item_id: str, output_index: int, content_index: int, part: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.content_part.done` event closing `part` (in its final state)."""
    fields = {"item_id": item_id, "output_index": output_index, "content_index": content_index, "part": part}
    return _named("response.content_part.done", sequence_number, fields)


def create_output_text_delta_event(
    item_id: str, output_index: int, content_index: int, delta: str, *, sequence_number: int | None = None
) -> str:
    """Return a `response.output_text.delta` event (with `logprobs: []`)."""
    fields = {
        "item_id": item_id,
        "output_index": output_index,
        "content_index": content_index,
        "delta": delta,
        "logprobs": [],
    }
    return _named("response.output_text.delta", sequence_number, fields)


def create_output_text_done_event(
    item_id: str, output_index: int, content_index: int, text: str, *, sequence_number: int | None = None
) -> str:
    """Return the `response.output_text.done` event carrying the full `text` (with `logprobs: []`)."""
    fields = {
        "item_id": item_id,
        "output_index": output_index,
        "content_index": content_index,
        "text": text,
        "logprobs": [],
    }
    return _named("response.output_text.done", sequence_number, fields)


def create_function_call_arguments_delta_event(
    item_id: str, output_index: int, delta: str, *, sequence_number: int | None = None
) -> str:
    """Return a `response.function_call_arguments.delta` event."""
    fields = {"item_id": item_id, "output_index": output_index, "delta": delta}
    return _named("response.function_call_arguments.delta", sequence_number, fields)


def create_function_call_arguments_done_event(
    item_id: str,
    output_index: int,
    arguments: str,
    *,
    name: str | None = None,
    sequence_number: int | None = None,
) -> str:
    """Return the `response.function_call_arguments.done` event; give `name`, which strict clients require."""
    fields: dict[str, Any] = {"item_id": item_id, "output_index": output_index}
    if name is not None:
        fields["name"] = name
    fields["arguments"] = arguments
    return _named("response.function_call_arguments.done", sequence_number, fields)


def create_reasoning_summary_part_added_event(
    item_id: str, output_index: int, summary_index: int, part: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.reasoning_summary_part.added` event."""
    fields = {"item_id": item_id, "output_index": output_index, "summary_index": summary_index, "part": part}
    return _named("response.reasoning_summary_part.added", sequence_number, fields)


def create_reasoning_summary_part_done_event(
    item_id: str, output_index: int, summary_index: int, part: dict[str, Any], *, sequence_number: int | None = None
) -> str:
    """Return the `response.reasoning_summary_part.done` event."""
    fields = {"item_id": item_id, "output_index": output_index, "summary_index": summary_index, "part": part}
    return _named("response.reasoning_summary_part.done", sequence_number, fields)


def create_reasoning_summary_text_delta_event(
    item_id: str, output_index: int, summary_index: int, delta: str, *, sequence_number: int | None = None
) -> str:
    """Return a `response.reasoning_summary_text.delta` event."""
    fields = {"item_id": item_id, "output_index": output_index, "summary_index": summary_index, "delta": delta}
    return _named("response.reasoning_summary_text.delta", sequence_number, fields)


def create_reasoning_summary_text_done_event(
    item_id: str, output_index: int, summary_index: int, text: str, *, sequence_number: int | None = None
) -> str:
    """Return the `response.reasoning_summary_text.done` event carrying the full `text`."""
    fields = {"item_id": item_id, "output_index": output_index, "summary_index": summary_index, "text": text}
    return _named("response.reasoning_summary_text.done", sequence_number, fields)


# --- the stream encoder -------------------------------------------------------------------------


class _Item:
    """An output item of the stream being built: a message, a function call or a reasoning summary."""

    __slots__ = ("call_id", "done", "final", "id", "index", "kind", "name", "parts", "template", "tool_index")

    def __init__(self, kind: str, item_id: str, index: int, template: FrameTemplate) -> None:
        self.kind = kind
        self.id = item_id
        self.index = index
        self.template = template
        self.parts: list[str] = []
        self.final: dict[str, Any] | None = None
        self.done = False
        self.call_id = ""
        self.name: str | None = None
        self.tool_index: int | None = None

    def snapshot(self, status: str) -> dict[str, Any]:
        """The item as a dict, with what it holds so far and the given status."""
        text = "".join(self.parts)
        if self.kind == "message":
            return message_item(self.id, text, status=status)
        if self.kind == "function_call":
            return {
                "id": self.id,
                "type": "function_call",
                "status": status,
                "call_id": self.call_id,
                "name": self.name or "function",
                "arguments": text,
            }
        return {"id": self.id, "type": "reasoning", "status": status, "summary": [_summary_part(text)]}


def _summary_part(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def _describe(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the error report
        return "the exception's message could not be read"


class ResponseStreamEncoder:
    """Encodes a stream of chunks as the Responses API's named events (a core `StreamEncoder`).

    Every event carries a `sequence_number` counting from 0 without gaps, and every stream ends with
    exactly one terminal event: `response.completed`, `response.incomplete` (a chunk's
    `finish_reason` was `length` or `content_filter`) or `response.failed` (the generator raised).

    Chunks understood, in this order:

    - a `Response`: ends the stream; its items are sent (unless already sent) and it becomes the
      terminal event, as its author made it (its own `id` included), with the keys the wire
      requires that the author left out filled in;
    - a custom event (an object with `to_event_dict()`): sent as a named event whose name is the
      dict's `type` (default `response.event`);
    - a reasoning chunk (truthy `reasoning`): a `reasoning` item with a summary;
    - function-call fragments (`tool_calls` entries, or `function_call_id`/`function_call_name`/
      `function_call_arguments`): one `function_call` item per call; calls with an `index` may interleave;
    - anything else becomes text: `str` as is, a `str` `.content` as is, else `chunk_mapper(chunk)`.

    Chunks may also carry token `usage` (or Haystack's `meta["usage"]`) and a `finish_reason`.

    Args:
        resp_id: the response id (`resp_...`).
        model: the model name reported in the response.
        chunk_mapper: turns chunks that are neither `str` nor carry `str` content into text.
        request: the request body; its settings (`instructions`, `tools`, ...) are echoed in the response.
        created_at: the creation time (Unix seconds); now by default.
        expose_errors: `response.failed` says `Pipeline execution failed: <message>`; with `False`
            only `Pipeline execution failed.` (no exception text).
        v1_framing: frame the stream as the 1.x helpers did: a yielded `Response` becomes the
            terminal event without `output_item` events for the items it holds.

    After the terminal event, `final_response` holds the response object that was sent.
    """

    def __init__(
        self,
        resp_id: str,
        model: str,
        *,
        chunk_mapper: ChunkMapper = default_chunk_mapper,
        request: Mapping[str, Any] | None = None,
        created_at: int | None = None,
        expose_errors: bool = True,
        v1_framing: bool = False,
    ) -> None:
        self.resp_id = resp_id
        self.v1_framing = v1_framing
        self.expose_errors = expose_errors
        self.model = model
        self.chunk_mapper = chunk_mapper
        self.created_at = now() if created_at is None else created_at
        self.settings = request_settings(request)
        self.finished = False
        self.terminated = False
        self.final_response: dict[str, Any] | None = None
        self._seq = 0
        self._pending: list[bytes] = []
        self._items: list[_Item] = []
        self._next_index = 0
        self._text: _Item | None = None
        self._reasoning: _Item | None = None
        self._calls_by_index: dict[int, _Item] = {}
        self._calls_by_id: dict[str, _Item] = {}
        self._last_call: _Item | None = None
        self._usage: dict[str, Any] | None = None
        self._finish_reason: str | None = None

    # -- StreamEncoder protocol -------------------------------------------------------------------

    def open(self) -> bytes:
        """Return `response.created` and `response.in_progress`."""
        try:
            snapshot = self._response("in_progress", [])
            self._emit("response.created", {"response": snapshot})
            self._emit("response.in_progress", {"response": snapshot})
        except Exception as exc:
            logger.error("Could not start the response stream", exc_info=exc)
            return self.fail(exc)
        return self._flush()

    def encode(self, chunk: Any) -> bytes:
        """Return the events for one chunk (nothing once the stream has ended)."""
        if type(chunk) is str:
            item = self._text
            if item is not None and chunk:
                # The hot path: one more piece of an open message costs one template render.
                item.parts.append(chunk)
                seq = self._seq
                self._seq = seq + 1
                return item.template.render(seq, chunk)
            if not chunk or self.terminated:
                return b""
            self._add_text(chunk)
            return self._flush()
        if self.terminated:
            return b""
        if isinstance(chunk, Response):
            self._finish_with(chunk)
        elif is_custom_event(chunk):
            self._custom_event(chunk)
        else:
            self._content_chunk(chunk)
        return self._flush()

    def close(self) -> bytes:
        """Close the open items and return them with the terminal event (completed or incomplete)."""
        if self.terminated:
            return self._flush()
        try:
            self._close_all()
            reason = _INCOMPLETE_REASONS.get(self._finish_reason or "")
            output = [item.final for item in self._items if item.final is not None]
            if reason is None:
                response = self._response("completed", output, completed_at=now())
                self._terminal("response.completed", response)
            else:
                response = self._response("incomplete", output, incomplete_details={"reason": reason})
                self._terminal("response.incomplete", response)
        except Exception as exc:
            logger.error("Could not finish the response stream", exc_info=exc)
            return self.fail(exc)
        return self._flush()

    def fail(self, exc: Exception) -> bytes:
        """Return `response.failed` (status `failed`, `error: {code, message}`); never raises."""
        if self.terminated:
            return self._flush()
        message = f"{FAILURE_PREFIX}: {_describe(exc)}" if self.expose_errors else f"{FAILURE_PREFIX}."
        error = {"code": "server_error", "message": message}
        try:
            output = [item.final or item.snapshot("incomplete") for item in self._items]
            self._terminal("response.failed", self._response("failed", output, error=error))
        except Exception:
            # The failure report itself must go out: send it without the output and settings.
            logger.exception("Could not report the failure with the response's output; reporting it without")
            response = build_response(
                self.resp_id, self.model, self.created_at, {}, status="failed", output=[], error=error
            )
            self._terminal("response.failed", response)
        return self._flush()

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

    def _terminal(self, event: str, response: dict[str, Any]) -> None:
        self._emit(event, {"response": response})
        self._end(response)

    def _end(self, response: dict[str, Any] | None) -> None:
        """Mark the stream ended: nothing is encoded after its terminal event."""
        self.final_response = response
        self.terminated = True
        self.finished = True
        self._text = None
        self._reasoning = None

    def _response(self, status: str, output: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        return build_response(
            self.resp_id,
            self.model,
            self.created_at,
            self.settings,
            status=status,
            output=output,
            usage=self._usage,
            **fields,
        )

    def _template(self, event: str, fields: dict[str, Any]) -> FrameTemplate:
        """A pre-encoded delta event: slot 0 is the sequence number, slot 1 the delta."""
        return FrameTemplate({"type": event, "sequence_number": slot(0), **fields}, event=event)

    def _new_item(self, kind: str, prefix: str, event: str, fields: dict[str, Any]) -> _Item:
        item_id = new_id(prefix)
        index = self._next_index
        self._next_index += 1
        template = self._template(event, {"item_id": item_id, "output_index": index, **fields})
        item = _Item(kind, item_id, index, template)
        self._items.append(item)
        return item

    # -- chunks -------------------------------------------------------------------------------------

    def _content_chunk(self, chunk: Any) -> None:
        usage = extract_usage(chunk)
        if usage:
            self._usage = normalise_usage(usage)
        reason = extract_finish_reason(chunk)
        if reason is not None:
            self._finish_reason = reason
        reasoning = extract_reasoning_text(chunk)
        if reasoning is not None:
            self._add_reasoning(reasoning)
            return
        fragments = extract_tool_call_fragments(chunk)
        if fragments:
            for fragment in fragments:
                self._add_call_fragment(fragment)
            return
        text = self._text_of(chunk)
        if text:
            self._add_text(text)

    def _text_of(self, chunk: Any) -> str:
        if isinstance(chunk, str):
            return chunk
        content = getattr(chunk, "content", None)
        if isinstance(content, str):
            return content
        # Mappers written for 1.x sometimes return non-strings; send their text.
        mapped: Any = self.chunk_mapper(chunk)
        return mapped if isinstance(mapped, str) else str(mapped)

    def _custom_event(self, chunk: Any) -> None:
        event = dict(chunk.to_event_dict())
        name = str(event.get("type") or "response.event")
        event.pop("sequence_number", None)
        event["type"] = name
        self._emit(name, event)
        if name in TERMINAL_EVENTS:
            # The callback ended the stream itself; nothing may follow a terminal event.
            response = event.get("response")
            self._end(response if isinstance(response, dict) else None)

    def _finish_with(self, response: Response) -> None:
        self._close_all()
        # The author's object as given (its id too: a callback that stores responses under its own ids
        # needs clients to see them), with what the wire requires and the author left out.
        data = normalise_response(response, self.settings)
        sent = {_identity(item.final) for item in self._items if item.final is not None}
        # 1.x sent the object alone; clients that build the output from item events need them.
        unsent = [] if self.v1_framing else data.get("output") or []
        for item in unsent:
            if isinstance(item, Mapping) and _identity(item) not in sent:
                index = self._next_index
                self._next_index += 1
                self._emit("response.output_item.added", {"output_index": index, "item": item})
                self._emit("response.output_item.done", {"output_index": index, "item": item})
        self._terminal(_TERMINAL_FOR_STATUS.get(str(data.get("status")), "response.completed"), data)

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
        seq = self._seq
        self._seq = seq + 1
        self._pending.append(item.template.render(seq, text))

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
                {"item_id": item.id, "output_index": item.index, "summary_index": 0, "part": _summary_part("")},
            )
        item.parts.append(text)
        seq = self._seq
        self._seq = seq + 1
        self._pending.append(item.template.render(seq, text))

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

    def _add_call_fragment(self, fragment: ToolCallFragment) -> None:
        self._close_reasoning()
        self._close_text()
        call = self._call_for(fragment)
        if call is None:
            call = self._open_call(fragment)
        elif fragment.name and call.name is None:
            call.name = fragment.name
        if fragment.arguments:
            call.parts.append(fragment.arguments)
            seq = self._seq
            self._seq = seq + 1
            self._pending.append(call.template.render(seq, fragment.arguments))
        self._last_call = call

    def _call_for(self, fragment: ToolCallFragment) -> _Item | None:
        """The open call a fragment continues, or None when it starts a new call (closing a replaced one)."""
        if fragment.index is not None:
            call = self._calls_by_index.get(fragment.index)
            if call is None and fragment.call_id is not None:
                # An open call that gets its index only now: clients know a call by its id, keep one item.
                call = self._calls_by_id.get(fragment.call_id)
                if call is not None:
                    self._calls_by_index[fragment.index] = call
                    call.tool_index = fragment.index
            elif call is not None and fragment.call_id is not None and fragment.call_id != call.call_id:
                # The same index with another id: a later call (e.g. the next turn of an agent loop).
                self._close_call(call)
                return None
            return call
        if fragment.call_id is not None:
            call = self._calls_by_id.get(fragment.call_id)
            last = self._last_call
            if call is None and last is not None and last.tool_index is None:
                # Calls without an index come one after another: a new id closes the previous call.
                self._close_call(last)
            return call
        return self._last_call

    def _open_call(self, fragment: ToolCallFragment) -> _Item:
        call = self._new_item("function_call", "fc", "response.function_call_arguments.delta", {"delta": slot(1)})
        call.call_id = fragment.call_id or new_id("call")
        call.name = fragment.name or None
        call.tool_index = fragment.index
        if fragment.index is not None:
            self._calls_by_index[fragment.index] = call
        self._calls_by_id[call.call_id] = call
        self._emit("response.output_item.added", {"output_index": call.index, "item": call.snapshot("in_progress")})
        return call

    def _close_call(self, call: _Item) -> None:
        final = call.snapshot("completed")
        self._emit(
            "response.function_call_arguments.done",
            {"item_id": call.id, "output_index": call.index, "name": final["name"], "arguments": final["arguments"]},
        )
        self._emit("response.output_item.done", {"output_index": call.index, "item": final})
        call.final = final
        if call.tool_index is not None and self._calls_by_index.get(call.tool_index) is call:
            del self._calls_by_index[call.tool_index]
        if self._calls_by_id.get(call.call_id) is call:
            del self._calls_by_id[call.call_id]
        if self._last_call is call:
            self._last_call = None

    def _close_all(self) -> None:
        """Close every open item, in output order."""
        for item in self._items:
            if item.final is not None:
                continue
            if item is self._text:
                self._close_text()
            elif item is self._reasoning:
                self._close_reasoning()
            else:
                self._close_call(item)


def _identity(item: Mapping[str, Any]) -> tuple[str, Any]:
    # Clients identify a function call by its call_id, other items by their id.
    if item.get("type") == "function_call":
        return ("call", item.get("call_id"))
    return ("item", item.get("id"))


# --- streaming responses ------------------------------------------------------------------------


def create_responses_streaming_response(
    result: Generator[Any, None, None],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
) -> EventStreamResponse:
    """Stream a sync generator's chunks as Responses API events, framed as fastapi-openai-compat 1.x did.

    A `Response` the generator yields ends the stream as `response.completed`, passed through as
    given (its `id` included; keys the wire requires and it lacks are filled in). Returns a
    Starlette `StreamingResponse` subclass (`text/event-stream`); iterating its `body_iterator`
    gives one `str` per event frame.
    """
    encoder = ResponseStreamEncoder(resp_id, model_name, chunk_mapper=chunk_mapper, v1_framing=True)
    return EventStreamResponse(result, encoder, log=logger)


def create_async_responses_streaming_response(
    result: AsyncGenerator[Any, None],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
) -> EventStreamResponse:
    """Stream an async generator's chunks as Responses API events (see `create_responses_streaming_response`)."""
    encoder = ResponseStreamEncoder(resp_id, model_name, chunk_mapper=chunk_mapper, v1_framing=True)
    return EventStreamResponse(result, encoder, log=logger)


__all__ = [
    "TERMINAL_EVENTS",
    "ResponseStreamEncoder",
    "create_async_responses_streaming_response",
    "create_content_part_added_event",
    "create_content_part_done_event",
    "create_function_call_arguments_delta_event",
    "create_function_call_arguments_done_event",
    "create_output_item_added_event",
    "create_output_item_done_event",
    "create_output_text_delta_event",
    "create_output_text_done_event",
    "create_reasoning_summary_part_added_event",
    "create_reasoning_summary_part_done_event",
    "create_reasoning_summary_text_delta_event",
    "create_reasoning_summary_text_done_event",
    "create_response_completed_event",
    "create_response_created_event",
    "create_response_failed_event",
    "create_response_in_progress_event",
    "create_response_incomplete_event",
    "create_responses_streaming_response",
    "format_named_sse_event",
    "response_from_text",
]
