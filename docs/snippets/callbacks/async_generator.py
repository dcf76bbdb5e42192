import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


async def run(model: str, messages: list[dict], body: dict) -> AsyncIterator[str]:
    # Runs on the event loop: await, never block.
    for word in ["Hello", " async", " world"]:
        await asyncio.sleep(0.01)  # stands for awaiting the next token of a model
        yield word


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
