"""OpenAI-compatible Files endpoints (``/v1/files``) for FastAPI.

`create_files_router` serves uploads (streamed, with a size limit), listing, retrieval, deletion and
downloads through callbacks of yours; `FileObject` is what they return.
"""

from openai_compat_files.callbacks import (
    DeleteFileFn,
    FileContentResult,
    FileDeleteResult,
    FileListResult,
    FileUploadResult,
    ListFilesFn,
    RetrieveFileContentFn,
    RetrieveFileFn,
    RunFileUploadFn,
    StreamingFileUploadFn,
)
from openai_compat_files.models import FileDeleted, FileList, FileObject
from openai_compat_files.router import DEFAULT_MAX_FILE_SIZE, create_files_router
from openai_compat_files.uploads import FileTooLargeError, UploadError, UploadStream
from openai_compat_files.version import __version__

__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DeleteFileFn",
    "FileContentResult",
    "FileDeleteResult",
    "FileDeleted",
    "FileList",
    "FileListResult",
    "FileObject",
    "FileTooLargeError",
    "FileUploadResult",
    "ListFilesFn",
    "RetrieveFileContentFn",
    "RetrieveFileFn",
    "RunFileUploadFn",
    "StreamingFileUploadFn",
    "UploadError",
    "UploadStream",
    "__version__",
    "create_files_router",
]
