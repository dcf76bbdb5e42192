"""Seed README (1.1.0), "Custom SSE events".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001, UP028 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
from collections.abc import Generator
from fastapi_openai_compat import CompletionResult

class StatusEvent:
    def __init__(self, description: str, done: bool = False):
        self.description = description
        self.done = done

    def to_event_dict(self) -> dict:
        return {"type": "status", "data": {"description": self.description, "done": self.done}}

def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    def stream() -> Generator[str | StatusEvent, None, None]:
        yield StatusEvent("Processing your request...")
        for word in ["Hello", " from", " Haystack", "!"]:
            yield word
        yield StatusEvent("Done", done=True)
    return stream()
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run_completion))
