import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import openai
import pytest
from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel

from openai_compat_core import APIKeyAuth, OpenAIHTTPException, create_models_router, new_api_router
from openai_compat_core.errors import callback_errors

log = logging.getLogger("test.callbacks")


class Body(BaseModel):
    model: str
    messages: list[dict[str, Any]]
    temperature: float | None = None


class ShouldRetryError(Exception):
    should_retry = True


def build_app(*, max_body_size: int | None = 1024, prefix: str = "") -> tuple[FastAPI, dict[str, int]]:
    calls = {"callback": 0}
    router = new_api_router(max_body_size=max_body_size)

    @router.post("/v1/chat/completions")
    async def create(body: Body) -> dict[str, Any]:
        calls["callback"] += 1
        kind = body.messages[0].get("content") if body.messages else None
        with callback_errors("Pipeline execution failed", log):
            if kind == "boom":
                raise ValueError("the pipeline broke")
            if kind == "retry":
                raise ShouldRetryError("try again")
            if kind == "teapot":
                raise HTTPException(status_code=418, detail="I'm a teapot", headers={"x-extra": "1"})
            if kind == "dict-detail":
                raise HTTPException(status_code=409, detail={"reason": "conflict"})
            if kind == "custom":
                raise OpenAIHTTPException(429, "Slow down", type="rate_limit_error", code="rate_limit_exceeded")
        if kind == "bug":
            raise KeyError("internal secret")
        return {"ok": True, "model": body.model}

    @router.post("/v1/upload-ish")
    async def stream_body(body: Body) -> dict[str, Any]:
        return {"ok": True}

    app = FastAPI()
    app.include_router(router, prefix=prefix)
    return app, calls


def ok_body(content: str = "hi") -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": content}]}


def assert_envelope(response: httpx.Response, status: int, type_: str, param: Any = None, code: Any = None) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"}
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == type_
    assert error["param"] == param
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    return body


async def test_success_passes_through(asgi_client: Any) -> None:
    app, _ = build_app()
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", json=ok_body())
    assert response.json() == {"ok": True, "model": "m"}


@pytest.mark.parametrize(
    ("payload", "param", "code"),
    [
        ({"model": "m"}, "messages", "missing_required_parameter"),
        ({"messages": []}, "model", "missing_required_parameter"),
        ({"model": "m", "messages": "not a list"}, "messages", "invalid_type"),
        ({"model": "m", "messages": ["not an object"]}, "messages[0]", "invalid_type"),
        ({"model": "m", "messages": [], "temperature": "hot"}, "temperature", "invalid_type"),
        ([1, 2], None, "invalid_body"),
    ],
)
async def test_validation_errors_are_400_naming_the_parameter(
    payload: Any, param: Any, code: str, asgi_client: Any
) -> None:
    app, calls = build_app()
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", json=payload)
    body = assert_envelope(response, 400, "invalid_request_error", param=param, code=code)
    if param:
        assert param in body["error"]["message"]
    # 1.x clients read FastAPI's error list under `detail`.
    assert isinstance(body["detail"], list)
    assert body["detail"][0]["loc"][0] == "body"
    assert calls["callback"] == 0


@pytest.mark.parametrize(
    ("content", "headers", "code"),
    [
        (b'{"model": "m", "messages": [', {"content-type": "application/json"}, "invalid_json"),
        (b"", {"content-type": "application/json"}, "invalid_body"),
        (b'{"model": "m", "messages": []}', {"content-type": "text/plain"}, "invalid_body"),
    ],
)
async def test_malformed_bodies_are_400(content: bytes, headers: dict[str, str], code: str, asgi_client: Any) -> None:
    app, _ = build_app()
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", content=content, headers=headers)
    assert_envelope(response, 400, "invalid_request_error", code=code)


async def test_non_utf8_body_is_400(asgi_client: Any) -> None:
    app, _ = build_app()
    async with asgi_client(app) as client:
        response = await client.post(
            "/v1/chat/completions", content=b'{"model": "\xff\xfe"}', headers={"content-type": "application/json"}
        )
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


