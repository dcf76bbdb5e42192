"""1.x path `fastapi_openai_compat.files`: the Files API (`openai_compat_files`)."""

from fastapi_openai_compat.files.models import FileObject
from fastapi_openai_compat.files.router import FileUploadResult, RunFileUploadFn, create_files_router

__all__ = ["FileObject", "FileUploadResult", "RunFileUploadFn", "create_files_router"]
