"""Seed README (1.1.0), "Automatic StreamingChunk support (needs haystack-ai)".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import CompletionResult, MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
from haystack.dataclasses import StreamingChunk
from haystack.dataclasses.streaming_chunk import ToolCallDelta

def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    def stream():
        yield StreamingChunk(
            content="",
            tool_calls=[ToolCallDelta(
                index=0, id="call_1",
                tool_name="get_weather", arguments='{"city": "Paris"}',
            )],
            index=0,
        )
        yield StreamingChunk(content="", finish_reason="tool_calls")
    return stream()
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run_completion))
