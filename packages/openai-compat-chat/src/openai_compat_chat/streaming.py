"""Streaming Chat Completions: whatever your generator yields, written as OpenAI's `chat.completion.chunk` stream.

`ChatStreamEncoder` is the wire format; `create_sync_streaming_response` and
`create_async_streaming_response` wrap a generator into a streaming response that uses it. The
other helpers (`create_sse_data_msg`, `event_to_sse_msg`, `chat_completion_response`) build
single frames or whole completions, as in fastapi-openai-compat 1.x.

What a stream looks like on the wire (`id`, `object`, `created` and `model` left out)::

    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}
    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":"lo"},"logprobs":null,"finish_reason":null}]}
    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}]}
    data:[DONE]

Every delta carries `role` (1.x consumers parse each chunk with `ChatCompletion`, whose `Message.role`
is required), and a delta with tool calls or reasoning but no text carries `"content": null`. The
routers end the stream with the done frame; the 1.x helpers do not unless asked (`done_frame=True`).
"""

import json
import logging
import os
import time
from collections.abc import AsyncGenerator, AsyncIterable, Generator, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException

from openai_compat_chat.models import ChatCompletion, Choice, Message
from openai_compat_core.callbacks import ChunkMapper
from openai_compat_core.chunks import (
    ToolCallFragment,
    default_chunk_mapper,
    extract_finish_reason,
    extract_reasoning_text,
    extract_tool_call_fragments,
    extract_usage,
    is_custom_event,
    to_chat_usage,
)
from openai_compat_core.errors import OpenAIHTTPException, error_type_for_status
from openai_compat_core.sse import COMPACT_DONE_FRAME, DONE_FRAME, FrameTemplate, data_frame, slot, split_frames
from openai_compat_core.streaming import EventStreamResponse

logger = logging.getLogger("fastapi_openai_compat.chat_completions")

_CHUNK = "chat.completion.chunk"
_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def new_completion_id() -> str:
    """Return a fresh completion id in OpenAI's format, `chatcmpl-` and 32 hex digits (128 random bits)."""
    return f"chatcmpl-{os.urandom(16).hex()}"


def _new_call_id() -> str:
    return f"call_{os.urandom(12).hex()}"


@dataclass(slots=True)
class _ToolCall:
    """What the encoder remembers about one streamed tool call."""

    index: int
    source_id: str | None
    named: bool


