"""The callbacks of the Files router: their types, and what each may return."""

from collections.abc import AsyncIterable, Awaitable, Iterable
from typing import Any, Protocol, TypeAlias

from starlette.responses import Response

from openai_compat_files.models import FileDeleted, FileList, FileObject
from openai_compat_files.uploads import UploadStream

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


__all__ = [
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
]
