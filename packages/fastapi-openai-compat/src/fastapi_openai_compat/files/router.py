"""1.x path `fastapi_openai_compat.files.router`."""

from openai_compat_files.callbacks import FileUploadResult, RunFileUploadFn
from openai_compat_files.router import create_files_router

__all__ = ["FileUploadResult", "RunFileUploadFn", "create_files_router"]
