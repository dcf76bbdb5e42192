"""The chat stream wire format, chunk by chunk, straight from `ChatStreamEncoder`."""

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from openai_compat_chat import ChatCompletion, ChatStreamEncoder, Choice, Message
from openai_compat_core import OpenAIHTTPException
from openai_compat_core.sse import COMPACT_DONE_FRAME, DONE_FRAME


def run(chunks: list[Any], **options: Any) -> list[Any]:
    """Encode `chunks` through a whole stream; return each frame's data (JSON decoded, `[DONE]` as is)."""
    encoder = ChatStreamEncoder("chatcmpl-test", "m", created=123, **options)
    data = encoder.open() + b"".join(encoder.encode(chunk) for chunk in chunks) + encoder.close()
    return decode(data)


def decode(data: bytes) -> list[Any]:
    out: list[Any] = []
    for block in data.decode().split("\n\n"):
        if not block:
            continue
        assert block.startswith("data:"), block
        value = block[len("data:") :].removeprefix(" ")
        out.append(value if value == "[DONE]" else json.loads(value))
    return out


def deltas(frames: list[Any]) -> list[dict[str, Any]]:
    return [f["choices"][0]["delta"] for f in frames if isinstance(f, dict) and f.get("choices")]


def finish_reasons(frames: list[Any]) -> list[str | None]:
    return [f["choices"][0]["finish_reason"] for f in frames if isinstance(f, dict) and f.get("choices")]


@dataclass
class Chunk:
    """A Haystack-like StreamingChunk without Haystack."""

    content: str = ""
    tool_calls: list[Any] | None = None
    finish_reason: str | None = None
    reasoning: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Delta:
    """A Haystack-like ToolCallDelta."""

    index: int
    tool_name: str | None = None
    arguments: str | None = None
    id: str | None = None


@dataclass
class Reasoning:
    reasoning_text: str


class Status:
    def __init__(self, text: str) -> None:
        self.text = text

    def to_event_dict(self) -> dict[str, Any]:
        return {"type": "status", "data": {"description": self.text}}


A = {"role": "assistant"}  # every delta carries the role (1.x consumers require it)
END = {"role": "assistant", "content": ""}  # the delta of the automatic finish chunk


def test_text_stream_has_role_on_every_delta_stable_ids_and_ends_with_stop_and_done() -> None:
    frames = run(["Hel", "lo"])
    assert frames[-1] == "[DONE]"
    chunks = frames[:-1]
    assert deltas(chunks) == [{**A, "content": "Hel"}, {**A, "content": "lo"}, END]
    assert finish_reasons(chunks) == [None, None, "stop"]
    assert {(c["id"], c["created"], c["model"], c["object"]) for c in chunks} == {
        ("chatcmpl-test", 123, "m", "chat.completion.chunk")
    }
    assert all(c["choices"][0]["logprobs"] is None and c["choices"][0]["index"] == 0 for c in chunks)
    assert all("usage" not in c for c in chunks)


def test_done_frame_is_compact_by_default_and_openai_style_on_request() -> None:
    assert ChatStreamEncoder("id", "m").close().endswith(COMPACT_DONE_FRAME)
    assert ChatStreamEncoder("id", "m", done_frame=DONE_FRAME).close().endswith(b"\n\ndata: [DONE]\n\n")


def test_empty_stream_still_sends_a_finish_chunk_with_the_role() -> None:
    frames = run([])
    assert deltas(frames) == [{"role": "assistant", "content": ""}]
    assert finish_reasons(frames) == ["stop"]


def test_empty_text_chunks_are_sent_as_1x_sent_them() -> None:
    frames = run(["", "a", Chunk(content="")])
    assert deltas(frames) == [END, {**A, "content": "a"}, END, END]
    assert finish_reasons(frames) == [None, None, None, "stop"]


def test_finish_reason_of_a_chunk_is_sent_and_no_automatic_stop_follows() -> None:
    frames = run([Chunk("partial"), Chunk("", finish_reason="length")])
    assert finish_reasons(frames) == [None, "length"]
    assert deltas(frames)[-1] == END


def test_finish_reason_on_a_chunk_with_text() -> None:
    frames = run([Chunk("all", finish_reason="stop")])
    assert deltas(frames) == [{"role": "assistant", "content": "all"}]
    assert finish_reasons(frames) == ["stop"]


