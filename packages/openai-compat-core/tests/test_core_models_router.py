from typing import Any

import pytest
from fastapi import FastAPI

from openai_compat_core import create_models_router


def sync_models() -> list[str]:
    return ["alpha", "org/beta"]


async def async_models() -> list[str]:
    return ["alpha", "org/beta"]


@pytest.mark.parametrize("list_models", [sync_models, async_models])
async def test_lists_models_on_both_paths(list_models: Any, asgi_client: Any) -> None:
    app = FastAPI()
    app.include_router(create_models_router(list_models=list_models, owned_by="acme"))
    async with asgi_client(app) as client:
        for path in ("/v1/models", "/models"):
            body = (await client.get(path)).json()
            assert body["object"] == "list"
            assert [m["id"] for m in body["data"]] == ["alpha", "org/beta"]
            for model in body["data"]:
                assert model["object"] == "model"
                assert model["owned_by"] == "acme"
                assert isinstance(model["created"], int)


async def test_retrieves_one_model_including_ids_with_slashes(asgi_client: Any) -> None:
    app = FastAPI()
    app.include_router(create_models_router(list_models=sync_models))
    async with asgi_client(app) as client:
        assert (await client.get("/v1/models/alpha")).json()["id"] == "alpha"
        assert (await client.get("/models/org/beta")).json()["id"] == "org/beta"
        missing = await client.get("/v1/models/gamma")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


async def test_empty_or_none_model_lists(asgi_client: Any) -> None:
    app = FastAPI()
    app.include_router(create_models_router(list_models=lambda: None))
    async with asgi_client(app) as client:
        assert (await client.get("/v1/models")).json() == {"data": [], "object": "list"}


async def test_failing_list_models_is_an_envelope(asgi_client: Any) -> None:
    def broken() -> list[str]:
        raise RuntimeError("registry down")

    app = FastAPI()
    app.include_router(create_models_router(list_models=broken))
    async with asgi_client(app) as client:
        response = await client.get("/v1/models")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "Listing models failed: registry down"


def test_operation_ids_and_tags() -> None:
    app = FastAPI()
    app.include_router(create_models_router(list_models=sync_models, tags=["models"], operation_id_prefix="x"))
    schema = app.openapi()
    ops = {op["operationId"]: op for path in schema["paths"].values() for op in path.values()}
    assert {"x_models", "x_models_alias", "x_retrieve_model", "x_retrieve_model_alias"} <= set(ops)
    assert all(op["tags"] == ["models"] for op in ops.values())
