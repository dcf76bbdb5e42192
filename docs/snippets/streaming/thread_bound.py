from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import stream_thread_limiter


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # At most 200 sync generators stream at once in this worker; more wait for a thread.
    stream_thread_limiter().total_tokens = 200
    yield


def run(model: str, messages: list[dict], body: dict) -> Iterator[str]:
    yield from ["Streamed ", "from ", "a ", "thread."]


app = FastAPI(lifespan=lifespan)
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
