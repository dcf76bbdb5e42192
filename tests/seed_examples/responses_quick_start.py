"""Seed README (1.1.0), "Responses API: quick start".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: I001 - the snippet is kept exactly as the README prints it

# fmt: off
# --- seed README snippet (verbatim) ---
from fastapi import FastAPI
from fastapi_openai_compat import InputItem, ResponseResult, create_responses_router

def list_models() -> list[str]:
    return ["my-pipeline"]

def run_response(model: str, input_items: list[InputItem], body: dict) -> ResponseResult:
    return "Hello from the Responses API!"

app = FastAPI()
app.include_router(
    create_responses_router(
        list_models=list_models,
        run_response=run_response,
        include_models_endpoints=True,
    )
)
# --- end of snippet ---
# fmt: on
