"""The answer of `POST /v1/embeddings`, written straight to JSON bytes.

Embedding answers are large (2,048 vectors of 1,536 numbers are 60 MB of JSON), so nothing here builds
a pydantic model or a dict per vector: each vector is written once, by pydantic-core's serializer for
a list of floats (`float`) or by `base64.b64encode` of its float32 bytes (`base64`), and the parts are
joined into pieces of 256 KiB that `PiecesResponse` sends one after the other. The answer's shape is
`EmbeddingResponse`'s.
"""

import base64
import math
import struct
from typing import Any

from pydantic_core import PydanticSerializationError, SchemaSerializer, core_schema
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from openai_compat_core.encoding import json_string
from openai_compat_embeddings.validation import EncodingFormat
from openai_compat_embeddings.vectors import Vectors, bad_vectors

# Floats written the shortest way that reads back the same double; the same digits as `json.dumps`.
_FLOATS = SchemaSerializer(core_schema.list_schema(core_schema.float_schema()))
_ITEM_HEAD = b'{"object":"embedding","index":'


def _row_json(index: int, row: Any) -> bytes:
    """One vector as a JSON array of numbers; 500 naming it when it holds anything else (NaN included)."""
    try:
        out: bytes = _FLOATS.to_json(row, warnings=False)
    except PydanticSerializationError:
        return _row_json_checked(index, row)
    # The serializer writes numbers for every float-like value; anything else (a string, None, a nested
    # list, a dict, NaN and infinities as `null`) leaves one of these bytes, which a row of numbers never has.
    if b"n" in out or b'"' in out or b"{" in out or out.find(b"[", 1) != -1:
        return _row_json_checked(index, row)
    return out


def _row_json_checked(index: int, row: Any) -> bytes:
    """The slow, exact way: every value converted to a float first."""
    try:
        floats = struct.unpack(f"<{len(row)}d", struct.pack(f"<{len(row)}d", *row))
    except (struct.error, TypeError, OverflowError):
        raise bad_vectors(f"run_embeddings returned vector {index} holding something that is not a number.") from None
    if not all(map(math.isfinite, floats)):
        raise bad_vectors(
            f"run_embeddings returned vector {index} holding NaN or infinity, which JSON cannot carry."
        ) from None
    out: bytes = _FLOATS.to_json(list(floats))
    return out


# The answer is built in pieces of about this size, each sent as it is: no copy of the whole answer is
# ever made, and the memory of each vector's JSON is reused for the next one.
PIECE_SIZE = 256 * 1024


class _Pieces:
    """Bytes appended in small parts and joined into pieces of about `PIECE_SIZE` bytes."""

    __slots__ = ("parts", "pieces", "size", "total")

    def __init__(self) -> None:
        self.pieces: list[bytes] = []
        self.parts: list[bytes] = []
        self.size = 0
        self.total = 0

    def add(self, *parts: bytes) -> None:
        self.parts += parts
        for part in parts:
            self.size += len(part)
        if self.size >= PIECE_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.pieces.append(b"".join(self.parts))
            self.total += self.size
            self.parts = []
            self.size = 0


def encode_embeddings_pieces(
    vectors: Vectors,
    *,
    model: str,
    encoding_format: EncodingFormat,
    prompt_tokens: int,
    total_tokens: int,
) -> list[bytes]:
    """Write the whole answer as consecutive pieces of compact JSON (joined, they are `encode_embeddings`'s bytes).

    Every vector is encoded (and checked) before this returns, so a vector that cannot be sent is an
    error before anything is.

    Raises:
        OpenAIHTTPException: as `encode_embeddings`.
    """
    out = _Pieces()
    out.add(b'{"object":"list","data":[')
    separator = b""
    if encoding_format == "base64":
        b64encode = base64.b64encode
        for index, row in enumerate(vectors.float32_rows()):
            out.add(separator, _ITEM_HEAD, b"%d" % index, b',"embedding":"', b64encode(row), b'"}')
            separator = b","
    else:
        for index, row in enumerate(vectors.number_rows()):
            out.add(separator, _ITEM_HEAD, b"%d" % index, b',"embedding":', _row_json(index, row), b"}")
            separator = b","
    out.add(
        b'],"model":',
        json_string(model),
        b',"usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (prompt_tokens, total_tokens),
    )
    out.flush()
    return out.pieces


def encode_embeddings(
    vectors: Vectors,
    *,
    model: str,
    encoding_format: EncodingFormat,
    prompt_tokens: int,
    total_tokens: int,
) -> bytes:
    """Write the whole answer: `{"object": "list", "data": [...], "model": ..., "usage": {...}}`, compact JSON.

    With `encoding_format="base64"` each `embedding` is the base64 text of the vector's little-endian
    float32 bytes (what the `openai` SDK decodes by default); with `float` it is the list of numbers.

    Raises:
        OpenAIHTTPException: 500 (`x-should-retry: false`) naming a vector that holds something other
            than numbers (or, for `float`, NaN or infinity).
    """
    return b"".join(
        encode_embeddings_pieces(
            vectors,
            model=model,
            encoding_format=encoding_format,
            prompt_tokens=prompt_tokens,
            total_tokens=total_tokens,
        )
    )


class PiecesResponse(Response):
    """A JSON answer sent piece by piece (with its `Content-Length`), so that it is never copied whole."""

    media_type = "application/json"

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces
        super().__init__(headers={"content-length": str(sum(map(len, pieces)))})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the status and headers, then each piece."""
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        last = len(self.pieces) - 1
        for position, piece in enumerate(self.pieces):
            await send({"type": "http.response.body", "body": piece, "more_body": position < last})
        if last < 0:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


__all__ = ["PiecesResponse", "encode_embeddings", "encode_embeddings_pieces"]
