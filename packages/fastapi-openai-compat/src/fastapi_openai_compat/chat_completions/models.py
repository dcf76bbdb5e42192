"""1.x path `fastapi_openai_compat.chat_completions.models`."""

from openai_compat_chat.models import ChatCompletion, ChatRequest, Choice, Message, MessageParam
from openai_compat_core.models import ModelObject, ModelsResponse, OpenAIBaseModel

__all__ = [
    "ChatCompletion",
    "ChatRequest",
    "Choice",
    "Message",
    "MessageParam",
    "ModelObject",
    "ModelsResponse",
    "OpenAIBaseModel",
]
