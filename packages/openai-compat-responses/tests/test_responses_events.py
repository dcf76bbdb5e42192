"""The 1.x event constructors and helpers: their signatures, and the frames they return."""

import inspect
import json
from collections.abc import Callable
from typing import Any

import pytest

import openai_compat_responses
from openai_compat_responses import events, streaming
from openai_compat_responses.models import Response
from openai_compat_responses.testing import check_response_object, parse_events

# Positional parameters of every 1.4.0 event constructor, which must keep working as they are.
SIGNATURES_1_4 = {
    "create_function_call_arguments_delta_event": ["item_id", "output_index", "delta"],
    "create_function_call_arguments_done_event": ["item_id", "output_index", "arguments"],
    "create_output_item_added_event": ["output_index", "item"],
    "create_output_item_done_event": ["output_index", "item"],
    "create_output_text_delta_event": ["item_id", "output_index", "content_index", "delta"],
    "create_output_text_done_event": ["item_id", "output_index", "content_index", "text"],
    "create_reasoning_summary_part_added_event": ["item_id", "output_index", "summary_index", "part"],
    "create_reasoning_summary_part_done_event": ["item_id", "output_index", "summary_index", "part"],
    "create_reasoning_summary_text_delta_event": ["item_id", "output_index", "summary_index", "delta"],
    "create_reasoning_summary_text_done_event": ["item_id", "output_index", "summary_index", "text"],
    "create_response_completed_event": ["response"],
    "create_response_created_event": ["response"],
    "create_response_in_progress_event": ["response"],
    "format_named_sse_event": ["event_name", "data_dict"],
    "response_from_text": ["text", "resp_id", "model_name"],
    "create_responses_streaming_response": ["result", "resp_id", "model_name", "chunk_mapper"],
    "create_async_responses_streaming_response": ["result", "resp_id", "model_name", "chunk_mapper"],
}


def home(name: str) -> Any:
    """A 1.4 name from the module that defines it now: the stream helpers, or the single events."""
    return getattr(streaming, name) if name in streaming.__all__ else getattr(events, name)


@pytest.mark.parametrize(("name", "positional"), sorted(SIGNATURES_1_4.items()))
def test_1_4_signatures_are_kept(name: str, positional: list[str]) -> None:
    params = inspect.signature(home(name)).parameters.values()
    assert [p.name for p in params if p.kind is p.POSITIONAL_OR_KEYWORD] == positional
    # Anything added since is keyword-only with a default, so 1.x calls keep working.
    assert all(p.default is not p.empty for p in params if p.kind is p.KEYWORD_ONLY)


def test_the_package_exports_the_1_4_names_from_their_homes() -> None:
    for name in SIGNATURES_1_4:
        if name in openai_compat_responses.__all__:
            assert getattr(openai_compat_responses, name) is home(name)
    expected = {
        "InputItem",
        "OutputItem",
        "Response",
        "ResponseFunctionCall",
        "ResponseOutputMessage",
        "ResponseOutputText",
        "ResponseRequest",
        "ResponseResult",
        "RunResponseFn",
        "create_async_responses_streaming_response",
        "create_function_call_arguments_delta_event",
        "create_function_call_arguments_done_event",
        "create_output_item_added_event",
        "create_output_item_done_event",
        "create_output_text_delta_event",
        "create_output_text_done_event",
        "create_response_completed_event",
        "create_response_created_event",
        "create_response_in_progress_event",
        "create_responses_router",
        "create_responses_streaming_response",
        "format_named_sse_event",
        "response_from_text",
    }
    assert expected <= set(openai_compat_responses.__all__)


def one_event(frame: str) -> tuple[str, dict[str, Any]]:
    assert frame.endswith("\n\n")
    (event,) = parse_events(frame)
    return event


def test_format_named_sse_event() -> None:
    frame = events.format_named_sse_event("response.thing", {"type": "response.thing", "text": "é\n"})
    assert frame == 'event: response.thing\ndata: {"type":"response.thing","text":"é\\n"}\n\n'


