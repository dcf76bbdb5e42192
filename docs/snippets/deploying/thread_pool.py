from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Sync callbacks and hooks share AnyIO's thread pool: 40 threads unless raised.
    anyio.to_thread.current_default_thread_limiter().total_tokens = 100
    yield


def run_completion(model: str, messages: list[dict], body: dict) -> str:
    return "answered in a worker thread"


app = FastAPI(lifespan=lifespan)
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run_completion
    )
)
