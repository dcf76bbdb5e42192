"""What the Responses API tells core's telemetry: request parameters, the prompt, and the response.

A response has no finish reason; its `status` gives one in the GenAI conventions' terms: `stop`
(completed), `tool_calls` (completed with function calls), `length` or `content_filter`
(incomplete for that reason), `error` (failed). Messages are written in the conventions' shape.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from openai_compat_core.semconv import as_json, read_integer, read_number, text_parts
from openai_compat_core.telemetry import RequestTelemetry
from openai_compat_responses.encoder import ResponseStreamEncoder
from openai_compat_responses.models import ResponseRequest

_INCOMPLETE = {"max_output_tokens": "length", "content_filter": "content_filter"}


def request_attributes(request: ResponseRequest) -> dict[str, Any]:
    """The request's sampling parameters and conversation as GenAI attributes (those it set)."""
    given = {
        "gen_ai.request.temperature": read_number(request.temperature),
        "gen_ai.request.top_p": read_number(request.top_p),
        "gen_ai.request.max_tokens": read_integer(request.max_output_tokens),
    }
    out: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    conversation = (request.model_extra or {}).get("conversation")
    if isinstance(conversation, Mapping):
        conversation = conversation.get("id")
    if isinstance(conversation, str):
        out["gen_ai.conversation.id"] = conversation
    return out


def content_attributes(request: ResponseRequest) -> dict[str, Any]:
    """The input items as `gen_ai.input.messages`, the instructions as `gen_ai.system_instructions`."""
    items = request.input
    if isinstance(items, str):
        items = [{"type": "message", "role": "user", "content": items}]
    out = {"gen_ai.input.messages": as_json(messages(items or []))}
    if isinstance(request.instructions, str):
        out["gen_ai.system_instructions"] = as_json(text_parts(request.instructions))
    return out


def messages(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Input or output items as the GenAI conventions' messages (consecutive calls are not merged)."""
    out = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type", "message")
        if kind == "message":
            out.append({"role": item.get("role"), "parts": _content_parts(item.get("content"))})
        elif kind == "function_call":
            call = {"type": "tool_call", "id": item.get("call_id"), "name": item.get("name")}
            out.append({"role": "assistant", "parts": [{**call, "arguments": item.get("arguments")}]})
        elif kind == "function_call_output":
            part = {"type": "tool_call_response", "id": item.get("call_id"), "response": item.get("output")}
            out.append({"role": "tool", "parts": [part]})
        elif kind == "reasoning":
            summary = "".join(p.get("text", "") for p in item.get("summary") or () if isinstance(p, Mapping))
            out.append({"role": "assistant", "parts": [{"type": "reasoning", "content": summary}]})
        else:
            out.append({"role": item.get("role"), "parts": [{"type": kind}]})
    return out


def _content_parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return text_parts(content)
    parts = []
    for part in content if isinstance(content, list) else ():
        if not isinstance(part, Mapping):
            continue
        if isinstance(part.get("text"), str):
            parts += text_parts(part["text"])
        else:
            parts.append({"type": part.get("type")})
    return parts


def finish_reasons(response: Mapping[str, Any]) -> list[str]:
    """The finish reason a response's status stands for (see the module docstring)."""
    status = response.get("status")
    if status == "failed":
        return ["error"]
    if status == "incomplete":
        details = response.get("incomplete_details") or {}
        reason = details.get("reason") if isinstance(details, Mapping) else None
        return [_INCOMPLETE.get(str(reason), str(reason))] if reason else []
    if status != "completed":
        return []
    output = response.get("output") or ()
    calls = any(isinstance(item, Mapping) and item.get("type") == "function_call" for item in output)
    return ["tool_calls" if calls else "stop"]


def response_answered(telemetry: RequestTelemetry, response: Mapping[str, Any]) -> None:
    """The answer is this response object (a dict, as sent)."""
    usage = response.get("usage")
    reasons = finish_reasons(response)
    telemetry.answered(
        response_id=response.get("id"),
        response_model=response.get("model"),
        finish_reasons=reasons,
        usage=usage if isinstance(usage, Mapping) else None,
        output=lambda: _with_reason(messages(response.get("output") or ()), reasons),
    )


def _with_reason(out: list[dict[str, Any]], reasons: list[str]) -> list[dict[str, Any]]:
    if out and reasons:
        out[-1]["finish_reason"] = reasons[0]
    return out


def stream_answered(encoder: ResponseStreamEncoder, telemetry: RequestTelemetry) -> None:
    """What a generator answered, streamed or collected: the final response, if one was made."""
    if encoder.final_response is not None:
        response_answered(telemetry, encoder.final_response)
    else:
        telemetry.answered(response_id=encoder.resp_id, response_model=encoder.model)


__all__ = [
    "content_attributes",
    "finish_reasons",
    "messages",
    "request_attributes",
    "response_answered",
    "stream_answered",
]
