from typing import Any

from pydantic import BaseModel

from openai_compat_core import default_chunk_mapper
from openai_compat_core.chunks import Chunk as ChunkModel
from openai_compat_core.chunks import (
    ToolCallFragment,
    extract_finish_reason,
    extract_reasoning_text,
    extract_tool_call_fragments,
    extract_usage,
    is_custom_event,
    read_chunk,
    to_chat_usage,
    to_responses_usage,
)
from openai_compat_core.testing import CustomEvent, FunctionCallChunk, ReasoningContent, StreamingChunk, ToolCallDelta


def test_default_chunk_mapper() -> None:
    assert default_chunk_mapper("text") == "text"
    assert default_chunk_mapper(StreamingChunk(content="abc")) == "abc"
    assert default_chunk_mapper(StreamingChunk(content=None)) == ""
    assert default_chunk_mapper(StreamingChunk(content=12)) == "12"
    assert default_chunk_mapper(3.5) == "3.5"


def test_custom_event_detection() -> None:
    class Event:
        def to_event_dict(self) -> dict[str, Any]:
            return {"type": "status"}

    class NotCallable:
        to_event_dict = "nope"

    assert is_custom_event(Event())
    assert not is_custom_event(NotCallable())
    assert not is_custom_event("text")


def test_reasoning_text() -> None:
    assert extract_reasoning_text(StreamingChunk(reasoning=ReasoningContent("thinking"))) == "thinking"
    assert extract_reasoning_text(StreamingChunk(reasoning=ReasoningContent(""))) is None
    assert extract_reasoning_text(StreamingChunk(reasoning="plain")) == "plain"
    assert extract_reasoning_text(StreamingChunk(reasoning=None)) is None
    assert extract_reasoning_text("no attribute") is None


def test_finish_reason() -> None:
    assert extract_finish_reason(StreamingChunk(finish_reason="tool_calls")) == "tool_calls"
    assert extract_finish_reason(StreamingChunk()) is None
    assert extract_finish_reason("text") is None


def test_tool_call_fragments_from_haystack_style_deltas() -> None:
    first = ToolCallDelta(0, id="call_1", tool_name="get_weather", arguments='{"city":')
    chunk = StreamingChunk(tool_calls=[first, ToolCallDelta(1)])
    assert extract_tool_call_fragments(chunk) == [
        ToolCallFragment(index=0, call_id="call_1", name="get_weather", arguments='{"city":'),
        ToolCallFragment(index=1, call_id=None, name=None, arguments=None),
    ]


def test_tool_call_fragments_from_dicts_and_openai_shape() -> None:
    chunk = StreamingChunk(
        tool_calls=[
            {"index": 2, "id": "c", "function": {"name": "f", "arguments": "{}"}},
            {"index": 3, "name": "g", "arguments": "[]"},
        ]
    )
    assert extract_tool_call_fragments(chunk) == [
        ToolCallFragment(index=2, call_id="c", name="f", arguments="{}"),
        ToolCallFragment(index=3, call_id=None, name="g", arguments="[]"),
    ]


def test_tool_call_fragments_from_function_call_attributes() -> None:
    assert extract_tool_call_fragments(FunctionCallChunk("call_9", "f", "{")) == [
        ToolCallFragment(index=None, call_id="call_9", name="f", arguments="{")
    ]
    assert extract_tool_call_fragments(FunctionCallChunk(None, "f", "{")) == []  # type: ignore[arg-type]
    assert extract_tool_call_fragments(StreamingChunk(tool_calls=[])) == []


def test_usage_from_attribute_model_or_haystack_meta() -> None:
    class Usage(BaseModel):
        prompt_tokens: int
        completion_tokens: int

    class WithUsage:
        usage = Usage(prompt_tokens=1, completion_tokens=2)

    assert extract_usage(WithUsage()) == {"prompt_tokens": 1, "completion_tokens": 2}
    assert extract_usage(StreamingChunk(meta={"usage": {"prompt_tokens": 3}})) == {"prompt_tokens": 3}
    assert extract_usage(StreamingChunk()) is None
    assert extract_usage("text") is None


def test_usage_conversions() -> None:
    chat = {"prompt_tokens": 5, "completion_tokens": 7, "completion_tokens_details": {"reasoning_tokens": 2}}
    assert to_chat_usage(chat) == {
        "prompt_tokens": 5,
        "completion_tokens": 7,
        "total_tokens": 12,
        "completion_tokens_details": {"reasoning_tokens": 2},
    }
    assert to_responses_usage(chat) == {
        "input_tokens": 5,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": 7,
        "output_tokens_details": {"reasoning_tokens": 2},
        "total_tokens": 12,
    }
    responses = {"input_tokens": 1, "output_tokens": 1, "total_tokens": 3}
    assert to_chat_usage(responses) == {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 3}


# --- read_chunk: the one internal form ------------------------------------------------------------


def test_read_chunk_text_is_a_str_as_it_is_or_what_the_mapper_makes_of_a_chunk() -> None:
    assert read_chunk("hi").text == "hi"
    assert read_chunk("hi", lambda chunk: f"<{chunk}>").text == "hi"  # a `str` is not mapped
    assert read_chunk(StreamingChunk(content="x"), lambda chunk: f"<{chunk.content}>").text == "<x>"
    assert read_chunk(StreamingChunk(content="x")).text == "x"
    assert read_chunk(7).text == "7"
    # A mapper's None is no text; another non-string is written as text.
    assert read_chunk(7, lambda chunk: None).text == ""  # type: ignore[arg-type,return-value]
    assert read_chunk(7, lambda chunk: 42).text == "42"  # type: ignore[arg-type,return-value]


def test_read_chunk_custom_events_carry_nothing_else() -> None:
    read = read_chunk(CustomEvent({"type": "status", "finish_reason": "stop"}))
    assert read == ChunkModel(event={"type": "status", "finish_reason": "stop"})


def test_read_chunk_reasoning_before_tool_calls_and_text() -> None:
    read = read_chunk(StreamingChunk(content="ignored", reasoning=ReasoningContent("why"), finish_reason="stop"))
    assert (read.reasoning, read.text, read.finish_reason) == ("why", "", "stop")


def test_read_chunk_keeps_text_beside_tool_calls() -> None:
    call = {"index": 0, "id": "call_1", "function": {"name": "f", "arguments": "{}"}}
    read = read_chunk(StreamingChunk(content="Checking.", tool_calls=[call], meta={"usage": {"prompt_tokens": 2}}))
    assert read.text == "Checking."
    assert read.tool_calls == [ToolCallFragment(index=0, call_id="call_1", name="f", arguments="{}")]
    assert read.usage == {"prompt_tokens": 2}


def test_read_chunk_reads_dicts_by_their_keys() -> None:
    assert read_chunk({"content": "hi", "finish_reason": "length"}) == ChunkModel(text="hi", finish_reason="length")
    assert read_chunk({"reasoning_content": "hmm"}).reasoning == "hmm"
    calls = read_chunk({"tool_calls": [{"index": 1, "id": "c", "name": "g", "arguments": "[]"}]}).tool_calls
    assert calls == [ToolCallFragment(index=1, call_id="c", name="g", arguments="[]")]
    assert read_chunk({"usage": {"total_tokens": 3}, "content": ""}).usage == {"total_tokens": 3}
    # The mapper still receives the dict itself.
    assert read_chunk({"x": 1}, lambda chunk: str(sorted(chunk))).text == "['x']"
