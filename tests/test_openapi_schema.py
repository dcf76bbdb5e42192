"""The documented API: what `/docs` and `/openapi.json` show for our routes.

Our endpoints read and validate their bodies themselves (public API only) and document them with
`openapi_extra`, the models routes are added to the API routers directly instead of through a nested
router, and the `/v1` routes come first. `/docs` still shows every operation, each request body with
its model's full schema, and the response models as FastAPI documents them.
"""

import json
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from openai_compat_chat import ChatCompletion, ChatRequest, create_chat_completion_router
from openai_compat_core import create_models_router
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


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


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
    assert operation["requestBody"]["required"] is True
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    # The model's own schema, self-contained: no reference into the app's components. (FastAPI writes
    # the document without null values, as it does for every schema: `"default": null` goes.)
    assert body == without_nulls(request_model.model_json_schema())
    assert "$ref" not in json.dumps(body)
    ok = operation["responses"]["200"]["content"]
    assert ok["application/json"]["schema"] == {"$ref": f"#/components/schemas/{response_name}"}
    assert "text/event-stream" in ok
    reference = reference_components(request_model, response_model)
    assert schema["components"]["schemas"][response_name] == reference[response_name]
    assert request_name not in schema["components"]["schemas"]
