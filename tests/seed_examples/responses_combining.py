"""Seed README (1.1.0), "Responses API: combining with chat completions".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from collections.abc import Iterator
from typing import Any

from fastapi_openai_compat import CompletionResult, InputItem, MessageParam, ResponseResult


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> CompletionResult:
    reply = f"chat: {messages[-1]['content']}"
    return _words(reply) if body.get("stream") else reply


def run_response(model: str, input_items: list[InputItem], body: dict[str, Any]) -> ResponseResult:
    reply = f"responses: {len(input_items)} item(s)"
    if body.get("stream"):
        return _words(reply)
    return reply


def _words(text: str) -> Iterator[str]:
    for index, word in enumerate(text.split(" ")):
        yield word if index == 0 else " " + word


# fmt: off
# --- seed README snippet (verbatim) ---
from fastapi import FastAPI
from fastapi_openai_compat import (
    create_chat_completion_router,
    create_models_router,
    create_responses_router,
)

app = FastAPI()
app.include_router(create_models_router(list_models=list_models))
app.include_router(
    create_chat_completion_router(
        list_models=list_models,
        run_completion=run_completion,
        include_models_endpoints=False,
    )
)
app.include_router(
    create_responses_router(
        list_models=list_models,
        run_response=run_response,
        include_models_endpoints=False,
    )
)
# --- end of snippet ---
# fmt: on
