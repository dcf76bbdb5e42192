"""The hot paths: batched async streams, the sync hand-off, the lazy disconnect watcher, the JSON route fast path.

Each optimisation must give exactly what the plain path gives; these tests compare the two, and check
the properties the optimisations must keep (back-pressure, no added latency, dependencies run).
"""

import asyncio
import json
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import fastapi.routing
import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from openai_compat_core import EventStreamResponse, data_frame, dumps, new_api_router
from openai_compat_core import errors as core_errors
from openai_compat_core.auth import APIKeyAuth
from openai_compat_core.cancellation import cancel_on_disconnect


class Encoder:
    """One data frame per chunk, framed by open and close."""

    def __init__(self) -> None:
        self.finished = False

    def open(self) -> bytes:
        return data_frame({"open": True})

    def encode(self, chunk: Any) -> bytes:
        return data_frame({"chunk": chunk})

    def close(self) -> bytes:
        return data_frame({"close": True})

    def fail(self, exc: Exception) -> bytes:
        return data_frame({"error": str(exc)})


class Wire:
    """An ASGI `send` that records body messages, and a `receive` that never reports a disconnect."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.ended = asyncio.Event()
        self._never = asyncio.Event()

    async def send(self, message: Any) -> None:
        if message["type"] == "http.response.body":
            self.bodies.append(message["body"])
            if not message.get("more_body", False):
                self.ended.set()

    async def receive(self) -> Any:
        await self._never.wait()
        return {"type": "http.disconnect"}

    @property
    def data(self) -> bytes:
        return b"".join(self.bodies)


async def wire_bytes(make_source: Any) -> tuple[bytes, list[bytes]]:
    """What a response writes to the socket (the optimised path), and its sends."""
    wire = Wire()
    await EventStreamResponse(make_source(), Encoder())({"type": "http"}, wire.receive, wire.send)
    return wire.data, wire.bodies


async def compat_bytes(make_source: Any) -> bytes:
    """What the 1.x `body_iterator` gives for the same source (the plain path: one frame per step)."""
    response = EventStreamResponse(make_source(), Encoder())
    return "".join([frame async for frame in response.body_iterator]).encode()


def sync_words() -> Iterator[str]:
    yield from (f"w{i}" for i in range(300))


async def async_words() -> AsyncIterator[str]:
    for i in range(300):
        yield f"w{i}"


async def async_words_waiting() -> AsyncIterator[str]:
    for i in range(300):
        if i % 7 == 0:
            await asyncio.sleep(0)
        yield f"w{i}"


@pytest.mark.parametrize("make_source", [sync_words, async_words, async_words_waiting])
async def test_optimised_streams_write_exactly_the_bytes_of_the_plain_path(make_source: Any) -> None:
    data, _ = await wire_bytes(make_source)
    assert data == await compat_bytes(make_source)
    assert data.count(b"\n\n") == 302


async def test_async_frames_made_without_waiting_share_one_send() -> None:
    data, bodies = await wire_bytes(async_words)
    sends_with_data = [body for body in bodies if body]
    # 300 chunks and 2 frames of its own, at most 64 chunks a send: 5 sends, not 302.
    assert len(sends_with_data) <= 6
    assert data.count(b"\n\n") == 302


async def test_frames_ready_are_sent_before_the_async_generator_waits() -> None:
    gate = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "a"
        yield "b"
        await gate.wait()  # e.g. the next token of a model: what is ready must not wait with it
        yield "late"

    wire = Wire()
    streaming = asyncio.ensure_future(
        EventStreamResponse(source(), Encoder())({"type": "http"}, wire.receive, wire.send)
    )
    for _ in range(1000):
        if wire.bodies:
            break
        await asyncio.sleep(0)
    assert [json.loads(f[6:]) for f in wire.data.split(b"\n\n") if f] == [
        {"open": True},
        {"chunk": "a"},
        {"chunk": "b"},
    ]
    assert len(wire.bodies) == 1
    gate.set()
    await asyncio.wait_for(streaming, 10)
    assert wire.data.endswith(data_frame({"chunk": "late"}) + data_frame({"close": True}))


async def test_a_cancellation_while_frames_are_sent_reaches_the_waiting_generator() -> None:
    seen: list[str] = []
    gate = asyncio.Event()

    async def source() -> AsyncIterator[str]:
        yield "a"
        try:
            await gate.wait()
        except asyncio.CancelledError:
            seen.append("cancelled at its await")
            raise
        yield "never"

    async def send(message: Any) -> None:
        if message["type"] == "http.response.body":
            raise asyncio.CancelledError  # as when the task is cancelled while the write waits

    async def receive() -> Any:
        await asyncio.Event().wait()

    with pytest.raises(asyncio.CancelledError):
        await EventStreamResponse(source(), Encoder())({"type": "http"}, receive, send)
    assert seen == ["cancelled at its await"]


def test_slow_client_applies_back_pressure_to_a_fast_async_generator(live_server: Any) -> None:
    produced = 0
    closed = threading.Event()

    async def fast() -> AsyncIterator[str]:
        nonlocal produced
        try:
            while True:
                produced += 1
                yield "y" * 1024
        finally:
            closed.set()

    app = FastAPI()

    @app.get("/stream")
    async def stream() -> EventStreamResponse:
        return EventStreamResponse(fast(), Encoder())

    server = live_server(app)
    with httpx.Client(timeout=10) as client, client.stream("GET", f"{server.url}/stream") as response:
        assert response.status_code == 200
        # Read nothing: once the socket buffers and one batch are full, the generator must stall.
        time.sleep(1.0)
        first = produced
        time.sleep(1.0)
        second = produced
    assert second == first, f"the generator kept going ({first} -> {second}) while the client read nothing"
    assert first < 50_000
    assert closed.wait(5)


# --- cancel_on_disconnect ----------------------------------------------------------------------


def _request() -> Request:
    async def receive() -> Any:
        await asyncio.Event().wait()

    return Request({"type": "http", "headers": []}, receive)


async def test_work_that_needs_no_waiting_is_answered_without_a_watcher_task() -> None:
    async def ready() -> str:
        return "at once"

    before = len(asyncio.all_tasks())
    tasks_seen: list[int] = []

    async def counting() -> str:
        tasks_seen.append(len(asyncio.all_tasks()))
        return await ready()

    assert await cancel_on_disconnect(_request(), counting()) == "at once"
    assert tasks_seen == [before]


async def test_work_that_waits_gets_its_result_through_the_watcher() -> None:
    async def slow() -> str:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return "later"

    assert await cancel_on_disconnect(_request(), slow()) == "later"


async def test_a_disconnect_cancels_waiting_work() -> None:
    disconnect = asyncio.Event()
    cancelled = asyncio.Event()

    async def receive() -> Any:
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def slow() -> str:
        disconnect.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    from starlette.requests import ClientDisconnect

    with pytest.raises(ClientDisconnect):
        await cancel_on_disconnect(Request({"type": "http", "headers": []}, receive), slow())
    assert cancelled.is_set()
    current = asyncio.current_task()
    assert current is not None
    if sys.version_info >= (3, 11):
        assert current.cancelling() == 0  # our own cancellation was withdrawn


# --- the JSON route fast path --------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    count: int = 1
    ratio: float | None = None


def body_app(**router_options: Any) -> FastAPI:
    router = new_api_router(**router_options)

    @router.post("/echo")
    async def echo(body: Body, request: Request) -> Response:
        return Response(body.model_dump_json(), media_type="application/json")

    app = FastAPI()
    app.include_router(router)
    return app


REQUESTS: list[dict[str, Any]] = [
    {"json": {"name": "a"}},
    {"json": {"name": "a", "count": 3, "extra": [1, 2]}},
    {"json": {"name": 5}},
    {"json": {"count": 1}},
    {"json": [1, 2]},
    {"json": None},
    {"content": b"{not json", "headers": {"content-type": "application/json"}},
    {"content": b"", "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a"}', "headers": {"content-type": "text/plain"}},
    {"content": b'{"name": "a"}', "headers": {"content-type": "application/json; charset=utf-8"}},
    {"content": b'{"name": "a"}', "headers": {"content-type": "APPLICATION/JSON"}},
    {"content": b'{"name": NaN}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "\\ud800"}', "headers": {"content-type": "application/json"}},
    # Where pydantic's JSON parser and `json.loads` could part ways: the answers must not.
    {"content": b'{"name": "a", "name": "b", "x": 1, "x": [2]}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "big": ' + b"9" * 5000 + b"}", "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "big": ' + b"9" * 40 + b"}", "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "ratio": 1e400}', "headers": {"content-type": "application/json"}},
    {
        "content": b'{"name": "a", "ratio": -0.0, "f": 0.1000000000000000055511151231257827}',
        "headers": {"content-type": "application/json"},
    },
    {"content": b'{"name": "a", "ratio": "0.5", "count": "7"}', "headers": {"content-type": "application/json"}},
    {"content": b'\xef\xbb\xbf{"name": "bom"}', "headers": {"content-type": "application/json"}},
    {"content": '{"name": "utf-16"}'.encode("utf-16"), "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "\xff"}', "headers": {"content-type": "application/json"}},
    {
        "content": b'{"name": "a\\u0000b", "s": "\\u00e9\\n\\"", "u": "\xc3\xa9"}',
        "headers": {"content-type": "application/json"},
    },
    {"content": b'{"name": "a"} trailing', "headers": {"content-type": "application/json"}},
    {"content": b' \n{"name": "a"}\n ', "headers": {"content-type": "application/json"}},
]


@pytest.mark.parametrize("request_options", REQUESTS)
async def test_the_fast_path_answers_exactly_as_fastapi_does(
    request_options: dict[str, Any], asgi_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast_app = body_app()
    with monkeypatch.context() as patch:
        patch.setattr(core_errors, "fast_json_handler", lambda handler: None)
        plain_app = body_app()
    answers = []
    for app in (fast_app, plain_app):
        async with asgi_client(app) as client:
            response = await client.post("/echo", **request_options)
        answers.append((response.status_code, response.headers.get("content-type"), response.content))
    assert answers[0] == answers[1]


class Counter:
    def __init__(self) -> None:
        self.calls = 0


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> Counter:
    """Counts FastAPI's dependency solving, which only its own handler does."""
    counter = Counter()
    original = fastapi.routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        counter.calls += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counting)
    return counter


