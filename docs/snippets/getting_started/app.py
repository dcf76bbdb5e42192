from collections.abc import Iterator

from fastapi import FastAPI

from fastapi_openai_compat import create_chat_completion_router, create_responses_router


def list_models() -> list[str]:
    return ["echo"]


def run_completion(model: str, messages: list[dict], body: dict) -> Iterator[str]:
    # A generator serves every client: streamed to those that ask for a stream,
    # merged into one answer for the others.
    yield "You said: "
    yield messages[-1]["content"]


def run_response(model: str, input_items: list[dict], body: dict) -> str:
    return f"You said: {input_items[-1]['content']}"


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=list_models, run_completion=run_completion
    )
)
app.include_router(
    create_responses_router(list_models=list_models, run_response=run_response)
)
