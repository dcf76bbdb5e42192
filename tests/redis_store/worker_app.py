"""One worker of the multi-process Redis tests: the Responses router with a `RedisResponseStore`, as a program.

    python tests/redis_store/worker_app.py   # prints its port on the first line, then serves

Environment: `REDIS_URL` (the store's Redis), `CONTROL_URL` (another Redis, for the hand-offs with
the test: the store's may be stopped), `WORKER_NAME` (what the callbacks report), and the store's
`LEASE`, `TTL`, `TIMEOUT`, `POLL_INTERVAL` (seconds) when set. The model name says what
`run_response` does, and the callbacks report to the test through the control Redis (lists under
`test:`), so that the test waits on real hand-offs:

- `echo`: answers the texts of every input item it was given, one per line (what a follow-up saw);
- `gated`: an async generator: pushes the worker's name to `test:started:<gate>` (`gate` from the
  request's metadata), then yields `step-<i> ` each time the test pushes to `test:gate:<gate>`,
  and ends on the value `end`; when it is closed or cancelled first it pushes to `test:closed:<gate>`;
- `sync-gated`: the same with a sync generator (run in a producer thread).
"""

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import redis
import redis.asyncio
import uvicorn
from fastapi import FastAPI

from openai_compat_responses import create_responses_router
from openai_compat_responses.redis_store import RedisResponseStore

REDIS_URL = os.environ["REDIS_URL"]
CONTROL_URL = os.environ.get("CONTROL_URL", REDIS_URL)
NAME = os.environ.get("WORKER_NAME", str(os.getpid()))
GATE_TIMEOUT = 60  # seconds a gated callback waits for the test before it gives up (a broken test)


def texts(items: list[Any]) -> list[str]:
    """The text of each input item, as a client sent it or as the store gives it back."""
    out = []
    for item in items:
        content = item.get("content", item.get("output", ""))
        if isinstance(content, str):
            out.append(content)
        else:
            out.append("".join(part.get("text", "") for part in content))
    return out


async def gated(gate: str) -> AsyncIterator[str]:
    control = redis.asyncio.Redis.from_url(CONTROL_URL)
    finished = False
    try:
        await control.rpush(f"test:started:{gate}", NAME)
        step = 0
        while True:
            popped = await control.blpop([f"test:gate:{gate}"], timeout=GATE_TIMEOUT)
            if popped is None or popped[1] == b"end":
                finished = True
                return
            yield f"step-{step} "
            step += 1
    finally:
        if not finished:
            # A new connection: the one the cancelled command used may be in an unknown state.
            async with redis.asyncio.Redis.from_url(CONTROL_URL) as reporter:
                await asyncio.shield(reporter.rpush(f"test:closed:{gate}", NAME))
        await control.aclose()


def sync_gated(gate: str) -> Iterator[str]:
    control = redis.Redis.from_url(CONTROL_URL)
    finished = False
    try:
        control.rpush(f"test:started:{gate}", NAME)
        step = 0
        while True:
            popped = control.blpop([f"test:gate:{gate}"], timeout=GATE_TIMEOUT)
            if popped is None or popped[1] == b"end":
                finished = True
                return
            yield f"step-{step} "
            step += 1
    finally:
        if not finished:
            control.rpush(f"test:closed:{gate}", NAME)
        control.close()


async def run_response(model: str, input_items: list[Any], body: dict[str, Any]) -> Any:
    gate = (body.get("metadata") or {}).get("gate", "")
    if model == "gated":
        return gated(gate)
    if model == "sync-gated":
        return sync_gated(gate)
    return "\n".join(texts(input_items))


def make_app() -> FastAPI:
    names = {"LEASE": "lease", "TTL": "ttl", "TIMEOUT": "timeout", "POLL_INTERVAL": "poll_interval"}
    options = {option: float(os.environ[name]) for name, option in names.items() if os.environ.get(name)}
    store = RedisResponseStore.from_url(REDIS_URL, **options)
    app = FastAPI()
    app.include_router(
        create_responses_router(
            list_models=lambda: ["echo", "gated", "sync-gated"],
            run_response=run_response,
            store=store,
            include_models_endpoints=True,
        )
    )
    return app


def main() -> None:
    app = make_app()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sys.stdout.write(f"{sock.getsockname()[1]}\n")
    sys.stdout.flush()
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
