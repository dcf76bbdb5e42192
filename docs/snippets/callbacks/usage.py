from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


class Done:
    content = ""  # no text: this chunk only reports usage

    def __init__(self, prompt_tokens: int, completion_tokens: int) -> None:
        self.usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
        }


def run(model: str, messages: list[dict], body: dict) -> Iterator[object]:
    yield "Hello"
    yield " world"
    yield Done(prompt_tokens=12, completion_tokens=2)


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