class ChatStreamEncoder:
    """Turns the chunks of a generator into Chat Completions SSE frames (a core `StreamEncoder`).

    What each chunk becomes:

    - `str`, or anything `chunk_mapper` turns into text: a `content` delta, also when the text is `""`
      (as 1.x sent it: Haystack generators often yield such chunks, and 1.x consumers count frames).
    - an object with `to_event_dict()`: a custom frame `data: {"event": {...}}`.
    - an object with reasoning (`reasoning.reasoning_text`, Haystack style): a `reasoning_content` delta.
    - an object with tool-call deltas (Haystack `ToolCallDelta` and look-alikes): a `tool_calls` delta.
      Parallel calls get indexes 0, 1, ... in order of appearance and may interleave; `id`, `type` and
      `function.name` are sent on a call's first delta only (an id is made up if the chunk has none).
    - a `ChatCompletion` chunk: sent with the stream's `id`, `created` and `model`, as a chunk.

    Every delta carries `"role": "assistant"`, and a delta with tool calls or reasoning but no text
    carries `"content": null`, as 1.x did (1.x consumers parse each chunk with `ChatCompletion`, whose
    `Message.role` is required). Once a stream has carried reasoning, every later delta also carries
    `"reasoning_content": null` when it has none, as DeepSeek's API (and 1.x) do. A `finish_reason`
    on a chunk is sent with it; if no chunk gave one, the stream ends with a chunk whose delta is
    `{"role": "assistant", "content": ""}` and whose `finish_reason` is `"tool_calls"` (tool calls
    were streamed) or `"stop"`. With `include_usage`, every chunk carries `"usage": null` and a last
    chunk with `"choices": []` carries the usage a chunk reported (`.usage` or Haystack's
    `meta["usage"]`), or zeros. The stream ends with `done_frame`.

    Args:
        completion_id: the `id` of every chunk.
        model: the `model` of every chunk.
        created: the `created` of every chunk (default: now).
        chunk_mapper: turns a chunk that is not otherwise recognised into text.
        include_usage: the client sent `stream_options: {"include_usage": true}`.
        done_frame: the end-of-stream frame, `COMPACT_DONE_FRAME` (`data:[DONE]`) or `DONE_FRAME`;
            `b""` for none.
        expose_errors: a failure other than an `HTTPException` is reported as `Pipeline execution
            failed: <message>`; with `False` as `Pipeline execution failed.` (no exception text).
        v1_framing: frame the stream as the 1.x helpers did: the automatic finish chunk is added only
            after a chunk of text, reasoning or tool calls (not after custom events or `ChatCompletion`
            chunks alone, nor in an empty stream).
    """

    def __init__(
        self,
        completion_id: str,
        model: str,
        *,
        created: int | None = None,
        chunk_mapper: ChunkMapper = default_chunk_mapper,
        include_usage: bool = False,
        done_frame: bytes = COMPACT_DONE_FRAME,
        expose_errors: bool = True,
        v1_framing: bool = False,
    ) -> None:
        self.finished = False
        self.expose_errors = expose_errors
        self.completion_id = completion_id
        self.model = model
        self.created = int(time.time()) if created is None else created
        self.include_usage = include_usage
        self.done_frame = done_frame
        self.v1_framing = v1_framing
        self._mapper = chunk_mapper
        self._plain_text = chunk_mapper is default_chunk_mapper
        self._head: dict[str, Any] = {
            "id": completion_id,
            "object": _CHUNK,
            "created": self.created,
            "model": model,
        }
        self._tail: dict[str, Any] = {"usage": None} if include_usage else {}
        text_delta: dict[str, Any] = {"role": "assistant", "content": slot(0)}
        choice: dict[str, Any] = {"index": 0, "delta": text_delta, "logprobs": None, "finish_reason": None}
        self._text = FrameTemplate({**self._head, "choices": [choice], **self._tail})
        # After reasoning, text deltas say that they carry none (the reasoning has ended).
        after_reasoning = {**text_delta, "reasoning_content": None}
        choice = {"index": 0, "delta": after_reasoning, "logprobs": None, "finish_reason": None}
        self._text_after_reasoning = FrameTemplate({**self._head, "choices": [choice], **self._tail})
        choice = {"index": 0, "delta": slot(0), "logprobs": None, "finish_reason": slot(1)}
        self._delta = FrameTemplate({**self._head, "choices": [choice], **self._tail})
        self._content_seen = False  # a chunk of text, reasoning or tool calls was encoded
        self._reasoning_seen = False
        self._finish_sent = False
        self._tool_calls_seen = False
        self._calls: list[_ToolCall] = []
        self._calls_by_source_index: dict[int, _ToolCall] = {}
        self._calls_by_id: dict[str, _ToolCall] = {}
        self._last_call: _ToolCall | None = None
        self._usage: dict[str, Any] | None = None

    # --- StreamEncoder -------------------------------------------------------------------------

    def open(self) -> bytes:
        """Nothing is sent before the first chunk."""
        return b""

    def encode(self, chunk: Any) -> bytes:
        """Encode one chunk of the user's generator; may return no frame at all."""
        if self._plain_text and type(chunk) is str:
            if chunk:
                self._content_seen = True
                return self._text.render(chunk)
            return self._text_frame(chunk, None)
        return self._encode_object(chunk)

    def close(self) -> bytes:
        """End the stream: the automatic finish chunk if needed, the usage chunk if asked, the done frame."""
        out = b""
        if not self._finish_sent and (self._content_seen or not self.v1_framing):
            reason = "tool_calls" if self._tool_calls_seen else "stop"
            out += self._delta_frame({"role": "assistant", "content": ""}, reason)
        if self.include_usage:
            usage = to_chat_usage(self._usage) if self._usage else dict(_ZERO_USAGE)
            out += data_frame({**self._head, "choices": [], "usage": usage})
        return out + self.done_frame

    @property
    def reported_usage(self) -> dict[str, Any] | None:
        """The usage the last chunk that carried one reported, in Chat Completions form, or None."""
        return to_chat_usage(self._usage) if self._usage else None

    def fail(self, exc: Exception) -> bytes:
        """Report a failure after the stream started: an error frame, then the done frame."""
        return data_frame({"error": _error_object(exc, expose=self.expose_errors)}) + self.done_frame

    # --- chunk kinds ---------------------------------------------------------------------------

    def _encode_object(self, chunk: Any) -> bytes:
        if isinstance(chunk, str):
            return self._text_frame(self._mapper(chunk), None)
        if isinstance(chunk, ChatCompletion):
            return self._completion_frame(chunk)
        if is_custom_event(chunk):
            return data_frame({"event": chunk.to_event_dict()})
        usage = extract_usage(chunk)
        if usage:
            self._usage = usage
        finish_reason = extract_finish_reason(chunk)
        reasoning = extract_reasoning_text(chunk)
        if reasoning is not None:
            self._content_seen = True
            self._reasoning_seen = True
            self._text = self._text_after_reasoning
            delta: dict[str, Any] = {"role": "assistant", "content": None, "reasoning_content": reasoning}
            return self._delta_frame(delta, finish_reason)
        fragments = extract_tool_call_fragments(chunk)
        if fragments:
            self._content_seen = True
            self._tool_calls_seen = True
            content = getattr(chunk, "content", None)
            delta = {
                "role": "assistant",
                # Text that comes with the calls is kept; without any, OpenAI (and 1.x) send null.
                "content": content if isinstance(content, str) and content else None,
                "tool_calls": [self._tool_call_delta(fragment) for fragment in fragments],
            }
            return self._delta_frame(delta, finish_reason)
        return self._text_frame(self._mapper(chunk), finish_reason)

    def _text_frame(self, text: str, finish_reason: str | None) -> bytes:
        if text:
            self._content_seen = True
            if finish_reason is None:
                return self._text.render(text)
            return self._delta_frame({"role": "assistant", "content": text}, finish_reason)
        # 1.x sent every chunk, even one without text; the finish chunk of a stream looks the same.
        self._content_seen = True
        return self._delta_frame({"role": "assistant", "content": ""}, finish_reason)

    def _delta_frame(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        if self._reasoning_seen and "reasoning_content" not in delta:
            delta = {"role": delta["role"], "content": delta["content"], "reasoning_content": None, **delta}
        if finish_reason is not None:
            self._finish_sent = True
        return self._delta.render(delta, finish_reason)

    def _tool_call_delta(self, fragment: ToolCallFragment) -> dict[str, Any]:
        call = self._find_call(fragment)
        arguments = fragment.arguments or ""
        if call is None:
            call = _ToolCall(index=len(self._calls), source_id=fragment.call_id, named=fragment.name is not None)
            self._calls.append(call)
            if fragment.index is not None:
                self._calls_by_source_index[fragment.index] = call
            if fragment.call_id is not None:
                self._calls_by_id[fragment.call_id] = call
            self._last_call = call
            function: dict[str, Any] = {"arguments": arguments}
            if fragment.name is not None:
                function = {"name": fragment.name, "arguments": arguments}
            return {
                "index": call.index,
                "id": fragment.call_id or _new_call_id(),
                "type": "function",
                "function": function,
            }
        self._last_call = call
        if not call.named and fragment.name is not None:
            call.named = True
            return {"index": call.index, "function": {"name": fragment.name, "arguments": arguments}}
        return {"index": call.index, "function": {"arguments": arguments}}

    def _find_call(self, fragment: ToolCallFragment) -> _ToolCall | None:
        """The call a fragment continues, or None when it starts a new one."""
        if fragment.call_id is not None and fragment.call_id in self._calls_by_id:
            return self._calls_by_id[fragment.call_id]
        if fragment.index is not None:
            call = self._calls_by_source_index.get(fragment.index)
            # The same index with another id is a new call (some producers number every call 0).
            if call is not None and (fragment.call_id is None or call.source_id is None):
                return call
            return None
        if fragment.call_id is None:
            return self._last_call
        return None

    def _completion_frame(self, completion: ChatCompletion) -> bytes:
        if completion.usage:
            self._usage = dict(completion.usage)
        if not completion.choices and completion.usage:
            # A usage-only chunk: its usage goes into the final usage chunk (when the client asked for it).
            return b""
        choices = [self._normalise_choice(choice) for choice in completion.choices]
        payload: dict[str, Any] = {**self._head}
        if completion.system_fingerprint is not None:
            payload["system_fingerprint"] = completion.system_fingerprint
        payload["choices"] = choices
        for key, value in (completion.model_extra or {}).items():
            payload.setdefault(key, value)
        payload.pop("usage", None)
        payload.update(self._tail)
        return data_frame(payload)

    def _normalise_choice(self, choice: Choice) -> dict[str, Any]:
        source = choice.delta if choice.delta is not None else choice.message
        fields = source.model_dump(exclude_none=True) if source is not None else {}
        role = fields.pop("role", None) or "assistant"
        delta: dict[str, Any] = {"role": role}
        if "content" not in fields and ("tool_calls" in fields or "reasoning_content" in fields):
            delta["content"] = None
        delta.update(fields)
        index = choice.index
        calls = delta.get("tool_calls")
        if calls:
            self._tool_calls_seen = True
            # A whole message's calls (a completion re-sent as a chunk) lack the `index` deltas need.
            delta["tool_calls"] = [
                {"index": position, **call} if isinstance(call, dict) and "index" not in call else call
                for position, call in enumerate(calls)
            ]
        if choice.finish_reason is not None:
            self._finish_sent = True
        out: dict[str, Any] = {
            "index": index,
            "delta": delta,
            "logprobs": choice.logprobs,
            "finish_reason": choice.finish_reason,
        }
        for key, value in (choice.model_extra or {}).items():
            out.setdefault(key, value)
        return out


def completion_from_frames(
    frames: bytes, *, completion_id: str, model: str, created: int, usage: Any
) -> dict[str, Any]:
    """Merge the frames a `ChatStreamEncoder` made into one `chat.completion` object (a non-streaming answer).

    Text, reasoning and tool-call argument deltas are concatenated per choice; a tool call's `id`,
    `type` and `name` come from its first delta; the last `finish_reason` of a choice wins. Custom
    events have no place in a completion and are dropped.
    """
    choices: dict[int, dict[str, Any]] = {}
    fingerprint = None
    for frame in split_frames(frames):
        if not frame.startswith(b"data: {"):
            continue  # the end-of-stream frame
        payload = json.loads(frame[6:])
        if "choices" not in payload:
            continue  # a custom event
        fingerprint = payload.get("system_fingerprint", fingerprint)
        for choice in payload["choices"]:
            index = choice.get("index", 0)
            merged = choices.get(index)
            if merged is None:
                merged = choices[index] = {"index": index, "message": {"role": "assistant"}, "finish_reason": None}
            _merge_delta(merged["message"], choice.get("delta") or {})
            if choice.get("finish_reason") is not None:
                merged["finish_reason"] = choice["finish_reason"]
    out_choices = []
    for index in sorted(choices):
        choice = choices[index]
        message = choice["message"]
        calls = message.pop("_calls", None)
        if "content" not in message and not calls and message.get("reasoning_content") is None:
            message["content"] = ""  # an answer without anything at all is an empty text, not a null one
        out_choices.append(
            {
                "index": index,
                "finish_reason": choice["finish_reason"] or "stop",
                "logprobs": None,
                "message": {
                    "role": message.get("role", "assistant"),
                    "content": message.get("content"),
                    "reasoning_content": message.get("reasoning_content"),
                    "tool_calls": [calls[key] for key in sorted(calls)] if calls else None,
                    "refusal": message.get("refusal"),
                },
            }
        )
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": out_choices,
        "usage": usage,
        "system_fingerprint": fingerprint,
    }


