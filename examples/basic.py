"""Echo server: Chat Completions, Responses and Models endpoints, no API keys and no model needed.

Run it from the repository root::

    uv run examples/basic.py            # or: python examples/basic.py (with the packages installed)

then talk to it on http://127.0.0.1:8000 with curl or any OpenAI client::

    curl http://127.0.0.1:8000/v1/chat/completions -H 'Content-Type: application/json' \
        -d '{"model": "echo", "messages": [{"role": "user", "content": "Hello there"}]}'

    python -c "import openai; c = openai.OpenAI(base_url='http://127.0.0.1:8000/v1', api_key='-'); \
print(c.chat.completions.create(model='echo', messages=[{'role': 'user', 'content': 'hi'}]).choices[0].message)"

The `echo` model answers with the last user message; `stream: true` streams it word by word.
"""

import argparse
import time
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import (
    CompletionResult,
    InputItem,
    MessageParam,
    ResponseResult,
    create_chat_completion_router,
    create_models_router,
    create_responses_router,
)

MODELS = ["echo"]


def list_models() -> list[str]:
    return MODELS


def text_of(content: Any) -> str:
    """The text of a message's content: a string, or a list of text parts (chat or Responses style)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def words(text: str, delay: float) -> Iterator[str]:
    for index, word in enumerate(text.split(" ")):
        if delay:
            time.sleep(delay)
        yield word if index == 0 else " " + word


def run_completion(model: str, messages: list[MessageParam], body: dict[str, Any]) -> CompletionResult:
    user_messages = [m for m in messages if m.get("role") == "user"]
    reply = text_of(user_messages[-1].get("content")) if user_messages else "Say something!"
    if body.get("stream"):
        return words(reply, delay=0.05)
    return reply


def run_response(model: str, input_items: list[InputItem], body: dict[str, Any]) -> ResponseResult:
    user_items = [item for item in input_items if item.get("role") == "user"]
    reply = text_of(user_items[-1].get("content")) if user_items else "Say something!"
    if body.get("stream"):
        return words(reply, delay=0.05)
    return reply


app = FastAPI(title="fastapi-openai-compat echo demo")
app.include_router(create_models_router(list_models=list_models))
app.include_router(
    create_chat_completion_router(
        list_models=list_models, run_completion=run_completion, include_models_endpoints=False
    )
)
app.include_router(create_responses_router(list_models=list_models, run_response=run_response))


def main() -> None:
    import uvicorn  # noqa: PLC0415 - needed only to serve, not to import the app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
