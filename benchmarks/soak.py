"""Load and soak test: many streaming clients for minutes, some leaving midway; nothing may fail or pile up.

Starts an app serving Chat Completions and Responses (sync and async generators) under uvicorn in a
subprocess on 127.0.0.1, then runs `--clients` concurrent streaming clients for `--duration` seconds.
A share of the requests (`--disconnect-share`) is abandoned after the first chunks, as a client that
leaves would. Meanwhile the server's resident memory (RSS), thread count and open file descriptors are
sampled every second.

Reported: requests completed and abandoned, errors (any non-200, broken or incomplete stream,
transport error), p50/p99 latency of complete streams (and of their first byte), and the server's
RSS over time. Exits 1 when there was an error, when RSS grew (mean of the last quarter of the run
more than `--rss-tolerance-mib` above the mean of the second quarter; the first quarter is warm-up),
or when the server kept connections open after the clients left; 0 otherwise.

Traffic goes to 127.0.0.1 only, the run stops by itself after `--duration` seconds or
`--max-requests` requests, and the server process is always terminated.

    python benchmarks/soak.py                  # 64 clients, 5 minutes
    python benchmarks/soak.py --duration 45    # the short version the `soak` nox session runs
"""

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router

HOST = "127.0.0.1"  # loopback only, by design: there is no option to change it
MAX_DURATION = 3600.0
MIB = 1024 * 1024
MODELS = ["sync", "async"]
REQUEST_TIMEOUT = 30.0  # a request without an answer by then counts as an error (a hang)


# --- the server (runs in the subprocess) -------------------------------------------------------------


def build_app(chunks: int, delay: float) -> FastAPI:
    """Chat Completions and Responses, each streaming `chunks` words from a sync or an async generator."""

    def sync_words() -> Iterator[str]:
        for i in range(chunks):
            time.sleep(delay)
            yield f"w{i} "

    async def async_words() -> AsyncIterator[str]:
        for i in range(chunks):
            await asyncio.sleep(delay)
            yield f"w{i} "

    def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        return sync_words() if model == "sync" else async_words()

    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: MODELS, run_completion=run))
    app.include_router(create_responses_router(list_models=lambda: MODELS, run_response=run))
    return app


def serve(fd: int, chunks: int, delay: float) -> None:
    """Serve the app on the listening socket inherited as file descriptor `fd`."""
    sock = socket.socket(fileno=fd)
    config = uvicorn.Config(
        build_app(chunks, delay), log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=5
    )
    uvicorn.Server(config).run(sockets=[sock])


# --- measurements ---------------------------------------------------------------------------------------


@dataclass
class Sample:
    at: float
    rss: int
    threads: int
    fds: int
    cpu: float  # seconds of CPU the process has used so far


def sample(pid: int, started: float) -> Sample | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        stat = Path(f"/proc/{pid}/stat").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss = int(fields["VmRSS"].split()[0]) * 1024
    # utime and stime, the 14th and 15th fields, counted after the command name in parentheses.
    times = stat.rsplit(")", 1)[1].split()[11:13]
    cpu = sum(int(t) for t in times) / os.sysconf("SC_CLK_TCK")
    return Sample(time.monotonic() - started, rss, int(fields["Threads"]), fds, cpu)


@dataclass
class Results:
    completed: int = 0
    abandoned: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    first_bytes: list[float] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    sent: int = 0
    client_cpu: float = 0.0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- the clients ----------------------------------------------------------------------------------------


def request_for(api: str, model: str) -> tuple[str, dict[str, Any]]:
    if api == "chat":
        return "/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    return "/v1/responses", {"model": model, "input": "hi", "stream": True}


def stream_complete(api: str, body: bytes, chunks: int) -> str | None:
    """Why a complete stream is wrong, or None when it is right."""
    if api == "chat":
        if not body.endswith(b"data:[DONE]\n\n"):
            return "chat stream without [DONE]"
        if body.count(b'"content":"w') != chunks:
            return "chat stream missing chunks"
        if b'"error"' in body:
            return "chat stream error frame"
        return None
    if b"event: response.completed\n" not in body:
        return "responses stream without response.completed"
    if body.count(b"event: response.output_text.delta\n") != chunks:
        return "responses stream missing chunks"
    return None