async def test_a_plain_json_route_takes_the_fast_path(solved: Counter, asgi_client: Any) -> None:
    async with asgi_client(body_app()) as client:
        assert (await client.post("/echo", json={"name": "a"})).status_code == 200
        assert solved.calls == 0
        assert (await client.post("/echo", json={"name": 5})).status_code == 400
        assert solved.calls == 1  # an invalid body is FastAPI's to report


@pytest.mark.parametrize("level", ["router", "include", "app"])
async def test_dependencies_at_every_level_still_run(level: str, solved: Counter, asgi_client: Any) -> None:
    auth = [Depends(APIKeyAuth(["sk-test"]))]
    router = new_api_router(dependencies=auth if level == "router" else None)

    @router.post("/echo")
    async def echo(body: Body, request: Request) -> Response:
        return Response(body.model_dump_json(), media_type="application/json")

    app = FastAPI(dependencies=auth if level == "app" else None)
    app.include_router(router, dependencies=auth if level == "include" else None)
    async with asgi_client(app) as client:
        refused = await client.post("/echo", json={"name": "a"})
        accepted = await client.post("/echo", json={"name": "a"}, headers={"authorization": "Bearer sk-test"})
    assert refused.status_code == 401
    assert accepted.status_code == 200
    assert solved.calls == 2


