"""1.x path `fastapi_openai_compat.streaming`: the Chat Completions streaming helpers.

Deprecated, as in 1.x: importing it warns; import from `fastapi_openai_compat.chat_completions.streaming`.
"""

import warnings

from openai_compat_chat.streaming import (
    chat_completion_response,
    create_async_streaming_response,
    create_sse_data_msg,
    create_sync_streaming_response,
    event_to_sse_msg,
)
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper

warnings.warn(
    "Importing from 'fastapi_openai_compat.streaming' is deprecated. "
    "Use 'fastapi_openai_compat.chat_completions.streaming' instead.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "ChunkMapper",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
]
