"""What Chat Completions tells core's telemetry: request parameters, the prompt, and what was answered.

Messages are written in the GenAI conventions' shape (`{"role", "parts": [...]}`, parts of type
`text`, `reasoning`, `tool_call`, `tool_call_response`); other content parts (images, audio, files)
are named by their type only, without their data.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from openai_compat_chat.encoder import ChatStreamEncoder
from openai_compat_chat.models import ChatCompletion, ChatRequest
from openai_compat_core.semconv import as_json, read_integer, read_number, read_strings, text_parts
from openai_compat_core.telemetry import RequestTelemetry

_NUMBERS = {
    "gen_ai.request.temperature": "temperature",
    "gen_ai.request.top_p": "top_p",
    "gen_ai.request.frequency_penalty": "frequency_penalty",
    "gen_ai.request.presence_penalty": "presence_penalty",
}


def request_attributes(request: ChatRequest) -> dict[str, Any]:
    """The request's sampling parameters as `gen_ai.request.*` attributes (those it set, of the right type)."""
    # Read from the extra fields' dict: a missing attribute costs pydantic an exception.
    given = request.model_extra
    out: dict[str, Any] = {}
    if not given:
        return out
    for name, field in _NUMBERS.items():
        value = read_number(given.get(field))
        if value is not None:
            out[name] = value
    max_tokens = read_integer(given.get("max_completion_tokens"))
    if max_tokens is None:
        max_tokens = read_integer(given.get("max_tokens"))
    if max_tokens is not None:
        out["gen_ai.request.max_tokens"] = max_tokens
    seed = read_integer(given.get("seed"))
    if seed is not None:
        out["gen_ai.request.seed"] = seed
    count = read_integer(given.get("n"))
    if count is not None and count != 1:
        out["gen_ai.request.choice.count"] = count
    stop = read_strings(given.get("stop"))
    if stop:
        out["gen_ai.request.stop_sequences"] = stop
    return out


def content_attributes(request: ChatRequest) -> dict[str, Any]:
    """The conversation as `gen_ai.input.messages` (system messages included, as they were sent)."""
    return {"gen_ai.input.messages": as_json(input_messages(request.messages))}


def input_messages(messages: Iterable[Any]) -> list[dict[str, Any]]:
    """Chat messages in the GenAI conventions' shape."""
    out = []
    for message in messages:
        if not isinstance(message, Mapping):
            continue
        role = message.get("role")
        content = message.get("content")
        if role == "tool":
            parts: list[dict[str, Any]] = [
                {"type": "tool_call_response", "id": message.get("tool_call_id"), "response": content}
            ]
        else:
            parts = _content_parts(content)
        parts += _call_parts(message.get("tool_calls"))
        out.append({"role": role, "parts": parts})
    return out


def output_messages(choices: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The choices of a `chat.completion` (dicts) as the GenAI conventions' output messages."""
    out = []
    for choice in choices:
        message = choice.get("message") or choice.get("delta") or {}
        parts: list[dict[str, Any]] = []
        if message.get("reasoning_content"):
            parts.append({"type": "reasoning", "content": message["reasoning_content"]})
        parts += _content_parts(message.get("content"))
        parts += _call_parts(message.get("tool_calls"))
        out.append(
            {"role": message.get("role") or "assistant", "parts": parts, "finish_reason": choice.get("finish_reason")}
        )
    return out


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return text_parts(content) if content else []
    parts = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, Mapping):
            continue
        if part.get("type") == "text" and isinstance(part.get("text"), str):
            parts += text_parts(part["text"])
        else:
            parts.append({"type": part.get("type")})
    return parts


def _call_parts(calls: Any) -> list[dict[str, Any]]:
    parts = []
    for call in calls if isinstance(calls, list) else ():
        if not isinstance(call, Mapping):
            continue
        function = call.get("function") or {}
        parts.append(
            {
                "type": "tool_call",
                "id": call.get("id"),
                "name": function.get("name"),
                "arguments": function.get("arguments"),
            }
        )
    return parts


def completion_answered(telemetry: RequestTelemetry, completion: ChatCompletion) -> None:
    """A whole answer given as a `ChatCompletion`."""
    telemetry.answered(
        response_id=completion.id,
        response_model=completion.model,
        finish_reasons=[choice.finish_reason for choice in completion.choices if choice.finish_reason],
        usage=completion.usage,
        output=lambda: output_messages(completion.model_dump()["choices"]),
    )


def stream_answered(encoder: ChatStreamEncoder, telemetry: RequestTelemetry) -> None:
    """What a generator answered, streamed or collected (the output only when the encoder kept it)."""
    telemetry.answered(
        response_id=encoder.completion_id,
        response_model=encoder.model,
        finish_reasons=encoder.finish_reasons,
        usage=encoder.reported_usage,
        output=(lambda: output_messages(encoder.completion()["choices"])) if encoder.collect else None,
    )


__all__ = [
    "completion_answered",
    "content_attributes",
    "input_messages",
    "output_messages",
    "request_attributes",
    "stream_answered",
]
