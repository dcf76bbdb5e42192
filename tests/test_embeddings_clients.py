"""Real clients over real HTTP get exactly the vectors the callback produced.

The official `openai` SDK (sync and async; its default encoding, which is base64, and explicit
`float`, `base64` and `dimensions`), LangChain's `OpenAIEmbeddings` (texts, and token ids through
tiktoken with an offline byte-level encoding, since tiktoken's own files cannot be downloaded here)
and Haystack's `OpenAITextEmbedder` / `OpenAIDocumentEmbedder`, each against uvicorn on 127.0.0.1.

The embedder's values are multiples of 1/128, so float32 holds them exactly and every path (JSON
numbers, base64 float32) must give back the very same numbers.
"""

import base64
import gc
import hashlib
import math
import struct
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from fastapi import FastAPI

from openai_compat_core.testing import LiveServer
from openai_compat_embeddings import create_embeddings_router

np = pytest.importorskip("numpy")

DIMENSIONS = 16
TEXTS = ["The cat sat on the mat.", "Embeddings map text to vectors.", "naïve café ☕"]
StartServer = Callable[[Any], LiveServer]


def vector(text: str) -> list[float]:
    """The toy model: 16 multiples of 1/128 from the text's SHA-256."""
    return [(byte - 128) / 128 for byte in hashlib.sha256(text.encode()).digest()[:DIMENSIONS]]


def text_of(item: str | list[int]) -> str:
    """Token-id inputs here are UTF-8 bytes (the byte-level encoding below): decode them back."""
    return item if isinstance(item, str) else bytes(item).decode()


class Model:
    """The callback: the model name says how to return the vectors; every call is recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, model: str, inputs: list[Any], body: dict[str, Any]) -> Any:
        self.calls.append((inputs, body))
        rows = [vector(text_of(item)) for item in inputs]
        if model == "numpy":
            return np.array(rows, dtype=np.float32)
        return rows


@pytest.fixture
def model() -> Model:
    return Model()


@pytest.fixture
def base_url(model: Model, live_server: StartServer) -> str:
    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=model, list_models=lambda: ["lists", "numpy"]))
    return live_server(app).base_url


def shortened(values: list[float], dimensions: int) -> list[float]:
    """OpenAI's shortened embedding, computed independently with numpy."""
    head = np.array(values[:dimensions], dtype=np.float64)
    return list(head / np.linalg.norm(head))


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)


# --- the official openai SDK --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["lists", "numpy"])
def test_sdk_default_encoding_is_base64_and_decodes_to_the_vectors(kind: str, base_url: str, model: Model) -> None:
    with sdk(base_url) as client:
        raw = client.embeddings.with_raw_response.create(model=kind, input=TEXTS)
        result = raw.parse()
    assert model.calls[-1][1]["encoding_format"] == "base64"
    assert all(isinstance(item["embedding"], str) for item in raw.http_response.json()["data"])
    assert [item.embedding for item in result.data] == [vector(text) for text in TEXTS]
    assert [item.index for item in result.data] == [0, 1, 2]
    assert result.model == kind
    assert (result.usage.prompt_tokens, result.usage.total_tokens) == (0, 0)


@pytest.mark.parametrize("kind", ["lists", "numpy"])
def test_sdk_float_and_base64(kind: str, base_url: str) -> None:
    with sdk(base_url) as client:
        floats = client.embeddings.create(model=kind, input=TEXTS, encoding_format="float")
        encoded = client.embeddings.create(model=kind, input=TEXTS, encoding_format="base64")
    assert [item.embedding for item in floats.data] == [vector(text) for text in TEXTS]
    decoded = []
    for item in encoded.data:
        raw = base64.b64decode(item.embedding)  # type: ignore[arg-type] # an explicit base64 answer is left as sent
        decoded.append(list(struct.unpack(f"<{len(raw) // 4}f", raw)))
    assert decoded == [vector(text) for text in TEXTS]


def test_sdk_one_string_and_token_ids(base_url: str, model: Model) -> None:
    with sdk(base_url) as client:
        one = client.embeddings.create(model="lists", input=TEXTS[0])
        ids = list(TEXTS[1].encode())
        tokens = client.embeddings.create(model="lists", input=ids)
        several = client.embeddings.create(model="lists", input=[list(text.encode()) for text in TEXTS])
    assert [item.embedding for item in one.data] == [vector(TEXTS[0])]
    assert model.calls[0][0] == [TEXTS[0]]
    assert [item.embedding for item in tokens.data] == [vector(TEXTS[1])]
    assert model.calls[1][0] == [ids]
    assert tokens.usage.prompt_tokens == len(ids)
    assert [item.embedding for item in several.data] == [vector(text) for text in TEXTS]
    assert model.calls[2][0] == [list(text.encode()) for text in TEXTS]


@pytest.mark.parametrize("encoding", [None, "float"])
def test_sdk_dimensions_give_shortened_unit_vectors(encoding: str | None, base_url: str, model: Model) -> None:
    with sdk(base_url) as client:
        extra: Any = {"encoding_format": encoding} if encoding else {}
        result = client.embeddings.create(model="numpy", input=TEXTS, dimensions=6, **extra)
    assert model.calls[-1][1]["dimensions"] == 6
    for item, text in zip(result.data, TEXTS, strict=True):
        assert len(item.embedding) == 6
        tolerance = 1e-7 if encoding is None else 1e-12  # base64 carries float32
        assert item.embedding == pytest.approx(shortened(vector(text), 6), abs=tolerance)
        assert math.fsum(value * value for value in item.embedding) == pytest.approx(1.0, abs=1e-6)


