"""The deploying page: the production app, the thread pool setting and a deadline around a pipeline."""

from typing import Any

import anyio
import anyio.to_thread
import httpx
import openai
import pytest


def test_the_production_app(snippet: Any, live_server: Any, sdk: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_COMPAT_API_KEYS", "sk-prod-1,sk-prod-2")
    module = snippet("deploying/app.py")
    server = live_server(module.app)
    client = sdk(server, api_key="sk-prod-2")
    assert client.chat("hi", model="my-pipeline").choices[0].message.content == "my-pipeline answers: hi"
    assert client.response("ho", model="my-pipeline").output_text == "my-pipeline answers: ho"
    with pytest.raises(openai.NotFoundError):
        client.chat(model="other")
    with pytest.raises(openai.AuthenticationError):
        sdk(server).client.models.list()
    assert httpx.get(f"{server.url}/docs").status_code == 404
    too_big = httpx.post(
        f"{server.base_url}/responses",
        headers={"Authorization": "Bearer sk-prod-1"},
        json={"model": "my-pipeline", "input": "x" * 4 * 1024 * 1024},
    )
    assert too_big.status_code == 413

    async def failing(model: str, question: str) -> str:
        raise RuntimeError("db at 10.0.0.5 refused")

    monkeypatch.setattr(module, "my_pipeline", failing)
    for call in (client.chat, client.response):
        with pytest.raises(openai.InternalServerError) as failed:
            call(model="my-pipeline")
        assert failed.value.body == {
            "message": "Pipeline execution failed.",
            "type": "server_error",
            "param": None,
            "code": None,
        }


def test_without_keys_the_app_refuses_to_start(snippet: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_COMPAT_API_KEYS", raising=False)
    with pytest.raises(ValueError, match="OPENAI_COMPAT_API_KEYS"):
        snippet("deploying/app.py")


async def test_the_thread_pool_is_raised_at_startup(snippet: Any, asgi_client: Any) -> None:
    module = snippet("deploying/thread_pool.py")
    limiter = anyio.to_thread.current_default_thread_limiter()  # this event loop's, as in a worker
    assert limiter.total_tokens == 40
    async with module.lifespan(module.app):
        assert limiter.total_tokens == 100
        async with asgi_client(module.app) as client:
            body = {"model": "demo", "messages": [{"role": "user", "content": "hi"}]}
            answer = (await client.post("/v1/chat/completions", json=body)).json()
    assert answer["choices"][0]["message"]["content"] == "answered in a worker thread"


def test_a_deadline_around_the_pipeline(snippet: Any, live_server: Any, sdk: Any) -> None:
    module = snippet("deploying/timeout.py")
    client = sdk(live_server(module.app))
    assert client.chat().choices[0].message.content == "done"
    never = anyio.Event()

    async def stuck(model: str, messages: list[dict[str, Any]]) -> str:
        await never.wait()
        return "never"

    module.my_pipeline = stuck
    module.TIMEOUT = 0.05
    with pytest.raises(openai.InternalServerError) as failed:
        client.chat()
    assert failed.value.body["message"] == "Pipeline execution failed: "
