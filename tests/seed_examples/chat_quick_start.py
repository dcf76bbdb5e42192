"""Seed README (1.1.0), "Quick start".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: I001 - the snippet is kept exactly as the README prints it

# fmt: off
# --- seed README snippet (verbatim) ---
from fastapi import FastAPI
from fastapi_openai_compat import CompletionResult, MessageParam, create_chat_completion_router

def list_models() -> list[str]:
    return ["my-pipeline"]

def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    # Your (potentially blocking) pipeline execution logic here
    return "Hello from Haystack!"

app = FastAPI()
router = create_chat_completion_router(
    list_models=list_models,
    run_completion=run_completion,
)
app.include_router(router)
# --- end of snippet ---
# fmt: on
