"""Hostile input and failure handling of core: nesting limit, parse failures, 405s, unencodable text,
encoders that fail, disconnects during non-streaming work, and the error-message policy."""

import asyncio
import json
import logging
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel
from starlette.requests import ClientDisconnect

from openai_compat_core import (
    DEFAULT_MAX_JSON_DEPTH,
    EventStreamResponse,
    cancel_on_disconnect,
    create_models_router,
    new_api_router,
)
from openai_compat_core.bodies import json_nesting_exceeds, read_json_body
from openai_compat_core.callbacks import cancel_unless_in_thread, ensure_async
from openai_compat_core.encoding import dumps, json_string, replace_unpaired_surrogates
from openai_compat_core.errors import callback_errors, callback_failure
from openai_compat_core.models_router import ModelCatalog
from openai_compat_core.routing import route_class_with
from openai_compat_core.sse import FrameTemplate, data_frame, event_frame, slot


class Body(BaseModel):
    model: str
    choice: str | list[int] | None = None


def body_app(**limits: Any) -> tuple[FastAPI, list[Body]]:
    seen: list[Body] = []
    router = APIRouter(route_class=route_class_with(**limits)) if limits else new_api_router()

    @router.post("/v1/things")
    async def create(body: Body) -> dict[str, Any]:
        seen.append(body)
        return {"ok": True}

    @router.get("/v1/things")
    async def listing() -> dict[str, Any]:
        return {"data": []}

    app = FastAPI()
    app.include_router(router)
    return app, seen


async def request(app: FastAPI, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.request(method, path, **kwargs)


def reading_app(**limits: Any) -> tuple[FastAPI, list[Body]]:
    """Like `body_app`, with an endpoint that reads its own body, as the routes of our APIs do."""
    seen: list[Body] = []
    router = new_api_router(**limits)

    @router.post("/v1/things")
    async def create(request: Request) -> dict[str, Any]:
        seen.append(await read_json_body(request, Body, **limits))
        return {"ok": True}

    app = FastAPI()
    app.include_router(router)
    return app, seen


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- nesting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("{}", 1, False),
        ('{"a": []}', 1, True),
        ('{"a": []}', 2, False),
        (nested(50), 50, False),
        (nested(51), 50, True),
        ('{"a": "[[[[[[[[[["}', 2, False),
        ('{"a": "\\"[[[[[[[[[[\\\\"}', 2, False),
        ('[{"a": [1, {"b": [2]}]}]', 4, True),
        ('[{"a": [1, {"b": [2]}]}]', 5, False),
        ("[[], [], [], [], []]", 2, False),
    ],
)
def test_json_nesting_exceeds(text: str, limit: int, exceeds: bool) -> None:
    assert json_nesting_exceeds(text.encode(), limit) is exceeds


@pytest.mark.parametrize("depth", [DEFAULT_MAX_JSON_DEPTH, DEFAULT_MAX_JSON_DEPTH + 1, 990, 100_000])
async def test_a_body_nested_past_the_limit_is_refused_before_the_endpoint(depth: int) -> None:
    app, seen = body_app()
    content = '{"model": "m", "x": ' + nested(depth - 1) + "}"
    response = await request(app, "POST", "/v1/things", content=content, headers={"content-type": "application/json"})
    if depth <= DEFAULT_MAX_JSON_DEPTH:
        assert response.status_code == 200
        assert len(seen) == 1
        return
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_json"
    assert f"more than {DEFAULT_MAX_JSON_DEPTH} levels" in error["message"]
    assert seen == []


async def test_the_nesting_limit_can_be_changed_or_removed() -> None:
    content = '{"model": "m", "x": ' + nested(20) + "}"
    headers = {"content-type": "application/json"}
    strict, _ = body_app(max_json_depth=10)
    assert (await request(strict, "POST", "/v1/things", content=content, headers=headers)).status_code == 400
    unlimited, _ = body_app(max_json_depth=None)
    deep = '{"model": "m", "x": ' + nested(500) + "}"
    assert (await request(unlimited, "POST", "/v1/things", content=deep, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b'{"model": "\xff"}', "it is not UTF-8 text"),
        (b'{"model": "m", "n": ' + b"1" * 5000 + b"}", "a number in it has too many digits"),
    ],
)
async def test_bodies_python_cannot_parse_say_why(content: bytes, reason: str) -> None:
    app, _ = reading_app()
    response = await request(app, "POST", "/v1/things", content=content, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "message": f"The request body is not valid JSON: {reason}.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_json",
    }


async def test_a_union_parameter_is_named_without_its_member_types() -> None:
    app, _ = body_app()
    response = await request(app, "POST", "/v1/things", json={"model": "m", "choice": {"a": 1}})
    error = response.json()["error"]
    assert error["param"] == "choice"
    assert error["message"].startswith("Invalid type for 'choice':")
    # The union's members are one error in the request, not several.
    assert "more error" not in error["message"]


