"""Seed README (1.1.0), "Responses API: hooks".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import InputItem, create_responses_router

received: list[tuple[str, list[InputItem]]] = []
"""What `run_response` was called with."""


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_response(model: str, input_items: list[InputItem], body: dict[str, Any]) -> str:
    received.append((model, input_items))
    return f"{model} got {len(input_items)} item(s)"


# fmt: off
# --- seed README snippet (verbatim) ---
from fastapi_openai_compat import ResponseRequest

async def pre_hook(request: ResponseRequest) -> ResponseRequest:
    # e.g. inject instructions, validate, rate-limit
    return request

router = create_responses_router(
    list_models=list_models,
    run_response=run_response,
    pre_hook=pre_hook,
)
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(router)
