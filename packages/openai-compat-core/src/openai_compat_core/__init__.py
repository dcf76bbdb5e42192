"""What every OpenAI-compatible API of fastapi-openai-compat shares.

The chat, responses, files and embeddings distributions build on it. Applications mostly need the
names exported here: the models router, the API-key dependency, the error type to raise, the hook
and callback types (`on_usage`'s `UsageRecord` included), the limits' defaults and the bound on
stream producer threads. Requests are recorded as OpenTelemetry spans and metrics when an SDK is
configured (`openai_compat_core.telemetry`, the `otel` extra). The mechanisms
(request pipeline, SSE encoding, the streaming response, chunk model, callback adaptation) are
importable from their own modules (`openai_compat_core.pipeline`, `.sse`, `.streaming`, ...).
"""

from openai_compat_core.auth import DEFAULT_API_KEYS_ENV, APIKeyAuth
from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_JSON_DEPTH
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.models import ErrorObject, ErrorResponse, ModelObject, ModelsResponse, OpenAIBaseModel
from openai_compat_core.models_router import create_models_router
from openai_compat_core.producer import DEFAULT_MAX_STREAM_THREADS, DEFAULT_STREAM_WAIT_TIMEOUT, stream_thread_limiter
from openai_compat_core.routing import new_api_router
from openai_compat_core.streaming import EventStreamResponse, StreamEncoder
from openai_compat_core.usage import OnUsage, UsageRecord
from openai_compat_core.version import __version__

__all__ = [
    "DEFAULT_API_KEYS_ENV",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_JSON_DEPTH",
    "DEFAULT_MAX_STREAM_THREADS",
    "DEFAULT_STREAM_WAIT_TIMEOUT",
    "APIKeyAuth",
    "ChunkMapper",
    "ErrorObject",
    "ErrorResponse",
    "EventStreamResponse",
    "ListModelsFn",
    "ModelObject",
    "ModelsResponse",
    "OnUsage",
    "OpenAIBaseModel",
    "OpenAIHTTPException",
    "PostHook",
    "PreHook",
    "StreamEncoder",
    "UsageRecord",
    "__version__",
    "cancel_on_disconnect",
    "create_models_router",
    "default_chunk_mapper",
    "new_api_router",
    "stream_thread_limiter",
]
