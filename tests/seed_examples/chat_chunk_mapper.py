"""Seed README (1.1.0), "Custom chunk mapping".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> Iterator["MyChunk"]:
    yield MyChunk(text="Hello", score=0.9)
    yield MyChunk(text=" world", score=0.7)


# fmt: off
# --- seed README snippet (verbatim) ---
from dataclasses import dataclass

@dataclass
class MyChunk:
    text: str
    score: float

def my_mapper(chunk: MyChunk) -> str:
    return chunk.text

router = create_chat_completion_router(
    list_models=list_models,
    run_completion=run_completion,
    chunk_mapper=my_mapper,
)
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(router)
