"""Seed README (1.1.0), "Responses API: streaming text".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001, UP028 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import InputItem, ResponseResult, create_responses_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
from collections.abc import Generator

def run_response(model: str, input_items: list[InputItem], body: dict) -> ResponseResult:
    if body.get("stream", False):
        def stream() -> Generator[str, None, None]:
            for word in ["Hello", " from", " streaming", "!"]:
                yield word
        return stream()
    return "Hello!"
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(
    create_responses_router(list_models=list_models, run_response=run_response, include_models_endpoints=True)
)