def test_objects_with_content_are_text() -> None:
    frames = run([Chunk("a"), Chunk("b")])
    assert deltas(frames)[:2] == [{**A, "content": "a"}, {**A, "content": "b"}]


def test_a_custom_chunk_mapper_turns_chunks_but_not_strings_into_text() -> None:
    # A `str` is text as it is (1.4.0's Responses helpers pinned it; both APIs now agree).
    frames = run(["a", 7, Chunk("b")], chunk_mapper=lambda chunk: f"<{getattr(chunk, 'content', chunk)}>")
    assert deltas(frames)[:3] == [{**A, "content": "a"}, {**A, "content": "<7>"}, {**A, "content": "<b>"}]


def test_reasoning_chunks_become_reasoning_content_deltas() -> None:
    frames = run([Chunk(reasoning=Reasoning("thinking")), Chunk(reasoning="more"), Chunk("answer")])
    assert deltas(frames) == [
        {**A, "content": None, "reasoning_content": "thinking"},
        {**A, "content": None, "reasoning_content": "more"},
        # After reasoning every delta says it carries none, as DeepSeek's API (and 1.x) do.
        {**A, "content": "answer", "reasoning_content": None},
        {**END, "reasoning_content": None},
    ]
    assert finish_reasons(frames)[-1] == "stop"


def test_empty_reasoning_is_an_ordinary_chunk() -> None:
    frames = run([Chunk("text", reasoning=Reasoning(""))])
    assert deltas(frames)[0] == {"role": "assistant", "content": "text"}


