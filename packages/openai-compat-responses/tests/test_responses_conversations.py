"""The Conversations API and the `conversation` parameter of create, in process."""

from typing import Any

import pytest
from fastapi import FastAPI
from openai.types.conversations import Conversation, ConversationDeletedResource, ConversationItemList

from openai_compat_responses import InMemoryResponseStore, create_responses_router


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": text}


@pytest.fixture
def calls() -> list[list[Any]]:
    return []


@pytest.fixture
def app(calls: list[list[Any]]) -> FastAPI:
    def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        calls.append(items)
        if model == "failing":
            raise RuntimeError("no")
        return f"answer {len(calls)}"

    app = FastAPI()
    app.include_router(
        create_responses_router(list_models=lambda: ["m"], run_response=run, store=InMemoryResponseStore())
    )
    return app


async def test_conversations_crud(app: FastAPI, asgi_client: Any) -> None:
    async with asgi_client(app) as client:
        empty = await client.post("/v1/conversations")  # no body at all: an empty conversation
        assert empty.status_code == 200
        assert empty.json()["metadata"] == {}
        created = (
            await client.post("/v1/conversations", json={"metadata": {"topic": "t"}, "items": [user("hi")]})
        ).json()
        Conversation.model_validate(created)
        assert created["id"].startswith("conv_")
        assert (created["object"], created["metadata"]) == ("conversation", {"topic": "t"})
        path = f"/v1/conversations/{created['id']}"
        assert (await client.get(path)).json() == created
        assert (await client.get(f"/conversations/{created['id']}")).json() == created  # the alias
        updated = (await client.post(path, json={"metadata": {"topic": "u"}})).json()
        assert updated == {**created, "metadata": {"topic": "u"}}
        deleted = (await client.delete(path)).json()
        ConversationDeletedResource.model_validate(deleted)
        assert deleted == {"id": created["id"], "object": "conversation.deleted", "deleted": True}
        for method in ("GET", "DELETE"):
            gone = await client.request(method, path)
            assert gone.status_code == 404
            assert gone.json()["error"]["message"] == f"Conversation with id '{created['id']}' not found."
            assert gone.json()["error"]["code"] == "not_found"
        assert (await client.post(path, json={"metadata": {}})).status_code == 404


async def test_conversation_items(app: FastAPI, asgi_client: Any) -> None:
    async with asgi_client(app) as client:
        created = (await client.post("/v1/conversations", json={"items": [user("m0")]})).json()
        items_path = f"/v1/conversations/{created['id']}/items"
        added = (await client.post(items_path, json={"items": [user("m1"), user("m2")]})).json()
        ConversationItemList.model_validate(added)
        assert [item["content"][0]["text"] for item in added["data"]] == ["m1", "m2"]
        assert added["has_more"] is False
        listed = (await client.get(items_path, params={"limit": 2})).json()
        ConversationItemList.model_validate(listed)
        assert [item["content"][0]["text"] for item in listed["data"]] == ["m2", "m1"]
        assert listed["has_more"] is True
        rest = (await client.get(items_path, params={"limit": 2, "after": listed["last_id"]})).json()
        assert [item["content"][0]["text"] for item in rest["data"]] == ["m0"]
        assert rest["has_more"] is False
        one_id = added["data"][0]["id"]
        one = (await client.get(f"{items_path}/{one_id}")).json()
        assert one == added["data"][0]
        # Deleting an item answers the conversation.
        assert (await client.delete(f"{items_path}/{one_id}")).json() == created
        missing = await client.get(f"{items_path}/{one_id}")
        assert missing.status_code == 404
        assert missing.json()["error"]["message"] == f"Item with id '{one_id}' not found."
        assert (await client.delete(f"{items_path}/{one_id}")).status_code == 404
        assert (await client.get("/v1/conversations/conv_nope/items")).status_code == 404
        assert (await client.post("/v1/conversations/conv_nope/items", json={"items": [user("x")]})).status_code == 404
        assert (await client.get("/v1/conversations/conv_nope/items/msg_x")).status_code == 404


@pytest.mark.parametrize(
    ("path_suffix", "body", "param"),
    [
        ("", {"items": [user("x")] * 21}, "items"),
        ("", {"metadata": {f"k{n}": "v" for n in range(17)}}, "metadata"),
        ("", {"metadata": {"k": "v" * 513}}, "metadata"),
        ("/{id}/items", {"items": []}, "items"),
        ("/{id}/items", {"items": [user("x")] * 21}, "items"),
        ("/{id}", {}, "metadata"),
    ],
)
async def test_conversation_bodies_are_checked(
    app: FastAPI, asgi_client: Any, path_suffix: str, body: dict[str, Any], param: str
) -> None:
    async with asgi_client(app) as client:
        created = (await client.post("/v1/conversations", json={})).json()
        answer = await client.post("/v1/conversations" + path_suffix.format(id=created["id"]), json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == param


async def test_a_response_in_a_conversation_sees_its_items_and_adds_to_them(
    app: FastAPI, asgi_client: Any, calls: list[list[Any]]
) -> None:
    async with asgi_client(app) as client:
        conversation = (await client.post("/v1/conversations", json={"items": [user("first")]})).json()
        answer = (
            await client.post(
                "/v1/responses", json={"model": "m", "input": "second", "conversation": conversation["id"]}
            )
        ).json()
        assert answer["conversation"] == {"id": conversation["id"]}
        assert calls[-1] == [user("first"), user("second")]
        following = await client.post(
            "/v1/responses", json={"model": "m", "input": "third", "conversation": {"id": conversation["id"]}}
        )
        assert following.status_code == 200
        assert calls[-1] == [user("first"), user("second"), answer["output"][0], user("third")]
        # A failed response adds nothing.
        failed = await client.post(
            "/v1/responses", json={"model": "failing", "input": "lost", "conversation": conversation["id"]}
        )
        assert failed.status_code == 500
        items = (await client.get(f"/v1/conversations/{conversation['id']}/items", params={"order": "asc"})).json()
    texts = [item["content"][0]["text"] for item in items["data"]]
    assert texts == ["first", "second", "answer 1", "third", "answer 2"]


async def test_the_conversation_parameter_is_checked(app: FastAPI, asgi_client: Any) -> None:
    async with asgi_client(app) as client:
        unknown = await client.post("/v1/responses", json={"model": "m", "input": "x", "conversation": "conv_nope"})
        wrong = await client.post("/v1/responses", json={"model": "m", "input": "x", "conversation": 3})
    for answer in (unknown, wrong):
        assert answer.status_code == 400
        assert answer.json()["error"]["param"] == "conversation"
    assert unknown.json()["error"]["message"] == "Conversation with id 'conv_nope' not found."
