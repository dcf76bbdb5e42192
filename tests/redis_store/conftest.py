"""Fixtures of the multi-process Redis tests: uvicorn workers in processes of their own, sharing one Redis.

`workers(n)` starts `n` processes of `worker_app.py` (each its own port, all on the test's
`redis_server`) and stops them after the test; `control` is a Redis client for the hand-offs the
callbacks of `worker_app.py` make (lists under `test:`).
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import redis

from openai_compat_responses.redis_testing import RedisServer

WORKER_APP = Path(__file__).resolve().parent / "worker_app.py"
STARTUP_TIMEOUT = 30.0


class Worker:
    """`worker_app.py` under uvicorn in a process of its own; `url`, `base_url` (for the `openai` SDK), `log()`."""

    def __init__(self, name: str, redis_url: str, control_url: str, log_dir: Path, env: dict[str, str]) -> None:
        self.name = name
        self.redis_url = redis_url
        self.control_url = control_url
        self.log_path = log_dir / f"worker-{name}.log"
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/v1"

    def start(self) -> "Worker":
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(  # noqa: S603 - this interpreter, a file of this folder
                [sys.executable, str(WORKER_APP)],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={
                    **os.environ,
                    "REDIS_URL": self.redis_url,
                    "CONTROL_URL": self.control_url,
                    "WORKER_NAME": self.name,
                    **self.env,
                },
            )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.strip():
            self.process.wait(10)
            pytest.fail(f"worker {self.name} did not start:\n{self.log()}")
        self.port = int(line)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {self.name} does not answer:\n{self.log()}")
            time.sleep(0.02)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def kill(self) -> None:
        """End the process at once (SIGKILL), as a crash or an OOM kill would: no cleanup runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def control_server() -> Iterator[RedisServer]:
    """A second `redis-server`, for the hand-offs between the test and the workers' callbacks."""
    if not RedisServer.available() and not os.environ.get("CI"):
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    with RedisServer() as server:
        yield server


@pytest.fixture
def workers(
    redis_server: RedisServer, control_server: RedisServer, tmp_path: Path
) -> Iterator[Callable[..., list[Worker]]]:
    """`workers(n, **env)`: start `n` worker processes on the test's Redis (env: `LEASE`, `TTL`, ...); stopped after."""
    started: list[Worker] = []

    def start(count: int = 2, **env: str) -> list[Worker]:
        names = [chr(ord("A") + len(started) + i) for i in range(count)]
        new = [Worker(name, redis_server.url, control_server.url, tmp_path, env) for name in names]
        started.extend(new)
        return [worker.start() for worker in new]

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def control(control_server: RedisServer) -> Iterator[redis.Redis]:
    """A client of the control Redis, for the hand-offs with the workers' callbacks."""
    client = redis.Redis.from_url(control_server.url, socket_timeout=30)
    yield client
    client.close()
