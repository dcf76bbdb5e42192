"""What a failing pipeline, an API key or a forwarded header may reveal, for every router.

The message policy: when user code (a hook, a callback, `list_models`, a generator mid-stream) raises
anything but an `HTTPException`, the client gets a 500 (or, once a stream has started, the stream's
error frame / `response.failed`) whose message is `"<what failed>: <str(exception)>"` by default,
the 1.x text, or only `"<what failed>."` with `expose_errors=False`. Never a traceback, a file
path, or the exception's class; those go to the router's logger. An `HTTPException` raised on
purpose is sent as it is.
"""

import hmac
import json
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import APIKeyAuth
from openai_compat_core import auth as auth_module
from openai_compat_files import FileObject, create_files_router
from openai_compat_responses import create_responses_router

SECRET = "password=hunter2 host=10.1.2.3"


class SecretBackendError(RuntimeError):
    """An exception whose class name and message must not reach clients that should not see them."""


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise ValueError("no text for you")


def fail(*_: Any, **__: Any) -> Any:
    raise SecretBackendError(SECRET)


async def fail_async(*_: Any, **__: Any) -> Any:
    raise SecretBackendError(SECRET)


def sync_stream_failing(*_: Any) -> Iterator[str]:
    yield "partial "
    raise SecretBackendError(SECRET)


async def async_stream_failing(*_: Any) -> AsyncIterator[str]:
    yield "partial "
    raise SecretBackendError(SECRET)


def ok(*_: Any) -> str:
    return "fine"


LEAKS = ("Traceback", 'File "', "SecretBackendError", "RuntimeError", "UnprintableError", "ValueError", ".py")


def assert_no_internals(text: str, *, expose: bool) -> None:
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} reached the client: {text[:500]}"
    if not expose:
        assert "hunter2" not in text
        assert "10.1.2.3" not in text


# (api, where) -> router options, the request, and the message prefix.
CHAT_FAILURES: dict[str, dict[str, Any]] = {
    "callback": {"run_completion": fail},
    "async callback": {"run_completion": fail_async},
    "pre_hook": {"run_completion": ok, "pre_hook": fail},
    "post_hook": {"run_completion": ok, "post_hook": fail_async},
    "list_models": {"run_completion": ok, "validate_model": True, "list_models": fail},
}
RESPONSES_FAILURES = {
    "callback": {"run_response": fail},
    "async callback": {"run_response": fail_async},
    "pre_hook": {"run_response": ok, "pre_hook": fail},
    "post_hook": {"run_response": ok, "post_hook": fail_async},
    "list_models": {"run_response": ok, "validate_model": True, "list_models": fail},
    "collected sync generator": {"run_response": lambda *a: sync_stream_failing()},
    "collected async generator": {"run_response": lambda *a: async_stream_failing()},
}


def chat_app(expose: bool, **options: Any) -> FastAPI:
    app = FastAPI()
    options.setdefault("list_models", lambda: ["m"])
    app.include_router(create_chat_completion_router(expose_errors=expose, **options))
    return app


def responses_app(expose: bool, **options: Any) -> FastAPI:
    app = FastAPI()
    options.setdefault("list_models", lambda: ["m"])
    app.include_router(create_responses_router(include_models_endpoints=True, expose_errors=expose, **options))
    return app


