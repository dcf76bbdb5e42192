"""Seed README (1.1.0), "Returning a ChatCompletion".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import MessageParam, create_chat_completion_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
import time
from fastapi_openai_compat import ChatCompletion, Choice, Message, CompletionResult

def run_completion(model: str, messages: list[MessageParam], body: dict) -> CompletionResult:
    return ChatCompletion(
        id="resp-1",
        object="chat.completion",
        created=int(time.time()),
        model=model,
        choices=[
            Choice(
                index=0,
                message=Message(role="assistant", content="Hello!"),
                finish_reason="stop",
            )
        ],
        usage={"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    )
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run_completion))