def test_tool_call_deltas_name_and_id_only_on_first_delta_and_finish_tool_calls() -> None:
    frames = run(
        [
            Chunk(tool_calls=[Delta(0, tool_name="weather", id="call_a")]),
            Chunk(tool_calls=[Delta(0, arguments='{"city":')]),
            Chunk(tool_calls=[Delta(0, arguments='"Paris"}')]),
        ]
    )
    assert deltas(frames) == [
        {
            **A,
            "content": None,
            "tool_calls": [
                {"index": 0, "id": "call_a", "type": "function", "function": {"name": "weather", "arguments": ""}}
            ],
        },
        {**A, "content": None, "tool_calls": [{"index": 0, "function": {"arguments": '{"city":'}}]},
        {**A, "content": None, "tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
        END,
    ]
    assert finish_reasons(frames) == [None, None, None, "tool_calls"]


def test_interleaved_parallel_tool_calls_keep_their_indexes() -> None:
    frames = run(
        [
            Chunk(tool_calls=[Delta(0, tool_name="a", id="call_0", arguments="{")]),
            Chunk(tool_calls=[Delta(1, tool_name="b", id="call_1", arguments="{")]),
            Chunk(tool_calls=[Delta(0, arguments="}")]),
            Chunk(tool_calls=[Delta(1, arguments="}")]),
            Chunk(finish_reason="tool_calls"),
        ]
    )
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert [c["index"] for c in calls] == [0, 1, 0, 1]
    assert [c.get("id") for c in calls] == ["call_0", "call_1", None, None]
    assert [c["function"] for c in calls] == [
        {"name": "a", "arguments": "{"},
        {"name": "b", "arguments": "{"},
        {"arguments": "}"},
        {"arguments": "}"},
    ]
    assert finish_reasons(frames) == [None, None, None, None, "tool_calls"]


def test_several_tool_call_deltas_in_one_chunk() -> None:
    frames = run([Chunk(tool_calls=[Delta(0, tool_name="a", id="x"), Delta(1, tool_name="b", id="y")])])
    assert [c["index"] for c in deltas(frames)[0]["tool_calls"]] == [0, 1]


def test_tool_call_indexes_are_made_dense_in_order_of_appearance() -> None:
    # Some producers number calls by content block (text block 0, then calls 1 and 2).
    frames = run(
        [
            Chunk(tool_calls=[Delta(1, tool_name="a", id="call_a")]),
            Chunk(tool_calls=[Delta(2, tool_name="b", id="call_b")]),
            Chunk(tool_calls=[Delta(1, arguments="{}")]),
        ]
    )
    assert [d["tool_calls"][0]["index"] for d in deltas(frames) if "tool_calls" in d] == [0, 1, 0]


def test_same_index_with_a_new_id_is_a_new_call() -> None:
    frames = run(
        [
            Chunk(tool_calls=[Delta(0, tool_name="a", id="call_a", arguments="{}")]),
            Chunk(tool_calls=[Delta(0, tool_name="b", id="call_b", arguments="{}")]),
        ]
    )
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert [(c["index"], c["id"]) for c in calls] == [(0, "call_a"), (1, "call_b")]


def test_tool_call_without_id_gets_one_and_a_late_name_is_sent_once() -> None:
    frames = run(
        [
            Chunk(tool_calls=[Delta(0, arguments="{")]),
            Chunk(tool_calls=[Delta(0, tool_name="late", arguments="}")]),
            Chunk(tool_calls=[Delta(0, tool_name="late")]),
        ]
    )
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert calls[0]["id"].startswith("call_")
    assert calls[0]["type"] == "function"
    assert calls[0]["function"] == {"arguments": "{"}
    assert calls[1] == {"index": 0, "function": {"name": "late", "arguments": "}"}}
    assert calls[2] == {"index": 0, "function": {"arguments": ""}}


class FunctionCallChunk:
    """The `function_call_id` shape some pipelines use."""

    def __init__(self, call_id: str, name: str | None, arguments: str | None) -> None:
        self.function_call_id = call_id
        self.function_call_name = name
        self.function_call_arguments = arguments


def test_function_call_id_shape_is_a_tool_call_and_a_new_id_closes_the_call_before() -> None:
    # Calls without index come one after another (core's ToolCallAssembler): call_2 closes call_1, and
    # call_1 seen again is a new call.
    frames = run(
        [
            FunctionCallChunk("call_1", "f", '{"a":'),
            FunctionCallChunk("call_2", "g", "{}"),
            FunctionCallChunk("call_1", None, "1}"),
        ]
    )
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert [(c["index"], c.get("id"), c["function"]) for c in calls] == [
        (0, "call_1", {"name": "f", "arguments": '{"a":'}),
        (1, "call_2", {"name": "g", "arguments": "{}"}),
        (2, "call_1", {"arguments": "1}"}),
    ]


def test_dict_tool_calls_in_openai_shape() -> None:
    first = {"index": 0, "id": "call_9", "function": {"name": "f", "arguments": ""}}
    frames = run([Chunk(tool_calls=[first]), Chunk(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])])
    calls = [d["tool_calls"][0] for d in deltas(frames) if "tool_calls" in d]
    assert calls == [
        {"index": 0, "id": "call_9", "type": "function", "function": {"name": "f", "arguments": ""}},
        {"index": 0, "function": {"arguments": "{}"}},
    ]


def test_custom_events_are_event_frames_outside_the_role_and_finish_logic() -> None:
    frames = run([Status("working"), "a", Status("done")])
    assert frames[0] == {"event": {"type": "status", "data": {"description": "working"}}}
    assert frames[2] == {"event": {"type": "status", "data": {"description": "done"}}}
    assert deltas(frames) == [{**A, "content": "a"}, END]


def test_custom_events_alone_get_no_finish_chunk_with_v1_framing() -> None:
    assert run([Status("working")], v1_framing=True) == [
        {"event": {"type": "status", "data": {"description": "working"}}},
        "[DONE]",
    ]
    assert finish_reasons(run([Status("working")])) == ["stop"]


def test_include_usage_adds_null_usage_and_a_final_usage_chunk_from_the_last_reported_usage() -> None:
    usage = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
    frames = run(
        [Chunk("a", meta={"usage": {"prompt_tokens": 1}}), Chunk("b", meta={"usage": usage})], include_usage=True
    )
    assert frames[-1] == "[DONE]"
    *choice_chunks, usage_chunk = frames[:-1]
    assert all(c["usage"] is None for c in choice_chunks)
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == usage
    assert usage_chunk["id"] == "chatcmpl-test"


def test_usage_from_a_usage_attribute_and_in_responses_terms() -> None:
    class WithUsage:
        content = ""

        def __init__(self) -> None:
            self.usage = {"input_tokens": 4, "output_tokens": 6}

    frames = run(["a", WithUsage()], include_usage=True)
    assert frames[-2]["usage"] == {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10}


