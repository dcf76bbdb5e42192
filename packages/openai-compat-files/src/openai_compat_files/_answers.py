"""What the Files router answers: callback results turned into file objects, pages and contents, and its errors."""

import logging
from collections.abc import AsyncIterable, Iterable, Mapping
from typing import Any

from starlette.responses import Response, StreamingResponse

from openai_compat_core.errors import OpenAIHTTPException, callback_errors
from openai_compat_files.models import FileDeleted, FileList, FileObject

logger = logging.getLogger("fastapi_openai_compat.files")


def file_not_found(file_id: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(
        404, f"No such File object: {file_id}", type="invalid_request_error", param="file_id", code="file_not_found"
    )


def missing(param: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(
        400, f"Missing required parameter: '{param}'.", param=param, code="missing_required_parameter"
    )


def unsupported(callback: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(500, f"Unsupported response type from {callback}", type="server_error")


_NEW_OPTIONAL_FIELDS = ("expires_at", "status_details")


def file_json(file: FileObject) -> dict[str, Any]:
    """Dump a file object; the fields 1.4.0 did not have are left out unless they were set."""
    data = file.model_dump(mode="json")
    for name in _NEW_OPTIONAL_FIELDS:
        if data.get(name) is None and name not in file.model_fields_set:
            del data[name]
    return data


def list_json(page: FileList) -> dict[str, Any]:
    data = page.model_dump(mode="json")
    data["data"] = [file_json(file) for file in page.data]
    return data


def file_object(result: Any, callback: str, prefix: str, *, expose: bool = True) -> FileObject:
    if isinstance(result, FileObject):
        return result
    if isinstance(result, Mapping):
        with callback_errors(prefix, logger, expose=expose):
            return FileObject.model_validate(dict(result))
    raise unsupported(callback)


def file_list(result: Any, limit: int) -> FileList:
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
        raise unsupported("list_files")
    if page.data:
        if page.first_id is None:
            page.first_id = page.data[0].id
        if page.last_id is None:
            page.last_id = page.data[-1].id
    return page


def deleted(result: Any, file_id: str) -> FileDeleted:
    if isinstance(result, FileDeleted):
        return result
    if isinstance(result, FileObject):
        return FileDeleted(id=result.id)
    if isinstance(result, Mapping):
        return FileDeleted.model_validate({"id": file_id, **result})
    if result is True:
        return FileDeleted(id=file_id)
    raise unsupported("delete_file")


def content_response(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, bytes | bytearray | memoryview):
        return Response(bytes(result), media_type="application/octet-stream")
    if isinstance(result, AsyncIterable) or (isinstance(result, Iterable) and not isinstance(result, str)):
        return StreamingResponse(result, media_type="application/octet-stream")
    raise unsupported("retrieve_file_content")


__all__ = [
    "content_response",
    "deleted",
    "file_json",
    "file_list",
    "file_not_found",
    "file_object",
    "list_json",
    "missing",
    "unsupported",
]
