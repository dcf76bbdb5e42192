"""Every result shape `run_embeddings` may return is answered with exactly its vectors, in both encodings.

Vectors are compared by value: the `float` answer must read back as the very doubles the callback
gave (float32 arrays: the doubles their values are), the `base64` answer as their float32 bytes.
"""

import array
import base64
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from openai_compat_embeddings import EmbeddingResult, create_embeddings_router

ROWS = [[0.25, -1.5, 3.0e-7], [1.0 / 3.0, 2.0, -0.0], [7.5, 1e-30, 123456.789]]
FLOAT32 = [list(struct.unpack("<3f", struct.pack("<3f", *row))) for row in ROWS]


def app_returning(result: Any) -> FastAPI:
    def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> Any:
        return result(inputs) if callable(result) else result

    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=run_embeddings))
    return app


async def embed(
    asgi_client: Callable[[Any], httpx.AsyncClient], app: FastAPI, encoding: str | None, count: int = 3
) -> httpx.Response:
    body: dict[str, Any] = {"model": "m", "input": [f"text {i}" for i in range(count)] if count > 1 else "text"}
    if encoding is not None:
        body["encoding_format"] = encoding
    async with asgi_client(app) as client:
        return await client.post("/v1/embeddings", json=body)


def floats_of(response: httpx.Response) -> list[list[float]]:
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert [item["index"] for item in data] == list(range(len(data)))
    assert all(item["object"] == "embedding" for item in data)
    return [item["embedding"] for item in data]


def base64_of(response: httpx.Response) -> list[list[float]]:
    assert response.status_code == 200, response.text
    rows = []
    for item in response.json()["data"]:
        raw = base64.b64decode(item["embedding"])
        rows.append(list(struct.unpack(f"<{len(raw) // 4}f", raw)))
    return rows


@dataclass
class Document:
    """Haystack's Document, as far as the router cares."""

    content: str
    embedding: list[float] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


