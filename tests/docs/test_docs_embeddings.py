"""The Embeddings page: its servers, driven by the official SDK and LangChain, and the sentence-transformers recipe.

Every check compares the vectors a client gets with the ones the snippet's callback computes.
"""

import base64
import gc
import hashlib
import importlib.util
import inspect
import math
import struct
import sys
import types
import warnings
from typing import Any

import httpx
import openai
import pytest

from openai_compat_core.testing import LiveServer


def float32(values: list[float]) -> list[float]:
    """The values as float32 holds them (what a `base64` answer carries)."""
    return list(struct.unpack(f"<{len(values)}f", struct.pack(f"<{len(values)}f", *values)))


def shortened(values: list[float], dimensions: int) -> list[float]:
    """OpenAI's shortened embedding: the first numbers, scaled back to unit length."""
    head = values[:dimensions]
    norm = math.sqrt(math.fsum(value * value for value in head))
    return [value / norm for value in head]


def error_of(response: httpx.Response) -> tuple[int, str | None, str | None]:
    error = response.json()["error"]
    return response.status_code, error["param"], error["code"]


@pytest.fixture
def toy(snippet: Any, live_server: Any) -> tuple[Any, LiveServer]:
    """The page's first server: its module (for `embed`) and the server running it."""
    module = snippet("embeddings/app.py")
    return module, live_server(module.app)


def test_quick_start(toy: tuple[Any, LiveServer], check_client: Any, sdk: Any) -> None:
    module, server = toy
    check_client("embeddings/client.py", server)
    client = sdk(server).client
    texts = ["a cat", "a dog", "naïve café ☕"]
    expected = [module.embed(text) for text in texts]
    assert [model.id for model in client.models.list()] == ["toy"]

    # The SDK asks for base64 when the caller does not choose, and decodes it.
    raw = client.embeddings.with_raw_response.create(model="toy", input=texts)
    assert all(isinstance(item["embedding"], str) for item in raw.http_response.json()["data"])
    default = raw.parse()
    assert [item.embedding for item in default.data] == expected  # multiples of 1/128: exact in float32
    assert [item.index for item in default.data] == [0, 1, 2]
    assert (default.object, default.model) == ("list", "toy")
    assert (default.usage.prompt_tokens, default.usage.total_tokens) == (0, 0)  # texts: the model counts

    floats = client.embeddings.create(model="toy", input=texts, encoding_format="float")
    assert [item.embedding for item in floats.data] == expected
    encoded = client.embeddings.create(model="toy", input=texts, encoding_format="base64")
    decoded = [float32_list(item.embedding) for item in encoded.data]
    assert decoded == expected

    # One text; token ids reach the callback as sent, and count as usage.
    assert client.embeddings.create(model="toy", input="a cat").data[0].embedding == module.embed("a cat")
    tokens = client.embeddings.create(model="toy", input=[[1, 2, 3], [4]], encoding_format="float")
    assert [item.embedding for item in tokens.data] == [module.embed("[1, 2, 3]"), module.embed("[4]")]
    assert (tokens.usage.prompt_tokens, tokens.usage.total_tokens) == (4, 4)

    # The path without /v1.
    alias = httpx.post(f"{server.url}/embeddings", json={"model": "toy", "input": "a cat"})
    assert alias.json()["data"][0]["embedding"] == module.embed("a cat")


def float32_list(text: str) -> list[float]:
    raw = base64.b64decode(text)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))