def _merge_delta(message: dict[str, Any], delta: dict[str, Any]) -> None:
    for key, value in delta.items():
        if key == "tool_calls":
            calls = message.setdefault("_calls", {})
            for call in value or ():
                _merge_call(calls, call)
        elif key == "role":
            message["role"] = value
        elif value == "":
            continue  # every delta has a content key; "" adds nothing (and must not turn a null content into "")
        elif isinstance(value, str) and isinstance(message.get(key), str):
            message[key] += value
        elif value is not None:
            message[key] = value


def _merge_call(calls: dict[int, dict[str, Any]], delta: dict[str, Any]) -> None:
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


def _error_object(exc: Exception, *, expose: bool = True) -> dict[str, Any]:
    """The `error` object of the frame that reports a mid-stream failure.

    An `HTTPException` is the pipeline's own answer and is sent as it is; any other exception is
    `Pipeline execution failed: <message>`, or without the message when `expose` is false.
    """
    if isinstance(exc, OpenAIHTTPException):
        return {"message": exc.message, "type": exc.type, "param": exc.param, "code": exc.code}
    if isinstance(exc, HTTPException):
        return {"message": str(exc.detail), "type": error_type_for_status(exc.status_code), "param": None, "code": None}
    message = f"Pipeline execution failed: {exc!s}" if expose else "Pipeline execution failed."
    return {"message": message, "type": "server_error", "param": None, "code": None}


