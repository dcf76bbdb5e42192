"""Fixtures shared by every test folder of the repository (pytest finds this file from the rootdir)."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from openai_compat_core.testing import LiveServer
from openai_compat_responses.redis_testing import RedisServer


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


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh `redis-server` on a free port, persistence off, stopped after the test.

    Skipped when the program is not installed, except in CI (`CI` set), where `.ci/run` installs it.
    """
    if not RedisServer.available() and not os.environ.get("CI"):
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    with RedisServer() as server:
        yield server
