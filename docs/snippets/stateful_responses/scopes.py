import hashlib

from fastapi import Depends, FastAPI, Request

from openai_compat_core import APIKeyAuth
from openai_compat_responses import InMemoryResponseStore, create_responses_router


def key_scope(request: Request) -> str:
    # Each API key sees only its own responses and conversations.
    # A digest of the key, not the key itself, is what the store keeps.
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    return hashlib.sha256(key.encode()).hexdigest()


def run_response(model: str, input_items: list[dict], body: dict) -> str:
    return f"{len(input_items)} items so far"


app = FastAPI()
app.include_router(
    create_responses_router(
        list_models=lambda: ["echo"],
        run_response=run_response,
        dependencies=[Depends(APIKeyAuth(["sk-alice", "sk-bob"]))],
        store=InMemoryResponseStore(),
        store_scope=key_scope,
    )
)
