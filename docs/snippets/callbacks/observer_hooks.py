import logging

from fastapi import FastAPI

from openai_compat_chat import (
    ChatRequest,
    CompletionResult,
    create_chat_completion_router,
)

log = logging.getLogger("chat")


def log_request(request: ChatRequest) -> None:
    log.info("model=%s messages=%d", request.model, len(request.messages))


def log_result(result: CompletionResult) -> None:
    log.info("result type: %s", type(result).__name__)


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"],
        run_completion=lambda model, messages, body: "hello",
        pre_hook=log_request,
        post_hook=log_result,
    )
)