def test_sdk_errors(base_url: str, model: Model) -> None:
    with sdk(base_url) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            client.embeddings.create(model="lists", input="")
        assert caught.value.param == "input"  # type: ignore[attr-defined]
        with pytest.raises(openai.BadRequestError) as caught:
            client.embeddings.create(model="lists", input="x", dimensions=DIMENSIONS + 1)
        assert caught.value.param == "dimensions"  # type: ignore[attr-defined]
    assert [inputs for inputs, _ in model.calls] == [["x"]]


@pytest.mark.parametrize("kind", ["lists", "numpy"])
async def test_async_sdk(kind: str, base_url: str) -> None:
    async with openai.AsyncOpenAI(base_url=base_url, api_key="unused", max_retries=0) as client:
        default = await client.embeddings.create(model=kind, input=TEXTS)
        floats = await client.embeddings.create(model=kind, input=TEXTS, encoding_format="float")
        shorter = await client.embeddings.create(model=kind, input=TEXTS, dimensions=4, encoding_format="float")
    assert [item.embedding for item in default.data] == [vector(text) for text in TEXTS]
    assert [item.embedding for item in floats.data] == [vector(text) for text in TEXTS]
    assert [item.embedding for item in shorter.data] == [
        pytest.approx(shortened(vector(t), 4), abs=1e-12) for t in TEXTS
    ]


# --- LangChain --------------------------------------------------------------------------------------------


def langchain_embeddings(base_url: str, http_client: httpx.Client | httpx.AsyncClient, **options: Any) -> Any:
    """LangChain's client on our server, with an HTTP client the test closes (LangChain never closes its own)."""
    langchain_openai = pytest.importorskip("langchain_openai")
    sync = http_client if isinstance(http_client, httpx.Client) else None
    asynchronous = http_client if isinstance(http_client, httpx.AsyncClient) else None
    return langchain_openai.OpenAIEmbeddings(
        model="lists",
        base_url=base_url,
        api_key="unused",
        max_retries=0,
        http_client=sync,
        http_async_client=asynchronous,
        **options,
    )


def test_langchain_texts(base_url: str, model: Model) -> None:
    with httpx.Client() as http_client:
        embeddings = langchain_embeddings(base_url, http_client, check_embedding_ctx_length=False)
        assert embeddings.embed_documents(TEXTS) == [vector(text) for text in TEXTS]
        assert embeddings.embed_query(TEXTS[2]) == vector(TEXTS[2])
    assert model.calls[0][0] == TEXTS


async def test_langchain_texts_async(base_url: str) -> None:
    async with httpx.AsyncClient() as http_client:
        embeddings = langchain_embeddings(base_url, http_client, check_embedding_ctx_length=False)
        assert await embeddings.aembed_documents(TEXTS) == [vector(text) for text in TEXTS]
        assert await embeddings.aembed_query(TEXTS[0]) == vector(TEXTS[0])


def test_langchain_token_ids(base_url: str, model: Model, monkeypatch: pytest.MonkeyPatch) -> None:
    """LangChain's default path: texts tokenized with tiktoken, token ids sent.

    tiktoken downloads its BPE files on first use, which this machine cannot do: the test gives it a
    byte-level encoding built in memory (one token per UTF-8 byte), so the path runs offline.
    """
    tiktoken = pytest.importorskip("tiktoken")
    byte_level = tiktoken.Encoding(
        name="test-bytes", pat_str=r"[\s\S]", mergeable_ranks={bytes([b]): b for b in range(256)}, special_tokens={}
    )
    monkeypatch.setattr(tiktoken, "encoding_for_model", lambda name: byte_level)
    with httpx.Client() as http_client:
        embeddings = langchain_embeddings(base_url, http_client)
        assert embeddings.embed_documents(TEXTS) == [vector(text) for text in TEXTS]
    assert model.calls[0][0] == [list(text.encode()) for text in TEXTS]
    assert model.calls[0][1]["encoding_format"] == "base64"


@pytest.fixture
def closed_afterwards() -> Iterator[list[Any]]:
    """Haystack components to close after the test (their OpenAI clients hold connections)."""
    components: list[Any] = []
    yield components
    for component in components:
        close = getattr(component, "close", None)
        if close is not None:
            close()
    # Haystack releases before 3.4 have no close(): their clients are collected here, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        components.clear()
        gc.collect()


# --- Haystack -----------------------------------------------------------------------------------------------


def test_haystack_text_and_document_embedders(base_url: str, model: Model, closed_afterwards: list[Any]) -> None:
    haystack = pytest.importorskip("haystack")
    from haystack.components.embedders import OpenAIDocumentEmbedder, OpenAITextEmbedder
    from haystack.utils import Secret

    key = Secret.from_token("unused")
    text_embedder = OpenAITextEmbedder(api_key=key, model="numpy", api_base_url=base_url)
    closed_afterwards.append(text_embedder)
    result = text_embedder.run(text=TEXTS[0])
    assert result["embedding"] == vector(TEXTS[0])
    assert result["meta"]["model"] == "numpy"

    document_embedder = OpenAIDocumentEmbedder(api_key=key, model="lists", api_base_url=base_url, progress_bar=False)
    closed_afterwards.append(document_embedder)
    documents = [haystack.Document(content=text) for text in TEXTS]
    embedded = document_embedder.run(documents=documents)["documents"]
    assert [document.embedding for document in embedded] == [vector(text) for text in TEXTS]
    assert model.calls[-1][0] == TEXTS
    assert model.calls[-1][1]["encoding_format"] == "float"

    shorter_embedder = OpenAITextEmbedder(api_key=key, model="lists", api_base_url=base_url, dimensions=5)
    closed_afterwards.append(shorter_embedder)
    shorter = shorter_embedder.run(text=TEXTS[1])
    assert shorter["embedding"] == pytest.approx(shortened(vector(TEXTS[1]), 5), abs=1e-12)