class Connection:
    """One keep-alive HTTP/1.1 connection, spoken by hand: httpx would cost more CPU than the server under test."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, payload: dict[str, Any]) -> tuple[int, bool]:
        """Send a request; return the status and whether the body is chunked (its length otherwise unread)."""
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        headers = (await self.reader.readuntil(b"\r\n\r\n")).lower()
        status = int(headers.split(b" ", 2)[1])
        return status, b"transfer-encoding: chunked" in headers

    async def chunks(self) -> AsyncIterator[bytes]:
        """The pieces of a chunked body as they arrive."""
        reader = self.reader
        if reader is None:
            raise ConnectionError("not connected")
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            if size == 0:
                await reader.readline()
                return
            data = await reader.readexactly(size)
            await reader.readexactly(2)
            yield data

    def leave(self, *, reset: bool) -> None:
        """Drop the connection midway, with a FIN or (`reset`) an RST."""
        if self.writer is not None:
            if reset:
                self.writer.transport.abort()
            else:
                self.writer.close()
        self.reader = self.writer = None


async def one_request(
    conn: Connection, api: str, model: str, *, leave_after: int, args: argparse.Namespace, results: Results
) -> None:
    """Stream one answer to its end, or leave after `leave_after` pieces of it; record what happened."""
    path, payload = request_for(api, model)
    started = time.perf_counter()
    status, chunked = await conn.post(path, payload)
    if status != 200 or not chunked:
        results.errors[f"HTTP {status}"] += 1
        conn.leave(reset=False)
        return
    parts: list[bytes] = []
    async for part in conn.chunks():
        if not parts:
            results.first_bytes.append(time.perf_counter() - started)
        parts.append(part)
        if leave_after and len(parts) >= leave_after:
            conn.leave(reset=bool(results.abandoned % 2))
            results.abandoned += 1
            return
    problem = stream_complete(api, b"".join(parts), args.chunks)
    if problem:
        results.errors[problem] += 1
        return
    results.latencies.append(time.perf_counter() - started)
    results.completed += 1


async def client_loop(
    port: int, args: argparse.Namespace, results: Results, deadline: float, rng: random.Random
) -> None:
    conn = Connection(port)
    while time.monotonic() < deadline and results.sent < args.max_requests:
        results.sent += 1
        api = "chat" if rng.random() < 0.5 else "responses"
        model = MODELS[rng.randrange(2)]
        leave_after = rng.randint(1, 3) if rng.random() < args.disconnect_share else 0
        try:
            await asyncio.wait_for(
                one_request(conn, api, model, leave_after=leave_after, args=args, results=results), REQUEST_TIMEOUT
            )
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            results.errors[type(exc).__name__] += 1
            conn.leave(reset=False)
        except asyncio.TimeoutError:
            results.errors[f"no answer within {REQUEST_TIMEOUT:g} s"] += 1
            conn.leave(reset=False)
    conn.leave(reset=False)


async def sampler(pid: int, started: float, results: Results, stop: asyncio.Event) -> None:
    while not stop.is_set():
        point = sample(pid, started)
        if point is not None:
            results.samples.append(point)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def run_load(args: argparse.Namespace, port: int, pid: int) -> tuple[Results, Sample | None, Sample | None]:
    results = Results()
    rng = random.Random(args.seed)
    before = sample(pid, time.monotonic())
    client_cpu = time.process_time()
    started = time.monotonic()
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler(pid, started, results, stop))
    deadline = started + args.duration
    await asyncio.gather(
        *(client_loop(port, args, results, deadline, random.Random(rng.random())) for _ in range(args.clients))
    )
    stop.set()
    await sampling
    results.client_cpu = time.process_time() - client_cpu
    # The clients are gone: give the server a moment to close its side, then look again.
    await asyncio.sleep(2.0)
    after = sample(pid, time.monotonic())
    return results, before, after


# --- the run --------------------------------------------------------------------------------------------


def wait_until_serving(port: int, server: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(f"GET /v1/models HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
                if sock.recv(12).startswith(b"HTTP/1.1 200"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def report(args: argparse.Namespace, results: Results, before: Sample | None, after: Sample | None) -> bool:
    samples = results.samples
    n = len(samples)
    second = [s.rss for s in samples[n // 4 : n // 2]] or [s.rss for s in samples]
    last = [s.rss for s in samples[3 * n // 4 :]] or [s.rss for s in samples]
    growth = (statistics.fmean(last) - statistics.fmean(second)) / MIB if samples else float("nan")
    rss_flat = bool(samples) and growth <= args.rss_tolerance_mib
    fds_ok = before is not None and after is not None and after.fds <= before.fds + 2
    ok = not results.errors and rss_flat and fds_ok and results.completed > 0

    print(
        f"soak: {args.duration:.0f} s, {args.clients} streaming clients on {HOST}, "
        f"{args.disconnect_share:.0%} of requests abandoned midway; chat and responses, sync and async generators, "
        f"{args.chunks} chunks each"
    )
    print(
        f"requests: {results.completed} complete, {results.abandoned} abandoned midway, "
        f"errors: {sum(results.errors.values())}" + (f" {dict(results.errors)}" if results.errors else "")
    )
    print(
        f"latency of complete streams: p50 {percentile(results.latencies, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(results.latencies, 0.99) * 1000:.1f} ms; first byte: "
        f"p50 {percentile(results.first_bytes, 0.5) * 1000:.1f} ms, "
        f"p99 {percentile(results.first_bytes, 0.99) * 1000:.1f} ms"
    )
    if samples:
        rss = [s.rss / MIB for s in samples]
        step = max(1, n // 12)
        series = ", ".join(f"{s.at:.0f}s {s.rss / MIB:.1f}" for s in samples[::step])
        print(f"server RSS (MiB) over time: {series}")
        print(
            f"server RSS (MiB): start {rss[0]:.1f}, end {rss[-1]:.1f}, max {max(rss):.1f}; "
            f"mean of 2nd quarter {statistics.fmean(second) / MIB:.1f}, of last quarter "
            f"{statistics.fmean(last) / MIB:.1f} ({growth:+.1f}, limit +{args.rss_tolerance_mib:g}) -> "
            + ("flat" if rss_flat else "GROWING")
        )
        elapsed = samples[-1].at - samples[0].at or 1.0
        server_cpu = (samples[-1].cpu - samples[0].cpu) / elapsed
        print(
            f"CPU (share of one core): server {server_cpu:.0%}, load generator {results.client_cpu / elapsed:.0%} "
            f"({os.cpu_count()} cores); server threads: max {max(s.threads for s in samples)} during the run"
        )
    if before is not None and after is not None:
        print(
            f"server before/after the run: threads {before.threads}/{after.threads}, "
            f"open file descriptors {before.fds}/{after.fds}" + ("" if fds_ok else " -> CONNECTIONS LEFT OPEN")
        )
    print("verdict: " + ("PASS" if ok else "FAIL"))
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "duration_s": args.duration,
                    "clients": args.clients,
                    "disconnect_share": args.disconnect_share,
                    "completed": results.completed,
                    "abandoned": results.abandoned,
                    "errors": dict(results.errors),
                    "latency_ms": {
                        "p50": percentile(results.latencies, 0.5) * 1000,
                        "p99": percentile(results.latencies, 0.99) * 1000,
                    },
                    "first_byte_ms": {
                        "p50": percentile(results.first_bytes, 0.5) * 1000,
                        "p99": percentile(results.first_bytes, 0.99) * 1000,
                    },
                    "rss_mib": [[round(s.at, 1), round(s.rss / MIB, 2)] for s in samples],
                    "rss_growth_mib": growth,
                    "fds_before_after": [before.fds if before else None, after.fds if after else None],
                    "pass": ok,
                },
                indent=2,
            )
        )
    return ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of load (default 300, at most 3600)")
    parser.add_argument("--clients", type=int, default=64, help="concurrent streaming clients (default 64)")
    parser.add_argument("--disconnect-share", type=float, default=0.2, help="share of requests abandoned midway")
    parser.add_argument("--chunks", type=int, default=20, help="chunks per stream (default 20)")
    parser.add_argument("--chunk-delay", type=float, default=0.005, help="seconds between chunks (default 0.005)")
    parser.add_argument("--max-requests", type=int, default=5_000_000, help="stop after this many requests")
    parser.add_argument("--rss-tolerance-mib", type=float, default=8.0, help="allowed RSS growth (default 8 MiB)")
    parser.add_argument("--seed", type=int, default=2024, help="seed of the clients' choices")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--serve", type=int, metavar="FD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:.0f}]")
    if not 1 <= args.clients <= 1024:
        parser.error("--clients must be between 1 and 1024")
    if not 0 <= args.disconnect_share <= 1:
        parser.error("--disconnect-share must be between 0 and 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.chunks, args.chunk_delay)
        return 0

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((HOST, 0))
    listener.listen(1024)
    port = listener.getsockname()[1]
    command = [
        sys.executable,
        __file__,
        "--serve",
        str(listener.fileno()),
        "--chunks",
        str(args.chunks),
        "--chunk-delay",
        str(args.chunk_delay),
    ]
    server = subprocess.Popen(command, pass_fds=[listener.fileno()])  # noqa: S603 - our own script
    listener.close()
    try:
        wait_until_serving(port, server)
        results, before, after = asyncio.run(run_load(args, port, server.pid))
    finally:
        # uvicorn shuts down gracefully on SIGTERM.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    return 0 if report(args, results, before, after) else 1


if __name__ == "__main__":
    sys.exit(main())
