"""The code files under docs/snippets/ are valid, and run when the library they show is installed."""

import ast
import base64
import importlib.util
import inspect
from pathlib import Path
from typing import Any

import pytest

SNIPPETS = Path(__file__).resolve().parents[1] / "docs" / "snippets"
SENTENCE_TRANSFORMERS = SNIPPETS / "sentence_transformers_embeddings.py"


@pytest.mark.parametrize("path", sorted(SNIPPETS.glob("*.py")), ids=lambda path: path.name)
def test_every_snippet_is_valid_python(path: Path) -> None:
    ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


class FakeModel:
    """Stands in for a downloaded model: `encode` as sentence-transformers answers (a float32 array)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def encode(self, sentences: list[str], **options: Any) -> Any:
        import numpy

        self.calls.append(options)
        rows = numpy.array([[len(text), 1.0, 0.0] for text in sentences], dtype=numpy.float32)
        return rows / numpy.linalg.norm(rows, axis=1, keepdims=True)


async def test_the_sentence_transformers_recipe(asgi_client: Any) -> None:
    """Skipped unless sentence-transformers is installed (the model itself is replaced: no download)."""
    sentence_transformers = pytest.importorskip("sentence_transformers")
    numpy = pytest.importorskip("numpy")
    spec = importlib.util.spec_from_file_location("sentence_transformers_recipe", SENTENCE_TRANSFORMERS)
    assert spec is not None
    assert spec.loader is not None
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)

    model = FakeModel()
    app = recipe.create_app(model, name="minilm")
    async with asgi_client(app) as client:
        answer = await client.post(
            "/v1/embeddings", json={"model": "minilm", "input": ["ab", "abcd"], "encoding_format": "base64"}
        )
        refused = await client.post("/v1/embeddings", json={"model": "minilm", "input": [[1, 2]]})
    assert answer.status_code == 200, answer.text
    got = [numpy.frombuffer(base64.b64decode(item["embedding"]), dtype="<f4") for item in answer.json()["data"]]
    assert numpy.array_equal(numpy.stack(got), model.encode(["ab", "abcd"]))
    assert (refused.status_code, refused.json()["error"]["param"]) == (400, "input")
    # The options the recipe passes are real options of SentenceTransformer.encode.
    accepted = inspect.signature(sentence_transformers.SentenceTransformer.encode).parameters
    assert set(model.calls[0]) <= set(accepted)