class Ticks:
    """An async iterator written by hand: `__anext__` returns an awaitable whose `__await__` is a plain iterator."""

    def __init__(self, count: int) -> None:
        self.left = count

    def __aiter__(self) -> "Ticks":
        return self

    def __anext__(self) -> Any:
        if not self.left:
            raise StopAsyncIteration
        self.left -= 1
        value = f"t{self.left}"
        return Ready(value)


class Ready:
    """An awaitable whose `__await__` returns a list iterator: no `send`, no `throw`."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __await__(self) -> Any:
        return iter(())  # completes at once; `await Ready(v)` gives None

    def __repr__(self) -> str:
        return self.value


async def test_a_hand_written_async_iterator_streams_as_the_plain_path_does() -> None:
    data, _ = await wire_bytes(lambda: Ticks(5))
    assert data == await compat_bytes(lambda: Ticks(5))
    assert data.count(b"\n\n") == 7


# --- the router's path filter --------------------------------------------------------------------

# FastAPI versions from 0.137 ask an included router whether it matches; older ones copy its routes.
keeps_included_routers = pytest.mark.skipif(
    not hasattr(fastapi.routing, "_IncludedRouter"), reason="this FastAPI copies included routes into the app"
)


def two_router_app(**include_options: Any) -> tuple[FastAPI, Any, Any]:
    """An app with a models-like router (parameter routes, two aliases) included before an echo router."""
    first = new_api_router()

    @first.get("/v1/models/{model:openai_model_id}")
    @first.get("/models/{model:openai_model_id}")
    async def model(model: str) -> dict[str, str]:
        return {"id": model}

    @first.get("/v1/models")
    async def models() -> dict[str, str]:
        return {"object": "list"}

    second = new_api_router()

    @second.post("/v1/echo")
    async def echo(body: Body, request: Request) -> Response:
        return Response(body.model_dump_json(), media_type="application/json")

    app = FastAPI()
    app.include_router(first, **include_options)
    app.include_router(second, **include_options)
    return app, first, second


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the routes FastAPI asks whether they match a request, in order."""
    paths: list[str] = []
    original = fastapi.routing.APIRoute.matches

    def recording(route: Any, scope: Any) -> Any:
        paths.append(route.path)
        return original(route, scope)

    monkeypatch.setattr(fastapi.routing.APIRoute, "matches", recording)
    return paths


