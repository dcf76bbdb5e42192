"""The performance work left the documented API alone: the OpenAPI schema is what plain FastAPI routes give.

The routes answer with a pre-encoded `Response` and a fast path that skips FastAPI's handler, the
models routes are added to the API routers directly instead of through a nested router, and the
`/v1` routes come first. None of that may change what `/docs` shows: the same operations, request
and response bodies, and component schemas as routes declared the ordinary way.
"""

from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from openai_compat_chat import ChatCompletion, ChatRequest, create_chat_completion_router
from openai_compat_core import create_models_router
from openai_compat_core import errors as core_errors
from openai_compat_responses import Response, ResponseRequest, create_responses_router


def list_models() -> list[str]:
    return ["m"]


def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
    return "hi"


def our_app() -> FastAPI:
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run))
    app.include_router(create_responses_router(list_models=list_models, run_response=run))
    return app


def nested_app() -> FastAPI:
    """The 1.x layout: a models router included, then the chat routes; responses alone."""
    chat = APIRouter()
    chat.include_router(create_models_router(list_models=list_models, operation_id_prefix="openai"))
    chat.include_router(
        create_chat_completion_router(list_models=list_models, run_completion=run, include_models_endpoints=False)
    )
    app = FastAPI()
    app.include_router(chat)
    app.include_router(create_responses_router(list_models=list_models, run_response=run))
    return app


def test_the_fast_path_changes_nothing_in_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = our_app().openapi()
    monkeypatch.setattr(core_errors, "fast_json_handler", lambda handler: None)
    assert our_app().openapi() == fast


def test_flat_routers_document_what_nested_routers_documented() -> None:
    ours = our_app().openapi()
    nested = nested_app().openapi()
    # Same paths, operations and components (JSON objects are unordered; only the order differs).
    assert set(ours["paths"]) == set(nested["paths"])
    assert ours == nested
    assert ours["paths"]["/v1/models/{model}"]["get"]["operationId"] == "openai_retrieve_model"


def reference_components(request_model: Any, response_model: Any) -> dict[str, Any]:
    """The component schemas FastAPI makes for an ordinary route with these request and response models."""
    app = FastAPI()

    @app.post("/reference", response_model=response_model)
    def reference(body: request_model) -> Any:  # type: ignore[valid-type]
        return None

    components: dict[str, Any] = app.openapi()["components"]["schemas"]
    return components


@pytest.mark.parametrize(
    ("path", "request_model", "response_model"),
    [
        ("/v1/chat/completions", ChatRequest, ChatCompletion),
        ("/chat/completions", ChatRequest, ChatCompletion),
        ("/v1/responses", ResponseRequest, Response),
        ("/responses", ResponseRequest, Response),
    ],
)
def test_api_routes_document_their_request_and_response_models(
    path: str, request_model: Any, response_model: Any
) -> None:
    schema = our_app().openapi()
    operation = schema["paths"][path]["post"]
    request_name, response_name = request_model.__name__, response_model.__name__
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": f"#/components/schemas/{request_name}"}
    ok = operation["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": f"#/components/schemas/{response_name}"}
    assert "text/event-stream" in ok
    reference = reference_components(request_model, response_model)
    for name in (request_name, response_name):
        assert schema["components"]["schemas"][name] == reference[name], name
