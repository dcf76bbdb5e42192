from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


@dataclass
class Piece:
    content: str
    finish_reason: str | None = None


def run(model: str, messages: list[dict], body: dict) -> Iterator[Piece]:
    yield Piece("This answer was cut")
    yield Piece("", finish_reason="length")  # the model hit its token limit


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
