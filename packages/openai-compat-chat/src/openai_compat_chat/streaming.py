"""The 1.x building blocks for Chat Completions streams and answers, kept for code that calls them.

`create_sync_streaming_response` and `create_async_streaming_response` wrap a generator into a
streaming response with the chat encoder (`openai_compat_chat.encoder`), framed as fastapi-openai-compat
1.4.0 framed it: no `[DONE]` frame unless asked (`done_frame=True`), and no closing finish chunk for a
stream that held only custom events or `ChatCompletion` chunks. The routers add both. The other
helpers (`create_sse_data_msg`, `event_to_sse_msg`, `chat_completion_response`) build single frames or
whole completions.
"""

import logging
import time
from collections.abc import AsyncIterable, Iterable
from typing import Any

from openai_compat_chat.encoder import CHUNK, ChatStreamEncoder, new_completion_id
from openai_compat_chat.models import ChatCompletion, Choice, Message
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.sse import COMPACT_DONE_FRAME, DONE_FRAME, data_frame
from openai_compat_core.streaming import EventStreamResponse

logger = logging.getLogger("fastapi_openai_compat.chat_completions")


def streaming_response(
    result: Iterable[Any] | AsyncIterable[Any],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
    *,
    include_usage: bool = False,
    done_frame: bool = False,
    openai_done_frame: bool = False,
    created: int | None = None,
    expose_errors: bool = True,
) -> EventStreamResponse:
    """Stream a sync or async generator of chunks as Chat Completions SSE, framed as fastapi-openai-compat 1.4.0 did.

    A sync generator runs in a worker thread, never on the event loop, and is closed if the client
    disconnects. Iterating the response's `body_iterator` gives one `str` per frame. See
    `ChatStreamEncoder` for what each chunk becomes.

    Args:
        result: the generator (sync or async) of your pipeline.
        resp_id: the `id` of every chunk.
        model_name: the `model` of every chunk.
        chunk_mapper: turns an unrecognised chunk into text.
        include_usage: end with a `choices: []` chunk carrying usage, as `stream_options.include_usage` asks.
        done_frame: end with the `[DONE]` frame, as OpenAI's streams (and this library's routers) do;
            1.4.0's helpers did not send it.
        openai_done_frame: that frame is `data: [DONE]` (with a space) instead of `data:[DONE]`; implies `done_frame`.
        created: the `created` of every chunk (default: `time.time()`, read once).
        expose_errors: put the exception's message in the error frame of a failed stream.

    Returns:
        An `EventStreamResponse` (a Starlette `StreamingResponse`, `text/event-stream`).
    """
    frame = None
    if done_frame or openai_done_frame:
        frame = DONE_FRAME if openai_done_frame else COMPACT_DONE_FRAME
    encoder = ChatStreamEncoder(
        resp_id,
        model_name,
        created=created,
        chunk_mapper=chunk_mapper,
        include_usage=include_usage,
        done_frame=frame,
        expose_errors=expose_errors,
        v1_framing=True,
    )
    return EventStreamResponse(result, encoder, log=logger)


create_sync_streaming_response = streaming_response
"""The 1.x name of `streaming_response` for a sync generator (the same function)."""

create_async_streaming_response = streaming_response
"""The 1.x name of `streaming_response` for an async generator (the same function)."""


def create_sse_data_msg(
    resp_id: str,
    model_name: str,
    chunk_content: str = "",
    finish_reason: str | None = None,
    created: int | None = None,
) -> str:
    """Build one `chat.completion.chunk` frame whose delta is `{"role": "assistant", "content": chunk_content}`.

    Args:
        resp_id: the chunk's `id`.
        model_name: the chunk's `model`.
        chunk_content: the text of the delta.
        finish_reason: the choice's `finish_reason`, if this chunk ends the answer.
        created: the chunk's `created` (default: now).

    Returns:
        The frame, `"data: {...}\\n\\n"`.
    """
    payload = {
        "id": resp_id,
        "object": CHUNK,
        "created": int(time.time()) if created is None else created,
        "model": model_name,
        "choices": [
            {
                "index": 0,
                "delta": {"role": "assistant", "content": chunk_content},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
    }
    return data_frame(payload).decode()


def event_to_sse_msg(data: dict[str, Any]) -> str:
    """Build a custom event frame, `data: {"event": <data>}` (the side channel Open WebUI reads).

    Returns:
        The frame as a `str`.
    """
    return data_frame({"event": data}).decode()


def chat_completion_response(result: str, resp_id: str, model_name: str) -> ChatCompletion:
    """Wrap a text answer into a `ChatCompletion` with one assistant message and `finish_reason` `"stop"`."""
    return ChatCompletion(
        id=resp_id,
        object="chat.completion",
        created=int(time.time()),
        model=model_name,
        choices=[
            Choice(index=0, message=Message(role="assistant", content=result), finish_reason="stop", logprobs=None)
        ],
    )


__all__ = [
    "ChatStreamEncoder",
    "ChunkMapper",
    "chat_completion_response",
    "create_async_streaming_response",
    "create_sse_data_msg",
    "create_sync_streaming_response",
    "default_chunk_mapper",
    "event_to_sse_msg",
    "new_completion_id",
    "streaming_response",
]
