import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI

from openai_compat_responses import InMemoryResponseStore, create_responses_router

STORY = "Once upon a time there was a server that remembered everything."


def user_texts(input_items: list[dict]) -> list[str]:
    return [
        item["content"]
        for item in input_items
        if item.get("role") == "user" and isinstance(item.get("content"), str)
    ]


async def tell(words: list[str]) -> AsyncIterator[str]:
    for index, word in enumerate(words):
        await asyncio.sleep(0.05)  # a model taking its time
        yield word if index == 0 else " " + word


async def run_response(model: str, input_items: list[dict], body: dict):
    # With a store, `input_items` holds the whole conversation: the earlier
    # inputs and outputs first, then this request's input.
    if model == "story":
        return tell(STORY.split())
    if model == "saga":
        return tell(STORY.split() * 100)
    return "You said: " + " | ".join(user_texts(input_items))


app = FastAPI()
app.include_router(
    create_responses_router(
        list_models=lambda: ["echo", "story", "saga"],
        run_response=run_response,
        store=InMemoryResponseStore(),
    )
)
