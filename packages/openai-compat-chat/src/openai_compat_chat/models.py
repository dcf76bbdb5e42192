"""Pydantic models of the Chat Completions API: the request, the completion, its choices and messages.

`ModelObject`, `ModelsResponse` and `OpenAIBaseModel` come from `openai_compat_core` and are
re-exported here because the chat models module of fastapi-openai-compat 1.x exported them.
"""

from typing import Any, Literal

from pydantic import ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from openai_compat_core.models import ModelObject, ModelsResponse, OpenAIBaseModel

MessageParam = dict[str, Any]
"""One message of the conversation, exactly as the client sent it (a plain `dict`).

Messages are not modelled field by field, so new OpenAI message shapes reach your callback
unchanged. Typical shapes::

    {"role": "system", "content": "Answer briefly."}
    {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                                 {"type": "image_url", "image_url": {"url": "https://..."}}]}
    {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function",
                                          "function": {"name": "weather", "arguments": "{}"}}]}
    {"role": "tool", "tool_call_id": "call_1", "content": "21 degrees"}
"""


class ChatRequest(OpenAIBaseModel):
    """The body of `POST /v1/chat/completions`.

    Only `model` and `messages` are required. Every other field the client sends (`temperature`,
    `tools`, `stream_options`, ...) is kept and reaches `run_completion` in its `body` argument.
    """

    model: str = Field(description="Name of the model (pipeline) to run, one of those `list_models` returns.")
    messages: list[MessageParam] = Field(
        description=(
            "The conversation so far, oldest first. Each message is an object with a `role` and usually a "
            "`content` (a string or a list of content parts: text, images, audio)."
        ),
    )
    stream: bool = Field(
        default=False,
        description="Ask for the answer as a stream of server-sent events (`chat.completion.chunk` objects).",
    )

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "my-pipeline",
                    "messages": [
                        {"role": "system", "content": "Answer in one sentence."},
                        {"role": "user", "content": "What does this service do?"},
                    ],
                },
                {
                    "model": "my-pipeline",
                    "messages": [{"role": "user", "content": "Tell me a story."}],
                    "stream": True,
                    "stream_options": {"include_usage": True},
                    "temperature": 0.2,
                },
            ]
        },
    )


class Message(OpenAIBaseModel):
    """An assistant message (non-streaming answers) or a partial one (the `delta` of a streamed chunk)."""

    role: str = Field(description="Author of the message; `assistant` for what the server produces.")
    content: str | None = Field(default=None, description="Text of the message; null when it only calls tools.")
    reasoning_content: str | None = Field(
        default=None,
        description="The model's reasoning, when it shares it (the field DeepSeek introduced and many clients read).",
    )
    tool_calls: list[dict[str, Any]] | None = Field(
        default=None,
        description=(
            "Tool (function) calls the model asks for, each "
            '`{"id", "type": "function", "function": {"name", "arguments"}}` (with `index` in deltas).'
        ),
    )
    refusal: str | None = Field(default=None, description="Why the model refused to answer, when it did.")


class Choice(OpenAIBaseModel):
    """One alternative answer: `message` in a completion, `delta` in a streamed chunk."""

    index: int = Field(description="Position of the choice in `choices`, from 0.")
    delta: Message | None = Field(default=None, description="What this streamed chunk adds to the message.")
    finish_reason: str | None = Field(
        default=None,
        description="Why generation stopped: `stop`, `length`, `tool_calls` or `content_filter`; null until then.",
    )
    logprobs: dict[str, Any] | None = Field(default=None, description="Token log probabilities; not produced.")
    message: Message | None = Field(default=None, description="The whole assistant message (non-streaming).")

    @model_serializer(mode="wrap")
    def _drop_unused_side(self, handler: SerializerFunctionWrapHandler) -> Any:
        # OpenAI sends `message` in completions and `delta` in chunks, never the other one as null.
        data = handler(self)
        if isinstance(data, dict):
            if self.delta is None and self.message is not None:
                data.pop("delta", None)
            elif self.message is None and self.delta is not None:
                data.pop("message", None)
        return data


class ChatCompletion(OpenAIBaseModel):
    """A chat completion (`object: "chat.completion"`) or one streamed chunk (`"chat.completion.chunk"`)."""

    id: str = Field(description="Identifier of the completion, `chatcmpl-...`; the same on every chunk of a stream.")
    object: Literal["chat.completion", "chat.completion.chunk"] = Field(
        description="`chat.completion` for a whole answer, `chat.completion.chunk` for a streamed piece.",
    )
    created: int = Field(description="Unix time (seconds) the completion was created.")
    model: str = Field(description="The model (pipeline) that produced it.")
    choices: list[Choice] = Field(description="The answers; one unless the pipeline produces several.")
    usage: dict[str, Any] | None = Field(
        default=None,
        description="Token counts: `prompt_tokens`, `completion_tokens`, `total_tokens` (and optional details).",
    )
    system_fingerprint: str | None = Field(default=None, description="Identifies the backend configuration.")

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "id": "chatcmpl-3f1c2e0a9b8d4c7e8f6a5b4c3d2e1f0a",
                    "object": "chat.completion",
                    "created": 1700000000,
                    "model": "my-pipeline",
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "It answers questions about your documents."},
                            "finish_reason": "stop",
                            "logprobs": None,
                        }
                    ],
                    "usage": {"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30},
                }
            ]
        },
    )


__all__ = [
    "ChatCompletion",
    "ChatRequest",
    "Choice",
    "Message",
    "MessageParam",
    "ModelObject",
    "ModelsResponse",
    "OpenAIBaseModel",
]
