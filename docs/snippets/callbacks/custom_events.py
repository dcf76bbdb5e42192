from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


class Status:
    def __init__(self, description: str, done: bool = False) -> None:
        self.description = description
        self.done = done

    def to_event_dict(self) -> dict:
        return {
            "type": "status",
            "data": {"description": self.description, "done": self.done},
        }


def run(model: str, messages: list[dict], body: dict) -> Iterator[object]:
    yield Status("Searching documents...")
    yield "Found it: "
    yield "42."
    yield Status("Done", done=True)


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