@keeps_included_routers
async def test_a_router_whose_paths_cannot_match_is_passed_over_without_trying_its_routes(
    asked: list[str], asgi_client: Any
) -> None:
    app, _, _ = two_router_app()
    async with asgi_client(app) as client:
        assert (await client.post("/v1/echo", json={"name": "a"})).json() == {"name": "a", "count": 1, "ratio": None}
        assert set(asked) == {"/v1/echo"}  # none of the first router's routes was tried
        asked.clear()
        assert (await client.get("/v1/models/org/name")).json() == {"id": "org/name"}
        assert "/v1/models/{model:openai_model_id}" in asked  # the router serving it is asked as always


@pytest.mark.parametrize("options", [{}, {"prefix": "/api"}, {"prefix": "/t/{tenant}"}])
async def test_routers_serve_every_path_under_any_prefix(options: dict[str, Any], asgi_client: Any) -> None:
    app, _, _ = two_router_app(**options)
    prefix = options.get("prefix", "").replace("{tenant}", "acme")
    async with asgi_client(app) as client:
        assert (await client.get(f"{prefix}/v1/models")).json() == {"object": "list"}
        assert (await client.get(f"{prefix}/models/a/b%0Ac")).json() == {"id": "a/b\nc"}
        assert (await client.post(f"{prefix}/v1/echo", json={"name": "x"})).status_code == 200
        assert (await client.get(f"{prefix}/v1/models/")).json() == {"id": ""}
        # FastAPI's trailing-slash redirect still finds the route.
        assert (await client.post(f"{prefix}/v1/echo/", json={"name": "x"})).status_code == 307
        assert (await client.get(f"{prefix}/v1/nothing")).status_code == 404
        assert (await client.get("/elsewhere/v1/models")).status_code == 404


async def test_routers_nested_in_a_router_of_the_app_still_match(asgi_client: Any) -> None:
    _, first, second = two_router_app()
    outer = fastapi.APIRouter(prefix="/outer")
    outer.include_router(first, prefix="/inner")
    outer.include_router(second)
    app = FastAPI()
    app.include_router(outer)
    async with asgi_client(app) as client:
        assert (await client.get("/outer/inner/models/m")).json() == {"id": "m"}
        assert (await client.post("/outer/v1/echo", json={"name": "x"})).status_code == 200
        assert (await client.get("/outer/models/m")).status_code == 404


