"""The embeddings router factory: `POST /v1/embeddings` (and `/embeddings`)."""

# No `from __future__ import annotations` here: FastAPI must resolve the endpoint's annotations.

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from fastapi import APIRouter, params
from starlette.requests import Request
from starlette.responses import Response

from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.pipeline import Pipeline
from openai_compat_core.pipeline_router import PipelineRoute, model_check, pipeline_router
from openai_compat_core.semconv import read_integer
from openai_compat_core.telemetry import current_request
from openai_compat_core.usage import OnUsage
from openai_compat_embeddings.encoding import PiecesResponse, encode_embeddings_pieces
from openai_compat_embeddings.models import EmbeddingRequest, EmbeddingResponse
from openai_compat_embeddings.validation import (
    Inputs,
    check_dimensions,
    check_encoding_format,
    check_input,
    check_request,
)
from openai_compat_embeddings.vectors import Vectors, vectors_from_result

logger = logging.getLogger("fastapi_openai_compat.embeddings")


class RunEmbeddings(Protocol):
    """Your callback: `run_embeddings(model, inputs, body)`, sync or async, returning the vectors.

    - `model`: the request's model name;
    - `inputs`: one entry per input: the texts, or the lists of token ids exactly as sent (a request
      with one text or one list of token ids gives a list of one);
    - `body`: the whole request as a dict (`input` as sent, `dimensions`, `encoding_format`, `user`
      and any field this library does not know).

    Return one vector per input, in input order: a list of lists of floats, a 2-D numpy array (or
    anything with the buffer protocol or `tolist()`), Haystack embedder output, or an
    `EmbeddingResult` that also reports token usage. A callback that also declares a `headers`
    parameter (or `**kwargs`) is called with `headers=` the request headers (lower-cased names).
    Sync callbacks run in the thread pool.
    """

    def __call__(self, model: str, inputs: Inputs, body: dict[str, Any], /) -> Any: ...


class RunEmbeddingsWithHeaders(Protocol):
    """`run_embeddings(model, inputs, body, headers=...)`: also receives the request headers (lower-cased names)."""

    def __call__(self, model: str, inputs: Inputs, body: dict[str, Any], /, *, headers: dict[str, str]) -> Any: ...


RunEmbeddingsFn = RunEmbeddings | RunEmbeddingsWithHeaders
"""The type of `run_embeddings`: the three-argument form, or one that also takes `headers` (or `**kwargs`)."""


def _token_count(inputs: Inputs) -> int:
    """Tokens in token-id inputs (what OpenAI reports as usage); 0 for texts, which only the model can count."""
    return sum(len(item) for item in inputs if not isinstance(item, str))


def _fit(vectors: Vectors, dimensions: int | None, model: str) -> Vectors:
    """Vectors of the requested length: longer ones shortened (cut, then scaled to unit length)."""
    if dimensions is None or dimensions == vectors.dimensions:
        return vectors
    if dimensions > vectors.dimensions:
        raise OpenAIHTTPException(
            400,
            f"Invalid value for 'dimensions': the model `{model}` gives {vectors.dimensions} dimensions; "
            f"ask for at most {vectors.dimensions}.",
            param="dimensions",
            code="invalid_value",
        )
    return vectors.shortened(dimensions)


_ROUTE = PipelineRoute(
    path="/embeddings",
    operation_id="openai_embeddings",
    summary="Create embeddings",
    description="Embeds the input (texts or token ids) for OpenAI embeddings API clients.",
    response_model=EmbeddingResponse,
    models_prefix="embeddings_openai",
)


class EmbeddingsPipeline(Pipeline[EmbeddingRequest]):
    """The embeddings part of core's request pipeline: OpenAI's checks, the callback's arguments, the answer.

    Every result is one whole answer (embeddings are never streamed).
    """

    request_model = EmbeddingRequest
    operation = "embeddings"

    async def serve(self, parsed: EmbeddingRequest, request: Request) -> Response:
        # OpenAI's checks come first: a request it would refuse never reaches the hooks.
        check_request(parsed)
        return await super().serve(parsed, request)

    def arguments(self, request: EmbeddingRequest, body: dict[str, Any]) -> tuple[Any, ...]:
        # Checked again: the pre-hook may have replaced the input.
        return (request.model, check_input(request.input), body)

    def request_attributes(self, request: EmbeddingRequest) -> dict[str, Any]:
        out: dict[str, Any] = {}
        dimensions = read_integer(request.dimensions)
        if dimensions is not None:
            out["gen_ai.embeddings.dimension.count"] = dimensions
        if isinstance(request.encoding_format, str):
            out["gen_ai.request.encoding_formats"] = (request.encoding_format,)
        return out

    async def answer(self, result: Any, parsed: EmbeddingRequest, body: dict[str, Any], request: Request) -> Response:
        return self.answer_json(result, parsed, body)

    def answer_json(self, result: Any, request: EmbeddingRequest, body: dict[str, Any]) -> Response:
        inputs = check_input(request.input)
        vectors, usage = vectors_from_result(result, len(inputs))
        vectors = _fit(vectors, check_dimensions(request.dimensions), request.model)
        if usage is None:
            prompt = total = _token_count(inputs)
        else:
            prompt, total = usage["prompt_tokens"], usage["total_tokens"]
        telemetry = current_request()
        if telemetry is not None:
            # Texts are counted by the model only: without its report, their usage is unknown (not 0).
            known = usage is not None or not any(isinstance(item, str) for item in inputs)
            answered = {"prompt_tokens": prompt, "total_tokens": total} if known else None
            telemetry.answered(response_model=request.model, usage=answered)
        pieces = encode_embeddings_pieces(
            vectors,
            model=request.model,
            encoding_format=check_encoding_format(request.encoding_format),
            prompt_tokens=prompt,
            total_tokens=total,
        )
        return PiecesResponse(pieces)


