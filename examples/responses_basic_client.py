"""Client for `responses_basic.py`: a plain response, a streamed one, and a function-call round trip.

Start the server first (`python examples/responses_basic.py`), then::

    python examples/responses_basic_client.py
    python examples/responses_basic_client.py --base-url http://127.0.0.1:8123/v1 --city Oslo

It uses only the official `openai` SDK, so it works the same against api.openai.com (pass
`--base-url https://api.openai.com/v1 --model gpt-4o-mini` and set `OPENAI_API_KEY`).
"""

import argparse
import json
import os
from typing import Any

import openai
from openai.types.responses import FunctionToolParam

WEATHER_TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "Current weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string", "description": "The city, e.g. Paris"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}


def get_weather(city: str) -> str:
    """The tool, run on the client's side: a made-up forecast."""
    return {"Paris": "sunny, 24 °C", "Oslo": "snowing, -3 °C"}.get(city, "cloudy, 17 °C")


def plain(client: openai.OpenAI, model: str) -> str:
    response = client.responses.create(model=model, input="Hello there")
    print("plain:", response.output_text)
    return response.output_text


def streamed(client: openai.OpenAI, model: str) -> str:
    print("streamed: ", end="", flush=True)
    text = ""
    with client.responses.create(model=model, input="Stream this answer, please", stream=True) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                print(event.delta, end="", flush=True)
                text += event.delta
    print()
    return text


def weather_round_trip(client: openai.OpenAI, model: str, city: str) -> str:
    """Ask a question that needs the tool, run the tool here, send its output back, print the answer."""
    conversation: list[Any] = [{"role": "user", "content": f"What is the weather in {city}?"}]
    # The stream helper assembles the function call from its streamed argument deltas.
    with client.responses.stream(model=model, input=conversation, tools=[WEATHER_TOOL]) as stream:
        first = stream.get_final_response()
    calls = [item for item in first.output if item.type == "function_call"]
    if not calls:
        raise SystemExit(f"expected a function call, got: {first.output_text!r}")
    for call in calls:
        arguments = json.loads(call.arguments)
        print(f"function call: {call.name}({json.dumps(arguments)})")
        output = get_weather(**arguments)
        print("tool output:", output)
        conversation += [
            {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
            {"type": "function_call_output", "call_id": call.call_id, "output": output},
        ]
    final = client.responses.create(model=model, input=conversation, tools=[WEATHER_TOOL])
    print("final:", final.output_text)
    return final.output_text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    parser.add_argument("--model", default="demo")
    parser.add_argument("--city", default="Paris")
    args = parser.parse_args()
    api_key = os.environ.get("OPENAI_API_KEY", "unused")  # the demo server needs none
    with openai.OpenAI(base_url=args.base_url, api_key=api_key, max_retries=0) as client:
        plain(client, args.model)
        streamed(client, args.model)
        weather_round_trip(client, args.model, args.city)


if __name__ == "__main__":
    main()
