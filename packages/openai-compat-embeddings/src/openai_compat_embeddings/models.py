"""Pydantic models of the embeddings API: the request, the answer, and the result a callback may return.

The request model checks types only; the value rules OpenAI applies (no empty input, at most 2,048
inputs, `encoding_format` one of two words, `dimensions` positive) live in
`openai_compat_embeddings.validation`, which answers them with 400s naming the parameter. The
request's JSON schema documents those rules, so `/docs` shows what is accepted.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from openai_compat_core.models import OpenAIBaseModel

MAX_INPUTS = 2048
"""The most inputs one request may carry (OpenAI's limit)."""

EmbeddingInput = str | list[str] | list[int] | list[list[int]]
"""What `input` may be: one text, several texts, one list of token ids, or several lists of token ids."""

_INPUT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "minLength": 1, "title": "Text"},
        {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "minItems": 1,
            "maxItems": MAX_INPUTS,
            "title": "Texts",
        },
        {"type": "array", "items": {"type": "integer"}, "minItems": 1, "title": "Token ids"},
        {
            "type": "array",
            "items": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
            "minItems": 1,
            "maxItems": MAX_INPUTS,
            "title": "Lists of token ids",
        },
    ],
    "title": "Input",
    "description": (
        "The text to embed, several texts, one list of token ids, or several lists of token ids. No text "
        f"and no list may be empty; at most {MAX_INPUTS:,} inputs per request."
    ),
}

_ENCODING_FORMAT_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "string", "enum": ["float", "base64"]}, {"type": "null"}],
    "title": "Encoding Format",
    "description": (
        "`float` (the default): each embedding is a list of numbers; `base64`: the little-endian float32 "
        "bytes of each embedding, base64-encoded (what the official `openai` SDK asks for by default)."
    ),
}

_DIMENSIONS_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}],
    "title": "Dimensions",
    "description": (
        "How many dimensions each embedding should have. Longer vectors from the model are cut to this length "
        "and scaled back to unit length, as OpenAI's shortened embeddings are."
    ),
}


class EmbeddingRequest(OpenAIBaseModel):
    """The body of `POST /v1/embeddings`. Fields not listed here are kept and reach the callback in `body`."""

    model: str = Field(description="Model (pipeline) that should embed the input.")
    input: Annotated[EmbeddingInput, WithJsonSchema(_INPUT_SCHEMA)]
    encoding_format: Annotated[str | None, WithJsonSchema(_ENCODING_FORMAT_SCHEMA)] = None
    dimensions: Annotated[int | None, WithJsonSchema(_DIMENSIONS_SCHEMA)] = None
    user: str | None = Field(default=None, description="An identifier of your end user; passed to the callback.")


class Embedding(BaseModel):
    """One entry of the answer's `data`: the embedding of the input at `index`."""

    object: Literal["embedding"] = Field(default="embedding", description="Always `embedding`.")
    index: int = Field(description="Position of the input this embedding belongs to.")
    embedding: list[float] | str = Field(
        description="The vector: a list of numbers, or with `encoding_format: base64` its float32 bytes in base64."
    )


class EmbeddingUsage(BaseModel):
    """Token usage of one request."""

    prompt_tokens: int = Field(description="Tokens in the input.")
    total_tokens: int = Field(description="Tokens the request used; the same as `prompt_tokens` for embeddings.")


class EmbeddingResponse(BaseModel):
    """The body of the answer to `POST /v1/embeddings`."""

    object: Literal["list"] = Field(default="list", description="Always `list`.")
    data: list[Embedding] = Field(description="One embedding per input, in input order.")
    model: str = Field(description="The request's model.")
    usage: EmbeddingUsage


@dataclass
class EmbeddingResult:
    """What a callback may return to report token usage along with the vectors.

    Args:
        embeddings: the vectors, in any shape `run_embeddings` may return (lists of floats, a 2-D array, ...).
        prompt_tokens: tokens in the input; when `None`, the number of token ids for token-id inputs, else 0.
        total_tokens: tokens used in all; `prompt_tokens` when `None`.
    """

    embeddings: Any
    prompt_tokens: int | None = None
    total_tokens: int | None = None


__all__ = [
    "MAX_INPUTS",
    "Embedding",
    "EmbeddingInput",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingResult",
    "EmbeddingUsage",
]
