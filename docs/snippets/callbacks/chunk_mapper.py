from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


@dataclass
class Token:
    text: str
    score: float


def run(model: str, messages: list[dict], body: dict) -> Iterator[Token]:
    yield from [Token("Hello", 0.9), Token(" noise", 0.1), Token(" world", 0.8)]


def keep_confident(token: Token) -> str:
    return token.text if token.score > 0.5 else ""  # no text for this chunk


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run, chunk_mapper=keep_confident
    )
)
app.include_router(
    create_responses_router(
        list_models=lambda: ["demo"], run_response=run, chunk_mapper=keep_confident
    )
)
