"""OpenAI-compatible Responses endpoint (`POST /v1/responses`) for FastAPI.

`create_responses_router` serves OpenAI's Responses API, plain and streamed, from a Python callable of
yours; the event stream follows OpenAI's wire contract so strict clients (the `openai` SDKs, the
OpenAI Agents SDK, Codex) accept it.
"""

from openai_compat_responses.encoder import ResponseStreamEncoder
from openai_compat_responses.events import (
    create_function_call_arguments_delta_event,
    create_function_call_arguments_done_event,
    create_output_item_added_event,
    create_output_item_done_event,
    create_output_text_delta_event,
    create_output_text_done_event,
    create_response_completed_event,
    create_response_created_event,
    create_response_in_progress_event,
    format_named_sse_event,
    response_from_text,
)
from openai_compat_responses.memory import InMemoryResponseStore
from openai_compat_responses.models import (
    InputItem,
    OutputItem,
    Response,
    ResponseFunctionCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseRequest,
)
from openai_compat_responses.router import (
    ResponseResult,
    RunResponse,
    RunResponseFn,
    RunResponseWithHeaders,
    create_responses_router,
)
from openai_compat_responses.store import (
    EventBatch,
    ItemPage,
    ResponseStore,
    StoredConversation,
    StoredItem,
    StoredResponse,
    StoreError,
    StoreUnavailableError,
)
from openai_compat_responses.streaming import (
    create_async_responses_streaming_response,
    create_responses_streaming_response,
)
from openai_compat_responses.version import __version__

__all__ = [
    "EventBatch",
    "InMemoryResponseStore",
    "InputItem",
    "ItemPage",
    "OutputItem",
    "Response",
    "ResponseFunctionCall",
    "ResponseOutputMessage",
    "ResponseOutputText",
    "ResponseRequest",
    "ResponseResult",
    "ResponseStore",
    "ResponseStreamEncoder",
    "RunResponse",
    "RunResponseFn",
    "RunResponseWithHeaders",
    "StoreError",
    "StoreUnavailableError",
    "StoredConversation",
    "StoredItem",
    "StoredResponse",
    "__version__",
    "create_async_responses_streaming_response",
    "create_function_call_arguments_delta_event",
    "create_function_call_arguments_done_event",
    "create_output_item_added_event",
    "create_output_item_done_event",
    "create_output_text_delta_event",
    "create_output_text_done_event",
    "create_response_completed_event",
    "create_response_created_event",
    "create_response_in_progress_event",
    "create_responses_router",
    "create_responses_streaming_response",
    "format_named_sse_event",
    "response_from_text",
]
