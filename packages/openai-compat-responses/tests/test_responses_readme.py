"""Every example app of the package README runs and answers plain and streamed requests correctly."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from openai_compat_responses import create_responses_router
from openai_compat_responses.testing import check_events, check_response_object, parse_events

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
APP_BLOCKS = [block for block in BLOCKS if "\napp = FastAPI()" in block]


def test_the_readme_has_an_example_per_result_shape() -> None:
    text = "\n".join(APP_BLOCKS)
    for marker in (
        'return "Hello from the Responses API!"',  # str
        "return Response(",  # Response
        "yield from [",  # sync generator of strings
        "async def run_response_async",  # async generator
        "yield Chunk(",  # .content chunks
        "FunctionCallChunk(",  # function_call_id shape
        '"index": 1',  # tool_calls with indexes (parallel)
        "yield Thought(",  # reasoning
        "to_event_dict",  # custom events
        "yield Response(",  # a yielded Response ends the stream
        "pre_hook=",
        "chunk_mapper=",
    ):
        assert marker in text, marker


def run_block(block: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - running our own documentation
    return namespace


def apps_in(namespace: dict[str, Any]) -> list[FastAPI]:
    apps = [namespace["app"]]
    if "run_response_async" in namespace:
        # The example says an async generator function is a callback as it is: check that too.
        app = FastAPI()
        router = create_responses_router(list_models=lambda: ["demo"], run_response=namespace["run_response_async"])
        app.include_router(router)
        apps.append(app)
    return apps


@pytest.mark.parametrize("block", APP_BLOCKS, ids=[f"example-{number}" for number in range(len(APP_BLOCKS))])
async def test_readme_example_apps(block: str, asgi_client: Any) -> None:
    namespace = run_block(block)
    if "main" in namespace:
        await namespace["main"]()
    for app in apps_in(namespace):
        async with asgi_client(app) as client:
            headers = {"authorization": "Bearer sk-local", "x-tenant": "acme"}
            request = {"model": "demo", "input": "hello"}
            plain = await client.post("/v1/responses", json=request, headers=headers)
            streamed = await client.post("/v1/responses", json={**request, "stream": True}, headers=headers)
        assert plain.status_code == 200, plain.text
        check_response_object(plain.json())
        assert plain.json()["output"]
        events = parse_events(streamed.text)
        # A yielded Response replaces the output streamed before it.
        final = check_events(events, complete_output="yield Response(" not in block)
        assert final["status"] == "completed"
        assert final["output"]
