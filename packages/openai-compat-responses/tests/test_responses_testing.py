"""The stream checker of `openai_compat_responses.testing` accepts good streams and names what is wrong."""

import copy
from collections.abc import Callable
from typing import Any

import pytest

from openai_compat_responses import ResponseStreamEncoder
from openai_compat_responses.testing import StreamContractError, check_events, parse_events


def good_events() -> list[tuple[str, dict[str, Any]]]:
    encoder = ResponseStreamEncoder("resp_1", "m")
    call = type("Call", (), {"function_call_id": "call_1", "function_call_name": "f", "function_call_arguments": "{}"})
    body = encoder.open() + encoder.encode("Hi") + encoder.encode(call()) + encoder.close()
    return parse_events(body.decode())


def test_a_good_stream_passes() -> None:
    final = check_events(good_events())
    assert final["status"] == "completed"
    assert [item["type"] for item in final["output"]] == ["message", "function_call"]


def drop(name: str) -> Callable[[list[Any]], None]:
    def mutate(events: list[Any]) -> None:
        events[:] = [event for event in events if event[0] != name]
        for number, (_, payload) in enumerate(events):
            payload["sequence_number"] = number

    return mutate


def set_field(index: int, key: str, value: Any) -> Callable[[list[Any]], None]:
    def mutate(events: list[Any]) -> None:
        events[index][1][key] = value

    return mutate


def delete_field(index: int, key: str) -> Callable[[list[Any]], None]:
    def mutate(events: list[Any]) -> None:
        del events[index][1][key]

    return mutate


def delete_response_key(key: str) -> Callable[[list[Any]], None]:
    def mutate(events: list[Any]) -> None:
        del events[-1][1]["response"][key]

    return mutate


def duplicate_terminal(events: list[Any]) -> None:
    extra = copy.deepcopy(events[-1])
    extra[1]["sequence_number"] = len(events)
    events.append(extra)


def reorder_output(events: list[Any]) -> None:
    events[-1][1]["response"]["output"].reverse()


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (set_field(3, "sequence_number", 7), "sequence_number is 7"),
        (delete_field(4, "sequence_number"), "sequence_number is None"),
        (set_field(4, "type", "response.other"), "payload type"),
        (delete_field(4, "logprobs"), "lacks ['logprobs']"),
        (drop("response.completed"), "no terminal event"),
        (duplicate_terminal, "after the terminal event"),
        (drop("response.created"), "must be response.created"),
        (delete_response_key("parallel_tool_calls"), "lacks ['parallel_tool_calls']"),
        (set_field(-1, "response", {}), "lacks"),
        (set_field(4, "output_index", 5), "no item was added at output_index 5"),
        (set_field(4, "item_id", "msg_other"), "is not the id of item"),
        (set_field(4, "delta", "Ho"), "do not add up"),
        (drop("response.output_item.done"), "leaves items open"),
        (reorder_output, "output_index order"),
    ],
)
def test_broken_streams_are_named(mutate: Callable[[list[Any]], None], problem: str) -> None:
    events = good_events()
    mutate(events)
    with pytest.raises(StreamContractError) as error:
        check_events(events)
    assert problem in str(error.value)


def test_response_ids_must_not_change() -> None:
    events = good_events()
    events[1][1]["response"]["id"] = "resp_other"
    with pytest.raises(StreamContractError, match="response id changed"):
        check_events(events)


def test_parse_events_requires_named_frames() -> None:
    with pytest.raises(StreamContractError, match="without an event name"):
        parse_events('data: {"type": "x"}\n\n')
    with pytest.raises(StreamContractError, match="JSON object"):
        parse_events("event: x\ndata: [1]\n\n")
    assert parse_events('event: x\r\ndata:{"a": 1}\r\n\r\n') == [("x", {"a": 1})]