class Tensor:
    """A tensor: no buffer protocol, only `tolist()`."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows

    def tolist(self) -> Any:
        return self.rows


SHAPES: dict[str, Any] = {
    "lists": ROWS,
    "tuples": [tuple(row) for row in ROWS],
    "tuple of lists": tuple(ROWS),
    "array.array rows": [array.array("d", row) for row in ROWS],
    "tolist() object": Tensor(ROWS),
    "list of tolist() rows": [Tensor(row) for row in ROWS],
    "haystack embeddings": {"embeddings": ROWS, "meta": {}},
    "haystack documents": {"documents": [Document(f"d{i}", row) for i, row in enumerate(ROWS)]},
    "list of documents": [Document(f"d{i}", row) for i, row in enumerate(ROWS)],
    "pipeline output": {"embedder": {"documents": [Document(f"d{i}", row) for i, row in enumerate(ROWS)]}},
    "EmbeddingResult": EmbeddingResult(ROWS),
}


class Carrier:
    def __init__(self) -> None:
        self.embeddings = ROWS
        self.usage = {"prompt_tokens": 9, "total_tokens": 9}


SHAPES["object with .embeddings"] = Carrier()


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_every_shape_is_sent_exactly_as_floats(shape: str, asgi_client: Any) -> None:
    assert floats_of(await embed(asgi_client, app_returning(SHAPES[shape]), "float")) == ROWS


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_every_shape_is_sent_exactly_as_base64(shape: str, asgi_client: Any) -> None:
    assert base64_of(await embed(asgi_client, app_returning(SHAPES[shape]), "base64")) == FLOAT32


async def test_float_is_the_default_encoding(asgi_client: Any) -> None:
    assert floats_of(await embed(asgi_client, app_returning(ROWS), None)) == ROWS


@pytest.mark.parametrize(
    "result",
    [ROWS[0], tuple(ROWS[0]), {"embedding": ROWS[0]}, Document("d", ROWS[0]), array.array("d", ROWS[0])],
    ids=["flat list", "flat tuple", "haystack text embedder", "one document", "array.array"],
)
async def test_one_vector_for_one_input(result: Any, asgi_client: Any) -> None:
    assert floats_of(await embed(asgi_client, app_returning(result), "float", count=1)) == [ROWS[0]]
    assert base64_of(await embed(asgi_client, app_returning(result), "base64", count=1)) == [FLOAT32[0]]


async def test_ints_and_float_like_values_are_numbers(asgi_client: Any) -> None:
    class Half:
        def __float__(self) -> float:
            return 0.5

    rows = [[1, 2, 3], [True, 0.5, -4], [Half(), 0, 1]]
    expected = [[1.0, 2.0, 3.0], [1.0, 0.5, -4.0], [0.5, 0.0, 1.0]]
    assert floats_of(await embed(asgi_client, app_returning(rows), "float")) == expected
    assert base64_of(await embed(asgi_client, app_returning(rows), "base64")) == expected


# --- results that cannot be answered -------------------------------------------------------------------


def assert_server_error(response: httpx.Response, *words: str) -> str:
    assert response.status_code == 500, response.text
    assert response.headers["x-should-retry"] == "false"
    error = response.json()["error"]
    assert error["type"] == "server_error"
    for word in words:
        assert word in error["message"], error["message"]
    message: str = error["message"]
    return message


BROKEN = [
    (ROWS[:2], ("2 vectors for 3 inputs",)),
    ([*ROWS, ROWS[0]], ("4 vectors for 3 inputs",)),
    ([ROWS[0], ROWS[1][:2], ROWS[2]], ("different lengths", "vector 1 has 2")),
    ([[], [], []], ("empty vector 0",)),
    ([ROWS[0], ROWS[1], None], ("NoneType as vector 2",)),
    ([ROWS[0], "abc", ROWS[2]], ("str as vector 1",)),
    ([ROWS[0], [1.0, "x", 2.0], ROWS[2]], ("vector 1", "not a number")),
    ([ROWS[0], [1.0, None, 2.0], ROWS[2]], ("vector 1", "not a number")),
    ([ROWS[0], [1.0, [2.0], 3.0], ROWS[2]], ("vector 1", "not a number")),
    ([ROWS[0], [1.0, {"a": 1}, 3.0], ROWS[2]], ("vector 1", "not a number")),
    ([ROWS[0], ROWS[1], [1.0, object(), 3.0]], ("vector 2", "not a number")),
    ("not vectors", ("Unsupported result type", "str")),
    (None, ("Unsupported result type", "NoneType")),
    (42, ("Unsupported result type", "int")),
    ({"vectors": ROWS}, ("without 'embeddings'",)),
    ([Document("a"), Document("b"), Document("c")], ("Document as vector 0",)),
]


@pytest.mark.parametrize("encoding", ["float", "base64"])
@pytest.mark.parametrize(("result", "words"), BROKEN)
async def test_a_result_that_is_not_one_vector_per_input_is_a_500_naming_the_problem(
    result: Any, words: tuple[str, ...], encoding: str, asgi_client: Any
) -> None:
    assert_server_error(await embed(asgi_client, app_returning(result), encoding), *words)


async def test_nan_and_infinity_cannot_be_sent_as_json_but_travel_in_base64(asgi_client: Any) -> None:
    rows = [ROWS[0], [1.0, float("nan"), 2.0], ROWS[2]]
    assert_server_error(await embed(asgi_client, app_returning(rows), "float"), "vector 1", "NaN or infinity")
    rows = [ROWS[0], ROWS[1], [1.0, float("inf"), 2.0]]
    assert_server_error(await embed(asgi_client, app_returning(rows), "float"), "vector 2", "NaN or infinity")
    decoded = base64_of(await embed(asgi_client, app_returning(rows), "base64"))
    assert decoded[2][1] == float("inf")


async def test_a_number_too_large_for_float32_is_a_500_in_base64(asgi_client: Any) -> None:
    rows = [ROWS[0], ROWS[1], [1.0, 1e300, 2.0]]
    assert floats_of(await embed(asgi_client, app_returning(rows), "float"))[2] == [1.0, 1e300, 2.0]
    assert_server_error(await embed(asgi_client, app_returning(rows), "base64"), "vector 2", "too large for float32")


# --- usage ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "usage"),
    [
        (ROWS, {"prompt_tokens": 0, "total_tokens": 0}),
        (EmbeddingResult(ROWS, prompt_tokens=12), {"prompt_tokens": 12, "total_tokens": 12}),
        (EmbeddingResult(ROWS, prompt_tokens=12, total_tokens=15), {"prompt_tokens": 12, "total_tokens": 15}),
        (EmbeddingResult(ROWS, total_tokens=7), {"prompt_tokens": 7, "total_tokens": 7}),
        ({"embeddings": ROWS, "meta": {"usage": {"prompt_tokens": 4, "total_tokens": 4}}},
         {"prompt_tokens": 4, "total_tokens": 4}),
        ({"embeddings": ROWS, "usage": {"prompt_tokens": 5}}, {"prompt_tokens": 5, "total_tokens": 5}),
        (Carrier(), {"prompt_tokens": 9, "total_tokens": 9}),
    ],
)  # fmt: skip
async def test_usage_reported_by_the_callback(result: Any, usage: dict[str, int], asgi_client: Any) -> None:
    response = await embed(asgi_client, app_returning(result), "float")
    assert response.json()["usage"] == usage
