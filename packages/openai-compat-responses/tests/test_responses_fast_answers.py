"""The pre-encoded text answer is byte for byte the Response object the general builder makes."""

from typing import Any

import pytest

from openai_compat_core.encoding import dumps
from openai_compat_responses._objects import (
    RESPONSE_KEYS,
    build_response,
    encode_text_response,
    message_item,
    request_settings,
)


@pytest.mark.parametrize(
    "request_body",
    [
        {},
        {"model": "m", "input": "hi", "stream": False},
        {"instructions": "Be brief.", "temperature": 0.2, "metadata": {"k": "v"}},
        {"text": {"verbosity": "low"}, "reasoning": {"effort": "high"}, "tools": [{"type": "function", "name": "f"}]},
    ],
)
@pytest.mark.parametrize("text", ["", "hello", 'quote " backslash \\ newline \n é 日本 \U0001f600'])
def test_encoded_text_answer_is_the_built_response(request_body: dict[str, Any], text: str) -> None:
    settings = request_settings(request_body)
    encoded = encode_text_response("resp_1", "model-x", 1700000000, settings, text)
    # The message id is random: take the one the encoder made.
    item_id = encoded.split(b'"output":[{"id":"', 1)[1].split(b'"', 1)[0].decode()
    built = build_response(
        "resp_1",
        "model-x",
        1700000000,
        settings,
        status="completed",
        output=[message_item(item_id, text)],
        completed_at=1700000000,
    )
    assert encoded == dumps(built)
    assert list(built) == list(RESPONSE_KEYS)
