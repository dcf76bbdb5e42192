"""The rules OpenAI applies to an embeddings request, each answered with a 400 naming the parameter.

The request model (`EmbeddingRequest`) checks types; these functions check values. Call
`check_request` once the body is parsed, before anything else runs: it raises
`OpenAIHTTPException` (400, `invalid_request_error`, `param` set) for the first rule broken and
otherwise returns the inputs the callback receives.
"""

from typing import Any, Literal

from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_embeddings.models import MAX_INPUTS, EmbeddingRequest

EncodingFormat = Literal["float", "base64"]
"""How the answer carries each vector."""

Inputs = list[str] | list[list[int]]
"""The inputs as the callback receives them: one entry per input, texts or lists of token ids as sent."""


def _invalid(param: str, message: str) -> OpenAIHTTPException:
    return OpenAIHTTPException(400, f"Invalid value for '{param}': {message}", param=param, code="invalid_value")


def check_input(value: Any) -> Inputs:
    """Check `input` and return it as a list with one entry per input.

    A string becomes `[string]` and one list of token ids `[[ids...]]`; lists of strings and lists of
    token-id lists are returned as they are (the same object), so token ids reach the callback as sent.

    Raises:
        OpenAIHTTPException: 400 with `param` `input` (or `input[i]` for one empty entry) when the input,
            or one of its texts or token-id lists, is empty, or when there are more than 2,048 inputs.
    """
    if isinstance(value, str):
        if not value:
            raise _invalid("input", "it must not be an empty string.")
        return [value]
    if not value:
        raise _invalid("input", "it must not be an empty list.")
    first = value[0]
    if isinstance(first, int):
        return [value]  # one input given as token ids
    if len(value) > MAX_INPUTS:
        raise _invalid("input", f"at most {MAX_INPUTS} inputs are allowed per request, got {len(value)}.")
    for position, item in enumerate(value):
        if not item:
            what = "an empty string" if isinstance(item, str) else "an empty list of token ids"
            raise _invalid(f"input[{position}]", f"an input must not be {what}.")
    inputs: Inputs = value
    return inputs


def check_encoding_format(value: str | None) -> EncodingFormat:
    """Return the encoding the answer uses: `float` when the request named none.

    Raises:
        OpenAIHTTPException: 400 with `param` `encoding_format` for anything but `float` or `base64`.
    """
    if value is None or value == "float":
        return "float"
    if value == "base64":
        return "base64"
    raise _invalid("encoding_format", f"{value!r}. Supported values are 'float' and 'base64'.")


def check_dimensions(value: int | None) -> int | None:
    """Return the number of dimensions asked for, or `None`.

    Raises:
        OpenAIHTTPException: 400 with `param` `dimensions` when it is below 1.
    """
    if value is not None and value < 1:
        raise _invalid("dimensions", f"it must be at least 1, got {value}.")
    return value


def check_request(request: EmbeddingRequest) -> Inputs:
    """Apply every rule to a parsed request; return its inputs as `check_input` does.

    Raises:
        OpenAIHTTPException: 400 naming the parameter of the first rule broken (`input`, `encoding_format`,
            `dimensions`).
    """
    inputs = check_input(request.input)
    check_encoding_format(request.encoding_format)
    check_dimensions(request.dimensions)
    return inputs


__all__ = ["EncodingFormat", "Inputs", "check_dimensions", "check_encoding_format", "check_input", "check_request"]
