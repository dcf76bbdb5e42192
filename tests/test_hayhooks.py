"""Hayhooks, the main downstream user of 1.x, served on this meta package.

Hayhooks (`hayhooks run`) builds its `/v1` routes with our router factories and parses our streamed
chunks with `fastapi_openai_compat.ChatCompletion`. The test runs the real Hayhooks server in a
process of its own (Hayhooks configures logging and Haystack tracing globally), deploys a pipeline
wrapper written here (no model, no network) through Hayhooks' `/deploy_files`, and drives the
OpenAI routes with the `openai` SDK and raw HTTP: models, chat (plain and streamed, text, reasoning
and tool calls), Responses (plain and streamed) and a file upload.
"""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk
from openai.types.responses import Response as SDKResponse

from fastapi_openai_compat import ChatCompletion, FileObject
from openai_compat_responses.testing import check_events, parse_events

pytest.importorskip("hayhooks", reason="hayhooks (a test dependency) is not installed for this Python")

STARTUP_TIMEOUT = 90.0  # Hayhooks imports Haystack and its tracing stack: slow on a cold, busy machine

# The pipeline wrapper Hayhooks loads. It answers from the request alone; what it streams depends on
# the last user message: "tools" streams a reasoning step and a tool call, anything else its words.
WRAPPER = """
import time
from collections.abc import Iterator

from haystack.dataclasses import ReasoningContent, StreamingChunk
from haystack.dataclasses.streaming_chunk import ToolCallDelta

from hayhooks import BasePipelineWrapper, get_last_user_message


class PipelineWrapper(BasePipelineWrapper):
    def setup(self) -> None:
        self.pipeline = None

    def run_api(self, question: str) -> str:
        return question

    def run_chat_completion(self, model: str, messages: list[dict], body: dict) -> Iterator[StreamingChunk]:
        question = get_last_user_message(messages) or ""
        if question == "tools":
            yield StreamingChunk(content="", index=0, reasoning=ReasoningContent(reasoning_text="Need the weather."))
            yield StreamingChunk(
                content="", index=1, tool_calls=[ToolCallDelta(index=0, id="call_1", tool_name="weather")]
            )
            yield StreamingChunk(content="", index=1, tool_calls=[ToolCallDelta(index=0, arguments='{"city": "Rome"}')])
            yield StreamingChunk(content="", finish_reason="tool_calls")
            return
        for word in question.split():
            yield StreamingChunk(content=word + " ")

    def run_response(self, model: str, input_items: list[dict], body: dict) -> Iterator[StreamingChunk]:
        for word in ["Hayhooks", " answers"]:
            yield StreamingChunk(content=word)

    def run_file_upload(self, filename, content_type, content: bytes, purpose: str) -> dict:
        return {
            "id": "file-hayhooks-1",
            "object": "file",
            "bytes": len(content),
            "created_at": int(time.time()),
            "filename": filename or "",
            "purpose": purpose,
        }
"""

MODEL = "wrapped"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def hayhooks_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run `hayhooks run` on a free port with an empty pipelines folder; yield its URL."""
    home = tmp_path_factory.mktemp("hayhooks")
    (home / "pipelines").mkdir()
    port = free_port()
    env = {**os.environ, "HOME": str(home)}
    command = [
        *(sys.executable, "-c", "from hayhooks.cli import hayhooks_cli; hayhooks_cli()"),
        *("run", "--host", "127.0.0.1", "--port", str(port), "--pipelines-dir", str(home / "pipelines")),
        *("--without-monitoring", "--without-tracing"),
    ]
    log = home / "hayhooks.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - Hayhooks' own CLI, run with this interpreter
            command, cwd=home, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(f"hayhooks exited with {server.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/status", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"hayhooks did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)  # polling a starting process: nothing to wait on but its socket
        deployed = httpx.post(
            f"{url}/deploy_files",
            json={"name": MODEL, "files": {"pipeline_wrapper.py": WRAPPER}, "save_files": False},
            timeout=60,
        )
        assert deployed.status_code == 200, deployed.text
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def client(hayhooks_url: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=f"{hayhooks_url}/v1", api_key="unused", max_retries=0) as sdk:
        yield sdk


def chat_stream_lines(url: str, question: str) -> list[str]:
    body = {"model": MODEL, "messages": [{"role": "user", "content": question}], "stream": True}
    with httpx.stream("POST", f"{url}/v1/chat/completions", json=body, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return [line for line in response.iter_lines() if line]


def parsed_chunks(lines: list[str]) -> list[ChatCompletion]:
    """Every chunk of the stream, parsed as Hayhooks' tests parse them: with `fastapi_openai_compat.ChatCompletion`."""
    assert lines[-1] == "data:[DONE]"
    chunks = []
    for line in lines[:-1]:
        payload = json.loads(line.removeprefix("data:").removeprefix(" "))
        ChatCompletionChunk.model_validate(payload)
        chunks.append(ChatCompletion(**payload))
    return chunks


