"""The route and router classes: what they add to a user's route (envelopes, limits, 405) and nothing else;
the router's path filter."""

import json
from collections.abc import AsyncIterator
from typing import Any

import fastapi.routing
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from openai_compat_core import new_api_router
from openai_compat_core.auth import APIKeyAuth


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str
    count: int = 1
    ratio: float | None = None


def echo_router(router: APIRouter) -> APIRouter:
    @router.post("/echo")
    async def echo(body: Body, request: Request) -> Response:
        # json.dumps: ASCII escapes carry the lone surrogates JSON allows.
        return Response(json.dumps(body.model_dump()), media_type="application/json")

    return router


def app_with(router: APIRouter, **include_options: Any) -> FastAPI:
    app = FastAPI()
    app.include_router(router, **include_options)
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
    {"content": b'{"name": "\\ud800"}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "name": "b", "x": 1, "x": [2]}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "big": ' + b"9" * 5000 + b"}", "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "ratio": 1e400}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a", "ratio": "0.5", "count": "7"}', "headers": {"content-type": "application/json"}},
    {"content": b'\xef\xbb\xbf{"name": "bom"}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "\xff"}', "headers": {"content-type": "application/json"}},
    {"content": b'{"name": "a"} trailing', "headers": {"content-type": "application/json"}},
    {"content": b' \n{"name": "a"}\n ', "headers": {"content-type": "application/json"}},
]


@pytest.mark.parametrize("request_options", REQUESTS)
async def test_a_users_route_accepts_exactly_what_fastapi_accepts(
    request_options: dict[str, Any], asgi_client: Any
) -> None:
    answers = []
    for router in (echo_router(new_api_router()), echo_router(APIRouter())):
        async with asgi_client(app_with(router)) as client:
            response = await client.post("/echo", **request_options)
        answers.append(response)
    ours, fastapis = answers
    assert ours.is_success == fastapis.is_success
    if fastapis.is_success:
        assert (ours.status_code, ours.content) == (fastapis.status_code, fastapis.content)
    else:
        # The same refusal, as OpenAI's envelope: validation errors are 400s naming the parameter.
        assert ours.status_code == (400 if fastapis.status_code == 422 else fastapis.status_code)
        assert set(ours.json()["error"]) == {"message", "type", "param", "code"}


async def test_a_refused_body_holding_nan_is_a_clean_400(asgi_client: Any) -> None:
    # FastAPI's own 422 answer cannot encode the NaN it echoes back; ours names the parameter.
    async with asgi_client(app_with(echo_router(new_api_router()))) as client:
        response = await client.post("/echo", content=b'{"name": NaN}', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "name"


@pytest.mark.parametrize("level", ["router", "include", "app"])
async def test_dependencies_at_every_level_run(level: str, asgi_client: Any) -> None:
    auth = [Depends(APIKeyAuth(["sk-test"]))]
    router = echo_router(new_api_router(dependencies=auth if level == "router" else None))
    app = FastAPI(dependencies=auth if level == "app" else None)
    app.include_router(router, dependencies=auth if level == "include" else None)
    async with asgi_client(app) as client:
        refused = await client.post("/echo", json={"name": "a"})
        accepted = await client.post("/echo", json={"name": "a"}, headers={"authorization": "Bearer sk-test"})
    assert refused.status_code == 401
    assert refused.json()["error"]["type"] == "authentication_error"
    assert accepted.status_code == 200


async def test_a_router_included_twice_keeps_the_dependencies_of_each_inclusion(asgi_client: Any) -> None:
    router = echo_router(new_api_router())
    app = FastAPI()
    app.include_router(router, prefix="/secure", dependencies=[Depends(APIKeyAuth(["sk-test"]))])
    app.include_router(router, prefix="/open")
    async with asgi_client(app) as client:
        for _ in range(2):  # whichever inclusion is served first
            assert (await client.post("/secure/echo", json={"name": "a"})).status_code == 401
            assert (await client.post("/open/echo", json={"name": "a"})).status_code == 200
            allowed = await client.post("/secure/echo", json={"name": "a"}, headers={"authorization": "Bearer sk-test"})
            assert allowed.status_code == 200


@pytest.mark.skipif(
    "max_body_size" not in fastapi.APIRouter.include_router.__code__.co_varnames,
    reason="this FastAPI has no body limit of its own",
)
async def test_fastapi_s_own_body_limit_on_an_inclusion_still_applies(asgi_client: Any) -> None:
    app = app_with(echo_router(new_api_router()), max_body_size=20)
    async with asgi_client(app) as client:
        assert (await client.post("/echo", json={"name": "a"})).status_code == 200
        refused = await client.post("/echo", json={"name": "a" * 50})
    assert refused.status_code == 413


async def pieces(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_body_arriving_in_pieces_is_read_whole(asgi_client: Any) -> None:
    async with asgi_client(app_with(echo_router(new_api_router()))) as client:
        body = pieces(b'{"na', b'me": "', b"x" * 3000, b'", "count": 2', b"}")
        answer = await client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert answer.json() == {"name": "x" * 3000, "count": 2, "ratio": None}


@pytest.mark.parametrize("depth_checked", [True, False])
async def test_a_body_without_declared_length_over_the_limit_is_refused_while_it_arrives(
    depth_checked: bool, asgi_client: Any
) -> None:
    router = echo_router(new_api_router(max_body_size=100, max_json_depth=128 if depth_checked else None))
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for index in range(1_000):
            sent.append(index)
            yield b"x" * 50

    async with asgi_client(app_with(router)) as client:
        answer = await client.post("/echo", content=endless(), headers={"content-type": "application/json"})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "request_too_large"
    assert len(sent) < 10  # refused after about 100 bytes, not after reading everything


# --- the router's path filter --------------------------------------------------------------------


# FastAPI versions from 0.137 ask an included router whether it matches; older ones copy its routes.
def _keeps_included_routers() -> bool:
    """Whether this FastAPI keeps an included router as one entry of the app's routes (0.137+).

    Older ones copy the router's routes into the app when it is included: a route added later is not served.
    """
    router = fastapi.APIRouter()
    router.add_api_route("/probe", lambda: None)
    app = fastapi.FastAPI()
    app.include_router(router)
    return not any(getattr(route, "path", None) == "/probe" for route in app.routes)


keeps_included_routers = pytest.mark.skipif(
    not _keeps_included_routers(), reason="this FastAPI copies an included router's routes into the app"
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


@keeps_included_routers
async def test_a_route_added_after_requests_is_served(asgi_client: Any) -> None:
    app, first, _ = two_router_app()
    async with asgi_client(app) as client:
        assert (await client.get("/v1/late")).status_code == 404

        @first.get("/v1/late")
        async def late() -> dict[str, bool]:
            return {"late": True}

        assert (await client.get("/v1/late")).json() == {"late": True}


@keeps_included_routers
async def test_a_router_holding_a_mount_is_not_filtered(asgi_client: Any) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Mount

    app, first, _ = two_router_app()
    first.routes.append(Mount("/static", app=PlainTextResponse("mounted")))
    async with asgi_client(app) as client:
        assert (await client.get("/static/file.txt")).text == "mounted"
        assert (await client.get("/v1/models/m")).json() == {"id": "m"}
