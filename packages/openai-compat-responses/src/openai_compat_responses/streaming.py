"""The 1.x building block for Responses streams: a generator wrapped into a streaming response of named events.

`create_responses_streaming_response` (also `create_async_responses_streaming_response`, the same
function) streams a sync or async generator with the Responses encoder
(`openai_compat_responses.encoder`); the `create_*_event` helpers for single events are in
`openai_compat_responses.events`.
"""

import logging
from collections.abc import AsyncIterable, Iterable
from typing import Any

from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.streaming import EventStreamResponse
from openai_compat_responses.encoder import ResponseStreamEncoder

logger = logging.getLogger("fastapi_openai_compat.responses")


def create_responses_streaming_response(
    result: Iterable[Any] | AsyncIterable[Any],
    resp_id: str,
    model_name: str,
    chunk_mapper: ChunkMapper = default_chunk_mapper,
) -> EventStreamResponse:
    """Stream a sync or async generator's chunks as Responses API events.

    A sync generator runs in a worker thread, never on the event loop, and is closed if the client
    disconnects. See `ResponseStreamEncoder` for what each chunk becomes; as in 1.4.0, a `Response`
    the generator yields ends the stream as `response.completed`, passed through as given (its own
    `id` included; keys the wire requires and it lacks are filled in).

    Returns:
        A Starlette `StreamingResponse` subclass (`text/event-stream`); iterating its
        `body_iterator` gives one `str` per event frame.
    """
    encoder = ResponseStreamEncoder(resp_id, model_name, chunk_mapper=chunk_mapper, v1_framing=True)
    return EventStreamResponse(result, encoder, log=logger)


create_async_responses_streaming_response = create_responses_streaming_response
"""The 1.x name of `create_responses_streaming_response` for an async generator (the same function)."""

__all__ = ["create_async_responses_streaming_response", "create_responses_streaming_response"]
