"""Stop work for a client that has gone: run a callback only while the request's client is connected."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive

from openai_compat_core._resume import Resume, start
from openai_compat_core.callbacks import cancel_unless_in_thread

T = TypeVar("T")

WATCH_AFTER = 0.05
"""Seconds work may run before the client's connection is watched (asyncio).

Most requests are answered sooner, and watching costs more than their answer: a task per request
that waits on the connection. Work that takes longer (a model generating) is watched from then on,
so a client that left is noticed at most this much later than it could be.
"""


async def cancel_on_disconnect(
    request: Request, awaitable: Awaitable[T], *, on_disconnect: Callable[[], object] | None = None
) -> T:
    """Await `awaitable`, cancelling it if the client disconnects first.

    Use it once the request body has been read (FastAPI reads it before the endpoint runs). An async
    callback is cancelled at its next `await`; a sync callback running in the thread pool cannot be
    interrupted, so its result is discarded when it returns. `on_disconnect` is called (on the event
    loop) as soon as the disconnect is seen, for example to set a `threading.Event` that sync work
    checks between steps.

    Raises:
        starlette.requests.ClientDisconnect: the client went away before the result was ready. The
            routes of this project answer it with an empty 499 response and no error log.
    """
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not running on asyncio (trio)
        task = None
    if task is not None:
        return await _on_asyncio(task, request, awaitable, on_disconnect)
    return await _with_task_group(request, awaitable, on_disconnect)


async def _on_asyncio(
    task: "asyncio.Task[object]",
    request: Request,
    awaitable: Awaitable[T],
    on_disconnect: Callable[[], object] | None,
) -> T:
    """`cancel_on_disconnect` on asyncio: a plain watcher task that cancels the caller's, if needed at all.

    Work that completes without waiting (an async callback with the answer at hand) cannot be
    cancelled anyway: it is run without a watcher. Work still running after `WATCH_AFTER` seconds
    gets one asyncio task that watches (a tenth of the CPU of an anyio task group); work done before
    then never pays for it. This is a path every request takes.
    """
    result, it, yielded = start(awaitable)
    if it is None:
        return cast(T, result)
    disconnected = False

    async def watch_disconnect() -> None:
        nonlocal disconnected
        await wait_for_disconnect(request.receive)
        disconnected = True
        if on_disconnect is not None:
            on_disconnect()
        # A sync callback already running in a thread is left to finish: its result is dropped below.
        cancel_unless_in_thread(task)

    loop = asyncio.get_running_loop()
    watcher: asyncio.Task[None] | None = None

    def start_watching() -> None:
        nonlocal watcher
        watcher = loop.create_task(watch_disconnect())

    timer = loop.call_later(WATCH_AFTER, start_watching)
    try:
        result = await Resume(it, yielded)
    except asyncio.CancelledError:
        if not disconnected:
            raise
        _uncancel(task)
        raise ClientDisconnect from None
    except Exception as exc:
        if disconnected:
            _uncancel(task)
            raise ClientDisconnect from exc
        raise
    finally:
        timer.cancel()
        if watcher is not None:
            watcher.cancel()
    if disconnected:
        # The work swallowed the cancellation, or finished as the client left: nobody wants its result.
        _uncancel(task)
        raise ClientDisconnect
    return cast(T, result)


async def wait_for_disconnect(receive: Receive) -> None:
    """Return once the client has disconnected: the one wait for it, for every request and stream.

    Call it once the request body has been read, when nothing but the disconnect can arrive.
    """
    while (await receive())["type"] != "http.disconnect":
        pass


def _uncancel(task: "asyncio.Task[object]") -> None:
    """Withdraw our own cancellation request (Python 3.11+ counts them; anyio and TaskGroup rely on it)."""
    cancelling = getattr(task, "cancelling", None)
    uncancel = getattr(task, "uncancel", None)
    if cancelling is not None and uncancel is not None and cancelling():
        uncancel()


async def _with_task_group(request: Request, awaitable: Awaitable[T], on_disconnect: Callable[[], object] | None) -> T:
    """`cancel_on_disconnect` on any event loop anyio supports."""
    results: list[T] = []
    failures: list[Exception] = []
    disconnected = False
    async with anyio.create_task_group() as group:

        async def watch_disconnect() -> None:
            nonlocal disconnected
            await wait_for_disconnect(request.receive)
            disconnected = True
            if on_disconnect is not None:
                on_disconnect()
            group.cancel_scope.cancel()

        group.start_soon(watch_disconnect)
        try:
            results.append(await awaitable)
        except Exception as exc:  # noqa: BLE001 - re-raised as it is below, not wrapped in an ExceptionGroup
            failures.append(exc)
        group.cancel_scope.cancel()
    if disconnected:
        # Also when sync work, which cannot be cancelled, returned meanwhile: nobody wants its result.
        raise ClientDisconnect from (failures[0] if failures else None)
    if failures:
        raise failures[0]
    return results[0]


__all__ = ["WATCH_AFTER", "cancel_on_disconnect", "wait_for_disconnect"]
