"""The Responses page: every app and client it shows, driven with the official SDK."""

import asyncio
from typing import Any

import httpx
import openai
import pytest


def test_quick_start(serve: Any, check_client: Any, sdk: Any) -> None:
    server = serve("responses/app.py")
    check_client("responses/client.py", server)
    client = sdk(server)
    assert [model.id for model in client.client.models.list()] == ["echo"]  # include_models_endpoints=True
    response = client.response("x", model="echo")
    assert response.output_text == "You said: x"
    assert response.id.startswith("resp_")
    assert response.store is False  # nothing is stored


def test_the_request_settings_are_echoed(serve: Any, sdk: Any) -> None:
    response = sdk(serve("responses/app.py")).response(
        "x", model="echo", instructions="Be brief.", temperature=0.2, previous_response_id="resp_earlier"
    )
    assert (response.instructions, response.temperature) == ("Be brief.", 0.2)
    assert response.previous_response_id == "resp_earlier"
    assert (response.tool_choice, response.top_p, response.truncation) == ("auto", 1.0, "disabled")


def test_a_whole_response_object(serve: Any, sdk: Any) -> None:
    client = sdk(serve("responses/response_object.py"))
    response = client.response()
    assert response.output_text == "Hello!"
    assert response.usage is not None
    assert response.usage.total_tokens == 5
    _, final = client.response_events(complete_output=False)
    assert final["output"][0]["content"][0]["text"] == "Hello!"


def test_a_yielded_response_ends_the_stream(serve: Any, sdk: Any) -> None:
    client = sdk(serve("responses/final_response.py"))
    events, final = client.response_events(complete_output=False)
    assert events[-1].type == "response.completed"
    assert final["id"] == "resp_final"  # the id the callback gave it
    assert events[0].response.id != "resp_final"  # sent before the callback's object existed
    assert [item["id"] for item in final["output"]] == ["msg_final"]
    assert final["usage"]["total_tokens"] == 13
    assert client.response().output_text == "Final answer."


def test_router_options(serve: Any, sdk: Any) -> None:
    server = serve("responses/options.py")
    with pytest.raises(openai.AuthenticationError):
        sdk(server).response()
    client = sdk(server, api_key="sk-local")
    response = client.response(extra_headers={"X-Tenant": "acme"})
    assert response.output_text == "Hello, tenant acme. Be concise."
    assert response.instructions == "Be concise."  # the pre-hook's change is echoed
    assert [model.id for model in client.client.models.list()] == ["demo"]
    with pytest.raises(openai.NotFoundError):
        client.response(model="other")
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert paths["/v1/responses"]["post"]["tags"] == ["responses"]


def test_testing_your_own_callbacks(snippet: Any) -> None:
    module = snippet("responses/testing.py")
    asyncio.run(module.main())
