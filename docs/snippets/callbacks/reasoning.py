from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


@dataclass
class Thought:
    reasoning: (
        str  # Haystack's ReasoningContent works too: its `reasoning_text` is used
    )
    content: str = ""


def run(model: str, messages: list[dict], body: dict) -> Iterator[object]:
    yield Thought("The user greets me; ")
    yield Thought("I greet back.")
    yield "Hello!"


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
