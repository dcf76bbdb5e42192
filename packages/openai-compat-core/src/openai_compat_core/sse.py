"""Server-sent events encoding: `data:` frames, named `event:` frames and pre-built frame templates.

Everything here returns UTF-8 `bytes` ready to be written to the socket. JSON is compact
(no spaces) and non-ASCII text is written as UTF-8, as OpenAI's API does.
"""

import re
import secrets
from collections.abc import Sequence
from typing import Any

from openai_compat_core.encoding import dumps, json_string

DONE_FRAME = b"data: [DONE]\n\n"
"""The end-of-stream frame exactly as OpenAI writes it."""

COMPACT_DONE_FRAME = b"data:[DONE]\n\n"
"""The same SSE event as `DONE_FRAME` for any SSE parser, but invisible to code that only reads lines
starting with `data: ` (which is how much code written against fastapi-openai-compat 1.x reads streams)."""


def data_frame(payload: Any) -> bytes:
    """Build a `data: <json>` frame. `payload` may be JSON already encoded as `bytes`."""
    body = payload if isinstance(payload, bytes) else dumps(payload)
    return b"data: " + body + b"\n\n"


def event_frame(event: str, payload: Any) -> bytes:
    """Build a named frame `event: <event>` + `data: <json>`. `payload` may be encoded JSON `bytes`."""
    if "\n" in event or "\r" in event:
        raise ValueError("an SSE event name cannot contain line breaks")
    body = payload if isinstance(payload, bytes) else dumps(payload)
    return b"event: " + event.encode() + b"\ndata: " + body + b"\n\n"


def encode_value(value: Any) -> bytes:
    """Encode one value for a template slot: strings, ints and bools fast, the rest through `dumps`."""
    kind = type(value)
    if kind is str:
        return json_string(value)
    if kind is int:
        return str(value).encode()
    if isinstance(value, str):
        return json_string(value)
    if value is None:
        return b"null"
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, int):
        return str(value).encode()
    return dumps(value)


# A per-process nonce keeps a request value that happens to look like a slot from being taken for one.
_NONCE = secrets.token_hex(8)
_SLOT_MARK = "\x00" + _NONCE + ":{}\x00"
_SLOT_RE = re.compile(rb'"\\u0000' + _NONCE.encode() + rb':(\d+)\\u0000"')


def slot(position: int) -> str:
    """A placeholder to put in a template payload; `FrameTemplate.render` fills slot `position`."""
    return _SLOT_MARK.format(position)


class FrameTemplate:
    """A frame whose JSON is encoded once, with holes (slots) filled per frame.

    Encoding a whole payload for every streamed token costs far more than writing the few values that
    change. A template encodes the constant part once::

        tpl = FrameTemplate({"id": "chatcmpl-1", "choices": [{"delta": {"content": slot(0)}}]})
        tpl.render("Hello")  # b'data: {"id":"chatcmpl-1","choices":[{"delta":{"content":"Hello"}}]}\\n\\n'

    Slot values are encoded with `encode_value`. With `event="..."` the frame is a named event frame.
    """

    __slots__ = ("_order", "_parts", "event", "slots")

    def __init__(self, payload: Any, *, event: str | None = None) -> None:
        encoded = dumps(payload)
        prefix = b"data: " if event is None else event_frame(event, b"")[: -len(b"\n\n")]
        pieces = _SLOT_RE.split(prefix + encoded + b"\n\n")
        self._parts: tuple[bytes, ...] = tuple(pieces[0::2])
        self._order: tuple[int, ...] = tuple(int(p) for p in pieces[1::2])
        self.slots = len(self._order)
        self.event = event

    def render(self, *values: Any) -> bytes:
        """Return the frame with slot `i` replaced by the encoded `values[i]`."""
        parts = self._parts
        order = self._order
        if len(order) == 1:
            return parts[0] + encode_value(values[order[0]]) + parts[1]
        if len(order) == 2:
            first, second = order
            return b"".join((parts[0], encode_value(values[first]), parts[1], encode_value(values[second]), parts[2]))
        out = [parts[0]]
        for i, position in enumerate(order):
            out.append(encode_value(values[position]))
            out.append(parts[i + 1])
        return b"".join(out)


def split_frames(data: bytes) -> Sequence[bytes]:
    """Split bytes holding whole frames into one `bytes` per frame (each ending in a blank line)."""
    return [frame + b"\n\n" for frame in data.split(b"\n\n") if frame]


__all__ = [
    "COMPACT_DONE_FRAME",
    "DONE_FRAME",
    "FrameTemplate",
    "data_frame",
    "encode_value",
    "event_frame",
    "slot",
    "split_frames",
]
