from typing import Any

from pydantic import BaseModel

from openai_compat_core import (
    ToolCallFragment,
    default_chunk_mapper,
    extract_finish_reason,
    extract_reasoning_text,
    extract_tool_call_fragments,
    extract_usage,
    is_custom_event,
    to_chat_usage,
    to_responses_usage,
)
from openai_compat_core.testing import FunctionCallChunk, ReasoningContent, StreamingChunk, ToolCallDelta


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