def streaming_response(
    result: Iterable[Any] | AsyncIterable[Any],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    *,
    include_usage: bool = False,
    done_frame: bool = True,
    openai_done_frame: bool = False,
    created: int | None = None,
    expose_errors: bool = True,
    v1_framing: bool = False,
) -> EventStreamResponse:
    """Stream a sync or async iterable of chunks as a Chat Completions SSE response.

    Args:
        result: the generator (sync or async) of your pipeline.
        resp_id: the `id` of every chunk.
        model_name: the `model` of every chunk.
        chunk_mapper: turns an unrecognised chunk into text.
        include_usage: end with a `choices: []` chunk carrying usage, as `stream_options.include_usage` asks.
        done_frame: end the stream with the `[DONE]` frame (`data:[DONE]`).
        openai_done_frame: write that frame `data: [DONE]` (with a space), as OpenAI does.
        created: the `created` of every chunk (default: now).
        expose_errors: put the exception's message in the error frame of a failed stream (see
            `create_chat_completion_router`).
        v1_framing: frame the stream as the 1.x helpers did (see `ChatStreamEncoder`).

    Returns:
        An `EventStreamResponse` (a Starlette `StreamingResponse`).
    """
    encoder = ChatStreamEncoder(
        resp_id,
        model_name,
        created=created,
        chunk_mapper=chunk_mapper,
        include_usage=include_usage,
        done_frame=(DONE_FRAME if openai_done_frame else COMPACT_DONE_FRAME) if done_frame else b"",
        expose_errors=expose_errors,
        v1_framing=v1_framing,
    )
    return EventStreamResponse(result, encoder, log=logger)


