"""The callbacks every benchmarked server runs: the same functions for this project, 1.4.0 and the floor app.

The request's model name says what to answer, so one callback serves every scenario and no
extra request field is needed (1.4.0 and this project forward the model name the same way):

- `text`: a short answer as `str` (the non-streaming scenarios);
- `sync-N`: a sync generator of `N` tokens;
- `async-N`: an async generator of `N` tokens.

Both routers call `run(model, items, body)` with the conversation (chat) or the input items
(responses) as `items`; neither is looked at.
"""

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
