"""Every example of the package README runs, and its apps answer the embeddings requests it describes."""

import re
from pathlib import Path
from typing import Any

import pytest

from openai_compat_core import OpenAIHTTPException

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.DOTALL)
APP_BLOCKS = [block for block in BLOCKS if "\napp = FastAPI()" in block]


def run_block(block: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - running our own documentation
    return namespace


def test_the_readme_has_its_examples() -> None:
    assert len(APP_BLOCKS) == 2
    assert any("client.embeddings.create" in block for block in BLOCKS)


@pytest.mark.parametrize("block", APP_BLOCKS, ids=["quick start", "options"])
async def test_readme_example_apps(block: str, asgi_client: Any) -> None:
    app = run_block(block)["app"]
    headers = {"Authorization": "Bearer sk-local"}
    async with asgi_client(app) as client:
        response = await client.post(
            "/v1/embeddings", json={"model": "toy", "input": ["first text", "second text"]}, headers=headers
        )
        assert response.status_code == 200, response.text
        rows = [item["embedding"] for item in response.json()["data"]]
        assert len(rows) == 2
        assert all(abs(sum(value * value for value in row) - 1.0) < 1e-9 for row in rows)
        if "include_models_endpoints=True" in block:
            assert (await client.get("/v1/models", headers=headers)).json()["data"][0]["id"] == "toy"
            refused = await client.post("/v1/embeddings", json={"model": "toy", "input": "x"})
            assert refused.status_code == 401


def test_the_refusal_example_raises_what_it_says() -> None:
    [block] = [block for block in BLOCKS if "raise OpenAIHTTPException" in block]
    with pytest.raises(OpenAIHTTPException) as caught:
        run_block(block)
    assert (caught.value.status_code, caught.value.code) == (400, "context_length_exceeded")
