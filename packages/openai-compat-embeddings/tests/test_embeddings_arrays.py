"""numpy arrays as results, duck-typed: the library never imports numpy (these tests skip without it)."""

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from openai_compat_embeddings import create_embeddings_router

np = pytest.importorskip("numpy")

MATRIX = np.random.default_rng(3).standard_normal((4, 6)).astype(np.float32)


def app_returning(result: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=lambda model, inputs, body: result))
    return app


async def embed(asgi_client: Callable[[Any], httpx.AsyncClient], result: Any, encoding: str, count: int = 4) -> Any:
    inputs: Any = [f"text {i}" for i in range(count)] if count > 1 else "text"
    async with asgi_client(app_returning(result)) as client:
        body = {"model": "m", "input": inputs, "encoding_format": encoding}
        response = await client.post("/v1/embeddings", json=body)
    assert response.status_code == 200, response.text
    return [item["embedding"] for item in response.json()["data"]]


def decoded(strings: list[str]) -> Any:
    return np.stack([np.frombuffer(base64.b64decode(text), dtype="<f4") for text in strings])


ARRAYS = {
    "float32": MATRIX,
    "float64": MATRIX.astype(np.float64),
    "float16": MATRIX.astype(np.float16),
    "big-endian float32": MATRIX.astype(">f4"),
    "Fortran order": np.asfortranarray(MATRIX),
    "a strided view": np.repeat(MATRIX, 2, axis=1)[:, ::2],
    "list of 1-D float32 arrays": list(MATRIX),
    "list of 1-D float64 arrays": list(MATRIX.astype(np.float64)),
    "array of float32 scalars rows": [[np.float32(value) for value in row] for row in MATRIX],
}


@pytest.mark.parametrize("name", list(ARRAYS))
async def test_arrays_as_base64_are_their_float32_values(name: str, asgi_client: Any) -> None:
    source = ARRAYS[name]
    expected = np.asarray(source, dtype=np.float32)
    got = decoded(await embed(asgi_client, source, "base64"))
    assert got.dtype == np.float32
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("name", list(ARRAYS))
async def test_arrays_as_floats_are_their_values(name: str, asgi_client: Any) -> None:
    source = ARRAYS[name]
    expected = np.asarray(source).astype(np.float64).tolist()
    assert await embed(asgi_client, source, "float") == expected


async def test_one_1d_array_for_one_input(asgi_client: Any) -> None:
    assert await embed(asgi_client, MATRIX[1], "float", count=1) == [MATRIX[1].tolist()]
    assert np.array_equal(decoded(await embed(asgi_client, MATRIX[1], "base64", count=1)), MATRIX[1:2])


class NoPythonFloats(np.ndarray):  # type: ignore[misc,type-arg] # numpy has no stubs everywhere
    """A float32 array that fails the test whenever its values are read one by one in Python."""

    def tolist(self) -> Any:
        raise AssertionError("tolist() was called")

    def __iter__(self) -> Any:
        raise AssertionError("the array was iterated")

    def __getitem__(self, key: Any) -> Any:
        raise AssertionError("the array was indexed")

    def astype(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the array was converted")


async def test_a_float32_array_is_base64_encoded_from_its_memory_without_python_floats(asgi_client: Any) -> None:
    guarded = MATRIX.copy().view(NoPythonFloats)
    got = decoded(await embed(asgi_client, guarded, "base64"))
    assert got.tobytes() == MATRIX.tobytes()


@pytest.mark.parametrize(
    ("result", "words"),
    [
        (MATRIX[:3], "3 vectors for 4 inputs"),
        (np.zeros((4, 2, 3), dtype=np.float32), "3 dimensions"),
        (np.zeros((4, 0), dtype=np.float32), "empty vectors"),
        ([MATRIX[0], MATRIX[1], MATRIX[2], MATRIX[3][:5]], "different lengths"),
        ([MATRIX[0], MATRIX[1], MATRIX[2], MATRIX[2:4]], "vector 3 with 2 dimensions"),
    ],
)
@pytest.mark.parametrize("encoding", ["float", "base64"])
async def test_arrays_of_the_wrong_shape_are_500s(result: Any, words: str, encoding: str, asgi_client: Any) -> None:
    async with asgi_client(app_returning(result)) as client:
        body = {"model": "m", "input": ["a", "b", "c", "d"], "encoding_format": encoding}
        response = await client.post("/v1/embeddings", json=body)
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    assert words in response.json()["error"]["message"]
