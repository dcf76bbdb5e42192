"""`examples/responses_with_files.py` and its client: upload with the SDK, then use the file in Responses."""

import importlib.util
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import openai
import pytest

pytest.importorskip("openai_compat_responses", reason="the example needs openai-compat-responses")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_upload_then_ask_about_the_file(live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server_module = load_example("responses_with_files")
    client_module = load_example("responses_with_files_client")
    store = tmp_path / "store"
    server = live_server(server_module.create_app(store))
    document = tmp_path / "minutes.txt"
    document.write_text("Board meeting, 3 March\nBudget approved.\n")

    with openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client:
        answer = client_module.run(client, document)

    assert answer == f"Summarise: minutes.txt ({document.stat().st_size} bytes) starts with: 'Board meeting, 3 March'"
    printed = capsys.readouterr().out
    assert "uploaded minutes.txt as file-" in printed
    assert list(store.iterdir()) == []  # the client deleted its upload: no data or metadata left


def test_unknown_file_in_a_response_is_404(live_server: Any, tmp_path: Path) -> None:
    server = live_server(load_example("responses_with_files").create_app(tmp_path))
    with (
        openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0) as client,
        pytest.raises(openai.NotFoundError) as missing,
    ):
        client.responses.create(
            model="file-reader",
            input=[{"role": "user", "content": [{"type": "input_file", "file_id": "file-nope"}]}],
        )
    assert missing.value.code == "file_not_found"


def test_store_refuses_too_large_uploads_and_keeps_nothing(live_server: Any, tmp_path: Path) -> None:
    module = load_example("responses_with_files")
    module.MAX_FILE_SIZE = 1000
    server = live_server(module.create_app(tmp_path))

    def body() -> Any:
        yield b'--x\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
        yield b'--x\r\nContent-Disposition: form-data; name="file"; filename="big"\r\n\r\n'
        yield b"0" * 5000
        yield b"\r\n--x--\r\n"

    response = httpx.post(
        f"{server.base_url}/files", content=body(), headers={"content-type": "multipart/form-data; boundary=x"}
    )
    assert response.status_code == 413
    assert list(tmp_path.iterdir()) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_example_scripts_run_as_programs(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - the example, run with this interpreter
        [sys.executable, str(EXAMPLES / "responses_with_files.py"), "--port", str(port), "--store", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert json.loads(server.stdout.readline())["url"] == f"http://127.0.0.1:{port}/v1"
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        document = tmp_path / "hello.md"
        document.write_text("# Hello\nworld\n")
        client = subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(EXAMPLES / "responses_with_files_client.py"),
                "--base-url",
                f"http://127.0.0.1:{port}/v1",
                str(document),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert client.returncode == 0, client.stderr
    assert "answer: Summarise: hello.md (14 bytes) starts with: '# Hello'" in client.stdout
