"""The Chat Completions page: every app and client it shows, driven with the official SDK."""

import json
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk


def test_quick_start(serve: Any, check_client: Any, sdk: Any) -> None:
    server = serve("chat/app.py")
    check_client("chat/client.py", server)
    client = sdk(server)
    assert [model.id for model in client.client.models.list()] == ["echo"]
    assert client.chat("x", model="echo").choices[0].message.content == "You said: x"
    # A `str` answers a streaming client as one delta.
    assert [c.choices[0].delta.content for c in client.chat_stream("x", model="echo")] == ["You said: x", ""]
    # The path without /v1, as in 1.x.
    alias = httpx.post(
        f"{server.url}/chat/completions", json={"model": "echo", "messages": [{"role": "user", "content": "x"}]}
    )
    assert alias.json()["choices"][0]["message"]["content"] == "You said: x"


def test_a_whole_chat_completion(serve: Any, sdk: Any, chat_text: Any) -> None:
    client = sdk(serve("chat/completion_object.py"))
    completion = client.chat()
    assert completion.id.startswith("chatcmpl-")
    assert completion.choices[0].message.content == "Hello!"
    assert completion.usage is not None
    assert completion.usage.total_tokens == 12
    # Streamed: its message as one delta, its finish reason.
    chunks = client.chat_stream()
    assert chat_text(chunks) == "Hello!"
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_tool_calls_in_a_whole_chat_completion(serve: Any, sdk: Any) -> None:
    client = sdk(serve("chat/tool_calls.py"))
    completion = client.chat()
    [call] = completion.choices[0].message.tool_calls or []
    assert completion.choices[0].finish_reason == "tool_calls"
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call_1",
        "get_weather",
        {"city": "Paris"},
    )
    chunks = client.chat_stream()
    [streamed] = [tc for c in chunks for tc in c.choices[0].delta.tool_calls or []]
    assert (streamed.index, streamed.id, streamed.function.name) == (0, "call_1", "get_weather")
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_router_options(serve: Any, sdk: Any) -> None:
    server = serve("chat/options.py")
    with pytest.raises(openai.AuthenticationError):
        sdk(server).client.models.list()
    client = sdk(server, api_key="sk-local-1")
    assert [(m.id, m.owned_by) for m in client.client.models.list()] == [("rag", "my-team"), ("chat", "my-team")]
    assert client.chat(model="chat").choices[0].message.content == "chat answered"
    with pytest.raises(openai.NotFoundError) as not_found:
        client.chat(model="other")
    assert not_found.value.code == "model_not_found"
    too_big = httpx.post(
        f"{server.base_url}/chat/completions",
        headers={"Authorization": "Bearer sk-local-1"},
        json={"model": "chat", "messages": [{"role": "user", "content": "x" * 1024 * 1024}]},
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "request_too_large"
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert paths["/v1/chat/completions"]["post"]["tags"] == ["chat"]


def test_low_level_helper_in_a_route_of_your_own(serve: Any) -> None:
    server = serve("chat/helpers.py")
    body = httpx.get(f"{server.url}/demo-stream").text
    frames = [frame.removeprefix("data:").strip() for frame in body.split("\n\n") if frame]
    chunks = [ChatCompletionChunk.model_validate_json(frame) for frame in frames if frame != "[DONE]"]
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "streamed by hand"
    assert chunks[-1].choices[0].finish_reason == "stop"
