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

With `--open-streams N` it runs another scenario instead: N streams from sync generators open at once
against the one server (each producer thread holds its stream open after the first chunk until all N
are open and measured, then the streams finish). Reported: the producer threads in use (the slots of
`stream_thread_limiter()` taken, and the server's threads) with all N open, the server's peak RSS
(`VmHWM`) and its memory per open stream, and errors. Exits 1 on any error, a stream that did not get its
own thread, or producer threads left over afterwards.

Traffic goes to 127.0.0.1 only, the run stops by itself after `--duration` seconds or
`--max-requests` requests, and the server process is always terminated.

    python benchmarks/soak.py                  # 64 clients, 5 minutes
    python benchmarks/soak.py --duration 45    # the short version the `soak` nox session runs
    python benchmarks/soak.py --open-streams 1000   # 1,000 concurrent sync-generator streams
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
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import stream_thread_limiter
from openai_compat_responses import create_responses_router

HOST = "127.0.0.1"  # loopback only, by design: there is no option to change it
MAX_DURATION = 3600.0
MIB = 1024 * 1024
MODELS = ["sync", "async"]
REQUEST_TIMEOUT = 30.0  # a request without an answer by then counts as an error (a hang)
HOLD_TIMEOUT = 120.0  # the longest a held stream waits to be let go (`--open-streams`)


# --- the server (runs in the subprocess) -------------------------------------------------------------


def build_app(chunks: int, delay: float) -> FastAPI:
    """Chat Completions and Responses, each streaming `chunks` words from a sync or an async generator.

    The model `held` streams from a sync generator that waits after its first word until
    `POST /soak/release`; `GET /soak/state` tells how many such generators run and what the
    producer-thread limiter holds.
    """
    release = threading.Event()
    lock = threading.Lock()
    holding = [0]

    def held_words() -> Iterator[str]:
        with lock:
            holding[0] += 1
        try:
            yield "w0 "
            release.wait(HOLD_TIMEOUT)
            for i in range(1, chunks):
                time.sleep(delay)
                yield f"w{i} "
        finally:
            with lock:
                holding[0] -= 1

    def sync_words() -> Iterator[str]:
        for i in range(chunks):
            time.sleep(delay)
            yield f"w{i} "

    async def async_words() -> AsyncIterator[str]:
        for i in range(chunks):
            await asyncio.sleep(delay)
            yield f"w{i} "

    def run(model: str, items: list[Any], body: dict[str, Any]) -> Any:
        if model == "held":
            return held_words()
        return sync_words() if model == "sync" else async_words()

    app = FastAPI()

    @app.get("/soak/state")
    async def state() -> dict[str, Any]:
        limiter = stream_thread_limiter()
        return {
            "holding": holding[0],
            "slots_taken": limiter.borrowed_tokens,
            "slots": limiter.total_tokens,
            "waiting": limiter.statistics().tasks_waiting,
            "threads": threading.active_count(),
        }

    @app.post("/soak/release")
    async def let_go() -> dict[str, bool]:
        release.set()
        return {"released": True}

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


# --- many streams open at once (--open-streams) -------------------------------------------------------------


def peak_rss(pid: int) -> int:
    """The server's peak resident memory so far (VmHWM), in bytes; 0 once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmHWM:")), 0)


async def call_json(port: int, method: str, path: str) -> dict[str, Any]:
    """One small request on a connection of its own; the JSON answer."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        data = await reader.read()
    finally:
        writer.close()
    result: dict[str, Any] = json.loads(data.partition(b"\r\n\r\n")[2])
    return result


@dataclass
class OpenStreams:
    wanted: int
    opened: int = 0
    completed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    all_open: asyncio.Event = field(default_factory=asyncio.Event)


async def held_stream(port: int, chunks: int, streams: OpenStreams) -> None:
    """One stream of the `held` model: counted open at its first piece, checked whole at its end."""
    conn = Connection(port)
    path, payload = request_for("chat", "held")
    try:
        status, chunked = await conn.post(path, payload)
        if status != 200 or not chunked:
            streams.errors[f"HTTP {status}"] += 1
            return
        parts: list[bytes] = []
        async for part in conn.chunks():
            if not parts:
                streams.opened += 1
                if streams.opened == streams.wanted:
                    streams.all_open.set()
            parts.append(part)
        problem = stream_complete("chat", b"".join(parts), chunks)
        if problem:
            streams.errors[problem] += 1
        else:
            streams.completed += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
        streams.errors[type(exc).__name__] += 1
    finally:
        conn.leave(reset=False)


@dataclass
class OpenStreamsRun:
    """What `run_open_streams` saw: the server idle, with every stream open, and after."""

    streams: OpenStreams
    opened_in: float
    finished_in: float
    before: Sample
    at_peak: Sample
    after: Sample
    peak_rss: int
    idle: dict[str, Any]
    busy: dict[str, Any]
    done: dict[str, Any]


async def run_open_streams(args: argparse.Namespace, port: int, pid: int) -> OpenStreamsRun | None:
    """Open `--open-streams` sync-generator streams at once, measure the server with all open, then finish them."""
    for _ in range(3):  # warm-up: imports, caches and the thread pool of sync callbacks are in place
        await one_request(Connection(port), "chat", "sync", leave_after=0, args=args, results=Results())
    before, idle = sample(pid, 0.0), await call_json(port, "GET", "/soak/state")
    streams = OpenStreams(args.open_streams)
    started = time.monotonic()
    tasks = [
        asyncio.ensure_future(asyncio.wait_for(held_stream(port, args.chunks, streams), HOLD_TIMEOUT + REQUEST_TIMEOUT))
        for _ in range(streams.wanted)
    ]
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(streams.all_open.wait(), HOLD_TIMEOUT / 2)
    opened_in = time.monotonic() - started
    at_peak, busy = sample(pid, 0.0), await call_json(port, "GET", "/soak/state")
    await call_json(port, "POST", "/soak/release")
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, BaseException):
            streams.errors[type(outcome).__name__] += 1
    finished_in = time.monotonic() - started
    hwm = peak_rss(pid)
    await asyncio.sleep(2.0)  # the clients are gone: give the server a moment to close its side
    after, done = sample(pid, 0.0), await call_json(port, "GET", "/soak/state")
    if before is None or at_peak is None or after is None:
        return None
    return OpenStreamsRun(streams, opened_in, finished_in, before, at_peak, after, hwm, idle, busy, done)


