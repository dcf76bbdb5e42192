import anyio
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router

TIMEOUT = 120  # seconds


async def my_pipeline(model: str, messages: list[dict]) -> str:
    await anyio.sleep(0.01)  # stands for the real work: a model call, a retrieval, ...
    return "done"


async def run_completion(model: str, messages: list[dict], body: dict) -> str:
    with anyio.fail_after(
        TIMEOUT
    ):  # raises TimeoutError: the client gets a 500 in OpenAI's envelope
        return await my_pipeline(model, messages)


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run_completion
    )
)
