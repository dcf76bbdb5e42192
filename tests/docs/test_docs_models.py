"""The Models page: the models router alone, routers combined in one app, and a prefix."""

import warnings
from typing import Any

import httpx


def test_the_models_router(serve: Any, check_client: Any) -> None:
    server = serve("models/app.py")
    check_client("models/client.py", server)
    missing = httpx.get(f"{server.base_url}/models/unknown")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


def test_combined_routers(snippet: Any, live_server: Any, sdk: Any) -> None:
    app = snippet("models/combined.py").app
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns about duplicate operation ids: /v1/models has one owner
        paths = app.openapi()["paths"]
    assert {"/v1/models", "/v1/chat/completions", "/v1/responses", "/v1/files"} <= set(paths)
    client = sdk(live_server(app))
    assert [model.id for model in client.client.models.list()] == ["my-pipeline"]
    assert client.chat(model="my-pipeline").choices[0].message.content == "Hello from chat!"
    assert client.response(model="my-pipeline").output_text == "Hello from responses!"
    uploaded = client.client.files.create(file=("a.txt", b"abc"), purpose="user_data")
    assert uploaded.bytes == 3


def test_a_router_under_a_prefix(serve: Any) -> None:
    server = serve("models/prefix.py")
    answer = httpx.post(
        f"{server.url}/pipelines/v1/chat/completions",
        json={"model": "rag", "messages": [{"role": "user", "content": "x"}]},
    )
    assert answer.json()["choices"][0]["message"]["content"] == "ok"
    assert httpx.get(f"{server.url}/pipelines/v1/models").json()["data"][0]["id"] == "rag"
    assert httpx.get(f"{server.url}/v1/models").status_code == 404
