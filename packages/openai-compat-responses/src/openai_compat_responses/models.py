"""Pydantic models of the Responses API: the request, the response object and its output items.

`InputItem` and `OutputItem` are plain `dict` aliases rather than models, so that item types OpenAI
adds later pass through unchanged: the router checks the list, your callback reads the items.
"""

from typing import Any, Literal

from pydantic import Field

from openai_compat_core.models import OpenAIBaseModel

InputItem = dict[str, Any]
"""One input item, as the client sent it (string shorthand becomes one user message item).

Common shapes, told apart by `type`::

    {"type": "message", "role": "user", "content": "Hello"}
    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Describe this"}]}
    {"type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": "{}"}
    {"type": "function_call_output", "call_id": "call_1", "output": "22 degrees"}
"""

OutputItem = dict[str, Any]
"""One output item of a `Response`, for example a message or a function call::

    {"type": "message", "id": "msg_1", "status": "completed", "role": "assistant",
     "content": [{"type": "output_text", "text": "Hi", "annotations": [], "logprobs": []}]}
    {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "get_weather",
     "arguments": "{\\"city\\": \\"Paris\\"}", "status": "completed"}
"""


class ResponseRequest(OpenAIBaseModel):
    """The body of `POST /v1/responses`. Fields OpenAI defines but not listed here are kept as extras."""

    model: str = Field(description="Model (pipeline) that should answer.")
    input: str | list[InputItem] | None = Field(
        default=None,
        description="Text shorthand for one user message, a list of input items, or nothing.",
    )
    instructions: str | None = Field(default=None, description="System (developer) instructions.")
    stream: bool = Field(default=False, description="Stream the answer as named server-sent events.")
    tools: list[dict[str, Any]] | None = Field(default=None, description="Tools the model may call.")
    tool_choice: str | dict[str, Any] | None = Field(
        default=None, description="`auto`, `none`, `required`, or a specific tool."
    )
    top_p: float | None = Field(default=None, description="Nucleus sampling parameter.")
    top_logprobs: int | None = Field(default=None, description="Number of most likely tokens to return.")
    temperature: float | None = Field(default=None, description="Sampling temperature.")
    max_output_tokens: int | None = Field(default=None, description="Upper bound on generated tokens.")
    previous_response_id: str | None = Field(
        default=None, description="The response this one continues; passed to your callback in `body`."
    )
    parallel_tool_calls: bool | None = Field(default=None, description="Whether tools may be called in parallel.")
    stream_options: dict[str, Any] | None = Field(default=None, description="Options of the event stream.")
    text: dict[str, Any] | None = Field(default=None, description="Text output configuration (format, verbosity).")
    reasoning: dict[str, Any] | None = Field(default=None, description="Reasoning options (effort, summary).")
    store: bool | None = Field(
        default=None, description="Whether to store the response; passed to your callback in `body`."
    )
    service_tier: str | None = Field(default=None, description="Requested service tier.")
    metadata: dict[str, Any] | None = Field(default=None, description="Key-value pairs attached to the response.")


class ResponseOutputText(OpenAIBaseModel):
    """A text part of an output message."""

    type: Literal["output_text"] = "output_text"
    text: str = Field(description="The generated text.")
    annotations: list[dict[str, Any]] = Field(default_factory=list, description="Citations and other annotations.")
    logprobs: list[dict[str, Any]] = Field(default_factory=list, description="Token log probabilities (none here).")


class ResponseOutputMessage(OpenAIBaseModel):
    """An assistant message output item."""

    id: str = Field(description="Item id (`msg_...`).")
    type: Literal["message"] = "message"
    status: str = Field(default="completed", description="`in_progress`, `completed` or `incomplete`.")
    role: Literal["assistant"] = "assistant"
    content: list[dict[str, Any]] = Field(description="Content parts, usually one `output_text` part.")


