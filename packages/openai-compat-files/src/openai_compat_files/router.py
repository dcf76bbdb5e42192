"""Files API router factory: upload, list, retrieve, delete and download files through your callbacks."""

import inspect
import logging
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, Literal, Protocol, TypeAlias

from fastapi import APIRouter, Query, Request, params
from starlette.exceptions import HTTPException
from starlette.responses import Response, StreamingResponse

from openai_compat_core.bodies import declared_length
from openai_compat_core.callbacks import Callback, callable_accepts_kwarg, ensure_async, request_headers
from openai_compat_core.encoding import json_response
from openai_compat_core.errors import OpenAIHTTPException, callback_errors, callback_failure
from openai_compat_core.models import ErrorResponse
from openai_compat_core.routing import ERROR_RESPONSES, new_api_router
from openai_compat_core.telemetry import OnUsage, RequestTelemetry, RouterTelemetry
from openai_compat_files._multipart import (
    DATA,
    FORM_OVERHEAD,
    PART,
    FormReader,
    Part,
    Spool,
    body_too_large,
    fields_text,
    form_boundary,
    part_source,
)
from openai_compat_files.models import FileDeleted, FileList, FileObject
from openai_compat_files.uploads import FileTooLargeError, UploadStream

logger = logging.getLogger("fastapi_openai_compat.files")

DEFAULT_MAX_FILE_SIZE = 512 * 1024 * 1024
"""Default `max_file_size`: 512 MiB, OpenAI's own limit for one file."""

FileUploadResult: TypeAlias = FileObject | dict[str, Any]
"""What an upload (or a retrieve) callback returns: a `FileObject` or a dict of its shape."""

FileListResult: TypeAlias = FileList | dict[str, Any] | Iterable[FileObject | dict[str, Any]] | None
"""What `list_files` returns: the files (a list), or a whole page (`FileList` or a dict with `data`, `has_more`)."""

FileDeleteResult: TypeAlias = FileDeleted | FileObject | dict[str, Any] | bool | None
"""What `delete_file` returns: something truthy once deleted, `None` or `False` for an unknown id."""

FileContentResult: TypeAlias = bytes | Iterable[bytes] | AsyncIterable[bytes] | Response | None
"""What `retrieve_file_content` returns: the bytes, an (async) iterable of bytes, a Starlette response, or `None`."""


class RunFileUploadFn(Protocol):
    """Stores an upload handed over whole as `bytes`: the 1.4.0 signature. May be sync or async.

    Called as `run_file_upload(filename, content_type, content, purpose)`; it may also declare
    `fields` (every other form field, as `dict[str, str]`) and `headers` (the request headers).
    """

    def __call__(
        self, filename: str | None, content_type: str | None, content: bytes, purpose: str, /
    ) -> FileUploadResult | Awaitable[FileUploadResult]: ...


class StreamingFileUploadFn(Protocol):
    """Stores an upload while it is being received. May be sync (it then runs in a worker thread) or async.

    Any callback that declares a parameter named `file` (and none named `content`) is one of these.
    It is called with keyword arguments: `file` (an `UploadStream`) and, if it declares them,
    `purpose`, `filename`, `content_type`, `fields` and `headers`.
    """

    def __call__(self, *, file: UploadStream, purpose: str) -> FileUploadResult | Awaitable[FileUploadResult]: ...


class ListFilesFn(Protocol):
    """Lists files: called as `list_files(purpose, limit, after, order)`. May be sync or async.

    `purpose` filters (or is `None`), `after` is the id to list after (or `None`), `order` is
    `"asc"` or `"desc"` by creation time. Return at most `limit` files; return `limit + 1` to
    say that more follow (the router then answers `has_more: true` and drops the extra one).
    """

    def __call__(
        self, purpose: str | None, limit: int, after: str | None, order: str, /
    ) -> FileListResult | Awaitable[FileListResult]: ...


class RetrieveFileFn(Protocol):
    """Returns the `FileObject` (or a dict of its shape) with this id, or `None` when there is none."""

    def __call__(self, file_id: str, /) -> FileUploadResult | Awaitable[FileUploadResult | None] | None: ...


class DeleteFileFn(Protocol):
    """Deletes a file: returns something truthy (`True`, a `FileDeleted`, ...) or `None`/`False` if unknown."""

    def __call__(self, file_id: str, /) -> FileDeleteResult | Awaitable[FileDeleteResult]: ...


class RetrieveFileContentFn(Protocol):
    """Returns a file's content (bytes, an iterable or async iterable of bytes, a response) or `None`."""

    def __call__(self, file_id: str, /) -> FileContentResult | Awaitable[FileContentResult]: ...


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