def test_include_usage_without_reported_usage_sends_zeros() -> None:
    frames = run(["a"], include_usage=True)
    assert frames[-2] == {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": 123,
        "model": "m",
        "choices": [],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


def test_usage_is_not_sent_unless_asked() -> None:
    frames = run([Chunk("a", meta={"usage": {"prompt_tokens": 1, "completion_tokens": 1}})])
    assert all("usage" not in f for f in frames if isinstance(f, dict))
    assert all(f["choices"] for f in frames if isinstance(f, dict))


def test_chat_completion_chunks_are_normalised_to_the_stream() -> None:
    def chunk(delta: Message, finish: str | None = None) -> ChatCompletion:
        return ChatCompletion(
            id="user-id",
            object="chat.completion",
            created=1,
            model="other",
            choices=[Choice(index=0, delta=delta, finish_reason=finish)],
        )

    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
    frames = run(
        [
            chunk(Message(role="assistant", tool_calls=[call])),
            chunk(Message(role="assistant", tool_calls=[{"index": 0, "function": {"arguments": "{}"}}])),
            chunk(Message(role="assistant"), "tool_calls"),
        ]
    )
    assert {(f["id"], f["created"], f["model"], f["object"]) for f in frames[:-1]} == {
        ("chatcmpl-test", 123, "m", "chat.completion.chunk")
    }
    assert deltas(frames) == [
        {**A, "content": None, "tool_calls": [call]},
        {**A, "content": None, "tool_calls": [{"index": 0, "function": {"arguments": "{}"}}]},
        A,
    ]
    assert finish_reasons(frames) == [None, None, "tool_calls"]
    assert len(frames) == 4  # no automatic finish chunk after the user's


def test_chat_completion_chunk_without_finish_gets_the_automatic_one() -> None:
    completion = ChatCompletion(
        id="x",
        object="chat.completion.chunk",
        created=1,
        model="m",
        choices=[Choice(index=0, delta=Message(role="assistant", content="hi"))],
    )
    frames = run([completion])
    assert deltas(frames) == [{**A, "content": "hi"}, END]
    assert finish_reasons(frames) == [None, "stop"]


def test_usage_only_chat_completion_chunk_feeds_the_usage_chunk() -> None:
    usage_chunk = ChatCompletion(
        id="x", object="chat.completion.chunk", created=1, model="m", choices=[], usage={"prompt_tokens": 7}
    )
    assert run(["a", usage_chunk]) == run(["a"])
    frames = run(["a", usage_chunk], include_usage=True)
    assert frames[-2]["usage"] == {"prompt_tokens": 7, "completion_tokens": 0, "total_tokens": 7}


def test_fail_sends_an_error_frame_then_done() -> None:
    encoder = ChatStreamEncoder("id", "m")
    frames = decode(encoder.encode("a") + encoder.fail(RuntimeError("boom")))
    assert frames[1] == {
        "error": {"message": "Pipeline execution failed: boom", "type": "server_error", "param": None, "code": None}
    }
    assert frames[2] == "[DONE]"


def test_fail_keeps_the_fields_of_an_openai_http_exception() -> None:
    exc = OpenAIHTTPException(429, "slow down", code="rate_limit_exceeded")
    frames = decode(ChatStreamEncoder("id", "m", done_frame=DONE_FRAME).fail(exc))
    assert frames == [
        {"error": {"message": "slow down", "type": "rate_limit_error", "param": None, "code": "rate_limit_exceeded"}},
        "[DONE]",
    ]


@pytest.mark.parametrize("text", ['quote " and \\ backslash', "newline\nand\ttab", "ünïcødé ✓", "\x00"])
def test_text_is_valid_json_whatever_it_contains(text: str) -> None:
    frames = run(["first", text])
    assert deltas(frames)[1] == {**A, "content": text}


def test_frames_are_whole_sse_events() -> None:
    encoder = ChatStreamEncoder("id", "m")
    for chunk in ["a", "b\n\nc", Status("x")]:
        frame = encoder.encode(chunk)
        assert frame.endswith(b"\n\n")
        assert frame.count(b"\n\n") == 1
