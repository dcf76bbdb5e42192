"""Stateful Responses demo: kept responses, `previous_response_id` turns, background polling and resuming.

A server with `InMemoryResponseStore`, and a client (the `openai` SDK) that uses it:

- the `notes` model answers with every user message of the conversation it is given, so chained
  turns show that the server kept the earlier ones (the client sends only the new message);
- the `story` model tells a short story word by word, slowly (`--delay` seconds a word), for
  background runs: the client polls one, then streams another, drops the stream midway and resumes it.

Run it from the repository root (with the packages installed)::

    python examples/responses_stateful.py                 # the server, http://127.0.0.1:8000
    python examples/responses_stateful.py --client        # the client, in another terminal

or talk to the server with curl::

    curl http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' \
        -d '{"model": "notes", "input": "My name is Ada."}'
    curl http://127.0.0.1:8000/v1/responses/<id>
"""

import argparse
import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import InMemoryResponseStore, create_responses_router

STORY = "Once upon a time a small server kept every word it was told, and never lost the thread."
DELAY = 0.05


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
        await asyncio.sleep(DELAY)
        yield word if index == 0 else " " + word


async def run_response(model: str, input_items: list[dict[str, Any]], body: dict[str, Any]) -> Any:
    # With a store, `input_items` is the whole conversation: earlier inputs and outputs, then the new input.
    if model == "story":
        return tell(STORY)
    said = user_texts(input_items)
    return f"Noted ({len(said)}): " + " | ".join(said)


app = FastAPI(title="fastapi-openai-compat stateful Responses demo")
app.include_router(
    create_responses_router(
        list_models=lambda: ["notes", "story"],
        run_response=run_response,
        include_models_endpoints=True,
        store=InMemoryResponseStore(max_responses=1_000, ttl=3600),
    )
)


def client_turns(base_url: str) -> None:
    """What a client does with a stateful server: chained turns, a polled background run, a resumed stream."""
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
    client.close()


def main() -> None:
    global DELAY  # noqa: PLW0603 - a demo's one setting
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds the story model takes per word")
    parser.add_argument("--client", action="store_true", help="run the client turns instead of the server")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1", help="the server, for --client")
    args = parser.parse_args()
    if args.client:
        client_turns(args.base_url)
        return
    DELAY = args.delay

    import uvicorn  # noqa: PLC0415 - needed only to serve, not to import the app

    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
