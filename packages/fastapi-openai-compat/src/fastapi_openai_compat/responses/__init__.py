"""1.x path `fastapi_openai_compat.responses`: the Responses API (`openai_compat_responses`)."""

from fastapi_openai_compat.responses.models import (
    InputItem,
    OutputItem,
    Response,
    ResponseFunctionCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseRequest,
)
from fastapi_openai_compat.responses.router import ResponseResult, RunResponseFn, create_responses_router
from fastapi_openai_compat.responses.streaming import (
    create_async_responses_streaming_response,
    create_function_call_arguments_delta_event,
    create_function_call_arguments_done_event,
    create_output_item_added_event,
    create_output_item_done_event,
    create_output_text_delta_event,
    create_output_text_done_event,
    create_response_completed_event,
    create_response_created_event,
    create_response_in_progress_event,
    create_responses_streaming_response,
    format_named_sse_event,
    response_from_text,
)

__all__ = [
    "InputItem",
    "OutputItem",
    "Response",
    "ResponseFunctionCall",
    "ResponseOutputMessage",
    "ResponseOutputText",
    "ResponseRequest",
    "ResponseResult",
    "RunResponseFn",
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