async def post(app: FastAPI, path: str, payload: dict[str, Any], **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        return await client.post(path, json=payload, **kwargs)


def expected_message(prefix: str, expose: bool) -> str:
    return f"{prefix}: {SECRET}" if expose else f"{prefix}."


@pytest.mark.parametrize("expose", [True, False])
@pytest.mark.parametrize("where", sorted(CHAT_FAILURES))
async def test_chat_failures_follow_the_message_policy(
    where: str, expose: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = chat_app(expose, **CHAT_FAILURES[where])
    with caplog.at_level(logging.ERROR):
        response = await post(
            app, "/v1/chat/completions", {"model": "m", "messages": [{"role": "user", "content": "x"}]}
        )
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "false"
    prefix = "Listing models failed" if where == "list_models" else "Pipeline execution failed"
    error = response.json()["error"]
    assert error["message"] == expected_message(prefix, expose)
    assert error["type"] == "server_error"
    assert response.json()["detail"] == error["message"]
    assert_no_internals(response.text, expose=expose)
    # The traceback is not lost: it is in the log.
    assert any(r.exc_info and r.exc_info[0] is SecretBackendError for r in caplog.records)


@pytest.mark.parametrize("expose", [True, False])
@pytest.mark.parametrize("where", sorted(RESPONSES_FAILURES))
async def test_responses_failures_follow_the_message_policy(where: str, expose: bool) -> None:
    app = responses_app(expose, **RESPONSES_FAILURES[where])
    response = await post(app, "/v1/responses", {"model": "m", "input": "x"})
    assert response.status_code == 500
    prefix = "Listing models failed" if where == "list_models" else "Pipeline execution failed"
    assert response.json()["error"]["message"] == expected_message(prefix, expose)
    assert_no_internals(response.text, expose=expose)


def sse_payloads(text: str) -> list[Any]:
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and "[DONE]" not in line]


@pytest.mark.parametrize("expose", [True, False])
@pytest.mark.parametrize("generator", [sync_stream_failing, async_stream_failing], ids=["sync", "async"])
async def test_a_chat_stream_that_fails_midway_follows_the_message_policy(generator: Any, expose: bool) -> None:
    app = chat_app(expose, run_completion=lambda *a: generator())
    payload = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    response = await post(app, "/v1/chat/completions", payload)
    assert response.status_code == 200
    errors = [p["error"] for p in sse_payloads(response.text) if "error" in p]
    assert len(errors) == 1
    assert errors[0]["message"] == expected_message("Pipeline execution failed", expose)
    assert_no_internals(response.text, expose=expose)


@pytest.mark.parametrize("expose", [True, False])
@pytest.mark.parametrize("generator", [sync_stream_failing, async_stream_failing], ids=["sync", "async"])
async def test_a_responses_stream_that_fails_midway_follows_the_message_policy(generator: Any, expose: bool) -> None:
    app = responses_app(expose, run_response=lambda *a: generator())
    response = await post(app, "/v1/responses", {"model": "m", "input": "x", "stream": True})
    assert response.status_code == 200
    failed = [p for p in sse_payloads(response.text) if p["type"] == "response.failed"]
    assert len(failed) == 1
    assert failed[0]["response"]["error"]["message"] == expected_message("Pipeline execution failed", expose)
    assert_no_internals(response.text, expose=expose)


@pytest.mark.parametrize("expose", [True, False])
async def test_the_models_endpoint_follows_the_message_policy(expose: bool) -> None:
    app = chat_app(expose, run_completion=ok, list_models=fail)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get("/v1/models")
    assert response.status_code == 500
    assert response.json()["error"]["message"] == expected_message("Listing models failed", expose)
    assert_no_internals(response.text, expose=expose)


def files_app(expose: bool, callback: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(
        create_files_router(
            run_file_upload=callback,
            list_files=callback,
            retrieve_file=callback,
            delete_file=callback,
            retrieve_file_content=callback,
            expose_errors=expose,
        )
    )
    return app


def streaming_upload(*, file: Any, purpose: str) -> FileObject:
    raise SecretBackendError(SECRET)


FILE_REQUESTS = [
    ("POST", "/v1/files", "File upload failed"),
    ("GET", "/v1/files", "Listing files failed"),
    ("GET", "/v1/files/file-1", "Retrieving file failed"),
    ("DELETE", "/v1/files/file-1", "Deleting file failed"),
    ("GET", "/v1/files/file-1/content", "Retrieving file content failed"),
]


@pytest.mark.parametrize("expose", [True, False])
@pytest.mark.parametrize("callback", [fail, fail_async], ids=["sync", "async"])
@pytest.mark.parametrize(("method", "path", "prefix"), FILE_REQUESTS)
async def test_files_failures_follow_the_message_policy(
    method: str, path: str, prefix: str, callback: Any, expose: bool
) -> None:
    app = files_app(expose, callback)
    files = {"file": ("a.txt", b"hello", "text/plain")} if method == "POST" else None
    data = {"purpose": "assistants"} if method == "POST" else None
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.request(method, path, files=files, data=data)
    assert response.status_code == 500
    assert response.json()["error"]["message"] == expected_message(prefix, expose)
    assert_no_internals(response.text, expose=expose)


@pytest.mark.parametrize("expose", [True, False])
async def test_a_streaming_upload_failure_follows_the_message_policy(expose: bool) -> None:
    app = FastAPI()
    app.include_router(create_files_router(run_file_upload=streaming_upload, expose_errors=expose))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.post(
            "/v1/files", files={"file": ("a.txt", b"hello", "text/plain")}, data={"purpose": "assistants"}
        )
    assert response.status_code == 500
    assert response.json()["error"]["message"] == expected_message("File upload failed", expose)
    assert_no_internals(response.text, expose=expose)


async def test_an_exception_without_printable_text_reveals_nothing_either() -> None:
    def unprintable(*_: Any) -> str:
        raise UnprintableError

    app = chat_app(True, run_completion=unprintable)
    response = await post(app, "/v1/chat/completions", {"model": "m", "messages": []})
    assert response.status_code == 500
    assert response.json()["error"]["message"].startswith("Pipeline execution failed: ")
    assert_no_internals(response.text, expose=True)

    stream_app = responses_app(True, run_response=lambda *a: (_ for _ in ()).throw(UnprintableError()))
    streamed = await post(stream_app, "/v1/responses", {"model": "m", "input": "x", "stream": True})
    assert_no_internals(streamed.text, expose=True)


async def test_an_http_exception_raised_on_purpose_is_sent_as_it_is() -> None:
    from fastapi import HTTPException

    def refuse(*_: Any) -> str:
        raise HTTPException(status_code=429, detail="Too many requests for this pipeline")

    for expose in (True, False):
        response = await post(
            chat_app(expose, run_completion=refuse), "/v1/chat/completions", {"model": "m", "messages": []}
        )
        assert response.status_code == 429
        assert response.json()["error"]["message"] == "Too many requests for this pipeline"


# --- API keys ---------------------------------------------------------------------------------------

KEYS = ["sk-live-aaaaaaaaaaaaaaaaaaaa", "sk-live-bbbbbbbbbbbbbbbbbbbb", "sk-live-cccccccccccccccccccc"]


def test_every_key_is_compared_in_constant_time_whatever_is_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[int, int]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", counting)
    auth = APIKeyAuth(KEYS)
    candidates = [*KEYS, "sk-live-a", KEYS[0] + "x", KEYS[2][:-1] + "d", "", "x" * 10_000, "é" * 3]
    for candidate in candidates:
        compared.clear()
        assert auth.is_valid(candidate) is (candidate in KEYS)
        # The same work for every candidate: all keys compared, always as fixed-size digests, through
        # hmac.compare_digest, so neither a matching prefix nor the key's length changes the timing.
        assert compared == [(32, 32)] * len(KEYS), candidate


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        if record.exc_info:
            self.lines.append(logging.Formatter().formatException(record.exc_info))


def test_api_keys_never_reach_logs_or_answers(live_server: Any) -> None:
    seen_headers: list[dict[str, str]] = []

    def run_completion(model: str, messages: list[Any], body: dict[str, Any], headers: dict[str, str]) -> str:
        seen_headers.append(headers)
        if model == "broken":
            raise SecretBackendError("failed")
        return "ok"

    app = FastAPI()
    app.include_router(
        create_chat_completion_router(
            list_models=lambda: ["m"],
            run_completion=run_completion,
            dependencies=[Depends(APIKeyAuth(KEYS))],
        )
    )
    handler = Collect()
    names = ["", "uvicorn", "uvicorn.error", "uvicorn.access", "fastapi", "openai_compat_core", "fastapi_openai_compat"]
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    server = live_server(app)
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    wrong = "sk-live-wrong-wrong-wrong-wrong"
    answers = []
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            for key, model in [(KEYS[1], "m"), (wrong, "m"), (KEYS[0], "broken"), ("", "m")]:
                answers.append(
                    client.post(
                        "/v1/chat/completions",
                        json={"model": model, "messages": []},
                        headers={"authorization": f"Bearer {key}"} if key else {},
                    )
                )
            answers.append(client.get("/v1/models", headers={"authorization": f"Basic {wrong}"}))
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert [a.status_code for a in answers] == [200, 401, 500, 401, 401]
    logged = "\n".join(handler.lines)
    assert logged, "nothing was logged: the check would prove nothing"
    for key in [*KEYS, wrong]:
        assert key not in logged
        for answer in answers:
            assert key not in answer.text
            assert all(key not in value for value in answer.headers.values())
    # Header forwarding passes the credentials to user code, as documented.
    assert seen_headers[0]["authorization"] == f"Bearer {KEYS[1]}"
