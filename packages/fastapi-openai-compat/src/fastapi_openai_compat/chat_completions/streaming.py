"""1.x path `fastapi_openai_compat.chat_completions.streaming`.

`time` is here as in 1.x, where tests fix the chunks' `created` by patching
`fastapi_openai_compat.chat_completions.streaming.time.time`: the stream reads `time.time()` once.
"""

import time  # noqa: F401

from openai_compat_chat.streaming import (
    chat_completion_response,
    create_async_streaming_response,
    create_sse_data_msg,
    create_sync_streaming_response,
    event_to_sse_msg,
)
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper

__all__ = [  # `time` is not listed: it is only here to be patched, as in 1.x
    "ChunkMapper",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
]
