"""Files API router factory: upload, list, retrieve, delete and download files through your callbacks."""

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, params
from starlette.responses import Response, StreamingResponse

from openai_compat_core.callbacks import Callback, request_headers
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import callback_errors
from openai_compat_core.models import ErrorResponse
from openai_compat_core.routing import ERROR_RESPONSES, new_api_router
from openai_compat_core.telemetry import RequestTelemetry, RouterTelemetry
from openai_compat_core.usage import OnUsage
from openai_compat_files._answers import (
    content_response,
    deleted,
    file_json,
    file_list,
    file_not_found,
    file_object,
    list_json,
)
from openai_compat_files._uploader import Uploader
from openai_compat_files.callbacks import (
    DeleteFileFn,
    ListFilesFn,
    RetrieveFileContentFn,
    RetrieveFileFn,
    RunFileUploadFn,
    StreamingFileUploadFn,
)
from openai_compat_files.models import FileDeleted, FileList, FileObject

logger = logging.getLogger("fastapi_openai_compat.files")

DEFAULT_MAX_FILE_SIZE = 512 * 1024 * 1024
"""Default `max_file_size`: 512 MiB, OpenAI's own limit for one file."""

_UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "title": "FileUpload",
                "type": "object",
                "required": ["file", "purpose"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The file to upload."},
                    "purpose": {
                        "type": "string",
                        "minLength": 1,
                        "description": "What the file is for.",
                        "examples": ["user_data", "assistants", "batch", "fine-tune", "vision", "evals"],
                    },
                },
            }
        }
    },
}

_NOT_FOUND_RESPONSE: dict[str, Any] = {"model": ErrorResponse, "description": "No file has this id."}


_FAILURES = {
    "retrieve": "Retrieving file failed",
    "delete": "Deleting file failed",
    "content": "Retrieving file content failed",
}

# The `gen_ai.operation.name` (and `UsageRecord.operation`) of each route.
_OPERATIONS = {
    "create": "upload_file",
    "list": "list_files",
    "retrieve": "retrieve_file",
    "delete": "delete_file",
    "content": "retrieve_file_content",
}


def _file_id_endpoint(
    callback: Callable[..., Any],
    answer: Callable[[Any, str], Response],
    operation: str,
    telemetry: RouterTelemetry,
    *,
    expose_errors: bool,
) -> Callable[..., Awaitable[Response]]:
    """The endpoint of a route about one file: call `callback(file_id)`; `None` or `False` is a 404, else `answer`."""
    call = Callback(callback, optional=("headers",))
    failure = _FAILURES[operation]

    async def endpoint(request: Request, file_id: str) -> Response:
        async def work(observed: RequestTelemetry | None) -> Response:
            with callback_errors(failure, logger, expose=expose_errors):
                result = await call(file_id, headers=request_headers(request.headers))
                if result is None or result is False:
                    raise file_not_found(file_id)
                if observed is not None:
                    observed.answered(response_id=file_id)
                return answer(result, file_id)

        return await telemetry.run(_OPERATIONS[operation], work)

    return endpoint


