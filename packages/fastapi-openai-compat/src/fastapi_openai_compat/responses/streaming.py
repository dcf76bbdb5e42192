"""1.x path `fastapi_openai_compat.responses.streaming`."""

from openai_compat_responses.events import (
    create_function_call_arguments_delta_event,
    create_function_call_arguments_done_event,
    create_output_item_added_event,
    create_output_item_done_event,
    create_output_text_delta_event,
    create_output_text_done_event,
    create_reasoning_summary_part_added_event,
    create_reasoning_summary_part_done_event,
    create_reasoning_summary_text_delta_event,
    create_reasoning_summary_text_done_event,
    create_response_completed_event,
    create_response_created_event,
    create_response_in_progress_event,
    format_named_sse_event,
    response_from_text,
)
from openai_compat_responses.streaming import (
    create_async_responses_streaming_response,
    create_responses_streaming_response,
)

__all__ = [
    "create_async_responses_streaming_response",
    "create_function_call_arguments_delta_event",
    "create_function_call_arguments_done_event",
    "create_output_item_added_event",
    "create_output_item_done_event",
    "create_output_text_delta_event",
    "create_output_text_done_event",
    "create_reasoning_summary_part_added_event",
    "create_reasoning_summary_part_done_event",
    "create_reasoning_summary_text_delta_event",
    "create_reasoning_summary_text_done_event",
    "create_response_completed_event",
    "create_response_created_event",
    "create_response_in_progress_event",
    "create_responses_streaming_response",
    "format_named_sse_event",
    "response_from_text",
]
