"""The callbacks every benchmarked server runs: the same functions for this project, 1.4.0 and the floor app.

The request's model name says what to answer, so one callback serves every scenario and no
extra request field is needed (1.4.0 and this project forward the model name the same way):

- `text`: a short answer as `str` (the non-streaming scenarios);
- `sync-N`: a sync generator of `N` tokens;
- `async-N`: an async generator of `N` tokens.

`run_embeddings` answers the embeddings scenarios the same way: the model `lists` returns the
vectors as lists of Python floats, `numpy` as a 2-D float32 numpy array (numpy is imported only
then, so the 1.4.0 environment, which has no embeddings, does without it).

Both routers call `run(model, items, body)` with the conversation (chat) or the input items
(responses) as `items`; neither is looked at.
"""

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any

WORD = "tok "
"""What every streamed chunk carries."""

ANSWER = "The quick brown fox jumps over the lazy dog."
"""The whole answer of a non-streaming request."""

MODELS = ["text", "sync-N", "async-N"]
"""What `list_models` answers (the routers do not check it)."""


def sync_tokens(count: int) -> Iterator[str]:
    """Yield `count` tokens from a sync generator."""
    for _ in range(count):
        yield WORD


async def async_tokens(count: int) -> AsyncIterator[str]:
    """Yield `count` tokens from an async generator."""
    for _ in range(count):
        yield WORD


def list_models() -> list[str]:
    """The model names served."""
    return MODELS


def answer(model: str) -> str | Iterator[str] | AsyncIterator[str]:
    """What to answer for `model` (see the module docstring)."""
    kind, _, count = model.partition("-")
    if kind == "sync":
        return sync_tokens(int(count))
    if kind == "async":
        return async_tokens(int(count))
    return ANSWER


async def run(model: str, items: list[Any], body: dict[str, Any]) -> str | Iterator[str] | AsyncIterator[str]:
    """`run_completion` and `run_response` of every server: an async callable, so no thread-pool hop."""
    return answer(model)


EMBEDDING_COUNT = 2048
EMBEDDING_DIMENSIONS = 1536
"""The shape of every embeddings answer: OpenAI's most inputs per request, text-embedding-3-small's length."""


@functools.cache
def embedding_matrix() -> Any:
    """The vectors every embeddings answer carries: deterministic unit vectors, float32."""
    import numpy  # noqa: PLC0415 - only the embeddings scenarios need it

    vectors = numpy.random.default_rng(17).standard_normal((EMBEDDING_COUNT, EMBEDDING_DIMENSIONS), dtype="float32")
    vectors /= numpy.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


@functools.cache
def embedding_lists() -> list[list[float]]:
    """The same vectors as lists of Python floats (each float32 value as the double it is)."""
    lists: list[list[float]] = embedding_matrix().tolist()
    return lists


async def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> Any:
    """`run_embeddings` of this project and the floor app: one vector per input, ready made."""
    if model == "numpy":
        return embedding_matrix()[: len(inputs)]
    return embedding_lists()[: len(inputs)]
