"""Responses API demo: plain text, streamed text and a function call, no API keys and no model needed.

The `demo` model answers:

- without tools: `You said: <your text>`, word by word when `stream: true`;
- with a `get_weather` tool and no tool output in the input yet: a `get_weather` function call for
  the city named in the question (`... in <City>`, Paris by default), its arguments streamed in pieces;
- once the input holds that call's `function_call_output`: a sentence built from it.

Run it from the repository root (with the packages installed)::

    python examples/responses_basic.py                    # http://127.0.0.1:8000

then the client next to it (`python examples/responses_basic_client.py`), or::

    curl http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' \
        -d '{"model": "demo", "input": "Hello there"}'
    curl -N http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' \
        -d '{"model": "demo", "input": "Hello there", "stream": true}'
"""

import argparse
import json
import re
import time
import uuid
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import InputItem, ResponseResult, create_models_router, create_responses_router

MODELS = ["demo"]


@dataclass
class FunctionCallDelta:
    """One piece of a function call, in the shape the Responses router streams as function-call events.

    The first piece of a call names the function; later pieces (same id) add to its arguments.
    """

    function_call_id: str
    function_call_name: str | None
    function_call_arguments: str


def list_models() -> list[str]:
    return MODELS


def text_of(content: Any) -> str:
    """The text of an input message's content: a string, or a list of `input_text` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def words(text: str, delay: float) -> Generator[str, None, None]:
    for index, word in enumerate(text.split(" ")):
        if delay:
            time.sleep(delay)
        yield word if index == 0 else " " + word


def city_in(question: str) -> str:
    match = re.search(r"\bin ([A-Z][\w-]*)", question)
    return match.group(1) if match else "Paris"


def weather_call(call_id: str, city: str) -> Generator[FunctionCallDelta, None, None]:
    """Stream a `get_weather` call; its arguments arrive in two pieces, as a model would send them."""
    yield FunctionCallDelta(call_id, "get_weather", '{"city": ')
    yield FunctionCallDelta(call_id, None, json.dumps(city) + "}")


def offers_weather_tool(body: dict[str, Any]) -> bool:
    return any(tool.get("name") == "get_weather" for tool in body.get("tools") or [] if isinstance(tool, dict))


def run_response(model: str, input_items: list[InputItem], body: dict[str, Any]) -> ResponseResult:
    stream = bool(body.get("stream"))
    question = next((text_of(i.get("content")) for i in reversed(input_items) if i.get("role") == "user"), "")
    calls = {i.get("call_id"): i for i in input_items if i.get("type") == "function_call"}
    outputs = [i for i in input_items if i.get("type") == "function_call_output"]

    if outputs:
        # Second turn: the client ran the tool and sent its output back.
        output = outputs[-1]
        call = calls.get(output.get("call_id"), {})
        city = json.loads(call.get("arguments") or "{}").get("city", city_in(question))
        reply = f"The weather in {city}: {output.get('output')}"
    elif offers_weather_tool(body):
        # First turn: ask the client to run the tool. A generator gives a function call both when
        # streamed and when not (the router then collects it into one Response).
        return weather_call(f"call_{uuid.uuid4().hex[:24]}", city_in(question))
    else:
        reply = f"You said: {question}" if question else "Say something!"
    return words(reply, delay=0.05) if stream else reply


app = FastAPI(title="fastapi-openai-compat Responses demo")
app.include_router(create_models_router(list_models=list_models))
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
