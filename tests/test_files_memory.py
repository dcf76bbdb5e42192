"""A too-large upload is refused while it arrives: 413, no callback call, and no memory growth in the server.

The server runs in a subprocess so its peak resident memory (`VmHWM` in `/proc/<pid>/status`) measures
nothing but the server.
"""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc to read VmHWM")

LIMIT = 1024 * 1024
UPLOAD = 50 * 1024 * 1024
CHUNK = 64 * 1024

SERVER = r"""
import socket
import sys

import uvicorn
from fastapi import FastAPI

from openai_compat_files import FileTooLargeError, create_files_router

limit = int(sys.argv[1])
counts = {"bytes_calls": 0, "stream_calls": 0, "stream_refused": 0}


def bytes_upload(filename, content_type, content, purpose):
    counts["bytes_calls"] += 1
    return {"id": "file-1", "bytes": len(content), "created_at": 1, "filename": filename, "purpose": purpose}


async def stream_upload(file, purpose):
    counts["stream_calls"] += 1
    try:
        async for _ in file:
            pass
    except FileTooLargeError:
        counts["stream_refused"] += 1
        raise
    return {"id": "file-2", "bytes": file.size, "created_at": 1, "filename": file.filename, "purpose": purpose}


app = FastAPI()
app.include_router(create_files_router(run_file_upload=bytes_upload, max_file_size=limit), prefix="/bytes")
app.include_router(create_files_router(run_file_upload=stream_upload, max_file_size=limit), prefix="/stream")


@app.get("/counts")
def get_counts():
    return counts


sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print(sock.getsockname()[1], flush=True)
server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
server.run(sockets=[sock])
"""

BOUNDARY = "memory-test-boundary"


def multipart_stream(size: int) -> Iterator[bytes]:
    """A multipart body with `purpose` first and a `size`-byte file, generated piece by piece."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    piece = b"\0" * CHUNK
    for _ in range(size // CHUNK):
        yield piece
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def peak_rss(pid: int) -> int:
    """The process's peak resident set size (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM line")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    script = tmp_path / "files_memory_server.py"
    script.write_text(SERVER)
    process = subprocess.Popen(  # noqa: S603 - our own script, run with this interpreter
        [sys.executable, str(script), str(LIMIT)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{url}/counts", timeout=1)
                break
            except httpx.TransportError:
                pass
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_oversized_upload_is_refused_while_arriving_without_memory_growth(server: tuple[str, int]) -> None:
    url, pid = server
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    with httpx.Client(timeout=30) as client:
        for route in ("bytes", "stream"):  # warm up both routes with an accepted upload
            accepted = client.post(f"{url}/{route}/v1/files", content=multipart_stream(LIMIT // 2), headers=headers)
            assert accepted.status_code == 200, accepted.text
        before = peak_rss(pid)

        refused = {
            route: client.post(f"{url}/{route}/v1/files", content=multipart_stream(UPLOAD), headers=headers)
            for route in ("bytes", "stream")
        }
        after = peak_rss(pid)
        counts = client.get(f"{url}/counts").json()

    for response in refused.values():
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file_too_large"
    assert counts == {"bytes_calls": 1, "stream_calls": 2, "stream_refused": 1}  # warm-up calls only, for bytes
    growth = after - before
    assert growth < 20 * 1024 * 1024, f"server peak RSS grew by {growth / 2**20:.1f} MiB for a 50 MiB upload"
