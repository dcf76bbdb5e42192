"""1.x path `fastapi_openai_compat.models`: the Chat Completions and models schemas.

Deprecated, as in 1.x: importing it warns; import from `fastapi_openai_compat.chat_completions.models`.
"""

import warnings

from openai_compat_chat.models import ChatCompletion, ChatRequest, Choice, Message
from openai_compat_core.models import ModelObject, ModelsResponse, OpenAIBaseModel

warnings.warn(
    "Importing from 'fastapi_openai_compat.models' is deprecated. "
    "Use 'fastapi_openai_compat.chat_completions.models' instead.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["ChatCompletion", "ChatRequest", "Choice", "Message", "ModelObject", "ModelsResponse", "OpenAIBaseModel"]