# --- methods ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/api"])
async def test_a_method_not_served_is_a_405_envelope_naming_every_method_of_the_path(prefix: str) -> None:
    app, _ = body_app()
    outer = FastAPI()
    outer.include_router(app.router, prefix=prefix)
    for method in ("PUT", "DELETE", "PATCH", "OPTIONS"):
        response = await request(outer, method, f"{prefix}/v1/things")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST"
        assert response.json() == {
            "error": {
                "message": f"Method {method} is not allowed here; use GET, POST.",
                "type": "invalid_request_error",
                "param": None,
                "code": "method_not_allowed",
            },
            "detail": "Method Not Allowed",
        }


async def test_model_ids_with_line_breaks_are_still_ours() -> None:
    app = FastAPI()
    app.include_router(create_models_router(list_models=lambda: ["a/b"]))
    assert (await request(app, "GET", "/v1/models/a/b")).json()["id"] == "a/b"
    response = await request(app, "GET", "/v1/models/a%0Ab")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


# --- text JSON can hold and UTF-8 cannot --------------------------------------------------------------


def test_unpaired_surrogates_become_replacement_characters_everywhere() -> None:
    bad = "x\ud800y"
    assert dumps({"k\udfff": [bad]}) == '{"k\ufffd":["x\ufffdy"]}'.encode()
    assert json_string(bad) == '"x\ufffdy"'.encode()
    assert data_frame({"a": bad}) == 'data: {"a":"x\ufffdy"}\n\n'.encode()
    assert event_frame("e", {"a": bad}) == 'event: e\ndata: {"a":"x\ufffdy"}\n\n'.encode()
    template = FrameTemplate({"model": bad, "text": slot(0)})
    assert template.render(bad) == 'data: {"model":"x\ufffdy","text":"x\ufffdy"}\n\n'.encode()
    # Valid text is left as it is, pairs included.
    assert replace_unpaired_surrogates({"a": ("\U0001f600", "\ud83d\ude00")}) == {"a": ["\U0001f600", "\U0001f600"]}

    class Model(BaseModel):
        text: str

    assert dumps(Model(text=bad)) == '{"text":"x\ufffdy"}'.encode()


def test_non_finite_numbers_are_written_as_null() -> None:
    assert (
        dumps({"a": float("nan"), "b": float("inf"), "c": -float("inf"), "d": 1.5})
        == b'{"a":null,"b":null,"c":null,"d":1.5}'
    )


# --- encoders that fail --------------------------------------------------------------------------------


class BrokenEncoder:
    """An encoder whose `where` method raises; `fail` raises too when `fail_breaks`."""

    def __init__(self, where: str, *, fail_breaks: bool = False) -> None:
        self.finished = False
        self.where = where
        self.fail_breaks = fail_breaks

    def _maybe(self, name: str) -> None:
        if self.where == name:
            raise RuntimeError(f"{name} broke")

    def open(self) -> bytes:
        self._maybe("open")
        return b"data: open\n\n"

    def encode(self, chunk: Any) -> bytes:
        self._maybe("encode")
        return b"data: " + str(chunk).encode() + b"\n\n"

    def close(self) -> bytes:
        self._maybe("close")
        return b"data: close\n\n"

    def fail(self, exc: Exception) -> bytes:
        if self.fail_breaks:
            raise RuntimeError("fail broke too")
        return b"data: failed " + str(exc).encode() + b"\n\n"


def closing_sync(closed: threading.Event) -> Iterator[str]:
    try:
        yield from ["a", "b"]
    finally:
        closed.set()


async def closing_async(closed: threading.Event) -> AsyncIterator[str]:
    try:
        for word in ["a", "b"]:
            await asyncio.sleep(0)
            yield word
    finally:
        closed.set()


