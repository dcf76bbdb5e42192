"""What code written against fastapi-openai-compat 1.4.0 does with the 1.x modules themselves.

Private 1.x helpers it imports, the clock it patches, the warnings the deprecated root modules
give, and the one divergence accepted: classes report their new home in `__module__`.
"""

import dataclasses
import importlib
import json
import subprocess
import sys
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import patch

import pytest

DEPRECATED = {
    "fastapi_openai_compat.models": "fastapi_openai_compat.chat_completions.models",
    "fastapi_openai_compat.router": "fastapi_openai_compat.chat_completions.router",
    "fastapi_openai_compat.streaming": "fastapi_openai_compat.chat_completions.streaming",
}

# --- fastapi_openai_compat._shared._is_custom_event ----------------------------------------------


class Status:
    def to_event_dict(self) -> dict[str, Any]:
        return {"type": "status", "data": {"done": False}}


@dataclasses.dataclass
class NotCallable:
    to_event_dict: str = "not callable"


def test_is_custom_event_is_importable_from_its_1x_path() -> None:
    from fastapi_openai_compat._shared import _is_custom_event

    assert _is_custom_event(Status()) is True
    assert _is_custom_event(None) is False
    assert _is_custom_event("to_event_dict") is False
    assert _is_custom_event(NotCallable()) is False
    assert _is_custom_event({"to_event_dict": dict}) is False  # a key is not an attribute


# --- created, read once through the 1.x module's `time` ---------------------------------------------


@dataclasses.dataclass
class Reasoning:
    reasoning_text: str


@dataclasses.dataclass
class Chunk:
    content: str = ""
    reasoning: Any = None
    tool_calls: list[Any] | None = None
    finish_reason: str | None = None


@dataclasses.dataclass
class ToolCall:
    index: int
    id: str | None = None
    tool_name: str | None = None
    arguments: str | None = None


EVERY_KIND = [
    Chunk(reasoning=Reasoning("thinking")),
    Chunk(tool_calls=[ToolCall(0, "call_1", "weather", "{}")]),
    Chunk("answer"),
    "more",
    Status(),
]  # no finish reason: the closing chunk is added by the stream


def sync_chunks() -> Iterator[Any]:
    yield from EVERY_KIND


async def async_chunks() -> AsyncIterator[Any]:
    for chunk in EVERY_KIND:
        yield chunk


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_created_is_read_once_through_the_1x_module_time_and_shared_by_every_chunk(kind: str) -> None:
    from fastapi_openai_compat.chat_completions import streaming

    with patch(
        "fastapi_openai_compat.chat_completions.streaming.time.time", side_effect=[100, 200, 300, 400, 500]
    ) as clock:
        if kind == "sync":
            response = streaming.create_sync_streaming_response(sync_chunks(), "r-1", "m")
        else:
            response = streaming.create_async_streaming_response(async_chunks(), "r-1", "m")
        frames = [frame async for frame in response.body_iterator]

    assert clock.call_count == 1
    chunks = [json.loads(frame[len("data: ") :]) for frame in frames]
    completion_chunks = [chunk for chunk in chunks if "choices" in chunk]
    assert len(completion_chunks) == 5  # reasoning, tool call, two texts, the closing chunk
    assert completion_chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert {chunk["created"] for chunk in completion_chunks} == {100}


# --- the deprecated root modules ------------------------------------------------------------------


def run_python(code: str) -> Any:
    """Run `code` in a fresh interpreter (nothing imported yet) and return the JSON it prints."""
    done = subprocess.run(  # noqa: S603 - our own code, run with this interpreter
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(done.stdout)


def test_importing_a_deprecated_root_module_warns_naming_it() -> None:
    code = f"""
import importlib, json, warnings
found = {{}}
for name in {sorted(DEPRECATED)!r}:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.import_module(name)
    found[name] = [(w.category.__name__, str(w.message)) for w in caught]
print(json.dumps(found))
"""
    found = run_python(code)
    for name, new_path in DEPRECATED.items():
        [(category, message)] = found[name]
        assert category == "DeprecationWarning"
        assert f"'{name}'" in message
        assert f"'{new_path}'" in message


@pytest.mark.parametrize("name", sorted(DEPRECATED))
def test_reloading_a_deprecated_root_module_warns_again(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(name)
    with pytest.warns(DeprecationWarning, match=name.replace(".", r"\.")):
        importlib.reload(module)


def test_the_package_and_the_current_1x_paths_import_without_warnings() -> None:
    modules = [
        "fastapi_openai_compat",
        "fastapi_openai_compat._shared",
        "fastapi_openai_compat.chat_completions",
        "fastapi_openai_compat.chat_completions.models",
        "fastapi_openai_compat.chat_completions.router",
        "fastapi_openai_compat.chat_completions.streaming",
        "fastapi_openai_compat.responses",
        "fastapi_openai_compat.responses.models",
        "fastapi_openai_compat.responses.router",
        "fastapi_openai_compat.responses.streaming",
        "fastapi_openai_compat.files",
        "fastapi_openai_compat.files.models",
        "fastapi_openai_compat.files.router",
        "fastapi_openai_compat.models_router",
    ]
    code = f"""
import importlib, json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for name in {modules!r}:
        importlib.import_module(name)
print(json.dumps([str(w.message) for w in caught if "fastapi_openai_compat" in str(w.message)]))
"""
    assert run_python(code) == []


# --- __module__: the accepted divergence, and identity -------------------------------------------


def test_classes_report_their_new_home_but_the_1x_path_gives_the_same_object() -> None:
    from fastapi_openai_compat.chat_completions.models import ChatCompletion
    from fastapi_openai_compat.chat_completions.streaming import create_sync_streaming_response
    from fastapi_openai_compat.responses.models import Response
    from openai_compat_chat.models import ChatCompletion as ChatHome
    from openai_compat_chat.streaming import create_sync_streaming_response as streaming_home
    from openai_compat_responses.models import Response as ResponseHome

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from fastapi_openai_compat.models import ChatCompletion as ChatFromRoot

    # 1.4.0 reported `fastapi_openai_compat.chat_completions.models`; the class now lives in openai_compat_chat.
    assert ChatCompletion.__module__ == "openai_compat_chat.models"
    assert Response.__module__ == "openai_compat_responses.models"
    assert ChatCompletion is ChatHome is ChatFromRoot
    assert Response is ResponseHome
    assert create_sync_streaming_response is streaming_home