def test_dimensions_cut_and_renormalise(toy: tuple[Any, LiveServer], sdk: Any) -> None:
    module, server = toy
    client = sdk(server).client
    full = module.embed("a cat")
    short = client.embeddings.create(model="toy", input="a cat", dimensions=3, encoding_format="float")
    assert short.data[0].embedding == pytest.approx(shortened(full, 3), abs=1e-15)
    assert math.fsum(value * value for value in short.data[0].embedding) == pytest.approx(1.0)
    # The SDK's default: the same shortened vector, in float32.
    default = client.embeddings.create(model="toy", input="a cat", dimensions=3)
    assert default.data[0].embedding == float32(shortened(full, 3))
    # As many dimensions as the model gives: the vectors as the callback returned them (not rescaled).
    same = client.embeddings.create(model="toy", input="a cat", dimensions=8, encoding_format="float")
    assert same.data[0].embedding == full
    with pytest.raises(openai.BadRequestError) as more:
        client.embeddings.create(model="toy", input="a cat", dimensions=9)
    assert (more.value.param, more.value.code) == ("dimensions", "invalid_value")  # type: ignore[attr-defined]
    assert "gives 8 dimensions" in more.value.message


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": []}, "input"),
        ({"input": ["a cat", ""]}, "input[1]"),
        ({"input": [[1, 2], []]}, "input[1]"),
        ({"input": ["x"] * 2049}, "input"),
        ({"input": "a cat", "encoding_format": "int8"}, "encoding_format"),
        ({"input": "a cat", "dimensions": 0}, "dimensions"),
    ],
    ids=["empty text", "empty list", "empty text inside", "empty ids inside", "2049 inputs", "format", "dimensions"],
)
def test_the_requests_openai_refuses(toy: tuple[Any, LiveServer], body: dict[str, Any], param: str) -> None:
    _, server = toy
    answer = httpx.post(f"{server.base_url}/embeddings", json={"model": "toy", **body})
    assert error_of(answer) == (400, param, "invalid_value")
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_2048_inputs_and_wrong_types(toy: tuple[Any, LiveServer], sdk: Any) -> None:
    module, server = toy
    client = sdk(server).client
    texts = [f"text {index}" for index in range(2048)]
    result = client.embeddings.create(model="toy", input=texts)
    assert [item.embedding for item in result.data][-1] == module.embed("text 2047")
    wrong = httpx.post(f"{server.base_url}/embeddings", json={"model": "toy", "input": 5})
    assert wrong.status_code == 400
    too_big = httpx.post(f"{server.base_url}/embeddings", json={"model": "toy", "input": "x" * (17 * 1024 * 1024)})
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "request_too_large"


async def test_async_sdk(toy: tuple[Any, LiveServer]) -> None:
    module, server = toy
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        result = await client.embeddings.create(model="toy", input=["a cat", "a dog"])
    assert [item.embedding for item in result.data] == [module.embed("a cat"), module.embed("a dog")]


def test_langchain(toy: tuple[Any, LiveServer], check_client: Any) -> None:
    pytest.importorskip("langchain_openai")
    _, server = toy
    # The texts arrived (token ids would give other vectors): the printed values are the toy model's.
    with warnings.catch_warnings():
        # LangChain never closes the HTTP client it makes; it is collected here, quietly.
        warnings.simplefilter("ignore", ResourceWarning)
        check_client("embeddings/langchain.py", server)
        gc.collect()


def test_usage_from_the_callback(serve: Any, sdk: Any) -> None:
    client = sdk(serve("embeddings/usage.py")).client
    result = client.embeddings.create(model="any", input=["a cat sat", "dogs"])
    assert [item.embedding for item in result.data] == [[9.0, 1.0], [4.0, 1.0]]
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (4, 4)
    tokens = client.embeddings.create(model="any", input=[1, 2, 3])
    assert tokens.data[0].embedding == [3.0, 1.0]
    assert (tokens.usage.prompt_tokens, tokens.usage.total_tokens) == (3, 3)


def test_a_pre_hook_rewrites_the_input(serve: Any, sdk: Any) -> None:
    server = serve("embeddings/hooks.py")
    client = sdk(server).client
    one = client.embeddings.create(model="any", input="a cat")
    assert one.data[0].embedding == [float(len("query: a cat")), 1.0]
    several = client.embeddings.create(model="any", input=["a", "bb"])
    assert [item.embedding for item in several.data] == [[8.0, 1.0], [9.0, 1.0]]  # "query: a", "query: bb"
    tokens = client.embeddings.create(model="any", input=[[1, 2], [3]])
    assert [item.embedding for item in tokens.data] == [[2.0, 1.0], [1.0, 1.0]]
    # OpenAI's checks run before the hook.
    empty = httpx.post(f"{server.base_url}/embeddings", json={"model": "any", "input": ""})
    assert error_of(empty) == (400, "input", "invalid_value")