def create_sync_streaming_response(
    result: Generator[Any, None, None],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    *,
    include_usage: bool = False,
    done_frame: bool = False,
    openai_done_frame: bool = False,
) -> EventStreamResponse:
    """Stream a sync generator as Chat Completions SSE, framed as fastapi-openai-compat 1.x did.

    See `ChatStreamEncoder` for what chunks become. As in 1.x, every chunk gives a frame (one
    without text an empty `content` delta), a finish chunk is added only after chunks of content
    and when none carried a `finish_reason`, and no `[DONE]` frame ends the stream unless
    `done_frame=True` (the routers add it). The generator runs in a worker thread, never on the
    event loop, and is closed if the client disconnects. Iterating the response's `body_iterator`
    gives one `str` per frame.

    Args:
        result: the generator.
        resp_id: the `id` of every chunk.
        model_name: the `model` of every chunk.
        chunk_mapper: turns an unrecognised chunk into text.
        include_usage: add the final usage chunk (`stream_options.include_usage`).
        done_frame: end the stream with `data:[DONE]`, as OpenAI's API (and the routers) do.
        openai_done_frame: end it with `data: [DONE]` (with a space; implies `done_frame`).

    Returns:
        An `EventStreamResponse` (a Starlette `StreamingResponse`, `text/event-stream`).
    """
    return streaming_response(
        result,
        resp_id,
        model_name,
        chunk_mapper,
        include_usage=include_usage,
        done_frame=done_frame or openai_done_frame,
        openai_done_frame=openai_done_frame,
        v1_framing=True,
    )


