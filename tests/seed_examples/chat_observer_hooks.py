"""Seed README (1.1.0), "Hooks: observer hooks".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: T201 - the snippet is kept exactly as the README prints it

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import ChatRequest, CompletionResult, MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> str | Iterator[str]:
    if body.get("stream"):
        return (word for word in ["Hello", " there"])
    return "Hello there"


# fmt: off
# --- seed README snippet (verbatim) ---
def log_request(request: ChatRequest) -> None:
    print(f"Request for model: {request.model}")

def log_result(result: CompletionResult) -> None:
    print(f"Got result type: {type(result).__name__}")

router = create_chat_completion_router(
    list_models=list_models,
    run_completion=run_completion,
    pre_hook=log_request,
    post_hook=log_result,
)
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(router)
