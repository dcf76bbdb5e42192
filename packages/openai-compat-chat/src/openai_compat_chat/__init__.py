"""OpenAI-compatible Chat Completions endpoint (`POST /v1/chat/completions`) for FastAPI.

`create_chat_completion_router(list_models=..., run_completion=...)` is all most applications need;
the streaming helpers and models are here for callbacks that build answers themselves.
"""

from openai_compat_chat.encoder import ChatStreamEncoder
from openai_compat_chat.models import (
    ChatCompletion,
    ChatRequest,
    Choice,
    Message,
    MessageParam,
    ModelObject,
    ModelsResponse,
    OpenAIBaseModel,
)
from openai_compat_chat.router import (
    CompletionResult,
    PostHook,
    PreHook,
    RunCompletion,
    RunCompletionFn,
    RunCompletionWithHeaders,
    create_chat_completion_router,
    create_openai_router,
)
from openai_compat_chat.streaming import (
    ChunkMapper,
    chat_completion_response,
    create_async_streaming_response,
    create_sse_data_msg,
    create_sync_streaming_response,
    default_chunk_mapper,
    event_to_sse_msg,
    new_completion_id,
    streaming_response,
)
from openai_compat_chat.version import __version__
from openai_compat_core.callbacks import ListModelsFn

__all__ = [
    "ChatCompletion",
    "ChatRequest",
    "ChatStreamEncoder",
    "Choice",
    "ChunkMapper",
    "CompletionResult",
    "ListModelsFn",
    "Message",
    "MessageParam",
    "ModelObject",
    "ModelsResponse",
    "OpenAIBaseModel",
    "PostHook",
    "PreHook",
    "RunCompletion",
    "RunCompletionFn",
    "RunCompletionWithHeaders",
    "__version__",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_chat_completion_router",
    "create_openai_router",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
    "new_completion_id",
    "streaming_response",
]
