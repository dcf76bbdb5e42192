"""Adapting user callbacks: sync or async, with optional keyword arguments they opt into, and hooks."""

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool

ChunkMapper = Callable[[Any], str]
"""Turns one streamed chunk that is not otherwise recognised into the text to send."""

PreHook = Callable[..., Any]
"""Called with the parsed request; returns a replacement request (transformer) or `None` (observer)."""

PostHook = Callable[..., Any]
"""Called with the callback's result; returns a replacement result (transformer) or `None` (observer)."""


class ListModelsFn(Protocol):
    """Returns the names of the models (pipelines) you serve; may be sync or async."""

    def __call__(self) -> Iterable[str] | Awaitable[Iterable[str]]: ...


def callable_accepts_kwarg(fn: Callable[..., Any], name: str) -> bool:
    """Tell whether `fn` accepts the keyword argument `name`, by name or through `**kwargs`.

    Returns False when the signature cannot be inspected (some builtins and C extensions).
    """
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    param = params.get(name)
    if param is not None:
        return param.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


def is_async_callable(fn: Any) -> bool:
    """Tell whether calling `fn` returns a coroutine: async functions, partials of them, async `__call__`."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - we want the bound __call__ of callable objects
    return call is not None and inspect.iscoroutinefunction(call)


def ensure_async(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Return an async callable for `fn`: async callables as they are, sync ones run in the thread pool.

    A sync callable that returns an awaitable (for example a lambda around an async function) has
    that awaitable awaited too.
    """
    if is_async_callable(fn):
        return fn

    @functools.wraps(fn)
    async def run_sync(*args: Any, **kwargs: Any) -> Any:
        result = await run_in_threadpool(fn, *args, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    return run_sync


class Callback:
    """A user callback made async, forwarding optional keyword arguments only to callbacks that declare them.

    `Callback(fn, optional=("headers",))` calls `fn(*args)` for a callback with the plain signature and
    `fn(*args, headers=...)` for one that declares `headers` or `**kwargs`. Sync callbacks run in the
    thread pool so they never block the event loop.
    """

    __slots__ = ("_call", "accepted", "fn")

    def __init__(self, fn: Callable[..., Any], *, optional: Iterable[str] = ()) -> None:
        self.fn = fn
        self.accepted = frozenset(name for name in optional if callable_accepts_kwarg(fn, name))
        self._call = ensure_async(fn)

    def accepts(self, name: str) -> bool:
        """Tell whether the callback declared the optional keyword argument `name`."""
        return name in self.accepted

    async def __call__(self, *args: Any, **optional: Any) -> Any:
        """Call the callback with `args` and those of `optional` it declared."""
        kwargs = {k: v for k, v in optional.items() if k in self.accepted} if self.accepted else {}
        return await self._call(*args, **kwargs)


async def run_hook(hook: Callable[..., Awaitable[Any]] | None, value: Any) -> Any:
    """Run a transformer or observer hook: its return value replaces `value` unless it is `None`."""
    if hook is None:
        return value
    result = await hook(value)
    return value if result is None else result


def request_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy request headers into a plain dict with lower-cased names, as callbacks receive them.

    A repeated header keeps its last value, as `dict(request.headers)` did in 1.x.
    """
    return {key.lower(): value for key, value in headers.items()}


__all__ = [
    "Callback",
    "ChunkMapper",
    "ListModelsFn",
    "PostHook",
    "PreHook",
    "callable_accepts_kwarg",
    "ensure_async",
    "is_async_callable",
    "request_headers",
    "run_hook",
]