def _wants_stream(fn: Callable[..., Any]) -> bool:
    """Tell whether an upload callback opted into streaming by declaring `file` (and not `content`)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    file_param = parameters.get("file")
    if file_param is None or "content" in parameters:
        return False
    if file_param.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
        return False
    # A 1.4.0 callback that called its bytes parameter `file` and said so keeps getting bytes.
    return file_param.annotation not in (bytes, "bytes")


def _file_not_found(file_id: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(
        404, f"No such File object: {file_id}", type="invalid_request_error", param="file_id", code="file_not_found"
    )


def _missing(param: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def _unsupported(callback: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(500, f"Unsupported response type from {callback}", type="server_error")


_NEW_OPTIONAL_FIELDS = ("expires_at", "status_details")


def _file_json(file: FileObject) -> dict[str, Any]:
    """Dump a file object; the fields 1.4.0 did not have are left out unless they were set."""
    data = file.model_dump(mode="json")
    for name in _NEW_OPTIONAL_FIELDS:
        if data.get(name) is None and name not in file.model_fields_set:
            del data[name]
    return data


def _list_json(page: FileList) -> dict[str, Any]:
    data = page.model_dump(mode="json")
    data["data"] = [_file_json(file) for file in page.data]
    return data


def _file_object(result: Any, callback: str, prefix: str, *, expose: bool = True) -> FileObject:
    if isinstance(result, FileObject):
        return result
    if isinstance(result, Mapping):
        with callback_errors(prefix, logger, expose=expose):
            return FileObject.model_validate(dict(result))
    raise _unsupported(callback)


def _file_list(result: Any, limit: int) -> FileList:
    if isinstance(result, FileList):
        page = result
    elif isinstance(result, Mapping):
        page = FileList.model_validate(dict(result))
    elif result is None:
        page = FileList()
    elif isinstance(result, Iterable) and not isinstance(result, str | bytes):
        items = [item if isinstance(item, FileObject) else FileObject.model_validate(item) for item in result]
        page = FileList(data=items[:limit], has_more=len(items) > limit)
    else:
        raise _unsupported("list_files")
    if page.data:
        if page.first_id is None:
            page.first_id = page.data[0].id
        if page.last_id is None:
            page.last_id = page.data[-1].id
    return page


def _deleted(result: Any, file_id: str) -> FileDeleted:
    if isinstance(result, FileDeleted):
        return result
    if isinstance(result, FileObject):
        return FileDeleted(id=result.id)
    if isinstance(result, Mapping):
        return FileDeleted.model_validate({"id": file_id, **result})
    if result is True:
        return FileDeleted(id=file_id)
    raise _unsupported("delete_file")


def _content_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, bytes | bytearray | memoryview):
        return Response(bytes(result), media_type="application/octet-stream")
    if isinstance(result, AsyncIterable) or (isinstance(result, Iterable) and not isinstance(result, str)):
        return StreamingResponse(result, media_type="application/octet-stream")
    raise _unsupported("retrieve_file_content")


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
                    raise _file_not_found(file_id)
                if observed is not None:
                    observed.answered(response_id=file_id)
                return answer(result, file_id)

        return await telemetry.run(_OPERATIONS[operation], work)

    return endpoint


class _Uploader:
    """Receives one upload and runs the callback in the style it asked for."""

    def __init__(
        self, run_file_upload: Callable[..., Any], max_file_size: int | None, *, expose_errors: bool = True
    ) -> None:
        self.expose_errors = expose_errors
        self.streaming = _wants_stream(run_file_upload)
        self.max_file_size = max_file_size
        self.max_body_size = None if max_file_size is None else max_file_size + FORM_OVERHEAD
        if self.streaming:
            self._stream_call = ensure_async(run_file_upload)
            self._stream_kwargs = frozenset(
                name
                for name in ("purpose", "filename", "content_type", "fields", "headers")
                if callable_accepts_kwarg(run_file_upload, name)
            )
        else:
            self._bytes_call = Callback(run_file_upload, optional=("fields", "headers"))

    async def handle(self, request: Request) -> FileObject:
        """Read the multipart body of `request`, call the callback, return the file object it made."""
        boundary = form_boundary(request.headers.get("content-type"))
        declared = declared_length(request.scope["headers"])
        if self.max_body_size is not None and declared is not None and declared > self.max_body_size:
            # Refused before reading anything.
            raise body_too_large(self.max_body_size, declared)
        reader = FormReader(request.stream(), boundary, max_body_size=self.max_body_size)
        spool: Spool | None = None
        try:
            fields: dict[str, bytes] = {}
            fields_size = 0
            file_part: Part | None = None
            while (event := await reader.next_event()) is not None:
                if event[0] != PART:
                    continue
                part: Part = event[1]
                if part.name == "file" and file_part is None:
                    file_part = part
                    if self.streaming and fields.get("purpose"):
                        # The usual order (the openai SDK sends every field before the file): stream it live.
                        return await self._stream_live(reader, part, fields, request)
                    # The callback needs every field first, or wants bytes: keep the file until the end.
                    spool = Spool()
                    while (data := await reader.next_event()) is not None and data[0] == DATA:
                        await spool.write(data[1])
                        if self.max_file_size is not None and spool.size > self.max_file_size:
                            raise FileTooLargeError(self.max_file_size)
                elif part.name is None or part.name == "file" or part.filename is not None or part.name in fields:
                    await reader.skip_part()
                else:
                    value = await reader.read_part(
                        limit=FORM_OVERHEAD - fields_size,
                        too_large=FileTooLargeError(
                            FORM_OVERHEAD,
                            message=f"The form fields besides the file are larger than {FORM_OVERHEAD} bytes.",
                            code="request_too_large",
                            param=part.name,
                        ),
                    )
                    fields_size += len(value)
                    fields[part.name] = value
            await reader.finish()
            if file_part is None or spool is None:
                raise _missing("file")
            if not fields.get("purpose"):
                raise _missing("purpose")
            if self.streaming:
                stream = UploadStream(
                    await spool.source(),
                    filename=file_part.filename,
                    content_type=file_part.content_type,
                    headers=file_part.headers,
                    max_size=self.max_file_size,
                    size=spool.size,
                )
                return await self._run_streaming(stream, fields, request)
            content = await spool.read_all()
            spool.close()
            text = fields_text(fields)
            with callback_errors("File upload failed", logger, expose=self.expose_errors):
                result = await self._bytes_call(
                    file_part.filename,
                    file_part.content_type,
                    content,
                    text["purpose"],
                    fields=text,
                    headers=request_headers(request.headers),
                )
            return _file_object(result, "run_file_upload", "File upload failed", expose=self.expose_errors)
        finally:
            if spool is not None:
                spool.close()
            await reader.aclose()

    async def _stream_live(
        self, reader: FormReader, part: Part, fields: dict[str, bytes], request: Request
    ) -> FileObject:
        stream = UploadStream(
            part_source(reader, max_size=self.max_file_size),
            filename=part.filename,
            content_type=part.content_type,
            headers=part.headers,
            max_size=self.max_file_size,
        )
        result = await self._run_streaming(stream, fields, request)
        await reader.finish()
        return result

    async def _run_streaming(self, stream: UploadStream, fields: dict[str, bytes], request: Request) -> FileObject:
        text = fields_text(fields)
        available: dict[str, Any] = {
            "purpose": text.get("purpose", ""),
            "filename": stream.filename,
            "content_type": stream.content_type,
            "fields": text,
        }
        kwargs = {name: value for name, value in available.items() if name in self._stream_kwargs}
        if "headers" in self._stream_kwargs:
            kwargs["headers"] = request_headers(request.headers)
        try:
            try:
                result = await self._stream_call(file=stream, **kwargs)
            except Exception as exc:
                # A failed upload is answered as such, whatever the callback made of the error.
                if stream.error is not None:
                    raise stream.error from exc
                if isinstance(exc, HTTPException):
                    raise
                logger.exception("File upload failed")
                raise callback_failure(exc, "File upload failed", expose=self.expose_errors) from exc
            # Whatever the callback did not read is received (and checked against the limit) and dropped.
            while await stream.read(256 * 1024):
                pass
        finally:
            stream.close()
        return _file_object(result, "run_file_upload", "File upload failed", expose=self.expose_errors)


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
    uploader = _Uploader(run_file_upload, max_file_size, expose_errors=expose_errors)
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
            return json_response(_file_json(file))

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
                    page = _file_list(result, limit)
                return json_response(_list_json(page))

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

    def file_json(result: Any, file_id: str) -> Response:
        file = _file_object(result, "retrieve_file", _FAILURES["retrieve"], expose=expose_errors)
        return json_response(_file_json(file))

    add_file_routes(
        "GET",
        "",
        retrieve_file,
        "retrieve",
        file_json,
        response_model=FileObject,
        summary="Retrieve file",
        description="Returns the file object with this id.",
    )
    add_file_routes(
        "DELETE",
        "",
        delete_file,
        "delete",
        lambda result, file_id: json_response(_deleted(result, file_id)),
        response_model=FileDeleted,
        summary="Delete file",
        description="Deletes the file with this id.",
    )
    add_file_routes(
        "GET",
        "/content",
        retrieve_file_content,
        "content",
        lambda result, file_id: _content_response(result),
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


__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DeleteFileFn",
    "FileContentResult",
    "FileDeleteResult",
    "FileListResult",
    "FileUploadResult",
    "ListFilesFn",
    "RetrieveFileContentFn",
    "RetrieveFileFn",
    "RunFileUploadFn",
    "StreamingFileUploadFn",
    "create_files_router",
]