def create_async_streaming_response(
    result: AsyncGenerator[Any, None],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    *,
    include_usage: bool = False,
    done_frame: bool = False,
    openai_done_frame: bool = False,
) -> EventStreamResponse:
    """Stream an async generator as Chat Completions SSE, framed as fastapi-openai-compat 1.x did.

    The framing is that of `create_sync_streaming_response` (no `[DONE]` frame unless
    `done_frame=True`). The generator is closed if the client disconnects. Iterating the
    response's `body_iterator` gives one `str` per frame.

    Args:
        result: the async generator.
        resp_id: the `id` of every chunk.
        model_name: the `model` of every chunk.
        chunk_mapper: turns an unrecognised chunk into text.
        include_usage: add the final usage chunk (`stream_options.include_usage`).
        done_frame: end the stream with `data:[DONE]`, as OpenAI's API (and the routers) do.
        openai_done_frame: end it with `data: [DONE]` (with a space; implies `done_frame`).

    Returns:
        An `EventStreamResponse` (a Starlette `StreamingResponse`, `text/event-stream`).
    """
    return streaming_response(
        result,
        resp_id,
        model_name,
        chunk_mapper,
        include_usage=include_usage,
        done_frame=done_frame or openai_done_frame,
        openai_done_frame=openai_done_frame,
        v1_framing=True,
    )


def create_sse_data_msg(
    resp_id: str,
    model_name: str,
    chunk_content: str = "",
    finish_reason: str | None = None,
    created: int | None = None,
) -> str:
    """Build one `chat.completion.chunk` frame whose delta is `{"role": "assistant", "content": chunk_content}`.

    Args:
        resp_id: the chunk's `id`.
        model_name: the chunk's `model`.
        chunk_content: the text of the delta.
        finish_reason: the choice's `finish_reason`, if this chunk ends the answer.
        created: the chunk's `created` (default: now).

    Returns:
        The frame, `"data: {...}\\n\\n"`.
    """
    payload = {
        "id": resp_id,
        "object": _CHUNK,
        "created": int(time.time()) if created is None else created,
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": chunk_content},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
    }
    return data_frame(payload).decode()


def event_to_sse_msg(data: dict[str, Any]) -> str:
    """Build a custom event frame, `data: {"event": <data>}` (the side channel Open WebUI reads).

    Returns:
        The frame as a `str`.
    """
    return data_frame({"event": data}).decode()


def chat_completion_response(result: str, resp_id: str, model_name: str) -> ChatCompletion:
    """Wrap a text answer into a `ChatCompletion` with one assistant message and `finish_reason` `"stop"`."""
    return ChatCompletion(
        id=resp_id,
        object="chat.completion",
        created=int(time.time()),
        model=model_name,
        choices=[
            Choice(index=0, message=Message(role="assistant", content=result), finish_reason="stop", logprobs=None)
        ],
    )


__all__ = [
    "ChatStreamEncoder",
    "ChunkMapper",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
    "new_completion_id",
    "streaming_response",
]
