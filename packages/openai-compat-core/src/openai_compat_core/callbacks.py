"""Adapting user callbacks: sync or async, with optional keyword arguments they opt into, and hooks."""

import asyncio
import functools
import inspect
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool


class PreHook(Protocol):
    """Called with the parsed request before the callback; sync or async.

    Return a replacement request (a transformer) or `None` to keep it (an observer). Raise an
    `HTTPException` (or `OpenAIHTTPException`) to refuse the request with that answer.
    """

    def __call__(self, request: Any, /) -> Any: ...


class PostHook(Protocol):
    """Called with what the callback returned; sync or async.

    Return a replacement result (a transformer) or `None` to keep it (an observer).
    """

    def __call__(self, result: Any, /) -> Any: ...


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
        result = await _in_thread(fn, args, kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    return run_sync


class _ThreadCall:
    """One call of a sync callable in the thread pool, which can be called off until it has started."""

    __slots__ = ("args", "fn", "kwargs", "lock", "state")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.lock = threading.Lock()
        self.state = "waiting"  # then "running" or "called off"

    def run(self) -> Any:
        with self.lock:
            if self.state != "waiting":
                return None
            self.state = "running"
        return self.fn(*self.args, **self.kwargs)

    def call_off(self) -> bool:
        """Make sure the call never starts; False when it is already running."""
        with self.lock:
            if self.state == "running":
                return False
            self.state = "called off"
            return True


# The sync call each task is waiting for, if any.
_THREAD_CALLS: "dict[asyncio.Task[Any], _ThreadCall]" = {}


def cancel_unless_in_thread(task: "asyncio.Task[Any]") -> bool:
    """Cancel `task`, unless it waits for a sync callable that is already running in a thread.

    A thread cannot be interrupted, and cancelling the task that awaits it would give its slot of
    the thread pool back while the thread runs on: abandoned calls could then pile up past the
    pool's limit. Such a task is left to finish its call (the caller then drops the result). A call
    that has not started yet is called off, so it never starts, and the task is cancelled.

    Returns:
        Whether `task` was cancelled.
    """
    call = _THREAD_CALLS.get(task)
    if call is not None and not call.call_off():
        return False
    task.cancel()
    return True


async def _in_thread(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run `fn` in the thread pool, registered so that `cancel_unless_in_thread` knows about it."""
    try:
        task = asyncio.current_task()
    except RuntimeError:  # another event loop (trio): anyio's cancel scopes already wait for the thread
        task = None
    if task is None:
        return await run_in_threadpool(fn, *args, **kwargs)
    call = _ThreadCall(fn, args, kwargs)
    _THREAD_CALLS[task] = call
    try:
        return await run_in_threadpool(call.run)
    finally:
        del _THREAD_CALLS[task]


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
    "ListModelsFn",
    "PostHook",
    "PreHook",
    "callable_accepts_kwarg",
    "cancel_unless_in_thread",
    "ensure_async",
    "is_async_callable",
    "request_headers",
    "run_hook",
]