def report_open_streams(args: argparse.Namespace, run: OpenStreamsRun | None) -> bool:
    if run is None:
        print("the server went away during the run\nverdict: FAIL")
        return False
    streams, before, at_peak, busy, done = run.streams, run.before, run.at_peak, run.busy, run.done
    wanted = streams.wanted
    errors = sum(streams.errors.values())
    own_thread = busy["slots_taken"] == min(wanted, busy["slots"])
    left_over = done["slots_taken"] or done["holding"]
    ok = not errors and streams.completed == wanted and own_thread and not left_over
    opened = max(1, streams.opened)
    per_stream = (at_peak.rss - before.rss) / opened
    per_stream_peak = (run.peak_rss - before.rss) / opened
    print(
        f"open streams: {wanted} chat streams from sync generators at once against one uvicorn server on {HOST}; "
        f"{streams.opened} open after {run.opened_in:.1f} s, all done after {run.finished_in:.1f} s "
        f"({args.chunks} chunks each)"
    )
    print(
        f"streams complete: {streams.completed}/{wanted}; errors: {errors}"
        + (f" {dict(streams.errors)}" if errors else "")
    )
    print(
        f"producer threads in use with all open: {busy['slots_taken']} slots of stream_thread_limiter() taken "
        f"(bound {busy['slots']}, idle {run.idle['slots_taken']}), {busy['waiting']} waiting, "
        f"{busy['holding']} generators running; server threads {at_peak.threads} "
        f"(idle: {before.threads}, +{at_peak.threads - before.threads})"
    )
    print(
        f"server RSS: idle {before.rss / MIB:.1f} MiB, all open {at_peak.rss / MIB:.1f} MiB, peak (VmHWM) "
        f"{run.peak_rss / MIB:.1f} MiB -> {per_stream / 1024:.1f} KiB per open stream "
        f"({per_stream_peak / 1024:.1f} KiB at the peak)"
    )
    print(
        f"after: server threads {run.after.threads}, slots taken {done['slots_taken']}, generators running "
        f"{done['holding']}, open file descriptors {before.fds} before / {run.after.fds} after"
        + (" -> PRODUCER THREADS LEFT OVER" if left_over else "")
    )
    print("verdict: " + ("PASS" if ok else "FAIL"))
    if args.json:
        figures = {
            "open_streams": wanted,
            "opened": streams.opened,
            "completed": streams.completed,
            "errors": dict(streams.errors),
            "seconds_to_open_all": run.opened_in,
            "slots_taken_all_open": busy["slots_taken"],
            "slots": busy["slots"],
            "server_threads": {"idle": before.threads, "all_open": at_peak.threads, "after": run.after.threads},
            "rss_mib": {"idle": before.rss / MIB, "all_open": at_peak.rss / MIB, "peak_vmhwm": run.peak_rss / MIB},
            "kib_per_open_stream": per_stream / 1024,
            "pass": ok,
        }
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return ok


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
    parser.add_argument(
        "--open-streams", type=int, default=0, metavar="N", help="instead: N sync-generator streams open at once"
    )
    parser.add_argument("--serve", type=int, metavar="FD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be in (0, {MAX_DURATION:.0f}]")
    if not 1 <= args.clients <= 1024:
        parser.error("--clients must be between 1 and 1024")
    if not 0 <= args.open_streams <= 4096:
        parser.error("--open-streams must be between 0 and 4096")
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
    listener.listen(max(1024, args.open_streams))
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
        if args.open_streams:
            measured = asyncio.run(run_open_streams(args, port, server.pid))
        else:
            results, before, after = asyncio.run(run_load(args, port, server.pid))
    finally:
        # uvicorn shuts down gracefully on SIGTERM.
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    if args.open_streams:
        return 0 if report_open_streams(args, measured) else 1
    return 0 if report(args, results, before, after) else 1


if __name__ == "__main__":
    sys.exit(main())
