"""Fixtures shared by every test folder of the repository (pytest finds this file from the rootdir)."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from openai_compat_core.testing import LiveServer


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], LiveServer]]:
    """Start apps under uvicorn on 127.0.0.1; every server started is stopped after the test."""
    servers: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def asgi_client() -> Callable[[Any], httpx.AsyncClient]:
    def make(app: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    return make