ENCODER_FAILURES = [
    # (the method that raises, whether `fail` raises too, what the client receives)
    ("open", False, "data: failed open broke\n\n"),
    ("close", False, "data: open\n\ndata: a\n\ndata: b\n\ndata: failed close broke\n\n"),
    ("encode", True, "data: open\n\n"),
    ("open", True, ""),
]


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    "case", ENCODER_FAILURES, ids=[f"{w}{'-and-fail' if b else ''}" for w, b, _ in ENCODER_FAILURES]
)
def test_an_encoder_that_raises_ends_the_stream_cleanly(
    kind: str, case: tuple[str, bool, str], live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    where, fail_breaks, expected = case
    closed = threading.Event()
    app = FastAPI()

    @app.get("/stream")
    async def stream() -> EventStreamResponse:
        source = closing_sync(closed) if kind == "sync" else closing_async(closed)
        return EventStreamResponse(source, BrokenEncoder(where, fail_breaks=fail_breaks))

    server = live_server(app)
    with caplog.at_level(logging.ERROR):
        response = httpx.get(f"{server.url}/stream", timeout=10)
    assert response.status_code == 200
    assert response.text == expected
    if where != "open":
        # A generator that never started has no `finally` to run.
        assert closed.wait(10), "the generator was not closed"
    for thread in [t for t in threading.enumerate() if t.name == "openai-compat-stream"]:
        thread.join(10)
        assert not thread.is_alive(), "a producer thread kept running"
    if fail_breaks:
        assert "The stream encoder could not report the failure" in caplog.text


# --- cancel_on_disconnect ---------------------------------------------------------------------------


async def test_cancel_on_disconnect_raises_the_callbacks_own_exception() -> None:
    router = new_api_router()

    class RefusedError(Exception):
        pass

    caught: list[BaseException] = []

    @router.get("/work")
    async def work(request: Request) -> dict[str, Any]:
        async def failing() -> str:
            raise RefusedError("no")

        try:
            await cancel_on_disconnect(request, failing())
        except Exception as exc:
            caught.append(exc)
            raise
        return {}

    app = FastAPI()
    app.include_router(router)
    response = await request(app, "GET", "/work")
    assert response.status_code == 500
    assert len(caught) == 1
    assert type(caught[0]) is RefusedError  # not wrapped in an ExceptionGroup


def test_a_sync_result_that_arrives_after_the_disconnect_is_dropped(live_server: Any) -> None:
    started, release, used, stopped, returned = (threading.Event() for _ in range(5))

    def slow() -> str:
        started.set()
        release.wait(10)
        return "late"

    router = new_api_router()

    @router.get("/slow")
    async def slow_route(request: Request) -> dict[str, Any]:
        try:
            result = await cancel_on_disconnect(request, ensure_async(slow)(), on_disconnect=stopped.set)
            used.set()
            return {"result": result}
        finally:
            returned.set()

    app = FastAPI()
    app.include_router(router)
    server = live_server(app)
    # The client sends its request, waits until the callback runs in its thread, then leaves.
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert started.wait(10), "the callback did not start"
    assert stopped.wait(10), "on_disconnect was not called"
    release.set()
    assert returned.wait(10)
    assert not used.is_set(), "the result of a departed client was used"


def test_callback_errors_lets_a_disconnect_through(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("test.hardening")
    with caplog.at_level(logging.ERROR), pytest.raises(ClientDisconnect), callback_errors("Work failed", log):
        raise ClientDisconnect
    assert caplog.records == []


# --- error text ------------------------------------------------------------------------------------


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no text")


def test_callback_failure_message_policy() -> None:
    assert callback_failure(KeyError("k"), "Work failed").message == "Work failed: 'k'"
    assert callback_failure(KeyError("k"), "Work failed", expose=False).message == "Work failed."
    unprintable = callback_failure(UnprintableError(), "Work failed").message
    assert unprintable.startswith("Work failed: ")
    assert "UnprintableError" not in unprintable


@pytest.mark.parametrize("expose", [True, False])
async def test_list_models_failures_follow_expose_errors(expose: bool) -> None:
    def broken() -> list[str]:
        raise RuntimeError("db at 10.0.0.1 down")

    app = FastAPI()
    app.include_router(create_models_router(list_models=broken, expose_errors=expose))
    response = await request(app, "GET", "/v1/models")
    assert response.status_code == 500
    expected = "Listing models failed: db at 10.0.0.1 down" if expose else "Listing models failed."
    assert response.json()["error"]["message"] == expected
    assert "RuntimeError" not in response.text
    with pytest.raises(Exception, match="Listing models failed") as raised:
        await ModelCatalog(broken, expose_errors=expose).names()
    assert ("10.0.0.1" in str(raised.value.detail)) is expose  # type: ignore[attr-defined]


def test_frames_stay_valid_json() -> None:
    frame = data_frame({"a": float("nan")})
    assert json.loads(frame[len(b"data: ") :]) == {"a": None}


async def test_a_running_sync_call_keeps_its_thread_slot_and_a_waiting_one_never_starts() -> None:
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens = limiter.total_tokens
    release, running = threading.Event(), threading.Event()
    started: list[int] = []

    def slow(number: int) -> int:
        started.append(number)
        running.set()
        release.wait(10)
        return number

    limiter.total_tokens = 1
    try:
        with anyio.fail_after(10):
            first = asyncio.ensure_future(ensure_async(slow)(1))
            assert await asyncio.to_thread(running.wait, 10), "the first call did not start"
            second = asyncio.ensure_future(ensure_async(slow)(2))  # waits for the one slot
            while limiter.statistics().tasks_waiting == 0:  # noqa: ASYNC110 - the limiter has no event for it
                await asyncio.sleep(0)
            # The running call cannot be stopped: it is left to finish, in its slot of the pool.
            assert cancel_unless_in_thread(first) is False
            assert limiter.borrowed_tokens == 1
            # The waiting one is called off and its task cancelled.
            assert cancel_unless_in_thread(second) is True
            with pytest.raises(asyncio.CancelledError):
                await second
            release.set()
            assert await first == 1
            assert limiter.borrowed_tokens == 0, "the finished call kept its slot"
        assert started == [1], "a call whose caller had gone started anyway"
    finally:
        limiter.total_tokens = tokens
