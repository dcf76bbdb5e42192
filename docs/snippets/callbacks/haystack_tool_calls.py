from collections.abc import Iterator

from fastapi import FastAPI
from haystack.dataclasses import StreamingChunk, ToolCallDelta

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


def run(model: str, messages: list[dict], body: dict) -> Iterator[StreamingChunk]:
    def call(index: int, **delta: str) -> StreamingChunk:
        return StreamingChunk(
            content="", index=index, tool_calls=[ToolCallDelta(index=index, **delta)]
        )

    yield call(0, id="call_weather", tool_name="get_weather")
    yield call(1, id="call_time", tool_name="get_time")
    yield call(0, arguments='{"city": "Paris"}')
    yield call(1, arguments='{"timezone": "CET"}')


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