def create_files_router(
    *,
    run_file_upload: RunFileUploadFn | StreamingFileUploadFn,
    tags: list[str] | None = None,
    list_files: ListFilesFn | None = None,
    retrieve_file: RetrieveFileFn | None = None,
    delete_file: DeleteFileFn | None = None,
    retrieve_file_content: RetrieveFileContentFn | None = None,
    max_file_size: int | None = DEFAULT_MAX_FILE_SIZE,
    dependencies: Sequence[params.Depends] | None = None,
    expose_errors: bool = True,
    on_usage: OnUsage | None = None,
) -> APIRouter:
    """Create a router serving OpenAI's Files API through your callbacks.

    Routes (each also without the `/v1` prefix): `POST /v1/files` always; `GET /v1/files`,
    `GET /v1/files/{file_id}`, `DELETE /v1/files/{file_id}` and `GET /v1/files/{file_id}/content`
    only when their callback is given. Every callback may be sync (run in the thread pool) or async,
    and may declare a `headers` parameter to receive the request headers.

    Uploads are parsed as they arrive. A `run_file_upload` with the 1.4.0 signature
    `(filename, content_type, content, purpose)` gets the whole file as `bytes` (kept on disk, not in
    memory, until it is complete). One that declares a parameter named `file` instead gets an
    `UploadStream` to read while the file is still arriving: see `StreamingFileUploadFn`.

    Args:
        run_file_upload: stores an upload; returns a `FileObject` or a dict of its shape.
        tags: OpenAPI tags (default `["openai"]`).
        list_files: `(purpose, limit, after, order)` -> the files (see `ListFilesFn`).
        retrieve_file: `(file_id)` -> the `FileObject`, or `None` for an unknown id (404).
        delete_file: `(file_id)` -> truthy once deleted, `None`/`False` for an unknown id (404).
        retrieve_file_content: `(file_id)` -> the content, or `None` for an unknown id (404).
        max_file_size: largest file accepted, in bytes (default 512 MiB; `None`: no limit). A larger
            upload is refused with 413 while it is received, before anything past the limit is read.
        dependencies: FastAPI dependencies applied to every route, e.g. an API-key check.
        expose_errors: when a callback raises (anything but an `HTTPException`), answer
            `<what failed>: <message>` (for example `File upload failed: disk full`, the 1.x text and
            the default), or with `False` only `File upload failed.`. Tracebacks and exception types
            are never sent; they go to the `fastapi_openai_compat.files` logger.
        on_usage: called once per finished request with a `UsageRecord` whose operation is
            `upload_file`, `list_files`, `retrieve_file`, `delete_file` or `retrieve_file_content`
            (`response_id` the file's id); sync or async, after the answer, never changing it (its
            exceptions are logged). Requests are also recorded as OpenTelemetry spans and metrics
            when an OpenTelemetry SDK is configured (see `openai_compat_core.telemetry`).

    Callbacks that declare `headers` receive all request headers, credentials included
    (`authorization` carries the client's API key): never log or forward them blindly.

    Returns:
        An `APIRouter` to include in your app.

    Raises:
        ValueError: `max_file_size` is negative.
    """
    if max_file_size is not None and max_file_size < 0:
        raise ValueError(f"max_file_size must be a number of bytes >= 0 or None, not {max_file_size}")
    uploader = Uploader(run_file_upload, max_file_size, expose_errors=expose_errors)
    telemetry = RouterTelemetry(_OPERATIONS["create"], on_usage=on_usage, logger=logger)
    route_tags: list[str | Any] = list(tags or ["openai"])
    # The upload route enforces its own limit as the body streams in, so the generic body limit is off.
    router = new_api_router(dependencies=dependencies, max_body_size=None)

    upload_params: dict[str, Any] = {
        "response_model": FileObject,
        "tags": route_tags,
        "summary": "Upload file",
        "description": (
            "Uploads a file in an OpenAI-compatible format. Intended for use with clients calling "
            "`files.create(...)`. The body is `multipart/form-data` with the fields `file` and `purpose`."
        ),
        "openapi_extra": {"requestBody": _UPLOAD_BODY},
        "responses": {
            200: {"description": "File uploaded successfully."},
            400: ERROR_RESPONSES[400],
            413: {"model": ErrorResponse, "description": "The file is larger than `max_file_size`."},
            500: {"model": ErrorResponse, "description": "File upload callback failed or returned unsupported data."},
        },
    }

    @router.post("/v1/files", **upload_params, operation_id="openai_files_create")
    @router.post("/files", **upload_params, operation_id="openai_files_create_alias")
    async def create_file(request: Request) -> Response:
        async def work(observed: RequestTelemetry | None) -> Response:
            file = await uploader.handle(request)
            if observed is not None:
                observed.answered(response_id=file.id)
            return json_response(file_json(file))

        return await telemetry.run(_OPERATIONS["create"], work)

    if list_files is not None:
        list_callback = Callback(list_files, optional=("headers",))
        list_params: dict[str, Any] = {
            "response_model": FileList,
            "tags": route_tags,
            "summary": "List files",
            "description": "Returns a page of files, newest first unless `order=asc`.",
            "responses": {400: ERROR_RESPONSES[400], 500: ERROR_RESPONSES[500]},
        }

        @router.get("/v1/files", **list_params, operation_id="openai_files_list")
        @router.get("/files", **list_params, operation_id="openai_files_list_alias")
        async def get_files(
            request: Request,
            purpose: str | None = None,
            limit: Annotated[int, Query(ge=1, le=10000)] = 10000,
            after: str | None = None,
            order: Literal["asc", "desc"] = "desc",
        ) -> Response:
            async def work(observed: RequestTelemetry | None) -> Response:
                with callback_errors("Listing files failed", logger, expose=expose_errors):
                    result = await list_callback(purpose, limit, after, order, headers=request_headers(request.headers))
                    page = file_list(result, limit)
                return json_response(list_json(page))

            return await telemetry.run(_OPERATIONS["list"], work)

    def add_file_routes(
        method: str,
        suffix: str,
        callback: Callable[..., Any] | None,
        operation: str,
        answer: Callable[[Any, str], Response],
        **route_params: Any,
    ) -> None:
        if callback is None:
            return
        endpoint = _file_id_endpoint(callback, answer, operation, telemetry, expose_errors=expose_errors)
        responses = {**route_params.pop("responses", {}), 404: _NOT_FOUND_RESPONSE, 500: ERROR_RESPONSES[500]}
        for prefix, alias in (("/v1", ""), ("", "_alias")):
            router.add_api_route(
                f"{prefix}/files/{{file_id}}{suffix}",
                endpoint,
                methods=[method],
                tags=route_tags,
                operation_id=f"openai_files_{operation}{alias}",
                responses=responses,
                **route_params,
            )

    def retrieved(result: Any, file_id: str) -> Response:
        file = file_object(result, "retrieve_file", _FAILURES["retrieve"], expose=expose_errors)
        return json_response(file_json(file))

    add_file_routes(
        "GET",
        "",
        retrieve_file,
        "retrieve",
        retrieved,
        response_model=FileObject,
        summary="Retrieve file",
        description="Returns the file object with this id.",
    )
    add_file_routes(
        "DELETE",
        "",
        delete_file,
        "delete",
        lambda result, file_id: json_response(deleted(result, file_id)),
        response_model=FileDeleted,
        summary="Delete file",
        description="Deletes the file with this id.",
    )
    add_file_routes(
        "GET",
        "/content",
        retrieve_file_content,
        "content",
        lambda result, file_id: content_response(result),
        summary="Retrieve file content",
        description="Returns the content of the file with this id.",
        response_class=StreamingResponse,
        responses={
            200: {
                "description": "The file's bytes.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    return router


__all__ = ["DEFAULT_MAX_FILE_SIZE", "create_files_router"]
