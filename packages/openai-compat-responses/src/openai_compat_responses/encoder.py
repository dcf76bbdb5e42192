"""The Responses stream encoder: whatever a generator yields, written as the Responses API's named events."""

import logging
from collections.abc import Mapping
from typing import Any

from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper, read_chunk
from openai_compat_core.errors import stream_error
from openai_compat_core.pipeline import FAILURE_PREFIX
from openai_compat_responses._objects import (
    build_response,
    normalise_response,
    normalise_usage,
    now,
    request_settings,
)
from openai_compat_responses._stream_items import OutputItems, identity
from openai_compat_responses.models import Response

logger = logging.getLogger("fastapi_openai_compat.responses")

TERMINAL_EVENTS = frozenset({"response.completed", "response.failed", "response.incomplete"})
"""The events that end a Responses stream; every stream ends with exactly one of them."""

# finish_reason values that make a response incomplete, and the reason OpenAI gives for each.
_INCOMPLETE_REASONS = {
    "length": "max_output_tokens",
    "max_tokens": "max_output_tokens",
    "content_filter": "content_filter",
}
_TERMINAL_FOR_STATUS = {"failed": "response.failed", "incomplete": "response.incomplete"}


class ResponseStreamEncoder(OutputItems):
    """Encodes a stream of chunks as the Responses API's named events (a core `StreamEncoder`).

    Every event carries a `sequence_number` counting from 0 without gaps, and every stream ends with
    exactly one terminal event: `response.completed`, `response.incomplete` (a chunk's
    `finish_reason` was `length` or `content_filter`) or `response.failed` (the generator raised).

    Chunks are read with core's `read_chunk`:

    - a `Response`: ends the stream; its items are sent (unless already sent) and it becomes the
      terminal event as its author made it (its own `id` included, as 1.x sent it: a callback that
      stores responses under its own ids needs clients to see them), with the fields it left unset
      filled from the request;
    - a custom event (an object with `to_event_dict()`): sent as a named event whose name is the
      dict's `type` (default `response.event`);
    - a reasoning chunk: a `reasoning` item with a summary;
    - tool-call fragments: one `function_call` item per call, grouped by core's `ToolCallAssembler`
      (calls with an `index` may interleave; a call closes when a fragment replaces it); text that
      comes beside them goes to the message item;
    - anything else is text: a `str` as it is, another chunk what `chunk_mapper` makes of it.

    Chunks may also carry token `usage` (or Haystack's `meta["usage"]`) and a `finish_reason`.

    Args:
        resp_id: the response id (`resp_...`).
        model: the model name reported in the response.
        chunk_mapper: turns chunks other than `str` into text (the default: `.content`, else `str(chunk)`).
        request: the request body; its settings (`instructions`, `tools`, ...) are echoed in the response.
        created_at: the creation time (Unix seconds); now by default.
        expose_errors: `response.failed` says `Pipeline execution failed: <message>`; with `False`
            only `Pipeline execution failed.` (no exception text). An `HTTPException` keeps its
            message, and an `OpenAIHTTPException` its code.
        v1_framing: frame the stream as the 1.x helpers did: a yielded `Response` becomes the terminal
            event without `output_item` events for the items it holds.
        fixed_id: a yielded `Response` takes `resp_id` instead of keeping its own id (with a response
            store the id is the key clients retrieve the response by).
        extra_fields: fields added to every response object of the stream (e.g. `conversation`).

    After the terminal event, `final_response` holds the response object that was sent. A background
    stream starts with `queued()` (`response.created` and `response.queued`, status `queued`); its
    `open()` then sends only `response.in_progress`.
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
        fixed_id: bool = False,
        extra_fields: Mapping[str, Any] | None = None,
    ) -> None:
        self.resp_id = resp_id
        self.fixed_id = fixed_id
        self.extra_fields = dict(extra_fields) if extra_fields else None
        self._announced = False
        self.v1_framing = v1_framing
        self.expose_errors = expose_errors
        self.model = model
        self.chunk_mapper = chunk_mapper
        self.created_at = now() if created_at is None else created_at
        self.settings = request_settings(request)
        self.finished = False
        self.terminated = False
        self.final_response: dict[str, Any] | None = None
        self._usage: dict[str, Any] | None = None
        self._finish_reason: str | None = None
        super().__init__()

    # -- StreamEncoder protocol -------------------------------------------------------------------

    @property
    def next_sequence_number(self) -> int:
        """The `sequence_number` the next event will carry (how many events were made so far)."""
        return self._seq

    def queued(self) -> bytes:
        """Return `response.created` and `response.queued` (status `queued`), for a background stream.

        Call it before `open()`, which then sends only `response.in_progress`.
        """
        snapshot = self._response("queued", [])
        self._emit("response.created", {"response": snapshot})
        self._emit("response.queued", {"response": snapshot})
        self._announced = True
        return self._flush()

    def snapshot(self, status: str) -> dict[str, Any]:
        """The response object as it stands, with `status`: items done as they are, open ones `incomplete`.

        Reads the encoder's state only (it sends nothing): for the record of a stream that stopped
        before its end (its client left, or it was cancelled).
        """
        output = [item.final or item.snapshot("incomplete") for item in list(self._items)]
        return self._response(status, output)

    def open(self) -> bytes:
        """Return `response.created` and `response.in_progress` (only the latter after `queued()`)."""
        try:
            snapshot = self._response("in_progress", [])
            if not self._announced:
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
        else:
            self._chunk(chunk)
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
        reported = stream_error(exc, FAILURE_PREFIX, expose=self.expose_errors)
        error = {"code": reported["code"] or reported["type"], "message": reported["message"]}
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

    # -- the response object and the end of the stream ---------------------------------------------

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
        data = build_response(
            self.resp_id,
            self.model,
            self.created_at,
            self.settings,
            status=status,
            output=output,
            usage=self._usage,
            **fields,
        )
        if self.extra_fields:
            data.update(self.extra_fields)
        return data

    # -- chunks -------------------------------------------------------------------------------------

    def _chunk(self, chunk: Any) -> None:
        read = read_chunk(chunk, self.chunk_mapper)
        if read.event is not None:
            self._custom_event(read.event)
            return
        if read.usage:
            self._usage = normalise_usage(read.usage)
        if read.finish_reason is not None:
            self._finish_reason = read.finish_reason
        if read.reasoning is not None:
            self._add_reasoning(read.reasoning)
            return
        if read.text:
            self._add_text(read.text)
        for fragment in read.tool_calls:
            self._add_call_fragment(fragment)

    def _custom_event(self, event: dict[str, Any]) -> None:
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
        data = normalise_response(response, self.settings)
        if self.fixed_id:
            data["id"] = self.resp_id
        if self.extra_fields:
            data.update(self.extra_fields)
        sent = {identity(item.final) for item in self._items if item.final is not None}
        # 1.x sent the object alone; clients that build the output from item events need them.
        for item in [] if self.v1_framing else data.get("output") or []:
            if isinstance(item, Mapping) and identity(item) not in sent:
                index = self._next_index
                self._next_index += 1
                self._emit("response.output_item.added", {"output_index": index, "item": item})
                self._emit("response.output_item.done", {"output_index": index, "item": item})
        self._terminal(_TERMINAL_FOR_STATUS.get(str(data.get("status")), "response.completed"), data)


__all__ = ["TERMINAL_EVENTS", "ResponseStreamEncoder"]
