"""The Chat Completions stream encoder: whatever a generator yields, written as `chat.completion.chunk` frames.

What a stream looks like on the wire (`id`, `object`, `created` and `model` left out)::

    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"logprobs":null,"finish_reason":null}]}
    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":"lo"},"logprobs":null,"finish_reason":null}]}
    data: {…,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":"stop"}]}
    data:[DONE]
"""

import os
import time
from typing import Any

from openai_compat_chat.collect import ChoiceState, completion_body
from openai_compat_chat.models import ChatCompletion, Choice
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper, read_chunk, to_chat_usage
from openai_compat_core.errors import stream_error
from openai_compat_core.pipeline import FAILURE_PREFIX
from openai_compat_core.sse import COMPACT_DONE_FRAME, FrameTemplate, data_frame, slot
from openai_compat_core.toolcalls import ToolCall, ToolCallAssembler

CHUNK = "chat.completion.chunk"
_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def new_completion_id() -> str:
    """Return a fresh completion id in OpenAI's format, `chatcmpl-` and 32 hex digits (128 random bits)."""
    return f"chatcmpl-{os.urandom(16).hex()}"


class ChatStreamEncoder:
    """Turns the chunks of a generator into Chat Completions SSE frames (a core `StreamEncoder`).

    Chunks are read with core's `read_chunk`; what each becomes:

    - text (a `str` as it is, or what `chunk_mapper` makes of another chunk): a `content` delta, also when it is
      `""`, as 1.x sent it (Haystack generators yield such chunks, and 1.x consumers count frames);
    - a custom event (an object with `to_event_dict()`): a frame `data: {"event": {...}}`;
    - a reasoning chunk: a `reasoning_content` delta (with `content: null`); once reasoning was
      streamed, later deltas carry `"reasoning_content": null` when they have none, as DeepSeek's API
      (and 1.x) do;
    - tool-call fragments: a `tool_calls` delta, with the chunk's text beside them if it has any
      (else `content: null`). Calls are grouped by core's `ToolCallAssembler`: they get indexes
      0, 1, ... in order of appearance and may interleave; `id`, `type` and `function.name` come on
      a call's first delta (an id is made up if the producer gave none);
    - a `ChatCompletion`: sent as a chunk with the stream's `id`, `created` and `model`.

    Every delta carries `role: "assistant"`, as fastapi-openai-compat 1.4.0 sent it (1.x clients
    parse every chunk with a model that requires it); with `role_on_every_delta=False` only the
    first delta of each choice does, as OpenAI sends it (the `openai` Python SDK's
    `chat.completions.stream()` helper concatenates the roles of every delta into its snapshot).
    A chunk's `finish_reason` is sent with it; if none was sent, the stream ends with a chunk whose
    delta is `{"role": "assistant", "content": ""}` and finish reason `tool_calls` (calls were
    streamed) or `stop`; with `v1_framing` (the 1.x helpers) that chunk is only added when a chunk
    other than a `ChatCompletion` or a custom event was streamed. With `include_usage`,
    every chunk carries `"usage": null` and a last chunk with `"choices": []` carries the usage a
    chunk reported, or zeros. Then `done_frame`, if any.

    With `collect=True` the encoder also keeps what it encoded, and `completion()` returns the whole
    answer as one `chat.completion` object (a non-streaming request whose callback streamed).

    Args:
        completion_id: the `id` of every chunk.
        model: the `model` of every chunk.
        created: the `created` of every chunk (default: `time.time()`, read once).
        chunk_mapper: turns a chunk that is not otherwise recognised into text.
        include_usage: the client sent `stream_options: {"include_usage": true}`.
        done_frame: the end-of-stream frame (`COMPACT_DONE_FRAME`, `DONE_FRAME`), or `None` for none.
        expose_errors: a failure other than an `HTTPException` is reported as `Pipeline execution
            failed: <message>`; with `False` as `Pipeline execution failed.` (no exception text).
        v1_framing: frame the stream as the 1.x helpers did: the closing finish chunk only after a chunk
            of text, reasoning or tool calls (not after custom events or `ChatCompletion` chunks alone,
            nor in an empty stream).
        collect: keep what is encoded for `completion()`.
        role_on_every_delta: every delta carries the role (1.4.0); `False`: only the first (OpenAI).
    """

    def __init__(
        self,
        completion_id: str,
        model: str,
        *,
        created: int | None = None,
        chunk_mapper: ChunkMapper = default_chunk_mapper,
        include_usage: bool = False,
        done_frame: bytes | None = COMPACT_DONE_FRAME,
        expose_errors: bool = True,
        v1_framing: bool = False,
        collect: bool = False,
        role_on_every_delta: bool = True,
    ) -> None:
        self.finished = False
        self.expose_errors = expose_errors
        self.completion_id = completion_id
        self.model = model
        self.created = int(time.time()) if created is None else created
        self.include_usage = include_usage
        self.done_frame = done_frame or b""
        self.v1_framing = v1_framing
        self.collect = collect
        self._mapper = chunk_mapper
        self._head: dict[str, Any] = {"id": completion_id, "object": CHUNK, "created": self.created, "model": model}
        self._tail: dict[str, Any] = {"usage": None} if include_usage else {}
        self.role_on_every_delta = role_on_every_delta
        self._role_pending = True  # choice 0 has not sent its first delta yet
        self._roles_sent: set[int] = set()  # other choices' indexes, from ChatCompletion chunks
        self._set_text_templates({})
        choice = {"index": 0, "delta": slot(0), "logprobs": None, "finish_reason": slot(1)}
        self._delta = FrameTemplate({**self._head, "choices": [choice], **self._tail})
        self._finish_sent = False
        self._native_seen = False  # a chunk other than a ChatCompletion or a custom event
        self._reasoning_seen = False
        self._calls = ToolCallAssembler()
        self._choices: dict[int, ChoiceState] = {0: ChoiceState()}
        self._usage: dict[str, Any] | None = None
        self._fingerprint: str | None = None

    def _set_text_templates(self, extra: dict[str, Any]) -> None:
        """The frames of a text delta of choice 0, with and without the role; `extra` follows the content."""
        self._text_with_role = self._text_template({"role": "assistant", "content": slot(0), **extra})
        self._text = (
            self._text_with_role if self.role_on_every_delta else self._text_template({"content": slot(0), **extra})
        )

    def _text_template(self, delta: dict[str, Any]) -> FrameTemplate:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        return FrameTemplate({**self._head, "choices": [choice], **self._tail})

    # --- StreamEncoder -------------------------------------------------------------------------

    def open(self) -> bytes:
        """Nothing is sent before the first chunk."""
        return b""

    def encode(self, chunk: Any) -> bytes:
        """Encode one chunk of the user's generator; may return no frame at all."""
        if type(chunk) is str and chunk:
            self._native_seen = True
            if self.collect:
                self._choices[0].text.append(chunk)
            if self._role_pending:
                self._role_pending = False
                return self._text_with_role.render(chunk)
            return self._text.render(chunk)
        if isinstance(chunk, ChatCompletion):
            return self._completion_frame(chunk)
        return self._native(chunk)

    def close(self) -> bytes:
        """End the stream: the closing finish chunk if needed, the usage chunk if asked, the done frame."""
        out = b""
        if not self._finish_sent and (not self.v1_framing or self._native_seen):
            reason = "tool_calls" if self._calls.calls else "stop"
            self._choices[0].finish_reason = reason
            out += self._delta_frame({"content": ""}, reason)
        if self.include_usage:
            usage = to_chat_usage(self._usage) if self._usage else dict(_ZERO_USAGE)
            out += data_frame({**self._head, "choices": [], "usage": usage})
        return out + self.done_frame

    def fail(self, exc: Exception) -> bytes:
        """Report a failure after the stream started: an error frame, then the done frame."""
        return data_frame({"error": stream_error(exc, FAILURE_PREFIX, expose=self.expose_errors)}) + self.done_frame

    # --- what was streamed -----------------------------------------------------------------------

    @property
    def finish_reasons(self) -> list[str]:
        """The finish reason of each choice that ended, in the order of the choices' indexes."""
        return [state.finish_reason for _, state in sorted(self._choices.items()) if state.finish_reason]

    @property
    def reported_usage(self) -> dict[str, Any] | None:
        """The usage the last chunk that carried one reported, in Chat Completions form, or None."""
        return to_chat_usage(self._usage) if self._usage else None

    def completion(self) -> dict[str, Any]:
        """The whole answer encoded so far as one `chat.completion` object (needs `collect=True`)."""
        return completion_body(
            self._choices,
            self._calls.calls,
            completion_id=self.completion_id,
            model=self.model,
            created=self.created,
            usage=self.reported_usage,
            fingerprint=self._fingerprint,
        )

    # --- chunk kinds ---------------------------------------------------------------------------

    def _native(self, chunk: Any) -> bytes:
        read = read_chunk(chunk, self._mapper)
        if read.event is not None:
            return data_frame({"event": read.event})
        self._native_seen = True
        if read.usage:
            self._usage = read.usage
        reason = read.finish_reason
        state = self._choices[0]
        if reason is not None:
            state.finish_reason = reason
        if read.reasoning is not None:
            if self.collect:
                state.reasoning.append(read.reasoning)
            self._after_reasoning()
            return self._delta_frame({"content": None, "reasoning_content": read.reasoning}, reason)
        if read.tool_calls:
            calls = [self._call_delta(fragment) for fragment in read.tool_calls]
            if read.text and self.collect:
                state.text.append(read.text)
            return self._delta_frame({"content": read.text or None, "tool_calls": calls}, reason)
        text = read.text
        if text:
            if self.collect:
                state.text.append(text)
            if reason is None and not self._role_pending:
                return self._text.render(text)
            return self._delta_frame({"content": text}, reason)
        # A chunk without text is a frame too, as 1.x sent it (Haystack streams have such chunks, and 1.x
        # consumers count frames); it also carries a finish reason alone.
        return self._delta_frame({"content": ""}, reason)

    def _after_reasoning(self) -> None:
        """Once reasoning was streamed, later deltas say they carry none, as DeepSeek's API (and 1.x) do."""
        if self._reasoning_seen:
            return
        self._reasoning_seen = True
        self._set_text_templates({"reasoning_content": None})

    def _delta_frame(self, delta: dict[str, Any], finish_reason: str | None) -> bytes:
        """A frame of choice 0 carrying `delta`, with the role when every delta or the first carries it."""
        if self._reasoning_seen and "reasoning_content" not in delta:
            delta = {"content": delta.get("content"), "reasoning_content": None, **delta}
        if self.role_on_every_delta or self._role_pending:
            self._role_pending = False
            delta = {"role": "assistant", **delta}
        if finish_reason is not None:
            self._finish_sent = True
        return self._delta.render(delta, finish_reason)

    def _call_delta(self, fragment: Any) -> dict[str, Any]:
        step = self._calls.add(fragment)
        call: ToolCall = step.call
        arguments = fragment.arguments or ""
        if step.started:
            function: dict[str, Any] = {"arguments": arguments}
            if call.name is not None:
                function = {"name": call.name, "arguments": arguments}
            return {"index": call.position, "id": call.call_id, "type": "function", "function": function}
        if step.named:
            return {"index": call.position, "function": {"name": call.name, "arguments": arguments}}
        return {"index": call.position, "function": {"arguments": arguments}}

    def _completion_frame(self, completion: ChatCompletion) -> bytes:
        if completion.usage:
            self._usage = dict(completion.usage)
        if completion.system_fingerprint is not None:
            self._fingerprint = completion.system_fingerprint
        if not completion.choices and completion.usage:
            # A usage-only chunk: its usage goes into the final usage chunk (when the client asked for it).
            return b""
        payload: dict[str, Any] = {**self._head}
        if completion.system_fingerprint is not None:
            payload["system_fingerprint"] = completion.system_fingerprint
        payload["choices"] = [self._choice(choice) for choice in completion.choices]
        for key, value in (completion.model_extra or {}).items():
            payload.setdefault(key, value)
        payload.pop("usage", None)
        payload.update(self._tail)
        return data_frame(payload)

    def _choice(self, choice: Choice) -> dict[str, Any]:
        source = choice.delta if choice.delta is not None else choice.message
        delta = source.model_dump(exclude_none=True) if source is not None else {}
        role = delta.pop("role", None) or "assistant"
        index = choice.index
        if index == 0 and self._role_pending:
            self._role_pending = False
            delta = {"role": role, **delta}
        elif self.role_on_every_delta or (index != 0 and index not in self._roles_sent):
            self._roles_sent.add(index)
            delta = {"role": role, **delta}
        calls = delta.get("tool_calls")
        if calls:
            # A whole message's calls (a completion re-sent as a chunk) lack the `index` deltas need.
            delta["tool_calls"] = [
                {"index": position, **call} if isinstance(call, dict) and "index" not in call else call
                for position, call in enumerate(calls)
            ]
        if "content" not in delta and (calls or "reasoning_content" in delta):
            delta["content"] = None
        if choice.finish_reason is not None:
            self._finish_sent = True
        if self.collect:
            self._choices.setdefault(index, ChoiceState()).merge(delta, choice.finish_reason)
        elif choice.finish_reason is not None:
            self._choices.setdefault(index, ChoiceState()).finish_reason = choice.finish_reason
        out: dict[str, Any] = {
            "index": index,
            "delta": delta,
            "logprobs": choice.logprobs,
            "finish_reason": choice.finish_reason,
        }
        for key, value in (choice.model_extra or {}).items():
            out.setdefault(key, value)
        return out


__all__ = ["CHUNK", "ChatStreamEncoder", "new_completion_id"]
