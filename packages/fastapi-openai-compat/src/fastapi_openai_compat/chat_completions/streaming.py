"""1.x path `fastapi_openai_compat.chat_completions.streaming`."""

from openai_compat_chat.streaming import (
    chat_completion_response,
    create_async_streaming_response,
    create_sse_data_msg,
    create_sync_streaming_response,
    event_to_sse_msg,
)
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper

__all__ = [
    "ChunkMapper",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
]