def test_models(hayhooks_url: str, client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == [MODEL]
    listing = httpx.get(f"{hayhooks_url}/v1/models").json()
    assert listing["data"][0]["owned_by"] == "hayhooks"
    assert client.models.retrieve(MODEL).id == MODEL


def test_plain_chat_completion(hayhooks_url: str, client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hello there"}])
    assert completion.choices[0].message.content == "hello there "
    assert completion.choices[0].finish_reason == "stop"
    raw = httpx.post(
        f"{hayhooks_url}/v1/chat/completions",
        json={"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
    )
    parsed = ChatCompletion(**raw.json())
    assert parsed.object == "chat.completion"
    assert parsed.choices[0].message is not None
    assert parsed.choices[0].message.content == "hi "


def test_streamed_chat_completion_chunks_parse_with_chatcompletion(hayhooks_url: str) -> None:
    chunks = parsed_chunks(chat_stream_lines(hayhooks_url, "what is Redis"))
    assert len({(chunk.id, chunk.created) for chunk in chunks}) == 1
    deltas = [chunk.choices[0].delta for chunk in chunks]
    assert all(delta is not None and delta.role == "assistant" for delta in deltas)
    assert [delta.content for delta in deltas if delta is not None] == ["what ", "is ", "Redis ", ""]
    # What Hayhooks' own tests check of the last chunk.
    last = chunks[-1].choices[0]
    assert (last.delta.content, last.delta.role, last.index, last.logprobs) == ("", "assistant", 0, None)  # type: ignore[union-attr]
    assert last.finish_reason == "stop"


def test_streamed_reasoning_and_tool_calls(hayhooks_url: str, client: openai.OpenAI) -> None:
    chunks = parsed_chunks(chat_stream_lines(hayhooks_url, "tools"))
    deltas = [chunk.choices[0].delta for chunk in chunks]
    assert deltas[0] is not None
    assert (deltas[0].reasoning_content, deltas[0].content) == ("Need the weather.", None)
    calls = [call for delta in deltas if delta is not None for call in delta.tool_calls or []]
    assert calls[0]["id"] == "call_1"
    assert calls[0]["function"]["name"] == "weather"
    assert "".join(call["function"]["arguments"] for call in calls) == '{"city": "Rome"}'
    assert chunks[-1].choices[0].finish_reason == "tool_calls"

    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "tools"}], stream=True
    )  # fmt: skip
    sdk_chunks = [ChatCompletionChunk.model_validate(chunk.to_dict()) for chunk in stream]
    sdk_calls = [call for chunk in sdk_chunks for call in chunk.choices[0].delta.tool_calls or []]
    assert sdk_calls[0].function is not None
    assert sdk_calls[0].function.name == "weather"


def test_responses_plain_and_streamed(hayhooks_url: str, client: openai.OpenAI) -> None:
    response = client.responses.create(model=MODEL, input="hi")
    assert response.output_text == "Hayhooks answers"
    body = {"model": MODEL, "input": "hi", "stream": True}
    with httpx.stream("POST", f"{hayhooks_url}/v1/responses", json=body, timeout=60) as streamed:
        text = "".join(streamed.iter_text())
    final = check_events(parse_events(text))
    SDKResponse.model_validate(final)
    assert final["output"][0]["content"][0]["text"] == "Hayhooks answers"
    with client.responses.stream(model=MODEL, input="hi") as stream:
        assert stream.get_final_response().output_text == "Hayhooks answers"


def test_file_upload(client: openai.OpenAI, tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_bytes(b"hello hayhooks")
    with document.open("rb") as handle:
        uploaded = client.files.create(file=handle, purpose="assistants")
    assert (uploaded.id, uploaded.bytes, uploaded.filename, uploaded.purpose) == (
        "file-hayhooks-1",
        len(b"hello hayhooks"),
        "notes.txt",
        "assistants",
    )
    FileObject.model_validate(uploaded.to_dict())


def test_a_chat_stream_read_the_1x_way(hayhooks_url: str) -> None:
    """Hayhooks' tests take each `data: ` line as JSON; the end-of-stream frame must not break that."""
    lines = chat_stream_lines(hayhooks_url, "one two")
    chunks = [ChatCompletion(**json.loads(line[len("data: ") :])) for line in lines if line.startswith("data: ")]
    assert [chunk.choices[0].delta.content for chunk in chunks] == ["one ", "two ", ""]  # type: ignore[union-attr]
