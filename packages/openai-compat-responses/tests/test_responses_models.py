"""The Responses models: 1.4.0 fields kept, extras allowed, full key set by default."""

from typing import Any

import pytest
from openai.types.responses import Response as SDKResponse
from pydantic import ValidationError

from openai_compat_responses import (
    Response,
    ResponseFunctionCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseRequest,
)
from openai_compat_responses.testing import check_response_object

FIELDS_1_4 = {
    ResponseRequest: (
        "model input instructions stream tools tool_choice top_p top_logprobs temperature max_output_tokens "
        "previous_response_id parallel_tool_calls stream_options text reasoning store service_tier metadata"
    ),
    Response: "id object created_at status model output usage error incomplete_details",
    ResponseFunctionCall: "type id call_id name arguments status",
    ResponseOutputMessage: "id type status role content",
    ResponseOutputText: "type text annotations",
}


@pytest.mark.parametrize(("model", "fields"), FIELDS_1_4.items(), ids=lambda v: getattr(v, "__name__", ""))
def test_1_4_fields_are_kept(model: Any, fields: str) -> None:
    assert set(fields.split()) <= set(model.model_fields)


def test_request_requires_only_the_model_and_keeps_extras() -> None:
    request = ResponseRequest.model_validate({"model": "m", "include": ["reasoning.encrypted_content"], "user": "u"})
    assert request.input is None
    assert request.stream is False
    dump = request.model_dump()
    assert dump["include"] == ["reasoning.encrypted_content"]
    assert dump["user"] == "u"
    with pytest.raises(ValidationError):
        ResponseRequest.model_validate({"input": "hi"})


def test_request_input_shapes() -> None:
    assert ResponseRequest(model="m", input="hi").input == "hi"
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]
    assert ResponseRequest(model="m", input=items).input == items


def test_a_response_built_like_in_1_x_has_every_key_and_validates_in_the_sdk() -> None:
    response = Response(
        id="resp_1",
        created_at=1,
        model="m",
        output=[ResponseOutputMessage(id="msg_1", content=[ResponseOutputText(text="hi").model_dump()]).model_dump()],
    )
    data = response.model_dump(mode="json")
    check_response_object(data)
    sdk = SDKResponse.model_validate(data)
    assert sdk.output_text == "hi"
    assert data["status"] == "completed"
    assert data["tools"] == []
    assert data["tool_choice"] == "auto"
    assert data["parallel_tool_calls"] is True


def test_response_keeps_extra_fields() -> None:
    response = Response(id="resp_1", created_at=1, model="m", output=[], custom={"a": 1})
    assert response.model_dump()["custom"] == {"a": 1}


def test_function_call_item() -> None:
    call = ResponseFunctionCall(id="fc_1", call_id="call_1", name="f", arguments="{}")
    assert call.model_dump() == {
        "type": "function_call",
        "id": "fc_1",
        "call_id": "call_1",
        "name": "f",
        "arguments": "{}",
        "status": "completed",
    }
