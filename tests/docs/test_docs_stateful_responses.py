"""The Stateful Responses page: every app and client it shows, driven with the official SDK."""

from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI

from openai_compat_responses import create_responses_router


def test_turns_retrieve_input_items_and_delete(serve: Any, check_client: Any, sdk: Any) -> None:
    server = serve("stateful_responses/app.py")
    check_client("stateful_responses/client.py", server)
    response = sdk(server).response("x", model="echo")
    assert response.store is True  # `store` omitted means true


def test_background_polling_and_cancel(serve: Any, check_client: Any) -> None:
    check_client("stateful_responses/background.py", serve("stateful_responses/app.py"))


def test_resuming_a_background_stream(serve: Any, check_client: Any) -> None:
    check_client("stateful_responses/resume.py", serve("stateful_responses/app.py"))


def test_conversations(serve: Any, check_client: Any) -> None:
    check_client("stateful_responses/conversations.py", serve("stateful_responses/app.py"))


def test_scoping_by_api_key(serve: Any, sdk: Any) -> None:
    server = serve("stateful_responses/scopes.py")
    alice, bob = sdk(server, api_key="sk-alice"), sdk(server, api_key="sk-bob")
    first = alice.response("hi", model="echo")
    assert alice.response("again", model="echo", previous_response_id=first.id).output_text == "3 items so far"
    assert alice.client.responses.retrieve(first.id).id == first.id
    with pytest.raises(openai.NotFoundError):
        bob.client.responses.retrieve(first.id)
    with pytest.raises(openai.BadRequestError) as refused:
        bob.response("mine?", model="echo", previous_response_id=first.id)
    assert refused.value.code == "previous_response_not_found"
    conversation = alice.client.conversations.create()
    with pytest.raises(openai.NotFoundError):
        bob.client.conversations.retrieve(conversation.id)


def test_store_options(snippet: Any) -> None:
    store = snippet("stateful_responses/store_options.py").store
    assert (store.max_responses, store.ttl, store.max_conversations) == (50_000, 6 * 3600, 5_000)
    assert (store.max_events_per_response, store.max_event_bytes) == (8_192, 128 * 1024 * 1024)


def test_the_redis_store_serves_every_snippet_the_same(
    snippet: Any, check_client: Any, live_server: Any, redis_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page's clients, unchanged, against the page's app with `RedisResponseStore` on a real redis-server."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    store = snippet("stateful_responses/redis_store.py").store
    callbacks = snippet("stateful_responses/app.py")
    app = FastAPI()
    app.include_router(
        create_responses_router(
            list_models=lambda: ["echo", "story", "saga"], run_response=callbacks.run_response, store=store
        )
    )

    @app.post("/test-close-store")
    async def close_store() -> None:
        await store.aclose()  # in the server's event loop, where its connections are

    server = live_server(app)
    for client in ("client.py", "background.py", "resume.py", "conversations.py"):
        check_client(f"stateful_responses/{client}", server)
    assert httpx.post(f"{server.url}/test-close-store").status_code == 200


def test_redis_store_options(snippet: Any) -> None:
    store = snippet("stateful_responses/redis_options.py").store
    assert (store.ttl, store.lease, store.poll_interval, store.timeout) == (6 * 3600, 30, 0.5, 5)
    assert (store.key_prefix, store.max_events_per_response, store.max_event_bytes) == (
        "my-app:",
        8_192,
        16 * 1024 * 1024,
    )
    assert store.client.connection_pool.connection_kwargs["db"] == 2
