"""Seed README (1.1.0), "Returning a string".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

from fastapi import FastAPI

from fastapi_openai_compat import CompletionResult, MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    last_msg = messages[-1]["content"]
    return f"You said: {last_msg}"
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run_completion))