class ResponseFunctionCall(OpenAIBaseModel):
    """A function call output item: the model asks the client to run a tool."""

    type: Literal["function_call"] = "function_call"
    id: str = Field(description="Item id (`fc_...`).")
    call_id: str = Field(description="Id the client repeats in its `function_call_output` item.")
    name: str = Field(description="Name of the function to call.")
    arguments: str = Field(description="The arguments, as a JSON text.")
    status: str = Field(default="completed", description="`in_progress`, `completed` or `incomplete`.")


class Response(OpenAIBaseModel):
    """The response object (`object: "response"`).

    Only `id`, `created_at`, `model` and `output` are required. The other fields default to what
    OpenAI answers when a request leaves them out, so that strict clients find every key they expect.
    When the router sends a `Response` your callback returned or yielded, the request's settings
    (`instructions`, `tools`, `temperature`, ...) fill the fields you did not set yourself.
    """

    id: str = Field(description="Response id (`resp_...`).")
    object: Literal["response"] = Field(default="response", description="Object type, always `response`.")
    created_at: int = Field(description="Unix timestamp (seconds) of creation.")
    status: str = Field(
        default="completed", description="`completed`, `failed`, `in_progress`, `cancelled`, `queued` or `incomplete`."
    )
    model: str = Field(description="Model (pipeline) that answered.")
    output: list[OutputItem] = Field(description="Output items: messages, function calls, reasoning.")
    usage: dict[str, Any] | None = Field(default=None, description="Token usage, when known.")
    error: dict[str, Any] | None = Field(default=None, description="`{code, message}` when the response failed.")
    incomplete_details: dict[str, Any] | None = Field(
        default=None, description="`{reason}` when the response is incomplete."
    )
    completed_at: int | None = Field(default=None, description="Unix timestamp (seconds) of completion.")
    instructions: str | list[dict[str, Any]] | None = Field(default=None, description="The request's instructions.")
    previous_response_id: str | None = Field(default=None, description="The request's `previous_response_id`.")
    tools: list[dict[str, Any]] = Field(default_factory=list, description="The tools the request offered.")
    tool_choice: str | dict[str, Any] = Field(default="auto", description="The request's tool choice.")
    parallel_tool_calls: bool = Field(default=True, description="Whether tools could be called in parallel.")
    temperature: float | None = Field(default=1.0, description="Sampling temperature used.")
    top_p: float | None = Field(default=1.0, description="Nucleus sampling parameter used.")
    presence_penalty: float | None = Field(default=0.0, description="Presence penalty used.")
    frequency_penalty: float | None = Field(default=0.0, description="Frequency penalty used.")
    top_logprobs: int | None = Field(default=0, description="Number of most likely tokens returned per position.")
    max_output_tokens: int | None = Field(default=None, description="Upper bound on generated tokens.")
    max_tool_calls: int | None = Field(default=None, description="Upper bound on tool calls.")
    truncation: str | None = Field(default="disabled", description="Truncation strategy: `auto` or `disabled`.")
    text: dict[str, Any] | None = Field(
        default_factory=lambda: {"format": {"type": "text"}}, description="Text output configuration."
    )
    reasoning: dict[str, Any] | None = Field(default=None, description="Reasoning options (`effort`, `summary`).")
    store: bool | None = Field(
        default=False, description="Whether the response was stored (this library stores nothing itself)."
    )
    background: bool | None = Field(default=False, description="Whether the request ran in the background.")
    service_tier: str | None = Field(default="default", description="Service tier used.")
    metadata: dict[str, Any] | None = Field(default_factory=dict, description="The request's metadata.")
    safety_identifier: str | None = Field(default=None, description="The request's safety identifier.")
    prompt_cache_key: str | None = Field(default=None, description="The request's prompt cache key.")


__all__ = [
    "InputItem",
    "OutputItem",
    "Response",
    "ResponseFunctionCall",
    "ResponseOutputMessage",
    "ResponseOutputText",
    "ResponseRequest",
]
