"""The errors page: the envelope it shows, and errors raised before and after a stream started."""

import json
from typing import Any

import httpx


def test_the_envelope_on_the_page(serve: Any, snippet_text: Any) -> None:
    server = serve("chat/app.py")
    answer = httpx.post(f"{server.base_url}/chat/completions", json={"model": "echo", "messages": "hello"})
    assert answer.status_code == 400
    assert answer.json() == json.loads(snippet_text("errors/envelope.json"))


def test_errors_before_and_after_a_stream_started(serve: Any, check_client: Any) -> None:
    server = serve("errors/raise_errors.py")
    check_client("errors/client.py", server)
    answer = httpx.post(f"{server.base_url}/responses", json={"model": "demo", "input": "hi"})
    assert answer.status_code == 500
    assert answer.headers["x-should-retry"] == "false"
