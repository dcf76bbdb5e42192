"""The chat models: 1.x fields, extra fields kept, serialisation."""

import pytest
from pydantic import ValidationError

from openai_compat_chat import (
    ChatCompletion,
    ChatRequest,
    Choice,
    Message,
    ModelObject,
    ModelsResponse,
    OpenAIBaseModel,
)
from openai_compat_chat import models as chat_models
from openai_compat_core import models as core_models


def test_chat_request_requires_model_and_messages() -> None:
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"messages": []})
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"model": "m"})
    with pytest.raises(ValidationError):
        ChatRequest.model_validate({"model": "m", "messages": ["not a dict"]})


def test_chat_request_keeps_extra_fields_in_its_dump() -> None:
    request = ChatRequest.model_validate(
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0, "stream_options": {"a": 1}}
    )
    assert request.stream is False
    assert request.model_dump() == {
        "model": "m",
        "messages": [{"role": "user", "content": "x"}],
        "stream": False,
        "temperature": 0,
        "stream_options": {"a": 1},
    }
    assert request.stream_options == {"a": 1}  # type: ignore[attr-defined]


def test_message_fields() -> None:
    message = Message(role="assistant")
    assert message.content is None
    assert message.reasoning_content is None
    assert message.tool_calls is None
    assert message.refusal is None


def test_chat_completion_round_trips() -> None:
    completion = ChatCompletion(
        id="chatcmpl-1",
        object="chat.completion",
        created=1,
        model="m",
        choices=[Choice(index=0, message=Message(role="assistant", content="x"), finish_reason="stop")],
        usage={"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        extra_field="kept",
    )
    assert ChatCompletion.model_validate_json(completion.model_dump_json()) == completion
    assert completion.model_dump()["extra_field"] == "kept"
    with pytest.raises(ValidationError):
        ChatCompletion(id="x", object="response", created=1, model="m", choices=[])  # type: ignore[arg-type]


def test_core_models_are_re_exported_as_the_same_objects() -> None:
    assert chat_models.ModelObject is core_models.ModelObject is ModelObject
    assert chat_models.ModelsResponse is core_models.ModelsResponse is ModelsResponse
    assert chat_models.OpenAIBaseModel is core_models.OpenAIBaseModel is OpenAIBaseModel
    assert issubclass(ChatRequest, OpenAIBaseModel)