def test_text_events_carry_logprobs_and_an_optional_sequence_number() -> None:
    name, payload = one_event(events.create_output_text_delta_event("msg_1", 0, 0, "Hi"))
    assert name == "response.output_text.delta"
    assert payload == {
        "type": "response.output_text.delta",
        "item_id": "msg_1",
        "output_index": 0,
        "content_index": 0,
        "delta": "Hi",
        "logprobs": [],
    }
    _, payload = one_event(events.create_output_text_done_event("msg_1", 0, 0, "Hi", sequence_number=4))
    assert payload["sequence_number"] == 4
    assert payload["logprobs"] == []
    assert payload["text"] == "Hi"


def test_function_call_arguments_done_takes_the_name() -> None:
    _, without = one_event(events.create_function_call_arguments_done_event("fc_1", 1, "{}"))
    assert "name" not in without
    _, payload = one_event(
        events.create_function_call_arguments_done_event("fc_1", 1, "{}", name="f", sequence_number=0)
    )
    assert payload == {
        "type": "response.function_call_arguments.done",
        "sequence_number": 0,
        "item_id": "fc_1",
        "output_index": 1,
        "name": "f",
        "arguments": "{}",
    }


CONSTRUCTORS: list[tuple[Callable[..., str], tuple[Any, ...], str]] = [
    (events.create_output_item_added_event, (0, {"type": "message"}), "response.output_item.added"),
    (events.create_output_item_done_event, (0, {"type": "message"}), "response.output_item.done"),
    (events.create_content_part_added_event, ("m", 0, 0, {}), "response.content_part.added"),
    (events.create_content_part_done_event, ("m", 0, 0, {}), "response.content_part.done"),
    (events.create_function_call_arguments_delta_event, ("f", 0, "{"), "response.function_call_arguments.delta"),
    (events.create_reasoning_summary_part_added_event, ("r", 0, 0, {}), "response.reasoning_summary_part.added"),
    (events.create_reasoning_summary_part_done_event, ("r", 0, 0, {}), "response.reasoning_summary_part.done"),
    (events.create_reasoning_summary_text_delta_event, ("r", 0, 0, "x"), "response.reasoning_summary_text.delta"),
    (events.create_reasoning_summary_text_done_event, ("r", 0, 0, "x"), "response.reasoning_summary_text.done"),
]


@pytest.mark.parametrize(("constructor", "args", "event"), CONSTRUCTORS)
def test_each_constructor_returns_one_named_frame(constructor: Callable[..., str], args: Any, event: str) -> None:
    name, payload = one_event(constructor(*args))
    assert name == event
    assert payload["type"] == event
    assert "sequence_number" not in payload
    _, numbered = one_event(constructor(*args, sequence_number=7))
    assert numbered == {**payload, "sequence_number": 7}


@pytest.mark.parametrize(
    ("constructor", "event"),
    [
        (events.create_response_created_event, "response.created"),
        (events.create_response_in_progress_event, "response.in_progress"),
        (events.create_response_completed_event, "response.completed"),
        (events.create_response_failed_event, "response.failed"),
        (events.create_response_incomplete_event, "response.incomplete"),
    ],
)
def test_lifecycle_events_carry_the_full_response(constructor: Callable[..., str], event: str) -> None:
    response = events.response_from_text("Hi", "resp_1", "m")
    name, payload = one_event(constructor(response, sequence_number=0))
    assert name == event
    check_response_object(payload["response"])
    assert payload["response"]["output"][0]["content"][0]["text"] == "Hi"


def test_response_from_text() -> None:
    response = events.response_from_text("Hello", "resp_1", "my-model")
    assert isinstance(response, Response)
    data = json.loads(response.model_dump_json())
    check_response_object(data)
    assert data["id"] == "resp_1"
    assert data["model"] == "my-model"
    assert data["status"] == "completed"
    assert data["completed_at"] == data["created_at"]
    (item,) = data["output"]
    assert item["id"].startswith("msg_")
    assert item["status"] == "completed"
    assert item["content"] == [{"type": "output_text", "text": "Hello", "annotations": [], "logprobs": []}]
