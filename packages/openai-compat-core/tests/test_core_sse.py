import json

import pytest
from pydantic import BaseModel

from openai_compat_core.encoding import json_string
from openai_compat_core.sse import (
    COMPACT_DONE_FRAME,
    DONE_FRAME,
    FrameTemplate,
    data_frame,
    encode_value,
    event_frame,
    slot,
    split_frames,
)


def parse_data(frame: bytes) -> object:
    assert frame.startswith(b"data: ")
    assert frame.endswith(b"\n\n")
    return json.loads(frame[len(b"data: ") : -2])


def test_data_frame_is_compact_utf8_json() -> None:
    frame = data_frame({"text": "héllo", "n": 1})
    assert frame == 'data: {"text":"héllo","n":1}\n\n'.encode()


def test_data_frame_accepts_models_and_encoded_bytes() -> None:
    class Item(BaseModel):
        a: int

    assert data_frame(Item(a=1)) == b'data: {"a":1}\n\n'
    assert data_frame(b'{"raw":true}') == b'data: {"raw":true}\n\n'


def test_event_frame_names_the_event_and_refuses_line_breaks() -> None:
    assert event_frame("response.created", {"type": "response.created"}) == (
        b'event: response.created\ndata: {"type":"response.created"}\n\n'
    )
    with pytest.raises(ValueError, match="line breaks"):
        event_frame("bad\nname", {})


def test_done_frames_parse_as_the_same_sse_data() -> None:
    # SSE strips one optional space after the colon: both carry the data "[DONE]".
    assert DONE_FRAME == b"data: [DONE]\n\n"
    assert COMPACT_DONE_FRAME == b"data:[DONE]\n\n"


@pytest.mark.parametrize("text", ["plain", 'quote " and \\ backslash', "line\nbreak\ttab", "ünïcödé ✓", "\x00\x1f"])
def test_json_string_round_trips(text: str) -> None:
    assert json.loads(json_string(text)) == text


def test_encode_value_handles_every_json_type() -> None:
    assert encode_value(None) == b"null"
    assert encode_value(True) == b"true"
    assert encode_value(False) == b"false"
    assert encode_value(42) == b"42"
    assert json.loads(encode_value([1, {"a": "b"}])) == [1, {"a": "b"}]


def test_template_renders_like_a_full_encode() -> None:
    payload = {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": slot(0)}}], "seq": slot(1)}
    template = FrameTemplate(payload)
    for text, seq in [("Hello", 0), ('tricky "\n\\', 7), ("", 12345)]:
        expected = {"id": "chatcmpl-1", "choices": [{"index": 0, "delta": {"content": text}}], "seq": seq}
        assert parse_data(template.render(text, seq)) == expected


def test_template_with_event_name_and_reordered_slots() -> None:
    template = FrameTemplate({"b": slot(1), "a": slot(0)}, event="x.y")
    frame = template.render("first", "second")
    assert frame.startswith(b"event: x.y\ndata: ")
    assert json.loads(frame.split(b"data: ", 1)[1]) == {"b": "second", "a": "first"}


def test_template_ignores_request_values_that_look_like_slots() -> None:
    # A model name chosen by a client must not be able to act as a slot.
    template = FrameTemplate({"model": "\x00slot:0\x00", "content": slot(0)})
    assert parse_data(template.render("x")) == {"model": "\x00slot:0\x00", "content": "x"}


def test_split_frames() -> None:
    data = data_frame({"a": 1}) + event_frame("e", {"b": "x\n\ny"})
    assert split_frames(data) == [data_frame({"a": 1}), event_frame("e", {"b": "x\n\ny"})]
