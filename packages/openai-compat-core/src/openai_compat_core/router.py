"""The models router (`/v1/models`), the model catalogue behind it, and the router base every API uses."""

import logging
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, params
from starlette._utils import get_route_path
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.routing import BaseRoute, Match, Route, WebSocketRoute
from starlette.types import Scope

from openai_compat_core.callbacks import ensure_async
from openai_compat_core.errors import (
    DEFAULT_MAX_BODY_SIZE,
    callback_errors,
    model_not_found,
    route_class_with,
)
from openai_compat_core.models import ErrorResponse, ModelObject, ModelsResponse

logger = logging.getLogger("openai_compat_core.models")

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "Invalid request."},
    401: {"model": ErrorResponse, "description": "Missing or wrong API key (when an auth dependency is set)."},
    413: {"model": ErrorResponse, "description": "Request body too large."},
    500: {"model": ErrorResponse, "description": "The callback failed."},
}
"""OpenAPI documentation of the error answers our routes share."""


class _ModelIdConvertor(PathConvertor):
    """Like Starlette's `path`, but also matching line breaks, so that no model id falls outside our routes."""

    regex = r"[\s\S]*"


# A distinct name: Starlette's own `path` convertor is left as it is for everyone else.
register_url_convertor("openai_model_id", _ModelIdConvertor())


_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _suffix_filter(routes: Sequence[BaseRoute]) -> "re.Pattern[str] | None":
    """One pattern found at the end of every path one of `routes` can match, wherever they are included.

    A router included under a prefix serves `prefix + path`, whose end the route's own pattern
    matches (Starlette anchors it with `$`). None when some route is not a plain path route (a
    mount, a host, a nested router) or the patterns cannot be combined: then nothing is filtered.
    """
    patterns = []
    for route in routes:
        regex = getattr(route, "path_regex", None)
        if not isinstance(route, (Route, WebSocketRoute)) or not isinstance(regex, re.Pattern):
            return None
        pattern = regex.pattern
        if not (pattern.startswith("^") and pattern.endswith("$")):
            return None
        # Parameter names repeat between routes; the filter only needs to find a match, not name it.
        patterns.append(f"(?:{_NAMED_GROUP.sub('(?:', pattern[1:])})")
    if not patterns:
        return None
    try:
        return re.compile("|".join(patterns))
    except re.error:
        return None


class OpenAIAPIRouter(APIRouter):
    """An `APIRouter` that turns away a request none of its routes can serve with one pattern search.

    FastAPI (0.137 and later) keeps an included router as a unit and asks it, for every request the
    routers included before it did not take, whether one of its routes matches, trying them one by
    one: in an app serving chat and Responses, each Responses request first visits every chat route.
    This router first looks for any of its paths at the end of the request's path (the routes'
    own patterns, combined once and again whenever the routes change); when none is there, no
    route of it can match, and it answers so at once. Otherwise FastAPI matches as always. With
    FastAPI versions that copy an included router's routes into the app, nothing changes.
    """

    _path_filter: "tuple[tuple[BaseRoute, ...], re.Pattern[str] | None]" = ((), None)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """FastAPI's answer, or at once `Match.NONE` when no path of this router ends the request's path."""
        if scope["type"] == "http":
            routes = tuple(self.routes)
            known, path_filter = self._path_filter
            if known != routes:
                path_filter = _suffix_filter(routes)
                self._path_filter = (routes, path_filter)
            if path_filter is not None and path_filter.search(get_route_path(scope)) is None:
                return Match.NONE, {}
        parent: Any = super()
        result: tuple[Match, Scope] = parent.matches(scope)
        return result


def new_api_router(
    *,
    dependencies: Sequence[params.Depends] | None = None,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
) -> APIRouter:
    """Create an `APIRouter` whose routes answer errors with OpenAI's envelope.

    The router is an `OpenAIAPIRouter`: a request for a path it does not serve costs it one pattern search.

    Args:
        dependencies: FastAPI dependencies applied to every route (for example `Depends(APIKeyAuth())`).
        max_body_size: request body limit in bytes (`None` for no limit); larger bodies get 413.
    """
    return OpenAIAPIRouter(
        route_class=route_class_with(max_body_size=max_body_size), dependencies=list(dependencies or [])
    )


class ModelCatalog:
    """The models a `list_models` callback serves, as names, as model objects, or as a check.

    `list_models` may be sync (run in the thread pool) or async and returns an iterable of names.
    When it raises, the answer is a 500 `Listing models failed: <message>` (`expose_errors=False`:
    `Listing models failed.`, without the exception's text).
    """

    def __init__(
        self, list_models: Callable[..., Any], *, owned_by: str = "custom", expose_errors: bool = True
    ) -> None:
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
    list_models: Callable[..., Any],
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
    list_models: Callable[..., Any],
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
        if model not in await catalog.names():
            raise model_not_found(model)
        return catalog.model_object(model, int(time.time()))


__all__ = [
    "ERROR_RESPONSES",
    "ModelCatalog",
    "OpenAIAPIRouter",
    "add_models_routes",
    "create_models_router",
    "new_api_router",
]
