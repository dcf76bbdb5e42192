"""Stateful Responses on several workers: every uvicorn worker shares one `RedisResponseStore`.

Any request may land on any worker: a chained turn, the poll of a background response another
worker runs, the resume of its stream, its cancel. The `notes` model answers with every user message
of the conversation it is given and the process id of the worker that answered; the `story` model
tells a story word by word (`--delay` seconds a word) for background runs.

Needs a Redis server and the `redis` extra (`pip install "fastapi-openai-compat[redis]"`). Run it from
the repository root::

    python examples/responses_redis.py --workers 4 --redis-url redis://localhost:6379/0   # the server
    python examples/responses_redis.py --client                                           # the client

or talk to the server with curl (a response made through one worker is retrieved through any)::

    curl http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' \
        -d '{"model": "notes", "input": "My name is Ada."}'
    curl http://127.0.0.1:8000/v1/responses/<id>
"""

import argparse
import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import create_responses_router
from openai_compat_responses.redis_store import RedisResponseStore

STORY = "Once upon a time four workers shared one memory, and every one of them knew the whole story."
DELAY = float(os.environ.get("STORY_DELAY", "0.05"))


def user_texts(input_items: list[dict[str, Any]]) -> list[str]:
    """The text of every user message among the items."""
    texts = []
    for item in input_items:
        if item.get("role") != "user":
            continue
        content = item.get("content")
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        texts.append(str(content))
    return texts


async def tell(text: str) -> AsyncIterator[str]:
    for index, word in enumerate(text.split(" ")):
        await asyncio.sleep(DELAY)  # a model taking its time
        yield word if index == 0 else " " + word


async def run_response(model: str, input_items: list[dict[str, Any]], body: dict[str, Any]) -> Any:
    # `input_items` is the whole conversation, whichever worker made the earlier turns.
    if model == "story":
        return tell(STORY)
    said = user_texts(input_items)
    return f"Noted ({len(said)}, worker {os.getpid()}): " + " | ".join(said)


# Every worker process imports this module and makes its own client of the same Redis.
store = RedisResponseStore.from_url(os.environ.get("REDIS_URL", "redis://localhost:6379/0"), ttl=3600)
app = FastAPI(title="fastapi-openai-compat Responses on Redis demo")
app.include_router(
    create_responses_router(
        list_models=lambda: ["notes", "story"],
        run_response=run_response,
        include_models_endpoints=True,
        store=store,
    )
)


def client_turns(base_url: str) -> None:
    """Chained turns, a polled background run, a dropped and resumed stream, a cancel: any worker may answer."""
    from openai import OpenAI  # noqa: PLC0415 - only the client needs it

    client = OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    previous = None
    for turn, text in enumerate(["My name is Ada.", "I live in Oslo.", "What do you know about me?"], 1):
        answer = client.responses.create(model="notes", input=text, previous_response_id=previous)
        print(f"turn {turn}: {answer.output_text}")
        previous = answer.id

    response = client.responses.create(model="story", input="A story, please.", background=True)
    statuses = [response.status]
    while response.status in ("queued", "in_progress"):
        time.sleep(0.05)
        response = client.responses.retrieve(response.id)
        if response.status != statuses[-1]:
            statuses.append(response.status)
    print(f"background: {' -> '.join(str(status) for status in statuses)}: {response.output_text}")

    with client.responses.create(model="story", input="Again!", background=True, stream=True) as stream:
        for event in stream:
            if event.type == "response.created":
                response_id = event.response.id
            if event.type == "response.output_text.delta" and event.delta.strip() == "time":
                last_seen = event.sequence_number
                break  # as if the connection dropped here
    with client.responses.stream(response_id=response_id, starting_after=last_seen) as resumed:
        final = resumed.get_final_response()
    print(f"resumed after event {last_seen}: {final.output_text}")

    running = client.responses.create(model="story", input="A long one.", background=True)
    print(f"cancelled: {client.responses.cancel(running.id).status}")
    client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://localhost:6379/0"))
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds the story model takes per word")
    parser.add_argument("--client", action="store_true", help="run the client turns instead of the server")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="the server, for --client")
    args = parser.parse_args()
    if args.client:
        client_turns(args.base_url)
        return

    import uvicorn  # noqa: PLC0415 - needed only to serve, not to import the app

    # The workers are new processes that import this module: they read their settings from the environment.
    os.environ["REDIS_URL"] = args.redis_url
    os.environ["STORY_DELAY"] = str(args.delay)
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    uvicorn.run("responses_redis:app", host=args.host, port=args.port, workers=args.workers, app_dir=str(here))


if __name__ == "__main__":
    main()
