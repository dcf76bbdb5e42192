"""Seed README (1.1.0), "Custom chunk mapping (dicts)".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield {"payload": "Hello", "score": 0.9}
    yield {"payload": " world", "score": 0.7}


# fmt: off
# --- seed README snippet (verbatim) ---
def dict_mapper(chunk: dict) -> str:
    return chunk["payload"]
# --- end of snippet ---
# fmt: on

router = create_chat_completion_router(
    list_models=list_models,
    run_completion=run_completion,
    chunk_mapper=dict_mapper,
)
app = FastAPI()
app.include_router(router)
