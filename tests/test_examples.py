"""The example servers run as programs (`python examples/<name>.py --port N`) and answer real clients.

Each test starts an example with this interpreter on a free port, waits until it answers, talks to
it with the `openai` SDK and with the example clients (run as programs too), then stops it.
`responses_with_files.py` has its own tests in `test_files_example.py`.
"""

import array
import contextlib
import importlib.util
import json
import math
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import httpx
import openai
import pytest
import redis
from openai.types.chat import ChatCompletion as SDKChatCompletion
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import BaseModel, TypeAdapter

from openai_compat_responses.testing import check_events

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
STARTUP_TIMEOUT = 60.0  # importing haystack on a cold, busy machine takes a while


def _event_classes() -> dict[str, type[BaseModel]]:
    union = get_args(ResponseStreamEvent)[0]
    return {get_args(cls.model_fields["type"].annotation)[0]: cls for cls in get_args(union)}


SDK_EVENTS = _event_classes()
SDK_EVENT_UNION: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def running(example: str, log_dir: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Run `examples/<example>.py --port <free port> *args`; yield its base URL (`.../v1`); stop it after."""
    port = free_port()
    log = log_dir / f"{example}-{port}.log"
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603 - an example of this repository, run with this interpreter
            [sys.executable, str(EXAMPLES / f"{example}.py"), "--port", str(port), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"{example}.py exited with {server.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{example}.py did not answer within {STARTUP_TIMEOUT} s:\n{log.read_text()}")
            time.sleep(0.05)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_client(example: str, *args: str) -> list[str]:
    """Run an example client to completion; return its output lines."""
    done = subprocess.run(  # noqa: S603 - an example of this repository, run with this interpreter
        [sys.executable, str(EXAMPLES / f"{example}.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def chat_chunks(client: openai.OpenAI, **request: Any) -> list[ChatCompletionChunk]:
    """Stream a chat completion; validate each chunk against the SDK's model and OpenAI's invariants."""
    with client.chat.completions.create(stream=True, **request) as stream:
        chunks = [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in stream]
    assert len({(chunk.id, chunk.model) for chunk in chunks}) == 1
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[0].choices[0].delta.role == "assistant"
    finishes = [chunk.choices[0].finish_reason for chunk in with_choices]
    assert finishes[-1] == "stop"
    assert all(reason is None for reason in finishes[:-1])
    return chunks


def text_of(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def response_events(client: openai.OpenAI, **request: Any) -> tuple[list[Any], SDKResponse]:
    """Stream a response; validate each event against the SDK's union and the wire contract."""
    with client.responses.create(stream=True, **request) as stream:
        events = list(stream)
    for event in events:
        assert type(SDK_EVENT_UNION.validate_python(event.to_dict())) is SDK_EVENTS[event.type]
    check_events([(event.type, event.to_dict()) for event in events])
    assert events[-1].type == "response.completed"
    final: SDKResponse = events[-1].response
    return events, final


def sdk(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)


# Each server is started once per module: starting a Python program is most of the time these tests take.


@pytest.fixture(scope="module")
def basic_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running("basic", tmp_path_factory.mktemp("logs")) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def haystack_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    pytest.importorskip("haystack")
    with running("haystack_chat", tmp_path_factory.mktemp("logs"), "--delay", "0") as base_url:
        yield base_url


@pytest.fixture(scope="module")
def embeddings_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running("embeddings", tmp_path_factory.mktemp("logs")) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def responses_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running("responses_basic", tmp_path_factory.mktemp("logs")) as base_url:
        yield base_url


# --- basic.py -----------------------------------------------------------------------------------


def test_basic_echo_server(basic_url: str) -> None:
    with sdk(basic_url) as client:
        assert [model.id for model in client.models.list()] == ["echo"]

        raw = client.chat.completions.with_raw_response.create(
            model="echo", messages=[{"role": "user", "content": "Hello there"}]
        )
        SDKChatCompletion.model_validate(raw.http_response.json())
        assert raw.parse().choices[0].message.content == "Hello there"
        chunks = chat_chunks(client, model="echo", messages=[{"role": "user", "content": "one two three"}])
        assert [chunk.choices[0].delta.content for chunk in chunks] == ["one", " two", " three", ""]

        assert client.responses.create(model="echo", input="Hi you").output_text == "Hi you"
        events, final = response_events(client, model="echo", input="Hi you")
        assert [event.delta for event in events if event.type == "response.output_text.delta"] == ["Hi", " you"]
        assert final.output_text == "Hi you"

    lines = run_client("basic_client", "--base-url", basic_url, "Hi from the test")
    assert lines == ["models: echo", "answer: Hi from the test", "streamed: Hi from the test"]


# --- haystack_chat.py ---------------------------------------------------------------------------


def test_haystack_chat_streams_from_the_pipeline(haystack_url: str) -> None:
    question = [{"role": "user", "content": "What is Haystack?"}]
    with sdk(haystack_url) as client:
        assert [model.id for model in client.models.list()] == ["haystack"]

        plain = client.chat.completions.create(model="haystack", messages=question)  # type: ignore[arg-type]
        assert plain.choices[0].message.content == "Haystack heard: What is Haystack?"
        assert plain.choices[0].finish_reason == "stop"

        chunks = chat_chunks(
            client, model="haystack", messages=question, stream_options={"include_usage": True}
        )  # fmt: skip
        # One chunk per StreamingChunk the pipeline's streaming_callback received.
        assert [chunk.choices[0].delta.content for chunk in chunks if chunk.choices] == [
            "Haystack", " heard:", " What", " is", " Haystack?", ""
        ]  # fmt: skip
        # The generator's last chunk carried its usage in `meta`; it comes back as the usage chunk.
        assert chunks[-1].choices == []
        assert chunks[-1].usage is not None
        assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (3, 5)

        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-4o", messages=question)  # type: ignore[arg-type]

    lines = run_client("basic_client", "--base-url", haystack_url, "--model", "haystack", "Hello pipeline")
    assert lines == [
        "models: haystack",
        "answer: Haystack heard: Hello pipeline",
        "streamed: Haystack heard: Hello pipeline",
    ]


def test_haystack_chat_switched_to_openai_chat_generator(basic_url: str, tmp_path: Path) -> None:
    """`--openai` puts Haystack's OpenAIChatGenerator in the pipeline; here it talks to basic.py, not to OpenAI."""
    pytest.importorskip("haystack")
    options = ["--openai", "--openai-model", "echo", "--openai-base-url", basic_url]
    with (
        running("haystack_chat", tmp_path, *options, env={"OPENAI_API_KEY": "unused"}) as base_url,
        sdk(base_url) as client,
    ):
        question: Any = [{"role": "user", "content": "Hi through two servers"}]
        plain = client.chat.completions.create(model="haystack", messages=question)
        chunks = chat_chunks(client, model="haystack", messages=question)
    assert plain.choices[0].message.content == "Hi through two servers"
    # basic.py streams word by word; OpenAIChatGenerator hands each word to the streaming callback.
    assert text_of(chunks) == "Hi through two servers"
    assert len([chunk for chunk in chunks if chunk.choices[0].delta.content]) == 4


# --- responses_basic.py -------------------------------------------------------------------------


def test_responses_basic_with_the_sdk(responses_url: str) -> None:
    weather_tool: Any = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    }
    with sdk(responses_url) as client:
        assert [model.id for model in client.models.list()] == ["demo"]

        raw = client.responses.with_raw_response.create(model="demo", input="Hello there")
        SDKResponse.model_validate(raw.http_response.json())
        assert raw.parse().output_text == "You said: Hello there"

        events, final = response_events(client, model="demo", input="Stream me")
        deltas = [event.delta for event in events if event.type == "response.output_text.delta"]
        assert deltas == ["You", " said:", " Stream", " me"]
        assert final.output_text == "You said: Stream me"

        question = {"role": "user", "content": "Weather in Oslo?"}
        events, final = response_events(client, model="demo", input=[question], tools=[weather_tool])
        [call] = final.output
        assert call.type == "function_call"
        assert (call.name, json.loads(call.arguments)) == ("get_weather", {"city": "Oslo"})
        arguments = [event.delta for event in events if event.type == "response.function_call_arguments.delta"]
        assert len(arguments) == 2
        assert "".join(arguments) == call.arguments

        # Not streamed, the call comes back whole.
        [plain_call] = client.responses.create(model="demo", input=[question], tools=[weather_tool]).output
        assert plain_call.type == "function_call"
        assert plain_call.name == "get_weather"

        answer = client.responses.create(
            model="demo",
            input=[
                question,
                {"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                {"type": "function_call_output", "call_id": call.call_id, "output": "clear, 2 °C"},
            ],
            tools=[weather_tool],
        )
    assert answer.output_text == "The weather in Oslo: clear, 2 °C"


def test_responses_basic_client_program(responses_url: str) -> None:
    lines = run_client("responses_basic_client", "--base-url", responses_url, "--city", "Oslo")
    assert lines == [
        "plain: You said: Hello there",
        "streamed: You said: Stream this answer, please",
        'function call: get_weather({"city": "Oslo"})',
        "tool output: snowing, -3 °C",
        "final: The weather in Oslo: snowing, -3 °C",
    ]


# --- responses_stateful.py ---------------------------------------------------------------------


def test_responses_stateful_server_and_client(tmp_path: Path) -> None:
    with running("responses_stateful", tmp_path) as base_url:
        lines = run_client("responses_stateful", "--client", "--base-url", base_url)
        with sdk(base_url) as client:
            first = client.responses.create(model="notes", input="one")
            second = client.responses.create(model="notes", input="two", previous_response_id=first.id)
            assert second.output_text == "Noted (2): one | two"
            found = client.responses.retrieve(second.id)
            SDKResponse.model_validate(found.to_dict())
            assert found.output_text == second.output_text
            assert [item.id for item in client.responses.input_items.list(second.id)] != []
    story = "Once upon a time a small server kept every word it was told, and never lost the thread."
    assert lines[:3] == [
        "turn 1: Noted (1): My name is Ada.",
        "turn 2: Noted (2): My name is Ada. | I live in Oslo.",
        "turn 3: Noted (3): My name is Ada. | I live in Oslo. | What do you know about me?",
    ]
    # Polling sees `in_progress` unless the whole story was told between two polls.
    assert lines[3] in (
        f"background: queued -> in_progress -> completed: {story}",
        f"background: queued -> completed: {story}",
    )
    # created, queued, in_progress, item added, part added, then "Once", " upon", " a", " time".
    assert lines[4:] == [f"resumed after event 8: {story}"]


# --- responses_redis.py --------------------------------------------------------------------------


def test_responses_redis_server_on_two_workers_and_client(tmp_path: Path, redis_server: Any) -> None:
    """Two uvicorn workers on the test's redis-server (skipped only where redis-server is missing outside CI)."""
    with running("responses_redis", tmp_path, "--workers", "2", "--redis-url", redis_server.url) as base_url:
        lines = run_client("responses_redis", "--client", "--base-url", base_url)
        with sdk(base_url) as client:
            previous = None
            for turn in range(1, 9):  # the turns land on either worker
                answer = client.responses.create(model="notes", input=f"t{turn}", previous_response_id=previous)
                assert answer.output_text.endswith(" | ".join(f"t{n}" for n in range(1, turn + 1)))
                previous = answer.id
            assert client.responses.retrieve(previous).id == previous
        kept = [key.decode() for key in redis.Redis.from_url(redis_server.url).scan_iter("openai-compat:response:*")]
        assert f"openai-compat:response:{previous}" in kept
    story = "Once upon a time four workers shared one memory, and every one of them knew the whole story."
    said = ["My name is Ada.", "I live in Oslo.", "What do you know about me?"]
    assert [re.sub(r"worker \d+", "worker N", line) for line in lines[:3]] == [
        f"turn {n}: Noted ({n}, worker N): " + " | ".join(said[:n]) for n in (1, 2, 3)
    ]
    assert lines[3] in (
        f"background: queued -> in_progress -> completed: {story}",
        f"background: queued -> completed: {story}",
    )
    assert lines[4:] == [f"resumed after event 8: {story}", "cancelled: cancelled"]


# --- embeddings.py ------------------------------------------------------------------------------


def example_module(name: str) -> Any:
    """Import an example as a module (to compute what its server must answer)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_embeddings_example_with_the_sdk(embeddings_url: str) -> None:
    example = example_module("embeddings")
    documents = ["The cat sat on the mat.", "Stock markets fell sharply today.", "A dog chased the cat."]
    with sdk(embeddings_url) as client:
        assert [model.id for model in client.models.list()] == ["hashing-256"]
        result = client.embeddings.create(model="hashing-256", input=documents)
        vectors = [item.embedding for item in result.data]
        # The SDK's default (base64) carries float32: the example's doubles, rounded once.
        assert vectors == [list(array.array("f", example.embed(text))) for text in documents]
        exact = client.embeddings.create(model="hashing-256", input=documents, encoding_format="float")
        assert [item.embedding for item in exact.data] == [example.embed(text) for text in documents]
        assert result.usage.prompt_tokens == 6 + 5 + 5  # words

        query = client.embeddings.create(model="hashing-256", input="Where is the cat?").data[0].embedding
        scores = [sum(a * b for a, b in zip(query, vector, strict=True)) for vector in vectors]
        assert scores.index(min(scores)) == 1  # the text without a shared word is the least similar

        short = client.embeddings.create(
            model="hashing-256", input=documents[0], dimensions=64, encoding_format="float"
        )
        assert len(short.data[0].embedding) == 64
        assert math.fsum(value * value for value in short.data[0].embedding) == pytest.approx(1.0)

        with pytest.raises(openai.NotFoundError):
            client.embeddings.create(model="text-embedding-3-small", input="x")
