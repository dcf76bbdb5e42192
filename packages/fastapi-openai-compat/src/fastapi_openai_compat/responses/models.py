"""1.x path `fastapi_openai_compat.responses.models`."""

from openai_compat_responses.models import (
    InputItem,
    OutputItem,
    Response,
    ResponseFunctionCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseRequest,
)

__all__ = [
    "InputItem",
    "OutputItem",
    "Response",
    "ResponseFunctionCall",
    "ResponseOutputMessage",
    "ResponseOutputText",
    "ResponseRequest",
]
