"""The streaming page: the wire transcripts it shows are what the server sends."""

import re
from typing import Any

import httpx

from openai_compat_core.streaming import SSE_HEADERS

TRANSCRIPT = "streaming/chat_stream.txt"


def masked(stream: str) -> str:
    """Ids and timestamps differ between runs: mask them."""
    stream = re.sub(r'"id":"chatcmpl-[0-9a-f]+"', '"id":"chatcmpl-…"', stream)
    return re.sub(r'"created":\d+', '"created":…', stream)


def test_a_chat_stream_on_the_wire(serve: Any, snippet_text: Any) -> None:
    server = serve("callbacks/generator.py")
    request = {
        "model": "demo",
        "messages": [{"role": "user", "content": "hi"}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = httpx.post(f"{server.base_url}/chat/completions", json=request)
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert {name: response.headers[name] for name in SSE_HEADERS} == SSE_HEADERS
    assert masked(response.text) == masked(snippet_text(TRANSCRIPT))


def test_responses_events(serve: Any, check_client: Any) -> None:
    check_client("streaming/responses_events.py", serve("callbacks/generator.py"))


def test_openai_done_frame(serve: Any) -> None:
    server = serve("streaming/done_frame.py")
    request = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    body = httpx.post(f"{server.base_url}/chat/completions", json=request).text
    assert body.endswith("\n\ndata: [DONE]\n\n")


async def test_the_thread_bound_set_in_the_lifespan(snippet: Any, asgi_client: Any) -> None:
    from openai_compat_core import stream_thread_limiter

    module = snippet("streaming/thread_bound.py")
    async with module.lifespan(module.app), asgi_client(module.app) as client:  # the lifespan, as a server runs it
        assert stream_thread_limiter().total_tokens == 200
        body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}], "stream": True}
        answer = await client.post("/v1/chat/completions", json=body)
        assert "thread." in answer.text
