"""Fixtures of the responses unit tests: reading a stream and validating it as clients do."""

from collections.abc import Callable
from typing import Any, get_args

import pytest
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel

from openai_compat_responses.testing import check_events, parse_events


def _event_classes() -> dict[str, type[BaseModel]]:
    """The openai SDK's `ResponseStreamEvent` union, as event type -> pydantic class."""
    union = get_args(ResponseStreamEvent)[0]
    classes = {}
    for cls in get_args(union):
        (literal,) = get_args(cls.model_fields["type"].annotation)
        classes[literal] = cls
    return classes


SDK_EVENTS = _event_classes()

StreamReader = Callable[..., tuple[list[tuple[str, dict[str, Any]]], dict[str, Any]]]


def read_stream(
    body: str | bytes, *, custom: frozenset[str] = frozenset(), complete_output: bool = True
) -> tuple[list[Any], dict[str, Any]]:
    """Parse an SSE body, check our wire contract, validate each event with the openai SDK's types.

    Events named in `custom` are user events the SDK does not know; they are checked but not validated.
    `complete_output=False` when a yielded `Response` replaces the output streamed before it.
    Returns the `(name, payload)` pairs and the terminal event's response object.
    """
    text = body.decode() if isinstance(body, bytes) else body
    events = parse_events(text)
    final = check_events(events, complete_output=complete_output)
    for name, payload in events:
        if name in custom:
            continue
        # Every event we send is one the SDK knows, and validates as that type (sequence_number included).
        event = SDK_EVENTS[name].model_validate(payload)
        assert event.sequence_number == payload["sequence_number"]  # type: ignore[attr-defined]
    SDKResponse.model_validate(final)
    return events, final


@pytest.fixture
def stream_reader() -> StreamReader:
    """`stream_reader(body)` -> `(events, final_response)`, after checking the contract and the SDK types."""
    return read_stream
