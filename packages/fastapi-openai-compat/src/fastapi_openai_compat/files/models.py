"""1.x path `fastapi_openai_compat.files.models`."""

from openai_compat_core.models import OpenAIBaseModel
from openai_compat_files.models import FileObject

__all__ = ["FileObject", "OpenAIBaseModel"]
