"""Seed README (1.1.0), "Streaming with a generator".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import CompletionResult, MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
from collections.abc import Generator

def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    last_msg = messages[-1]["content"]

    if body.get("stream", False):
        def stream() -> Generator[str, None, None]:
            for word in last_msg.split():
                yield word + " "
        return stream()

    return f"You said: {last_msg}"
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run_completion))
