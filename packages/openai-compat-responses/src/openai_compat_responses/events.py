"""Single Responses API events and objects, as the fastapi-openai-compat 1.x helpers built them.

Each `create_*_event` function returns one named SSE frame (`event: <type>` then `data: <JSON>`) as a
`str`; give `sequence_number` to include one. `response_from_text` builds a completed `Response`.
"""

from collections.abc import Mapping
from typing import Any

from openai_compat_core.sse import event_frame
from openai_compat_responses._objects import message_item, new_id, now
from openai_compat_responses.models import Response


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


__all__ = [
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
    "format_named_sse_event",
    "response_from_text",
]
