"""Stop work for a client that has gone: run a callback only while the request's client is connected."""

from collections.abc import Awaitable
from typing import TypeVar

import anyio
from starlette.requests import ClientDisconnect, Request

T = TypeVar("T")


async def cancel_on_disconnect(request: Request, awaitable: Awaitable[T]) -> T:
    """Await `awaitable`, cancelling it if the client disconnects first.

    Use it once the request body has been read (FastAPI reads it before the endpoint runs). An async
    callback is cancelled at its next `await`; a sync callback running in the thread pool cannot be
    interrupted, so its result is discarded when it returns.

    Raises:
        starlette.requests.ClientDisconnect: the client went away before the result was ready. The
            routes of this project answer it with an empty 499 response and no error log.
    """
    results: list[T] = []
    async with anyio.create_task_group() as group:

        async def watch_disconnect() -> None:
            while True:
                message = await request.receive()
                if message["type"] == "http.disconnect":
                    group.cancel_scope.cancel()
                    return

        group.start_soon(watch_disconnect)
        results.append(await awaitable)
        group.cancel_scope.cancel()
    if not results:
        raise ClientDisconnect
    return results[0]


__all__ = ["cancel_on_disconnect"]
