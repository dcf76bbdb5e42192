from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import OpenAIHTTPException
from openai_compat_responses import create_responses_router


def run(model: str, messages: list[dict], body: dict) -> Iterator[str]:
    if len(messages) > 50:
        # Before the answer starts: an HTTP error, openai.BadRequestError in the SDK.
        raise OpenAIHTTPException(
            400, "Too many messages.", param="messages", code="context_length_exceeded"
        )

    def stream() -> Iterator[str]:
        yield "Starting..."
        # Once a stream has started: an error frame (chat), response.failed (Responses).
        raise RuntimeError("retriever unavailable")

    return stream()


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