async def test_a_route_added_after_requests_is_served(asgi_client: Any) -> None:
    app, first, _ = two_router_app()
    async with asgi_client(app) as client:
        assert (await client.get("/v1/late")).status_code == 404

        @first.get("/v1/late")
        async def late() -> dict[str, bool]:
            return {"late": True}

        assert (await client.get("/v1/late")).json() == {"late": True}


async def test_a_router_holding_a_mount_is_not_filtered(asgi_client: Any) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount

    app, first, _ = two_router_app()
    first.routes.append(Mount("/static", app=PlainTextResponse("mounted")))
    async with asgi_client(app) as client:
        assert (await client.get("/static/file.txt")).text == "mounted"
        assert (await client.get("/v1/models/m")).json() == {"id": "m"}


# --- routes serving requests themselves ----------------------------------------------------------


def scope_app(router: Any, **include_options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(router, **include_options)
    return app


def scope_router(**router_options: Any) -> Any:
    """A router whose route tells whether FastAPI's handler layers (and their exit stacks) were set up."""
    router = new_api_router(**router_options)

    @router.post("/echo")
    async def echo(body: Body, request: Request) -> Response:
        layered = "fastapi_inner_astack" in request.scope
        return Response(dumps({"name": body.name, "layered": layered}), media_type="application/json")

    return router


async def test_an_ordinary_request_is_served_by_the_route_itself(solved: Counter, asgi_client: Any) -> None:
    async with asgi_client(scope_app(scope_router())) as client:
        assert (await client.post("/echo", json={"name": "a"})).json() == {"name": "a", "layered": False}
        # A body the fast path cannot take goes to FastAPI's handler, which reads it again.
        spaced = b'{"name": "b", "name": "c"}'
        answer = await client.post("/echo", content=spaced, headers={"content-type": "application/json"})
        assert answer.json() == {"name": "c", "layered": False}
        answer = await client.post("/echo", content=b'{"name": "a"}', headers={"content-type": "text/plain"})
        assert answer.status_code == 400
        assert solved.calls == 1
        assert (await client.post("/echo", json={"name": 5})).json()["error"]["param"] == "name"


async def test_a_router_included_twice_keeps_the_dependencies_of_each_inclusion(asgi_client: Any) -> None:
    router = scope_router()
    app = FastAPI()
    app.include_router(router, prefix="/secure", dependencies=[Depends(APIKeyAuth(["sk-test"]))])
    app.include_router(router, prefix="/open")
    async with asgi_client(app) as client:
        for _ in range(2):  # each inclusion keeps its own way, whichever is served first
            assert (await client.post("/secure/echo", json={"name": "a"})).status_code == 401
            assert (await client.post("/open/echo", json={"name": "a"})).json() == {"name": "a", "layered": False}
            allowed = await client.post("/secure/echo", json={"name": "a"}, headers={"authorization": "Bearer sk-test"})
            assert allowed.json() == {"name": "a", "layered": True}


@pytest.mark.skipif(
    "max_body_size" not in fastapi.APIRouter.include_router.__code__.co_varnames,
    reason="this FastAPI has no body limit of its own",
)
async def test_fastapi_s_own_body_limit_on_an_inclusion_still_applies(asgi_client: Any) -> None:
    app = scope_app(scope_router(), max_body_size=20)
    async with asgi_client(app) as client:
        assert (await client.post("/echo", json={"name": "a"})).status_code == 200
        refused = await client.post("/echo", json={"name": "a" * 50})
    assert refused.status_code == 413


async def test_a_body_arriving_in_pieces_is_read_whole(asgi_client: Any) -> None:
    async def pieces() -> AsyncIterator[bytes]:
        for piece in (b'{"na', b'me": "', b"x" * 3000, b'", "count": 2', b"}"):
            yield piece

    async with asgi_client(scope_app(scope_router())) as client:
        answer = await client.post("/echo", content=pieces(), headers={"content-type": "application/json"})
    assert answer.json() == {"name": "x" * 3000, "layered": False}