def create_embeddings_router(
    *,
    run_embeddings: RunEmbeddingsFn,
    list_models: ListModelsFn | None = None,
    pre_hook: PreHook | None = None,
    post_hook: PostHook | None = None,
    owned_by: str = "custom",
    tags: list[str] | None = None,
    include_models_endpoints: bool = False,
    dependencies: Sequence[params.Depends] | None = None,
    validate_model: bool = False,
    max_body_size: int | None = DEFAULT_MAX_BODY_SIZE,
    expose_errors: bool = True,
    on_usage: OnUsage | None = None,
) -> APIRouter:
    """Create a router serving OpenAI's embeddings API from your `run_embeddings` callback.

    Routes: `POST /v1/embeddings` and `POST /embeddings`; with `include_models_endpoints=True` also the
    models endpoints (`GET /v1/models`, `GET /v1/models/{model}` and their aliases).

    The request is checked as OpenAI checks it (400 naming the parameter: an empty input, more than
    2,048 inputs, an unknown `encoding_format`, `dimensions` below 1), then `run_embeddings(model,
    inputs, body)` runs (see `RunEmbeddings`). With `encoding_format: "base64"` (the `openai`
    SDK's default) each vector is sent as its little-endian float32 bytes in base64, otherwise as
    numbers. With `dimensions`, longer vectors are cut to that length and scaled back to unit length,
    as OpenAI's shortened embeddings are (vectors of exactly that length are sent as they are; asking
    for more dimensions than the model gives is a 400). A result that is not one vector per input,
    all of one length, is a 500 naming the problem.

    Args:
        run_embeddings: your callback, `(model, inputs, body)`; sync or async.
        list_models: returns the names of the models you serve; sync or async. Needed by
            `include_models_endpoints` and `validate_model`.
        pre_hook: called with the `EmbeddingRequest`; returns a replacement or `None` to keep it.
        post_hook: called with the callback's result; returns a replacement or `None` to keep it.
        owned_by: `owned_by` of the model objects (with `include_models_endpoints`).
        tags: OpenAPI tags (default `["openai"]`).
        include_models_endpoints: also serve the models endpoints. Off by default so that this router
            can sit next to a chat router or a models router in one app.
        dependencies: FastAPI dependencies for every route, e.g. `[Depends(APIKeyAuth())]`.
        validate_model: answer 404 `model_not_found` when `list_models` does not name the request's
            model (checked after `pre_hook`); off by default, the callback decides.
        max_body_size: request body limit in bytes (`None` for none); larger bodies get 413.
        expose_errors: when a hook or `run_embeddings` raises (anything but an `HTTPException`), answer
            `Pipeline execution failed: <message>` (the default), or with `False` only
            `Pipeline execution failed.`. Tracebacks go to the `fastapi_openai_compat.embeddings` logger.
        on_usage: called once per finished request (completed, failed or the client gone) with a
            `UsageRecord` (operation `embeddings`, `usage` as answered: `prompt_tokens` and
            `total_tokens`); sync or async, after the answer, never changing it (its exceptions are
            logged). Requests are also recorded as OpenTelemetry spans and metrics when an
            OpenTelemetry SDK is configured (see `openai_compat_core.telemetry`).

    A callback refuses a request (an input over its model's token limit, say) by raising
    `OpenAIHTTPException` (or FastAPI's `HTTPException`), which is answered with its status and message.
    If the client disconnects first, an async `run_embeddings` is cancelled; a sync one cannot be
    interrupted and its result is dropped.

    Returns:
        An `APIRouter` to include in your app.

    Raises:
        ValueError: `include_models_endpoints` or `validate_model` without `list_models`.
    """
    if list_models is None and (include_models_endpoints or validate_model):
        raise ValueError("include_models_endpoints and validate_model need list_models")
    pipeline = EmbeddingsPipeline(
        callback=run_embeddings,
        pre_hook=pre_hook,
        post_hook=post_hook,
        catalog=model_check(list_models, validate_model, owned_by=owned_by, expose_errors=expose_errors),
        logger=logger,
        expose_errors=expose_errors,
        max_body_size=max_body_size,
        on_usage=on_usage,
    )
    return pipeline_router(
        pipeline,
        _ROUTE,
        models=list_models if include_models_endpoints else None,
        owned_by=owned_by,
        tags=tags,
        dependencies=dependencies,
        max_body_size=max_body_size,
        expose_errors=expose_errors,
    )


__all__ = [
    "EmbeddingsPipeline",
    "RunEmbeddings",
    "RunEmbeddingsFn",
    "RunEmbeddingsWithHeaders",
    "create_embeddings_router",
]
