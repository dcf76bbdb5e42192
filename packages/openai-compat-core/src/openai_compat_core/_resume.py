"""Driving an awaitable by hand for one step, then awaiting the rest of it as `await` would have.

Starting an awaitable with `send(None)` tells whether it completes at once: its result is then
there without a trip through the event loop, and without setting up what only a waiting awaitable
needs (a task that watches for the client leaving, a write of what is ready before waiting).
"""

from collections.abc import Awaitable, Generator
from typing import Any

PENDING: Any = object()
"""What `start` returns as the result of an awaitable that did not complete at once."""


def iterate(awaitable: Awaitable[Any]) -> Generator[Any, Any, Any]:
    """The iterator `await` drives for `awaitable`, with `send` and `throw` whatever `__await__` returned."""
    it = awaitable.__await__()
    if hasattr(it, "send") and hasattr(it, "throw"):
        return it
    return _delegate(it)


def _delegate(it: Any) -> Generator[Any, Any, Any]:
    # `yield from` gives a plain iterator (one with `__next__` only) the generator protocol.
    return (yield from it)


def start(awaitable: Awaitable[Any]) -> tuple[Any, Any, Any]:
    """Run `awaitable` up to its first suspension.

    Returns `(result, it, yielded)`: the result if it completed at once (`it` is None), else
    `PENDING`, the running awaitable and what it yielded to the task, for `Resume(it, yielded)`.
    Exceptions it raises before suspending propagate.
    """
    it = iterate(awaitable)
    try:
        yielded = it.send(None)
    except StopIteration as stop:
        return stop.value, None, None
    return PENDING, it, yielded


class Resume:
    """Await the rest of an awaitable started by hand and suspended on `yielded`.

    The task waits on `yielded` exactly as it would have had it awaited the awaitable itself, and
    what the task sends or throws back (a cancellation) goes on into the awaitable.
    """

    __slots__ = ("_it", "_yielded")

    def __init__(self, it: Any, yielded: Any) -> None:
        self._it = it
        self._yielded = yielded

    def __await__(self) -> Generator[Any, Any, Any]:
        it = self._it
        yielded = self._yielded
        while True:
            try:
                value = yield yielded
            except GeneratorExit:
                it.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - thrown in by the task (a cancellation): passed on
                try:
                    yielded = it.throw(exc)
                except StopIteration as stop:
                    return stop.value
                continue
            try:
                yielded = it.send(value)
            except StopIteration as stop:
                return stop.value


__all__ = ["PENDING", "Resume", "iterate", "start"]
