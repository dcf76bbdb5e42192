"""The Stateful Responses page: every app and client it shows, driven with the official SDK."""

from typing import Any

import openai
import pytest


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