async def test_callback_failure_is_500_without_retry(asgi_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = build_app()
    with caplog.at_level(logging.ERROR, logger="test.callbacks"):
        async with asgi_client(app) as client:
            response = await client.post("/v1/chat/completions", json=ok_body("boom"))
    body = assert_envelope(response, 500, "server_error")
    assert body["detail"] == "Pipeline execution failed: the pipeline broke"
    assert body["error"]["message"] == body["detail"]
    assert response.headers["x-should-retry"] == "false"
    assert any(r.exc_info for r in caplog.records if r.name == "test.callbacks")


async def test_callback_can_ask_for_a_retry(asgi_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = build_app()
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", json=ok_body("retry"))
    assert response.status_code == 500
    assert response.headers["x-should-retry"] == "true"


async def test_http_exceptions_keep_status_detail_and_headers(asgi_client: Any) -> None:
    app, _ = build_app()
    async with asgi_client(app) as client:
        teapot = await client.post("/v1/chat/completions", json=ok_body("teapot"))
        conflict = await client.post("/v1/chat/completions", json=ok_body("dict-detail"))
        custom = await client.post("/v1/chat/completions", json=ok_body("custom"))
    body = assert_envelope(teapot, 418, "invalid_request_error")
    assert body["detail"] == "I'm a teapot" == body["error"]["message"]
    assert teapot.headers["x-extra"] == "1"
    assert "x-should-retry" not in teapot.headers
    assert conflict.json()["detail"] == {"reason": "conflict"}
    assert "conflict" in conflict.json()["error"]["message"]
    assert_envelope(custom, 429, "rate_limit_error", code="rate_limit_exceeded")


async def test_unexpected_errors_do_not_leak_internals(asgi_client: Any, caplog: pytest.LogCaptureFixture) -> None:
    app, _ = build_app()
    with caplog.at_level(logging.ERROR):
        async with asgi_client(app) as client:
            response = await client.post("/v1/chat/completions", json=ok_body("bug"))
    assert_envelope(response, 500, "server_error")
    assert "secret" not in response.text
    assert response.headers["x-should-retry"] == "false"
    assert any("internal secret" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


async def test_envelopes_work_under_a_prefix_in_a_users_app(asgi_client: Any) -> None:
    app, _ = build_app(prefix="/api")
    async with asgi_client(app) as client:
        response = await client.post("/api/v1/chat/completions", json={"model": "m"})
    assert_envelope(response, 400, "invalid_request_error", param="messages", code="missing_required_parameter")


async def test_body_over_the_limit_is_413_by_content_length(asgi_client: Any) -> None:
    app, calls = build_app(max_body_size=1024)
    big = ok_body("x" * 2000)
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", json=big)
    assert_envelope(response, 413, "invalid_request_error", code="request_too_large")
    assert calls["callback"] == 0


async def test_chunked_body_over_the_limit_is_413_while_received(asgi_client: Any) -> None:
    app, calls = build_app(max_body_size=1024)
    sent = {"bytes": 0}

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"model": "m", "messages": [{"content": "'
        for _ in range(100):
            sent["bytes"] += 512
            yield b"x" * 512
        yield b'"}]}'

    async with asgi_client(app) as client:
        response = await client.post(
            "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"}
        )
    assert_envelope(response, 413, "invalid_request_error", code="request_too_large")
    assert calls["callback"] == 0


async def test_no_limit_when_disabled(asgi_client: Any) -> None:
    app, _ = build_app(max_body_size=None)
    async with asgi_client(app) as client:
        response = await client.post("/v1/chat/completions", json=ok_body("x" * 5000))
    assert response.status_code == 200


def test_openai_sdk_maps_envelopes_to_its_exceptions(live_server: Callable[[Any], Any]) -> None:
    app, calls = build_app()
    app.include_router(create_models_router(list_models=lambda: ["m"]))
    server = live_server(app)
    # Closed at the end: an open client socket collected later fails another test with a ResourceWarning.
    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=2) as client:
        with pytest.raises(openai.InternalServerError) as failed:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "boom"}])
        assert failed.value.status_code == 500
        assert (
            "Pipeline execution failed: the pipeline broke" in failed.value.message
        )  # SDKs before 3.x prefix the body
        assert isinstance(failed.value.body, dict)
        assert failed.value.body["message"] == "Pipeline execution failed: the pipeline broke"
        assert calls["callback"] == 1, "the SDK retried a failing pipeline"

        with pytest.raises(openai.BadRequestError) as bad:
            client.chat.completions.create(model="m", messages="nope")  # type: ignore[arg-type]
        assert bad.value.param == "messages"
        assert bad.value.code == "invalid_type"

        with pytest.raises(openai.NotFoundError) as missing:
            client.models.retrieve("unknown")
        assert missing.value.code == "model_not_found"
        assert client.models.retrieve("m").id == "m"
        assert [m.id for m in client.models.list()] == ["m"]


@pytest.fixture
def secured_app() -> FastAPI:
    app = FastAPI()
    app.include_router(
        create_models_router(list_models=lambda: ["m"], dependencies=[Depends(APIKeyAuth(["sk-right", "sk-other"]))])
    )
    return app


async def test_api_key_dependency(secured_app: FastAPI, asgi_client: Any) -> None:
    async with asgi_client(secured_app) as client:
        missing = await client.get("/v1/models")
        wrong = await client.get("/v1/models", headers={"authorization": "Bearer sk-wrong"})
        basic = await client.get("/v1/models", headers={"authorization": "Basic abc"})
        right = await client.get("/v1/models", headers={"authorization": "Bearer sk-right"})
        other = await client.get("/v1/models/m", headers={"authorization": "Bearer sk-other"})
    assert_envelope(missing, 401, "authentication_error", code="missing_api_key")
    assert_envelope(wrong, 401, "authentication_error", code="invalid_api_key")
    assert_envelope(basic, 401, "authentication_error", code="missing_api_key")
    assert "sk-wrong" not in wrong.text
    assert right.status_code == 200
    assert other.json()["id"] == "m"


def test_api_key_from_environment_and_refusal_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_COMPAT_API_KEYS", "sk-a, sk-b")
    auth = APIKeyAuth()
    assert auth.is_valid("sk-a")
    assert auth.is_valid("sk-b")
    assert not auth.is_valid("sk-c")
    monkeypatch.delenv("OPENAI_COMPAT_API_KEYS")
    with pytest.raises(ValueError, match="at least one key"):
        APIKeyAuth()


def test_api_key_rejected_by_the_sdk(secured_app: FastAPI, live_server: Callable[[Any], Any]) -> None:
    server = live_server(secured_app)
    with (
        openai.OpenAI(base_url=server.base_url, api_key="sk-wrong") as wrong,
        pytest.raises(openai.AuthenticationError) as rejected,
    ):
        wrong.models.list()
    assert rejected.value.code == "invalid_api_key"
    with openai.OpenAI(base_url=server.base_url, api_key="sk-right") as right:
        assert [m.id for m in right.models.list()] == ["m"]
