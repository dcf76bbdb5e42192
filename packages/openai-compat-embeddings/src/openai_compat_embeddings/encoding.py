"""The answer of `POST /v1/embeddings`, written straight to JSON bytes.

Embedding answers are large (2,048 vectors of 1,536 numbers are 60 MB of JSON), so nothing here builds
a pydantic model or a dict per vector: each vector is written once, by pydantic-core's serializer for
a list of floats (`float`) or by `base64.b64encode` of its float32 bytes (`base64`), and the pieces are
joined once. The answer's shape is `EmbeddingResponse`'s.
"""

import base64
import math
import struct
from typing import Any

from pydantic_core import PydanticSerializationError, SchemaSerializer, core_schema

from openai_compat_core.sse import json_string
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
    parts: list[bytes] = [b'{"object":"list","data":[']
    if encoding_format == "base64":
        b64encode = base64.b64encode
        for index, row in enumerate(vectors.float32_rows()):
            parts += (_ITEM_HEAD, b"%d" % index, b',"embedding":"', b64encode(row), b'"},')
    else:
        for index, row in enumerate(vectors.number_rows()):
            parts += (_ITEM_HEAD, b"%d" % index, b',"embedding":', _row_json(index, row), b"},")
    if len(parts) > 1:
        parts[-1] = parts[-1][:-1]  # no comma after the last item
    parts += (
        b'],"model":',
        json_string(model),
        b',"usage":{"prompt_tokens":%d,"total_tokens":%d}}' % (prompt_tokens, total_tokens),
    )
    return b"".join(parts)


__all__ = ["encode_embeddings"]
