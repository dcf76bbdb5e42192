"""The models router (`/v1/models`, `/v1/models/{model}`) and the model catalogue behind it."""

import logging
import time
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, params
from starlette.convertors import PathConvertor, register_url_convertor

from openai_compat_core.callbacks import ListModelsFn, ensure_async
from openai_compat_core.errors import callback_errors, model_not_found
from openai_compat_core.models import ErrorResponse, ModelObject, ModelsResponse
from openai_compat_core.routing import ERROR_RESPONSES, new_api_router

logger = logging.getLogger("openai_compat_core.models")


class _ModelIdConvertor(PathConvertor):
    """Like Starlette's `path`, but also matching line breaks, so that no model id falls outside our routes."""

    regex = r"[\s\S]*"


# A distinct name: Starlette's own `path` convertor is left as it is for everyone else.
register_url_convertor("openai_model_id", _ModelIdConvertor())


class ModelCatalog:
    """The models a `list_models` callback serves, as names, as model objects, or as a check.

    `list_models` may be sync (run in the thread pool) or async and returns an iterable of names.
    When it raises, the answer is a 500 `Listing models failed: <message>` (`expose_errors=False`:
    `Listing models failed.`, without the exception's text).
    """

    def __init__(self, list_models: ListModelsFn, *, owned_by: str = "custom", expose_errors: bool = True) -> None:
        self._list_models = ensure_async(list_models)
        self.owned_by = owned_by
        self.expose_errors = expose_errors

    async def names(self) -> list[str]:
        """Call `list_models` and return the names as strings."""
        with callback_errors("Listing models failed", logger, expose=self.expose_errors):
            raw = await self._list_models()
        return [str(name) for name in raw] if raw else []

    def model_object(self, name: str, created: int) -> ModelObject:
        """Build the model object for one name."""
        return ModelObject(id=name, name=name, object="model", created=created, owned_by=self.owned_by)

    async def models(self) -> ModelsResponse:
        """Return the body of `GET /v1/models`."""
        created = int(time.time())
        return ModelsResponse(data=[self.model_object(name, created) for name in await self.names()], object="list")

    async def require(self, model: str) -> None:
        """Raise the OpenAI 404 `model_not_found` error unless `list_models` returns `model`."""
        if model not in await self.names():
            raise model_not_found(model)


def _operation_id(prefix: str, suffix: str) -> str:
    prefix = prefix.strip()
    return f"{prefix}_{suffix}" if prefix else suffix


def create_models_router(
    *,
    list_models: ListModelsFn,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    operation_id_prefix: str = "openai",
    dependencies: Sequence[params.Depends] | None = None,
    expose_errors: bool = True,
) -> APIRouter:
    """Create a router serving the OpenAI models endpoints.

    Routes: `GET /v1/models` and `GET /models` (the list), `GET /v1/models/{model}` and
    `GET /models/{model}` (one model, or 404 `model_not_found`). Model ids may contain `/`.

    Args:
        list_models: returns the names of the models you serve; sync or async.
        owned_by: the `owned_by` of every model object.
        tags: OpenAPI tags (default `["openai"]`).
        operation_id_prefix: prefix of the OpenAPI operation ids (`openai_models`, ...).
        dependencies: FastAPI dependencies applied to every route, e.g. an API-key check.
        expose_errors: when `list_models` raises, put its message in the 500 answer (the 1.x
            behaviour); `False` answers `Listing models failed.` only. The traceback is logged either way.

    Returns:
        An `APIRouter` to include in your app.
    """
    router = new_api_router(dependencies=dependencies)
    add_models_routes(
        router,
        list_models=list_models,
        owned_by=owned_by,
        tags=tags,
        operation_id_prefix=operation_id_prefix,
        expose_errors=expose_errors,
    )
    return router


def add_models_routes(
    router: APIRouter,
    *,
    list_models: ListModelsFn,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    operation_id_prefix: str = "openai",
    expose_errors: bool = True,
) -> None:
    """Add the routes of `create_models_router` to `router` itself (they take its dependencies).

    An API router that also serves the models endpoints adds them this way rather than including a
    models router: FastAPI matches every request against each included router's routes in turn, and
    one level of nesting less is measurably cheaper on every request the API router serves.
    """
    catalog = ModelCatalog(list_models, owned_by=owned_by, expose_errors=expose_errors)
    route_tags: list[str | Any] = list(tags or ["openai"])

    list_params: dict[str, Any] = {
        "response_model": ModelsResponse,
        "tags": route_tags,
        "summary": "List models",
        "description": "Returns the available models (deployed pipelines) in OpenAI's format.",
        "responses": {500: ERROR_RESPONSES[500]},
    }

    @router.get("/v1/models", **list_params, operation_id=_operation_id(operation_id_prefix, "models"))
    @router.get("/models", **list_params, operation_id=_operation_id(operation_id_prefix, "models_alias"))
    async def get_models() -> ModelsResponse:
        return await catalog.models()

    get_params: dict[str, Any] = {
        "response_model": ModelObject,
        "tags": route_tags,
        "summary": "Retrieve model",
        "description": "Returns one model, or 404 `model_not_found` when `list_models` does not name it.",
        "responses": {404: {"model": ErrorResponse, "description": "Unknown model."}, 500: ERROR_RESPONSES[500]},
    }

    @router.get(
        "/v1/models/{model:openai_model_id}",
        **get_params,
        operation_id=_operation_id(operation_id_prefix, "retrieve_model"),
    )
    @router.get(
        "/models/{model:openai_model_id}",
        **get_params,
        operation_id=_operation_id(operation_id_prefix, "retrieve_model_alias"),
    )
    async def get_model(model: str) -> ModelObject:
        await catalog.require(model)
        return catalog.model_object(model, int(time.time()))


__all__ = ["ModelCatalog", "add_models_routes", "create_models_router"]
