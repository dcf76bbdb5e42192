"""Peak server memory for one large upload: streaming callback vs. bytes callback vs. fastapi-openai-compat 1.4.0.

Each case starts a fresh uvicorn server in a subprocess, warms it up with a small upload, then
streams one upload (default 200 MiB, chunked, generated on the fly) with httpx and reports how much
the server's peak resident memory (`VmHWM` in `/proc/<pid>/status`, Linux only) grew, and how long
the upload took:

- `stream`: this package, a callback that declares `file` and copies the `UploadStream` to a
  temporary file on disk as it arrives;
- `bytes`: this package, a callback with the 1.4.0 signature (`content: bytes`), i.e. the file
  handed over whole, as 1.4.0 does;
- `1.4.0`: the released fastapi-openai-compat 1.4.0 (Starlette's `UploadFile`, then `await
  file.read()`), only with `--ref-python` pointing at an interpreter that has it installed::

      uv venv /tmp/ref14 && VIRTUAL_ENV=/tmp/ref14 uv pip install fastapi-openai-compat==1.4.0 uvicorn
      python benchmarks/upload_memory.py --ref-python /tmp/ref14/bin/python

Run from the repository root: `python benchmarks/upload_memory.py [--size-mib 200]`.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

SERVER = r"""
import os
import shutil
import socket
import sys
import tempfile

import uvicorn
from fastapi import FastAPI

mode = sys.argv[1]
app = FastAPI()

if mode == "1.4.0":
    from fastapi_openai_compat import create_files_router

    def upload(filename, content_type, content, purpose):
        return {"id": "file-1", "bytes": len(content), "created_at": 1, "filename": filename, "purpose": purpose}

    app.include_router(create_files_router(run_file_upload=upload))
elif mode == "bytes":
    from openai_compat_files import create_files_router

    def upload(filename, content_type, content, purpose):
        return {"id": "file-1", "bytes": len(content), "created_at": 1, "filename": filename, "purpose": purpose}

    app.include_router(create_files_router(run_file_upload=upload, max_file_size=None))
else:
    from openai_compat_files import create_files_router

    def upload(file, purpose):
        with tempfile.TemporaryFile() as out:
            shutil.copyfileobj(file.file, out)
        return {"id": "file-1", "bytes": file.size, "created_at": 1, "filename": file.filename, "purpose": purpose}

    app.include_router(create_files_router(run_file_upload=upload, max_file_size=None))

sock = socket.socket()
sock.bind(("127.0.0.1", 0))
sock.listen(64)
print(sock.getsockname()[1], flush=True)
uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off")).run(sockets=[sock])
"""

BOUNDARY = "benchmark-boundary"
CHUNK = 64 * 1024


def multipart_body(size: int) -> Iterator[bytes]:
    """A multipart body (purpose first, as the openai SDK sends it) with a `size`-byte file, made on the fly."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nuser_data\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    piece = bytes(range(256)) * (CHUNK // 256)
    for _ in range(size // CHUNK):
        yield piece
    if size % CHUNK:
        yield piece[: size % CHUNK]
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc status")


def measure(python: str, mode: str, size: int, script: Path) -> tuple[float, float, int]:
    """Return (peak RSS growth in bytes, upload seconds, file bytes the server reported) for one case."""
    process = subprocess.Popen([python, str(script), mode], stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        assert process.stdout is not None  # noqa: S101 - set by Popen
        url = f"http://127.0.0.1:{int(process.stdout.readline())}/v1/files"
        headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
        with httpx.Client(timeout=300) as client:
            for _ in range(50):
                try:
                    client.post(url, content=multipart_body(1024 * 1024), headers=headers).raise_for_status()
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            before = peak_rss(process.pid)
            start = time.perf_counter()
            response = client.post(url, content=multipart_body(size), headers=headers)
            seconds = time.perf_counter() - start
            response.raise_for_status()
            growth = peak_rss(process.pid) - before
        return growth, seconds, int(response.json()["bytes"])
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=200, help="upload size in MiB (default 200)")
    parser.add_argument("--ref-python", help="interpreter with fastapi-openai-compat 1.4.0 installed")
    args = parser.parse_args()
    size = args.size_mib * 1024 * 1024

    cases = [("stream", sys.executable), ("bytes", sys.executable)]
    if args.ref_python:
        cases.append(("1.4.0", args.ref_python))
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "upload_server.py"
        script.write_text(SERVER)
        print(f"upload of {args.size_mib} MiB, chunked, purpose before file; server peak RSS growth (VmHWM)")
        print(f"{'case':<8} {'peak RSS growth':>16} {'upload s':>9} {'MiB/s':>7}")
        for mode, python in cases:
            growth, seconds, received = measure(python, mode, size, script)
            if received != size:
                raise SystemExit(f"{mode}: the server reported {received} bytes, expected {size}")
            results[mode] = (growth, seconds)
            print(f"{mode:<8} {growth / 2**20:>12.1f} MiB {seconds:>9.2f} {args.size_mib / seconds:>7.0f}")
    # VmHWM moves in pages and a streamed upload may not move it at all: count at least 1 MiB.
    stream_growth = max(results["stream"][0], 2**20)
    floor = " (at least; stream counted as 1 MiB)" if results["stream"][0] < 2**20 else ""
    for mode in results:
        if mode != "stream":
            ratio = results[mode][0] / stream_growth
            time_ratio = results[mode][1] / results["stream"][1]
            print(f"{mode} / stream: peak RSS growth {ratio:.0f}x{floor}, upload time {time_ratio:.2f}x")


if __name__ == "__main__":
    main()
