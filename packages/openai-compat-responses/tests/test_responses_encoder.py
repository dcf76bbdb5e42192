"""The stream encoder: every chunk shape, the event contract, failures and the terminal event."""

from dataclasses import dataclass, field
from typing import Any

import pytest

from openai_compat_responses import Response, ResponseStreamEncoder
from openai_compat_responses.testing import parse_events

# The keys openai-wire.md lists for the Response object (required, or required-but-nullable for strict
# validators). Written out here rather than imported so that the test states the contract itself.
WIRE_RESPONSE_KEYS = {
    "id",
    "object",
    "created_at",
    "model",
    "output",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "status",
    "completed_at",
    "incomplete_details",
    "previous_response_id",
    "instructions",
    "error",
    "truncation",
    "text",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "top_logprobs",
    "temperature",
    "reasoning",
    "usage",
    "max_output_tokens",
    "max_tool_calls",
    "store",
    "background",
    "service_tier",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
}

LIFECYCLE = ("response.created", "response.in_progress")
TEXT_ITEM_OPEN = ("response.output_item.added", "response.content_part.added")
TEXT_ITEM_CLOSE = (
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
)


@dataclass
class ContentChunk:
    content: Any
    meta: dict[str, Any] = field(default_factory=dict)
    finish_reason: str | None = None


@dataclass
class FunctionCallChunk:
    function_call_id: str
    function_call_name: str | None
    function_call_arguments: str | None


@dataclass
class ToolCallsChunk:
    tool_calls: list[Any]
    content: str = ""


@dataclass
class ToolCallDelta:
    index: int | None = None
    id: str | None = None
    tool_name: str | None = None
    arguments: str | None = None


@dataclass
class ReasoningChunk:
    reasoning: Any
    content: str = ""


@dataclass
class UsageChunk:
    usage: dict[str, Any]
    content: str = ""


class CustomEvent:
    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event

    def to_event_dict(self) -> dict[str, Any]:
        return dict(self.event)


def run(
    chunks: list[Any],
    *,
    request: dict[str, Any] | None = None,
    fail: Exception | None = None,
    mapper: Any = None,
) -> bytes:
    """Drive an encoder the way the core streaming response does."""
    kwargs: dict[str, Any] = {"request": request}
    if mapper is not None:
        kwargs["chunk_mapper"] = mapper
    encoder = ResponseStreamEncoder("resp_test", "my-model", **kwargs)
    out = [encoder.open()]
    for chunk in chunks:
        try:
            out.append(encoder.encode(chunk))
        except Exception as exc:  # noqa: BLE001 - the core response does exactly this
            out.append(encoder.fail(exc))
            return b"".join(out)
        if encoder.finished:
            break
    out.append(encoder.fail(fail) if fail is not None else encoder.close())
    return b"".join(out)


