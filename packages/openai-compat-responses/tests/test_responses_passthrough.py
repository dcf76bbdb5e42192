"""A `Response` from the callback reaches the client as its author made it, completed where the wire requires.

Its `id` and the fields its author set are kept (as 1.x passed it through); what the author left
out is filled in: the request's settings, and the keys the Open Responses schema requires of output
items (`status`, `annotations` and `logprobs` on text parts, ...) and of function tools (`type`,
`name`, `description`, `parameters`, `strict`). Checked in the JSON body and in every stream event.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from openai.types.responses import Response as SDKResponse

from openai_compat_responses import Response, create_responses_router
from openai_compat_responses.testing import check_response_object

# Keys the Open Responses schema requires of each object.
MESSAGE_KEYS = {"type", "id", "status", "role", "content"}
OUTPUT_TEXT_KEYS = {"type", "text", "annotations", "logprobs"}  # logprobs: the openai SDK's types and OpenAI send it
FUNCTION_CALL_KEYS = {"type", "id", "call_id", "name", "arguments", "status"}
REASONING_KEYS = {"type", "id", "summary"}
FUNCTION_TOOL_KEYS = {"type", "name", "description", "parameters", "strict"}

# Output items as a callback may write them: only what it cares about.
SPARSE_OUTPUT = [
    {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Thought."}]},
    {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Hello!"}]},
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"},
]
REQUEST_TOOLS = [{"type": "function", "name": "get_weather"}, {"type": "web_search"}]
CALLBACK_TOOLS = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]


def sparse_response(**fields: Any) -> Response:
    return Response(id="resp_mine", created_at=7, model="callback-model", output=SPARSE_OUTPUT, **fields)


def app_with(run_response: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=run_response))
    return app


def returns_it(model: str, items: Any, body: Any) -> Response:
    return sparse_response(metadata={"by": "callback"})


def yields_it(model: str, items: Any, body: Any) -> Iterator[Any]:
    yield "streamed first"
    yield sparse_response(metadata={"by": "callback"})


def returns_it_with_tools(model: str, items: Any, body: Any) -> Response:
    return sparse_response(tools=CALLBACK_TOOLS)


async def post(app: FastAPI, asgi_client: Any, **body: Any) -> Any:
    request = {"model": "m", "input": "hi", "tools": REQUEST_TOOLS, "metadata": {"by": "request"}, **body}
    async with asgi_client(app) as client:
        response = await client.post("/v1/responses", json=request)
    assert response.status_code == 200, response.text
    return response


def check_complete(response: dict[str, Any]) -> None:
    """Every output item and function tool carries the keys the wire requires; the SDK's type accepts it."""
    check_response_object(response)
    for item in response["output"]:
        required = {"message": MESSAGE_KEYS, "function_call": FUNCTION_CALL_KEYS, "reasoning": REASONING_KEYS}
        assert required[item["type"]] <= set(item), item
        assert item["status"] == "completed"
        for part in item.get("content") or []:
            assert set(part) >= OUTPUT_TEXT_KEYS, part
            assert (part["annotations"], part["logprobs"]) == ([], [])
    for tool in response["tools"]:
        if tool["type"] == "function":
            assert set(tool) == FUNCTION_TOOL_KEYS, tool
    SDKResponse.model_validate(response)


def check_kept(response: dict[str, Any]) -> None:
    """What the callback set is unchanged; what it left out came from the request."""
    assert (response["id"], response["created_at"], response["model"]) == ("resp_mine", 7, "callback-model")
    assert response["metadata"] == {"by": "callback"}
    assert [item["type"] for item in response["output"]] == ["reasoning", "message", "function_call"]
    message = response["output"][1]
    assert message["id"].startswith("msg_")
    assert message["content"][0]["text"] == "Hello!"
    call = response["output"][2]
    assert (call["id"][:3], call["call_id"], call["name"], call["arguments"]) == ("fc_", "call_1", "get_weather", "{}")


async def test_a_returned_response_in_the_json_body(asgi_client: Any) -> None:
    data = (await post(app_with(returns_it), asgi_client)).json()
    check_complete(data)
    check_kept(data)
    # The request's function tool, echoed with the five keys.
    assert data["tools"] == [
        {"type": "function", "name": "get_weather", "description": None, "parameters": None, "strict": None},
        {"type": "web_search"},
    ]


async def test_a_returned_response_streamed(asgi_client: Any, stream_reader: Any) -> None:
    events, final = stream_reader((await post(app_with(returns_it), asgi_client, stream=True)).text)
    # The callback's id on every lifecycle event: one id for the stream, the one the callback chose.
    assert {payload["response"]["id"] for _, payload in events if "response" in payload} == {"resp_mine"}
    check_complete(final)
    check_kept(final)
    items = [payload["item"] for name, payload in events if name == "response.output_item.done"]
    assert items == final["output"]


@pytest.mark.parametrize("stream", [False, True])
async def test_a_yielded_response(asgi_client: Any, stream_reader: Any, stream: bool) -> None:
    response = await post(app_with(yields_it), asgi_client, stream=stream)
    if stream:
        events, final = stream_reader(response.text, complete_output=False)
        assert events[0][1]["response"]["id"] != "resp_mine"  # sent before the callback's object existed
        done = [payload["item"] for name, payload in events if name == "response.output_item.done"]
        assert done[1:] == final["output"]  # the text streamed first, then the object's items
    else:
        final = response.json()
    check_complete(final)
    check_kept(final)


async def test_function_tools_the_callback_sets(asgi_client: Any) -> None:
    data = (await post(app_with(returns_it_with_tools), asgi_client)).json()
    assert data["tools"] == [
        {"type": "function", "name": "lookup", "description": None, "parameters": {"type": "object"}, "strict": None}
    ]
    check_complete(data)


async def test_function_tools_echoed_from_the_request_in_every_event(asgi_client: Any, stream_reader: Any) -> None:
    events, _ = stream_reader((await post(app_with(lambda m, i, b: iter(["hi"])), asgi_client, stream=True)).text)
    tools = [payload["response"]["tools"] for _, payload in events if "response" in payload]
    assert len(tools) == 3
    for echoed in tools:
        assert echoed[0] == {
            "type": "function",
            "name": "get_weather",
            "description": None,
            "parameters": None,
            "strict": None,
        }
        assert echoed[1] == {"type": "web_search"}
