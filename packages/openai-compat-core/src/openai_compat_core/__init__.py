"""What every OpenAI-compatible API of fastapi-openai-compat shares.

SSE encoding, the streaming response, callback adaptation and hooks, chunk duck typing, OpenAI's
error envelope, the models router and an API-key dependency. The chat, responses and files
distributions build on it; you rarely need it directly except for `create_models_router`,
`APIKeyAuth` and `OpenAIHTTPException`.
"""

from openai_compat_core.auth import DEFAULT_API_KEYS_ENV, APIKeyAuth
from openai_compat_core.callbacks import (
    Callback,
    ChunkMapper,
    ListModelsFn,
    PostHook,
    PreHook,
    callable_accepts_kwarg,
    ensure_async,
    is_async_callable,
    request_headers,
    run_hook,
)
from openai_compat_core.cancellation import cancel_on_disconnect
from openai_compat_core.chunks import (
    ToolCallFragment,
    default_chunk_mapper,
    extract_finish_reason,
    extract_reasoning_text,
    extract_tool_call_fragments,
    extract_usage,
    is_custom_event,
    to_chat_usage,
    to_responses_usage,
)
from openai_compat_core.errors import (
    DEFAULT_MAX_BODY_SIZE,
    BodyTooLargeError,
    OpenAIHTTPException,
    OpenAIRoute,
    callback_errors,
    callback_failure,
    error_body,
    error_response,
    error_type_for_status,
    exception_to_response,
    model_not_found,
    route_class_with,
    validation_exception,
)
from openai_compat_core.models import ErrorObject, ErrorResponse, ModelObject, ModelsResponse, OpenAIBaseModel
from openai_compat_core.router import ERROR_RESPONSES, ModelCatalog, create_models_router, new_api_router
from openai_compat_core.sse import (
    COMPACT_DONE_FRAME,
    DONE_FRAME,
    FrameTemplate,
    data_frame,
    dumps,
    encode_value,
    event_frame,
    json_string,
    slot,
    split_frames,
)
from openai_compat_core.streaming import DEFAULT_MAX_BUFFERED, SSE_HEADERS, EventStreamResponse, StreamEncoder

__version__ = "2.0.0"

__all__ = [
    "COMPACT_DONE_FRAME",
    "DEFAULT_API_KEYS_ENV",
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_BUFFERED",
    "DONE_FRAME",
    "ERROR_RESPONSES",
    "SSE_HEADERS",
    "APIKeyAuth",
    "BodyTooLargeError",
    "Callback",
    "ChunkMapper",
    "ErrorObject",
    "ErrorResponse",
    "EventStreamResponse",
    "FrameTemplate",
    "ListModelsFn",
    "ModelCatalog",
    "ModelObject",
    "ModelsResponse",
    "OpenAIBaseModel",
    "OpenAIHTTPException",
    "OpenAIRoute",
    "PostHook",
    "PreHook",
    "StreamEncoder",
    "ToolCallFragment",
    "__version__",
    "callable_accepts_kwarg",
    "callback_errors",
    "callback_failure",
    "cancel_on_disconnect",
    "create_models_router",
    "data_frame",
    "default_chunk_mapper",
    "dumps",
    "encode_value",
    "ensure_async",
    "error_body",
    "error_response",
    "error_type_for_status",
    "event_frame",
    "exception_to_response",
    "extract_finish_reason",
    "extract_reasoning_text",
    "extract_tool_call_fragments",
    "extract_usage",
    "is_async_callable",
    "is_custom_event",
    "json_string",
    "model_not_found",
    "new_api_router",
    "request_headers",
    "route_class_with",
    "run_hook",
    "slot",
    "split_frames",
    "to_chat_usage",
    "to_responses_usage",
    "validation_exception",
]
