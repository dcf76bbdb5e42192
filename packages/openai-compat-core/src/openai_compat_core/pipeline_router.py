"""The router every API factory builds around its pipeline: its create route, documented, and the models routes."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, params

from openai_compat_core.bodies import request_body_openapi
from openai_compat_core.callbacks import ListModelsFn
from openai_compat_core.models import ErrorResponse
from openai_compat_core.models_router import ModelCatalog, add_models_routes
from openai_compat_core.pipeline import Pipeline
from openai_compat_core.routing import ERROR_RESPONSES, new_api_router


@dataclass(frozen=True)
class PipelineRoute:
    """How one API's create route is served and documented.

    `path` (for example `/chat/completions`) is served under `/v1` and, as in 1.x, without it; the
    operation ids are `operation_id` and `<operation_id>_alias`. `responses` documents the answers
    besides the errors every route shares; `models_prefix` prefixes the operation ids of the models
    routes when the router serves them.
    """

    path: str
    operation_id: str
    summary: str
    description: str
    response_model: Any
    models_prefix: str
    responses: dict[int | str, dict[str, Any]] = field(default_factory=dict)


def model_check(
    list_models: ListModelsFn | None, validate_model: bool, *, owned_by: str, expose_errors: bool
) -> ModelCatalog | None:
    """The catalogue a request's model must be in, with `validate_model`; None without it."""
    if not validate_model or list_models is None:
        return None
    return ModelCatalog(list_models, owned_by=owned_by, expose_errors=expose_errors)


def pipeline_router(
    pipeline: Pipeline[Any],
    route: PipelineRoute,
    *,
    models: ListModelsFn | None,
    owned_by: str,
    tags: list[str] | None,
    dependencies: Sequence[params.Depends] | None,
    max_body_size: int | None,
    expose_errors: bool,
    extra_routes: Callable[[APIRouter, list[Any]], None] | None = None,
) -> APIRouter:
    """An `APIRouter` serving `pipeline` at `route`, then `extra_routes(router, tags)`, then the models routes.

    Args:
        pipeline: the API's pipeline; its `endpoint` serves the route, its request model documents the body.
        route: the path and documentation of the route.
        models: serve the models routes from this `list_models` (added to this router itself, so they
            take its dependencies, after the routes most requests take); None for none.
        owned_by: the `owned_by` of the model objects.
        tags: OpenAPI tags of every route (default `["openai"]`).
        dependencies: FastAPI dependencies of every route.
        max_body_size: request body limit in bytes (`None`: none).
        expose_errors: put the message of a failing `list_models` in its 500.
        extra_routes: adds the API's other routes to the router (given the router and the tags).
    """
    route_tags: list[Any] = list(tags or ["openai"])
    router = new_api_router(dependencies=dependencies, max_body_size=max_body_size)
    responses = {**route.responses, **ERROR_RESPONSES}
    if pipeline.catalog is not None:
        responses[404] = {"model": ErrorResponse, "description": "Unknown model (with `validate_model=True`)."}
    route_params: dict[str, Any] = {
        "methods": ["POST"],
        "response_model": route.response_model,
        "tags": route_tags,
        "summary": route.summary,
        "description": route.description,
        "responses": responses,
        "openapi_extra": request_body_openapi(pipeline.request_model),
    }
    # `/v1` first: FastAPI tries a request on every route before the one that matches.
    for path, operation_id in ((f"/v1{route.path}", route.operation_id), (route.path, f"{route.operation_id}_alias")):
        router.add_api_route(path, pipeline.endpoint, operation_id=operation_id, **route_params)
    if extra_routes is not None:
        extra_routes(router, route_tags)
    if models is not None:
        add_models_routes(
            router,
            list_models=models,
            owned_by=owned_by,
            tags=route_tags,
            operation_id_prefix=route.models_prefix,
            expose_errors=expose_errors,
        )
    return router


__all__ = ["PipelineRoute", "model_check", "pipeline_router"]
