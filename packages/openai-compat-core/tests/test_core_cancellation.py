import asyncio
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request

from openai_compat_core import cancel_on_disconnect, new_api_router
from openai_compat_core.callbacks import ensure_async


class Probe:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()
        self.finished = threading.Event()


def slow_app(probe: Probe, kind: str) -> FastAPI:
    async def slow_async() -> str:
        probe.started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            probe.cancelled.set()
            raise
        probe.finished.set()
        return "late"

    def slow_sync() -> str:
        probe.started.set()
        time.sleep(0.5)
        probe.finished.set()
        return "late"

    router = new_api_router()

    @router.get("/slow")
    async def slow(request: Request) -> dict[str, Any]:
        work = slow_async() if kind == "async" else ensure_async(slow_sync)()
        return {"result": await cancel_on_disconnect(request, work)}

    @router.get("/fast")
    async def fast(request: Request) -> dict[str, Any]:
        return {"result": await cancel_on_disconnect(request, asyncio.sleep(0, result="quick"))}

    app = FastAPI()
    app.include_router(router)
    return app


def disconnect_after_start(server: Any, probe: Probe) -> None:
    with httpx.Client(timeout=httpx.Timeout(10, read=0.3)) as client, pytest.raises(httpx.ReadTimeout):
        client.get(f"{server.url}/slow")
    assert probe.started.is_set()


def test_async_callback_is_cancelled_when_the_client_leaves(live_server: Any) -> None:
    probe = Probe()
    server = live_server(slow_app(probe, "async"))
    disconnect_after_start(server, probe)
    assert probe.cancelled.wait(5), "the async callback kept running after the client left"
    assert not probe.finished.is_set()


def test_sync_callback_result_is_discarded_when_the_client_leaves(live_server: Any) -> None:
    probe = Probe()
    server = live_server(slow_app(probe, "sync"))
    disconnect_after_start(server, probe)
    # A thread cannot be interrupted: it finishes, and nothing else runs after it.
    assert probe.finished.wait(5)


async def test_result_is_returned_while_the_client_stays(asgi_client: Any) -> None:
    async with asgi_client(slow_app(Probe(), "async")) as client:
        response = await client.get("/fast")
    assert response.json() == {"result": "quick"}
