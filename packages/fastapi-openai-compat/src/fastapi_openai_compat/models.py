"""1.x path `fastapi_openai_compat.models`: the Chat Completions and models schemas."""

from openai_compat_chat.models import ChatCompletion, ChatRequest, Choice, Message
from openai_compat_core.models import ModelObject, ModelsResponse, OpenAIBaseModel

__all__ = ["ChatCompletion", "ChatRequest", "Choice", "Message", "ModelObject", "ModelsResponse", "OpenAIBaseModel"]
