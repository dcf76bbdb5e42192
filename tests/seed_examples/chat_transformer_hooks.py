"""Seed README (1.1.0), "Hooks: transformer hooks".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import MessageParam, create_chat_completion_router

received: list[tuple[str, list[MessageParam]]] = []
"""What `run_completion` was called with."""


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> str:
    received.append((model, messages))
    return f"{model} got {len(messages)} message(s)"


# fmt: off
# --- seed README snippet (verbatim) ---
from fastapi_openai_compat import ChatRequest, CompletionResult

async def pre_hook(request: ChatRequest) -> ChatRequest:
    # e.g. inject system prompts, validate, rate-limit
    return request

async def post_hook(result: CompletionResult) -> CompletionResult:
    # e.g. transform, filter
    return result

router = create_chat_completion_router(
    list_models=list_models,
    run_completion=run_completion,
    pre_hook=pre_hook,
    post_hook=post_hook,
)
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(router)
