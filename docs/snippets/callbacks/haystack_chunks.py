from collections.abc import Iterator

from fastapi import FastAPI
from haystack.dataclasses import StreamingChunk

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


def run(model: str, messages: list[dict], body: dict) -> Iterator[StreamingChunk]:
    yield StreamingChunk(content="Hello")
    yield StreamingChunk(content=" world")
    yield StreamingChunk(
        content="",
        finish_reason="stop",
        meta={"usage": {"prompt_tokens": 5, "completion_tokens": 2}},
    )


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