def test_router_options(serve: Any, sdk: Any) -> None:
    server = serve("embeddings/options.py")
    with pytest.raises(openai.AuthenticationError):
        sdk(server).client.embeddings.create(model="toy", input="x")
    client = sdk(server, api_key="sk-local-1").client
    assert [(m.id, m.owned_by) for m in client.models.list()] == [("toy", "my-team")]
    assert client.models.retrieve("toy").id == "toy"
    assert [item.embedding for item in client.embeddings.create(model="toy", input=["a", "b"]).data] == [
        [1.0, 0.0],
        [1.0, 0.0],
    ]
    with pytest.raises(openai.NotFoundError) as not_found:
        client.embeddings.create(model="other", input="x")
    assert not_found.value.code == "model_not_found"
    too_big = httpx.post(
        f"{server.base_url}/embeddings",
        headers={"Authorization": "Bearer sk-local-1"},
        json={"model": "toy", "input": "x" * 4 * 1024 * 1024},
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "request_too_large"
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert paths["/v1/embeddings"]["post"]["tags"] == ["embeddings"]


# --- the sentence-transformers recipe -------------------------------------------------------------


class FakeModel:
    """Stands in for a downloaded model: `encode` answers as sentence-transformers does (a float32 array)."""

    def __init__(self, name: str = "fake") -> None:
        self.name = name
        self.calls: list[dict[str, Any]] = []

    def encode(self, sentences: list[str], **options: Any) -> Any:
        numpy = pytest.importorskip("numpy")
        self.calls.append(options)
        rows = numpy.array([list(hashlib.sha256(text.encode()).digest()[:6]) for text in sentences], dtype="float32")
        rows -= 127.5
        return rows / numpy.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture
def recipe(snippet: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The recipe's module, loaded with sentence-transformers or, when it is absent, a stand-in module.

    Either way the module's `SentenceTransformer` is `FakeModel`: no model is downloaded.
    """
    if importlib.util.find_spec("sentence_transformers") is None:  # optional: the recipe runs without it
        fake = types.ModuleType("sentence_transformers")
        fake.SentenceTransformer = FakeModel  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "sentence_transformers", fake)
    module = snippet("embeddings/sentence_transformers_server.py")
    monkeypatch.setattr(module, "SentenceTransformer", FakeModel)
    return module


def test_the_sentence_transformers_recipe(recipe: Any, live_server: Any, sdk: Any) -> None:
    numpy = pytest.importorskip("numpy")
    model = FakeModel()
    client = sdk(live_server(recipe.create_app(model, name="minilm"))).client
    texts = ["ab", "a cat", "a dog"]
    expected = model.encode(texts)
    assert [m.id for m in client.models.list()] == ["minilm"]

    # The SDK's default (base64): the array's float32 values exactly; `float`: the same numbers.
    default = client.embeddings.create(model="minilm", input=texts)
    assert numpy.array_equal(numpy.array([item.embedding for item in default.data], dtype="float32"), expected)
    assert [item.embedding for item in default.data] == expected.tolist()
    floats = client.embeddings.create(model="minilm", input=texts, encoding_format="float")
    assert [item.embedding for item in floats.data] == expected.tolist()
    short = client.embeddings.create(model="minilm", input=texts, dimensions=4, encoding_format="float")
    for item, row in zip(short.data, expected.tolist(), strict=True):
        assert item.embedding == pytest.approx(shortened(row, 4), abs=1e-12)

    with pytest.raises(openai.BadRequestError) as token_ids:
        client.embeddings.create(model="minilm", input=[[1, 2]])
    assert token_ids.value.param == "input"  # type: ignore[attr-defined]
    with pytest.raises(openai.NotFoundError) as unknown:
        client.embeddings.create(model="text-embedding-3-small", input="x")
    assert unknown.value.code == "model_not_found"

    options = {"batch_size": 64, "convert_to_numpy": True, "normalize_embeddings": True}
    assert model.calls == [{}, options, options, options]  # the test's own call, then one per request
    installed = sys.modules["sentence_transformers"].SentenceTransformer
    if installed is not FakeModel:
        # The options the recipe passes are real options of SentenceTransformer.encode.
        assert set(options) <= set(inspect.signature(installed.encode).parameters)


def test_the_sentence_transformers_recipe_command_line(
    recipe: Any, live_server: Any, sdk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    uvicorn = pytest.importorskip("uvicorn")
    made: list[FakeModel] = []
    monkeypatch.setattr(recipe, "SentenceTransformer", lambda name: made.append(FakeModel(name)) or made[-1])
    served: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.update(app=app, **options))
    monkeypatch.setattr(sys, "argv", ["sentence_transformers_server.py", "--model", "org/tiny-model", "--port", "8123"])
    recipe.main()
    assert [model.name for model in made] == ["org/tiny-model"]
    assert (served["host"], served["port"]) == ("127.0.0.1", 8123)
    client = sdk(live_server(served["app"])).client
    assert [m.id for m in client.models.list()] == ["tiny-model"]
    assert len(client.embeddings.create(model="tiny-model", input="x").data[0].embedding) == 6
