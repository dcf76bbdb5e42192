from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


def run(model: str, messages: list[dict], body: dict) -> Iterator[str]:
    # Runs in a thread of its own while it streams: blocking calls are fine here.
    yield from ["Hello", " from", " a", " generator"]


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
