import asyncio
import socket
import threading
from typing import Any

from fastapi import FastAPI, Request

from openai_compat_core import cancel_on_disconnect, new_api_router


class Probe:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.cancelled = threading.Event()
        self.finished = threading.Event()


def slow_app(probe: Probe) -> FastAPI:
    async def slow_async() -> str:
        probe.started.set()
        try:
            await asyncio.Event().wait()  # never set: a model that answers only when it is cancelled
        except asyncio.CancelledError:
            probe.cancelled.set()
            raise
        probe.finished.set()
        return "late"

    async def quick() -> str:
        return "quick"

    router = new_api_router()

    @router.get("/slow")
    async def slow(request: Request) -> dict[str, Any]:
        return {"result": await cancel_on_disconnect(request, slow_async())}

    @router.get("/fast")
    async def fast(request: Request) -> dict[str, Any]:
        return {"result": await cancel_on_disconnect(request, quick())}

    app = FastAPI()
    app.include_router(router)
    return app


def disconnect_after_start(server: Any, probe: Probe) -> None:
    """Send the request, wait until the callback runs, then close the connection."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert probe.started.wait(10), "the callback did not start"


# A sync callback's result is dropped when the client has left: test_core_hardening.py
# (test_a_sync_result_that_arrives_after_the_disconnect_is_dropped).


def test_async_callback_is_cancelled_when_the_client_leaves(live_server: Any) -> None:
    probe = Probe()
    server = live_server(slow_app(probe))
    disconnect_after_start(server, probe)
    assert probe.cancelled.wait(10), "the async callback kept running after the client left"
    assert not probe.finished.is_set()


async def test_result_is_returned_while_the_client_stays(asgi_client: Any) -> None:
    async with asgi_client(slow_app(Probe())) as client:
        response = await client.get("/fast")
    assert response.json() == {"result": "quick"}