def names(events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    return [name for name, _ in events]


def test_text_stream_follows_the_wire_sequence(stream_reader: Any) -> None:
    events, final = stream_reader(run(["Hel", "lo", ' wörld "\n']))
    assert names(events) == [
        *LIFECYCLE,
        *TEXT_ITEM_OPEN,
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.delta",
        *TEXT_ITEM_CLOSE,
        "response.completed",
    ]
    added = events[2][1]["item"]
    assert added["status"] == "in_progress"
    assert added["content"] == []
    assert added["id"].startswith("msg_")
    assert events[3][1]["part"] == {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    deltas = [payload for name, payload in events if name == "response.output_text.delta"]
    assert [d["delta"] for d in deltas] == ["Hel", "lo", ' wörld "\n']
    assert all(d["logprobs"] == [] and d["content_index"] == 0 and d["output_index"] == 0 for d in deltas)
    assert events[7][1]["text"] == 'Hello wörld "\n'
    assert events[7][1]["logprobs"] == []
    item = events[9][1]["item"]
    assert item["status"] == "completed"
    assert item["content"] == [{"type": "output_text", "text": 'Hello wörld "\n', "annotations": [], "logprobs": []}]
    assert final["output"] == [item]
    assert final["status"] == "completed"
    assert isinstance(final["completed_at"], int)
    assert final["completed_at"] >= final["created_at"]


def test_sequence_numbers_count_from_zero_without_gaps() -> None:
    events = parse_events(run(["a", FunctionCallChunk("call_1", "f", "{}"), "b"]).decode())
    assert [payload["sequence_number"] for _, payload in events] == list(range(len(events)))


def test_every_lifecycle_event_carries_the_full_response_object(stream_reader: Any) -> None:
    events, _ = stream_reader(run(["hi"]))
    lifecycle = [
        payload["response"] for name, payload in events if name.startswith("response.") and "response" in payload
    ]
    assert [r["status"] for r in lifecycle] == ["in_progress", "in_progress", "completed"]
    for response in lifecycle:
        assert set(response) >= WIRE_RESPONSE_KEYS
        assert response["id"] == "resp_test"
        assert response["object"] == "response"
        assert response["model"] == "my-model"
        assert isinstance(response["created_at"], int)
    assert lifecycle[0]["completed_at"] is None
    assert lifecycle[0]["output"] == []


def test_defaults_match_what_openai_answers_when_the_request_sets_nothing(stream_reader: Any) -> None:
    _, final = stream_reader(run(["hi"]))
    assert final["tools"] == []
    assert final["tool_choice"] == "auto"
    assert final["parallel_tool_calls"] is True
    assert final["truncation"] == "disabled"
    assert final["text"] == {"format": {"type": "text"}}
    assert final["metadata"] == {}
    assert final["store"] is False
    assert final["background"] is False
    assert final["temperature"] == 1.0
    assert final["top_p"] == 1.0
    assert final["service_tier"] == "default"
    assert final["instructions"] is None
    assert final["previous_response_id"] is None
    assert final["reasoning"] is None
    assert final["error"] is None
    assert final["usage"] is None


REQUEST = {
    "model": "my-model",
    "instructions": "Be brief.",
    "tools": [{"type": "function", "name": "get_weather", "parameters": {"type": "object", "properties": {}}}],
    "tool_choice": "required",
    "parallel_tool_calls": False,
    "temperature": 0.2,
    "top_p": 0.9,
    "max_output_tokens": 64,
    "metadata": {"user": "42"},
    "store": True,
    "previous_response_id": "resp_previous",
    "reasoning": {"effort": "low"},
    "text": {"verbosity": "low"},
    "truncation": "auto",
    "service_tier": "flex",
    "top_logprobs": 2,
    "max_tool_calls": 3,
    "prompt_cache_key": "key",
    "safety_identifier": "sid",
    "background": False,
    "stream": True,
    "input": "ignored",
}


def test_request_settings_are_echoed_on_every_lifecycle_event(stream_reader: Any) -> None:
    events, _ = stream_reader(run(["hi"], request=REQUEST))
    responses = [payload["response"] for name, payload in events if "response" in payload]
    assert len(responses) == 3
    for response in responses:
        # Function tools carry the five keys the Open Responses schema requires, absent ones null.
        assert response["tools"] == [{"description": None, "strict": None, **REQUEST["tools"][0]}]
        for key in (
            "instructions",
            "tool_choice",
            "parallel_tool_calls",
            "temperature",
            "top_p",
            "max_output_tokens",
            "metadata",
            "store",
            "previous_response_id",
            "truncation",
            "service_tier",
            "top_logprobs",
            "max_tool_calls",
            "prompt_cache_key",
            "safety_identifier",
            "background",
        ):
            assert response[key] == REQUEST[key], key
        # Strict clients require both reasoning keys and a text format.
        assert response["reasoning"] == {"effort": "low", "summary": None}
        assert response["text"] == {"format": {"type": "text"}, "verbosity": "low"}
        assert "input" not in response
        assert "stream" not in response


def test_content_chunks_and_the_chunk_mapper(stream_reader: Any) -> None:
    @dataclass
    class Scored:
        text: str

    def mapper(chunk: Any) -> Any:
        if isinstance(chunk, str):
            return chunk.upper()
        if isinstance(chunk, Scored):
            return chunk.text
        return getattr(chunk, "content", None) or 42

    chunks = [ContentChunk("a"), ContentChunk(""), ContentChunk(None), Scored("b"), "", object(), "c"]
    _, final = stream_reader(run(chunks, mapper=mapper))
    # A `str` is text as it is; the mapper sees every other chunk (as in chat); a non-str answer is sent as text.
    assert final["output"][0]["content"][0]["text"] == "a4242b42c"


def test_default_mapper_uses_str_of_unknown_chunks(stream_reader: Any) -> None:
    _, final = stream_reader(run([ContentChunk("x"), 7]))
    assert final["output"][0]["content"][0]["text"] == "x7"


def test_an_empty_stream_completes_with_no_output(stream_reader: Any) -> None:
    events, final = stream_reader(run(["", ContentChunk("")]))
    assert names(events) == [*LIFECYCLE, "response.completed"]
    assert final["output"] == []


def test_function_call_chunks_make_one_function_call_item(stream_reader: Any) -> None:
    chunks = [
        FunctionCallChunk("call_1", "get_weather", '{"city":'),
        FunctionCallChunk("call_1", None, None),
        FunctionCallChunk("call_1", None, ' "Paris"}'),
    ]
    events, final = stream_reader(run(chunks))
    assert names(events) == [
        *LIFECYCLE,
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = events[2][1]["item"]
    assert added == {
        "id": added["id"],
        "type": "function_call",
        "status": "in_progress",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": "",
    }
    assert added["id"].startswith("fc_")
    done = events[5][1]
    assert done["name"] == "get_weather"
    assert done["arguments"] == '{"city": "Paris"}'
    assert final["output"] == [{**added, "status": "completed", "arguments": '{"city": "Paris"}'}]


def test_tool_calls_lists_in_every_entry_shape(stream_reader: Any) -> None:
    chunks = [
        ToolCallsChunk([ToolCallDelta(id="call_a", tool_name="lookup", arguments='{"q":')]),
        ToolCallsChunk([{"arguments": '"x"}'}]),
        ToolCallsChunk([{"id": "call_b", "function": {"name": "other", "arguments": "{}"}}]),
    ]
    _, final = stream_reader(run(chunks))
    assert [(i["call_id"], i["name"], i["arguments"]) for i in final["output"]] == [
        ("call_a", "lookup", '{"q":"x"}'),
        ("call_b", "other", "{}"),
    ]


def test_a_new_call_id_closes_the_open_call_and_opens_the_next_index(stream_reader: Any) -> None:
    chunks = [
        FunctionCallChunk("call_1", "first", "{}"),
        FunctionCallChunk("call_2", "second", '{"a":1}'),
    ]
    events, final = stream_reader(run(chunks))
    assert names(events)[2:-1] == [
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.output_item.added",
        "response.function_call_arguments.delta",
        "response.function_call_arguments.done",
        "response.output_item.done",
    ]
    assert [payload["output_index"] for name, payload in events if name == "response.output_item.added"] == [0, 1]
    assert [item["name"] for item in final["output"]] == ["first", "second"]


def test_interleaved_parallel_calls_each_get_their_own_item(stream_reader: Any) -> None:
    chunks = [
        ToolCallsChunk([ToolCallDelta(index=0, id="call_0", tool_name="weather", arguments='{"city":')]),
        ToolCallsChunk([ToolCallDelta(index=1, id="call_1", tool_name="time", arguments='{"tz":')]),
        ToolCallsChunk([ToolCallDelta(index=0, arguments='"Paris"}')]),
        ToolCallsChunk([ToolCallDelta(index=1, arguments='"CET"}'), ToolCallDelta(index=0, arguments="")]),
    ]
    events, final = stream_reader(run(chunks))
    deltas = [(p["output_index"], p["delta"]) for n, p in events if n == "response.function_call_arguments.delta"]
    assert deltas == [(0, '{"city":'), (1, '{"tz":'), (0, '"Paris"}'), (1, '"CET"}')]
    dones = {p["output_index"]: (p["name"], p["arguments"]) for n, p in events if n.endswith("arguments.done")}
    assert dones == {0: ("weather", '{"city":"Paris"}'), 1: ("time", '{"tz":"CET"}')}
    assert [(i["call_id"], i["arguments"]) for i in final["output"]] == [
        ("call_0", '{"city":"Paris"}'),
        ("call_1", '{"tz":"CET"}'),
    ]
    ids = {p["item"]["id"] for n, p in events if n == "response.output_item.added"}
    assert len(ids) == 2


def test_an_index_reused_with_another_id_is_a_new_call(stream_reader: Any) -> None:
    chunks = [
        ToolCallsChunk([ToolCallDelta(index=0, id="call_a", tool_name="f", arguments="{}")]),
        ToolCallsChunk([ToolCallDelta(index=0, id="call_b", tool_name="g", arguments="[]")]),
    ]
    _, final = stream_reader(run(chunks))
    assert [(i["call_id"], i["name"], i["arguments"]) for i in final["output"]] == [
        ("call_a", "f", "{}"),
        ("call_b", "g", "[]"),
    ]


def test_a_call_keeps_one_item_when_its_index_comes_later(stream_reader: Any) -> None:
    chunks = [
        FunctionCallChunk("call_1", "f", "{"),
        ToolCallsChunk([ToolCallDelta(index=0, id="call_1", arguments="}")]),
        ToolCallsChunk([ToolCallDelta(index=0, arguments="")]),
    ]
    _, final = stream_reader(run(chunks))
    assert [(i["call_id"], i["arguments"]) for i in final["output"]] == [("call_1", "{}")]


def test_a_call_without_id_gets_one_and_its_name_may_come_later(stream_reader: Any) -> None:
    chunks = [ToolCallsChunk([ToolCallDelta(index=0, arguments="{")]), ToolCallsChunk([{"index": 0, "name": "f"}])]
    _, final = stream_reader(run(chunks))
    (item,) = final["output"]
    assert item["call_id"].startswith("call_")
    assert item["name"] == "f"
    assert item["arguments"] == "{"


def test_text_after_calls_is_a_new_message_and_calls_close_at_the_end(stream_reader: Any) -> None:
    chunks = [
        ToolCallsChunk([ToolCallDelta(index=0, id="call_0", tool_name="f", arguments="{")]),
        "Thinking",
        ToolCallsChunk([ToolCallDelta(index=0, arguments="}")]),
    ]
    events, final = stream_reader(run(chunks))
    assert [i["type"] for i in final["output"]] == ["function_call", "message"]
    assert final["output"][0]["arguments"] == "{}"
    # The call kept receiving arguments after the text started.
    done_order = [p["item"]["type"] for n, p in events if n == "response.output_item.done"]
    assert done_order == ["message", "function_call"]


def test_a_function_call_closes_the_open_message(stream_reader: Any) -> None:
    chunks = ["Let me check.", FunctionCallChunk("call_1", "f", "{}"), "Done."]
    events, final = stream_reader(run(chunks))
    assert [i["type"] for i in final["output"]] == ["message", "function_call", "message"]
    assert [i["content"][0]["text"] for i in final["output"] if i["type"] == "message"] == ["Let me check.", "Done."]
    first_done = names(events).index("response.output_item.done")
    assert names(events)[first_done + 1] == "response.output_item.added"


def test_reasoning_comes_first_and_closes_when_text_starts(stream_reader: Any) -> None:
    @dataclass
    class ReasoningContent:
        reasoning_text: str

    chunks = [ReasoningChunk(ReasoningContent("Think")), ReasoningChunk("ing."), ReasoningChunk(""), "Answer"]
    events, final = stream_reader(run(chunks))
    assert names(events) == [
        *LIFECYCLE,
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        *TEXT_ITEM_OPEN,
        "response.output_text.delta",
        *TEXT_ITEM_CLOSE,
        "response.completed",
    ]
    assert events[2][1]["item"]["summary"] == []
    assert events[2][1]["item"]["id"].startswith("rs_")
    assert events[3][1]["part"] == {"type": "summary_text", "text": ""}
    assert all(p["summary_index"] == 0 for n, p in events if "reasoning_summary" in n)
    assert events[6][1]["text"] == "Thinking."
    reasoning, message = final["output"]
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Thinking."}]
    assert message["type"] == "message"
    assert [p["output_index"] for n, p in events if n == "response.output_item.added"] == [0, 1]


def test_custom_events_are_named_by_their_type_and_numbered(stream_reader: Any) -> None:
    chunks = [
        "a",
        CustomEvent({"type": "response.tool_status", "status": "running", "sequence_number": 99}),
        CustomEvent({"payload": 1}),
        "b",
    ]
    events, final = stream_reader(run(chunks), custom=frozenset({"response.tool_status", "response.event"}))
    custom = [(n, p) for n, p in events if n in ("response.tool_status", "response.event")]
    assert custom == [
        ("response.tool_status", {"type": "response.tool_status", "status": "running", "sequence_number": 5}),
        ("response.event", {"payload": 1, "type": "response.event", "sequence_number": 6}),
    ]
    assert final["output"][0]["content"][0]["text"] == "ab"


def test_a_custom_terminal_event_ends_the_stream() -> None:
    response = {"id": "resp_test", "status": "completed"}
    encoder = ResponseStreamEncoder("resp_test", "m")
    encoder.open()
    frames = encoder.encode(CustomEvent({"type": "response.completed", "response": response}))
    assert encoder.finished
    assert encoder.final_response == response
    assert encoder.encode("more") == b""
    assert encoder.close() == b""
    assert [name for name, _ in parse_events(frames.decode())] == ["response.completed"]


def test_a_yielded_response_ends_the_stream_with_its_content(stream_reader: Any) -> None:
    user = Response(
        id="resp_user",
        created_at=1,
        model="my-model",
        output=[
            {
                "id": "msg_user",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": "Final.", "annotations": []}],
            }
        ],
        usage={"prompt_tokens": 3, "completion_tokens": 2},
        temperature=0.5,
    )
    events, final = stream_reader(run(["partial", user, "never sent"], request=REQUEST), complete_output=False)
    assert names(events) == [
        *LIFECYCLE,
        *TEXT_ITEM_OPEN,
        "response.output_text.delta",
        *TEXT_ITEM_CLOSE,
        "response.output_item.added",
        "response.output_item.done",
        "response.completed",
    ]
    assert events[-2][1]["output_index"] == 1
    assert final["id"] == "resp_user"  # the callback's object as given, its id included (as 1.x did)
    [message] = user.model_dump(mode="json")["output"]
    message["content"][0]["logprobs"] = []  # what the wire requires and the callback left out
    assert final["output"] == [message]
    assert final["temperature"] == 0.5  # set by the callback
    assert final["instructions"] == "Be brief."  # left to the request
    assert final["usage"] == {
        "input_tokens": 3,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 2,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 5,
    }
    assert isinstance(final["completed_at"], int)


def test_a_yielded_response_does_not_repeat_items_already_streamed(stream_reader: Any) -> None:
    encoder = ResponseStreamEncoder("resp_test", "m")
    body = encoder.open() + encoder.encode(FunctionCallChunk("call_1", "f", "{}"))
    call = {"id": "fc_other", "type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}
    body += encoder.encode(Response(id="resp_x", created_at=1, model="m", output=[call]))
    assert encoder.finished
    events, final = stream_reader(body + encoder.close(), complete_output=False)
    assert names(events).count("response.output_item.added") == 1
    assert final["output"] == [{**call, "status": "completed"}]  # the status the wire requires, filled in


@pytest.mark.parametrize(
    ("status", "event"),
    [("failed", "response.failed"), ("incomplete", "response.incomplete"), ("completed", "response.completed")],
)
def test_a_yielded_response_chooses_the_terminal_event_by_status(status: str, event: str, stream_reader: Any) -> None:
    user = Response(id="resp_x", created_at=1, model="m", output=[], status=status)
    events, final = stream_reader(run([user]), complete_output=False)
    assert names(events) == [*LIFECYCLE, event]
    assert final["status"] == status


def test_a_failure_mid_stream_ends_with_response_failed(stream_reader: Any) -> None:
    events, final = stream_reader(run(["partial"], fail=RuntimeError("boom")))
    assert names(events) == [*LIFECYCLE, *TEXT_ITEM_OPEN, "response.output_text.delta", "response.failed"]
    assert final["status"] == "failed"
    assert final["error"] == {"code": "server_error", "message": "Pipeline execution failed: boom"}
    assert final["completed_at"] is None
    assert final["output"][0]["status"] == "incomplete"
    assert final["output"][0]["content"][0]["text"] == "partial"


def test_exactly_one_terminal_event_whatever_is_called_after_it() -> None:
    encoder = ResponseStreamEncoder("resp_test", "m")
    body = encoder.open() + encoder.encode("a") + encoder.close()
    assert encoder.close() == b""
    assert encoder.fail(RuntimeError("late")) == b""
    assert encoder.encode("b") == b""
    assert encoder.encode(ContentChunk("c")) == b""
    terminals = [n for n, _ in parse_events(body.decode()) if n in ("response.completed", "response.failed")]
    assert terminals == ["response.completed"]


def test_a_mapper_that_raises_fails_the_stream_without_a_gap(stream_reader: Any) -> None:
    def mapper(chunk: Any) -> str:
        raise ValueError("bad chunk")

    events, final = stream_reader(run(["ok", object()], mapper=mapper))
    assert names(events)[-1] == "response.failed"
    assert final["error"]["message"] == "Pipeline execution failed: bad chunk"


def test_frames_queued_before_an_encoder_error_are_still_sent(stream_reader: Any) -> None:
    class Unserialisable:
        pass

    bad = Response(id="resp_x", created_at=1, model="m", output=[], extra_field=Unserialisable())
    events, final = stream_reader(run(["open text", bad]))
    # The text item was closed before the Response could not be encoded; those events are kept.
    assert names(events)[-4:] == [*TEXT_ITEM_CLOSE, "response.failed"]
    assert final["output"][0]["status"] == "completed"


def test_a_failing_close_reports_response_failed(stream_reader: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = ResponseStreamEncoder("resp_test", "m")
    body = encoder.open() + encoder.encode("a")

    def broken() -> None:
        raise RuntimeError("cannot close")

    monkeypatch.setattr(encoder, "_close_all", broken)
    events, final = stream_reader(body + encoder.close())
    assert names(events)[-1] == "response.failed"
    assert final["error"]["message"] == "Pipeline execution failed: cannot close"
    assert encoder.finished


def test_the_failure_report_survives_a_broken_state(stream_reader: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    encoder = ResponseStreamEncoder("resp_test", "m", request={"instructions": "x"})
    body = encoder.open() + encoder.encode("a")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("state is broken")

    monkeypatch.setattr(encoder, "_response", broken)
    events, final = stream_reader(body + encoder.fail(RuntimeError("boom")))
    assert names(events)[-1] == "response.failed"
    assert final["output"] == []
    assert final["error"]["message"] == "Pipeline execution failed: boom"


def test_a_to_event_dict_that_raises_fails_the_stream(stream_reader: Any) -> None:
    class Broken:
        def to_event_dict(self) -> dict[str, Any]:
            raise KeyError("nope")

    events, final = stream_reader(run(["a", Broken()]))
    assert names(events)[-1] == "response.failed"
    assert "nope" in final["error"]["message"]


@pytest.mark.parametrize(
    "chunk",
    [
        UsageChunk({"input_tokens": 5, "output_tokens": 7, "total_tokens": 12}),
        UsageChunk({"prompt_tokens": 5, "completion_tokens": 7}),
        ContentChunk("", meta={"usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}}),
    ],
)
def test_usage_carried_by_a_chunk_is_reported(chunk: Any, stream_reader: Any) -> None:
    _, final = stream_reader(run(["hi", chunk]))
    assert final["usage"] == {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12,
    }


@pytest.mark.parametrize(
    ("finish_reason", "reason"), [("length", "max_output_tokens"), ("content_filter", "content_filter")]
)
def test_a_truncating_finish_reason_makes_the_response_incomplete(
    finish_reason: str, reason: str, stream_reader: Any
) -> None:
    events, final = stream_reader(run(["cut", ContentChunk("", finish_reason=finish_reason)]))
    assert names(events)[-1] == "response.incomplete"
    assert final["status"] == "incomplete"
    assert final["incomplete_details"] == {"reason": reason}
    assert final["output"][0]["content"][0]["text"] == "cut"


def test_a_stop_finish_reason_completes(stream_reader: Any) -> None:
    events, _ = stream_reader(run(["done", ContentChunk("", finish_reason="stop")]))
    assert names(events)[-1] == "response.completed"


def test_request_values_that_are_not_json_are_sent_as_text(stream_reader: Any) -> None:
    class Odd:
        def __str__(self) -> str:
            return "odd"

    _, final = stream_reader(run(["x"], request={"metadata": {"k": Odd()}}))
    assert final["metadata"] == {"k": "odd"}
