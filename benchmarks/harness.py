"""The benchmark itself: servers, the client, the measurements and the table (run it through `run.py`).

Runs inside the virtual environment `run.py` makes for this project (it needs uvloop, httptools and
httpx). Every server is a uvicorn process on 127.0.0.1 (`apps/serve.py`); the client is this
process: asyncio on uvloop, HTTP/1.1 parsed by httptools, and an SSE parser that splits every event
into its `event:` and `data:` fields and counts them.

Server CPU is read from the kernel's CPU clock of the server process (`clock_getcpuclockid`, the
same figure as `utime + stime` in `/proc/<pid>/stat`, in nanoseconds instead of 10 ms ticks; all
threads, finished ones included) just before and just after each measured run.
"""

import asyncio
import ctypes
import ctypes.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import embeddings_bench
import httptools
import uvloop

HERE = Path(__file__).resolve().parent
APPS = HERE / "apps"
HOST = "127.0.0.1"  # loopback only, by design


# --- servers ---------------------------------------------------------------------------------------


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


_LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


class Server:
    """One benchmarked app in a uvicorn subprocess; tells its process CPU time."""

    def __init__(self, name: str, python: str, module: str) -> None:
        self.name = name
        self.python = python
        self.module = module
        self.process: subprocess.Popen[str] | None = None
        self.port = 0
        self._clock: int | None = None

    def start(self) -> None:
        """Start the server and wait until it answers."""
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [self.python, str(APPS / "serve.py"), self.module], stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None  # noqa: S101 - set by Popen
        line = self.process.stdout.readline()
        if not line.strip():
            raise SystemExit(f"{self.name}: the server did not start (see its output above)")
        self.port = int(line)
        clock = ctypes.c_int()
        if _LIBC.clock_getcpuclockid(self.process.pid, ctypes.byref(clock)) == 0:
            self._clock = clock.value

    def stop(self) -> None:
        """Terminate the server."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None

    def cpu_seconds(self) -> float:
        """CPU time the server process has used so far (user + system, every thread)."""
        assert self.process is not None  # noqa: S101 - started
        if self._clock is not None:
            spec = _Timespec()
            if _LIBC.clock_gettime(self._clock, ctypes.byref(spec)) == 0:
                return spec.tv_sec + spec.tv_nsec / 1e9
        # Fallback: utime + stime from /proc, in clock ticks (fields 14 and 15 of stat).
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- the client ------------------------------------------------------------------------------------


class SSEParser:
    """Incremental SSE parser: every event is split into its name and data; counted, optionally kept."""

    __slots__ = ("_rest", "data_events", "events", "kept", "raw")

    def __init__(self, keep: bool = False) -> None:
        self._rest = b""
        self.events = 0
        self.data_events = 0
        self.kept: list[tuple[bytes, bytes]] | None = [] if keep else None
        self.raw: list[bytes] | None = [] if keep else None

    def feed(self, data: bytes) -> None:
        """Parse the whole events in `data` (and what was left of the previous feed)."""
        if self.raw is not None:
            self.raw.append(data)
        frames = (self._rest + data).split(b"\n\n")
        self._rest = frames.pop()
        kept = self.kept
        for frame in frames:
            name = b"message"
            payload: list[bytes] = []
            for line in frame.split(b"\n"):
                if line.startswith(b"data:"):
                    value = line[5:]
                    payload.append(value[1:] if value.startswith(b" ") else value)
                elif line.startswith(b"event:"):
                    value = line[6:]
                    name = value[1:] if value.startswith(b" ") else value
            if payload:
                self.events += 1
                if payload[0] != b"[DONE]":
                    self.data_events += 1
                if kept is not None:
                    kept.append((name, b"\n".join(payload)))

    def finish(self) -> None:
        """The body ended: nothing may be left over."""
        if self._rest.strip():
            raise AssertionError(f"the stream ended inside an event: {self._rest[:200]!r}")


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; one request at a time, the body handed to a sink."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.sink: Callable[[bytes], None] = _ignore
        self.headers: list[tuple[bytes, bytes]] = []
        self.status = 0
        self.done: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] # a TCP transport (uvloop's is no subclass)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except Exception as exc:  # noqa: BLE001 - handed to the waiting request
            if self.done is not None and not self.done.done():
                self.done.set_exception(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc or ConnectionError("the server closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.headers = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.lower(), value))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.sink(body)

    def on_message_complete(self) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def request(self, raw: bytes, sink: Callable[[bytes], None]) -> int:
        """Send one request, feed its body to `sink`, return the status."""
        assert self.transport is not None  # noqa: S101 - connected
        self.sink = sink
        self.done = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        await self.done
        return self.status

    def header(self, name: bytes) -> bytes | None:
        """A header of the last response."""
        return next((value for key, value in self.headers if key == name), None)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


def _ignore(_: bytes) -> None:
    return None


async def connect(port: int) -> _Connection:
    _, connection = await asyncio.get_running_loop().create_connection(_Connection, HOST, port)
    return connection


def post_bytes(port: int, path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nContent-Type: application/json\r\n"
        f"Accept: */*\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


def request_body(api: str, model: str, stream: bool) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of a request to `api` (`chat` or `responses`)."""
    if api == "chat":
        messages = [{"role": "user", "content": "Say something."}]
        return "/v1/chat/completions", {"model": model, "messages": messages, "stream": stream}
    return "/v1/responses", {"model": model, "input": "Say something.", "stream": stream}


@dataclass
class Sample:
    """One measured run: wall seconds, server CPU seconds, and how many units (requests or chunks)."""

    wall: float
    cpu: float
    units: int

    @property
    def rate(self) -> float:
        return self.units / self.wall

    @property
    def cpu_us(self) -> float:
        return self.cpu / self.units * 1e6


async def measure(server: Server, units: int, work: Callable[[], Any]) -> Sample:
    before = server.cpu_seconds()
    start = time.perf_counter()
    await work()
    wall = time.perf_counter() - start
    # Let the server finish what it does after the last byte (closing generators, threads).
    await asyncio.sleep(0.02)
    cpu = server.cpu_seconds() - before
    return Sample(wall, cpu, units)


async def run_non_stream(server: Server, api: str, requests: int, concurrency: int) -> Sample:
    """`requests` non-streaming requests over `concurrency` keep-alive connections."""
    path, body = request_body(api, "text", False)
    raw = post_bytes(server.port, path, body)
    connections = [await connect(server.port) for _ in range(concurrency)]

    async def worker(connection: _Connection, count: int) -> None:
        for _ in range(count):
            parts: list[bytes] = []
            status = await connection.request(raw, parts.append)
            if status != 200:
                raise AssertionError(f"{server.name} {api}: status {status}: {b''.join(parts)[:300]!r}")
            json.loads(b"".join(parts))

    shares = [requests // concurrency + (i < requests % concurrency) for i in range(concurrency)]

    async def work() -> None:
        await asyncio.gather(*(worker(c, n) for c, n in zip(connections, shares, strict=True)))

    try:
        return await measure(server, requests, work)
    finally:
        for connection in connections:
            connection.close()


async def stream_once(port: int, api: str, model: str, *, keep: bool = False) -> tuple[int, SSEParser, _Connection]:
    """Make one streaming request; return the status, the parsed events and the connection (closed)."""
    path, body = request_body(api, model, True)
    connection = await connect(port)
    parser = SSEParser(keep=keep)
    try:
        status = await connection.request(post_bytes(port, path, body), parser.feed)
    finally:
        connection.close()
    parser.finish()
    return status, parser, connection


async def run_stream(server: Server, api: str, kind: str, *, streams: int, chunks: int, overhead: int) -> Sample:
    """`streams` concurrent streams of `chunks` chunks each; every stream must carry chunks + overhead events."""
    model = f"{kind}-{chunks}"

    async def one() -> None:
        status, parser, _ = await stream_once(server.port, api, model)
        if status != 200 or parser.events != chunks + overhead:
            raise AssertionError(
                f"{server.name} {api} {model}: status {status}, {parser.events} events, expected {chunks + overhead}"
            )

    async def work() -> None:
        await asyncio.gather(*(one() for _ in range(streams)))

    return await measure(server, streams * chunks, work)


# --- output checks ---------------------------------------------------------------------------------

_MASKS = [
    (re.compile(rb'"(id|item_id|call_id)":"[^"]*"'), rb'"\1":"<id>"'),
    (re.compile(rb'"(created|created_at|completed_at)":\d+'), rb'"\1":0'),
]


def mask(body: bytes) -> bytes:
    """The body with ids and timestamps replaced by placeholders."""
    for pattern, replacement in _MASKS:
        body = pattern.sub(replacement, body)
    return body


async def capture(server: Server, api: str, model: str, stream: bool) -> tuple[int, bytes, bytes | None, SSEParser]:
    """One request; the status, the whole body, its content type and (for streams) its parsed events."""
    if stream:
        status, parser, connection = await stream_once(server.port, api, model, keep=True)
        return status, b"".join(parser.raw or []), connection.header(b"content-type"), parser
    path, body = request_body(api, model, False)
    connection = await connect(server.port)
    parts: list[bytes] = []
    try:
        status = await connection.request(post_bytes(server.port, path, body), parts.append)
    finally:
        connection.close()
    return status, b"".join(parts), connection.header(b"content-type"), SSEParser()


@dataclass
class Checks:
    """What the output checks found: per (server, api, kind) the events a stream adds to its chunks."""

    overhead: dict[tuple[str, str, str], int] = field(default_factory=dict)
    # Embeddings: the answer's length in bytes per (encoding_format, kind), the same for ours and the floor.
    embedding_sizes: dict[tuple[str, str], int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def check_outputs(servers: list[Server], reference: str, floor: str) -> Checks:
    """Check every server's answers and that the floor's are byte-identical to this project's.

    Streams: N and N+1 chunks must give exactly one more event (so a chunk is one event), every
    event's data must be JSON (or `[DONE]`), and the text must add up to the tokens sent.
    """
    checks = Checks()
    bodies: dict[tuple[str, str, str], tuple[bytes, bytes | None]] = {}
    for server in servers:
        for api in ("chat", "responses"):
            status, body, ctype, _ = await capture(server, api, "text", False)
            if status != 200:
                checks.problems.append(f"{server.name} {api} non-stream: status {status}")
            json.loads(body)
            bodies[server.name, api, "text"] = (mask(body), ctype)
            for kind in ("sync", "async"):
                counts = []
                for chunks in (3, 4):
                    status, body, ctype, parser = await capture(server, api, f"{kind}-{chunks}", True)
                    if status != 200:
                        checks.problems.append(f"{server.name} {api} {kind}: status {status}")
                    text = _streamed_text(api, parser)
                    if text != "tok " * chunks:
                        checks.problems.append(f"{server.name} {api} {kind}-{chunks}: streamed text {text!r}")
                    counts.append(parser.events)
                    if chunks == 3:
                        bodies[server.name, api, kind] = (mask(body), ctype)
                if counts[1] - counts[0] != 1:
                    checks.problems.append(f"{server.name} {api} {kind}: {counts[1] - counts[0]} events per chunk")
                checks.overhead[server.name, api, kind] = counts[0] - 3
    await check_embeddings(servers, reference, floor, checks)
    for (name, api, kind), (body, ctype) in bodies.items():
        if name != reference:
            continue
        floor_body, floor_ctype = bodies[floor, api, kind]
        if (floor_body, floor_ctype) != (body, ctype):
            checks.problems.append(
                f"the floor app's {api} {kind} answer differs from this project's:\n  ours:  {body[:600]!r}\n"
                f"  floor: {floor_body[:600]!r}"
            )
    identical = sum(1 for (name, _, _) in bodies if name == reference)
    checks.notes.append(
        f"floor output byte-identical to this project's (ids and timestamps masked): "
        f"{identical - sum(1 for p in checks.problems if 'floor' in p)}/{identical} answers"
    )
    return checks


async def post_whole(port: int, path: str, body: dict[str, Any]) -> tuple[int, bytes, bytes | None]:
    """One request on a fresh connection; the status, the whole body and its content type."""
    connection = await connect(port)
    parts: list[bytes] = []
    try:
        status = await connection.request(post_bytes(port, path, body), parts.append)
    finally:
        connection.close()
    return status, b"".join(parts), connection.header(b"content-type")


async def check_embeddings(servers: list[Server], reference: str, floor: str, checks: Checks) -> None:
    """Each embeddings answer of ours carries the callback's vectors, and the floor's bytes are the same."""
    by_name = {server.name: server for server in servers}
    for _, (_, fmt, kind) in embeddings_bench.scenarios():
        body = embeddings_bench.request_body(fmt, kind)
        answers = {}
        for name in (reference, floor):
            status, answer, ctype = await post_whole(by_name[name].port, embeddings_bench.PATH, body)
            if status != 200 or ctype != b"application/json":
                checks.problems.append(f"{name} embeddings {fmt} {kind}: status {status}, {ctype!r}: {answer[:300]!r}")
                return
            answers[name] = answer
        checks.problems += embeddings_bench.check_answer(answers[reference], fmt, kind)
        if answers[floor] != answers[reference]:
            checks.problems.append(f"the floor app's embeddings {fmt} {kind} answer differs from this project's")
        checks.embedding_sizes[fmt, kind] = len(answers[reference])
    checks.notes.append(
        f"embeddings answers checked (the callback's vectors, floor byte-identical): {len(checks.embedding_sizes)}/4"
    )


async def run_embeddings(server: Server, fmt: str, kind: str, requests: int, size: int) -> Sample:
    """`requests` embeddings requests, one after the other on one keep-alive connection."""
    raw = post_bytes(server.port, embeddings_bench.PATH, embeddings_bench.request_body(fmt, kind))
    connection = await connect(server.port)
    received = 0

    def count(data: bytes) -> None:
        nonlocal received
        received += len(data)

    async def work() -> None:
        nonlocal received
        for _ in range(requests):
            received = 0
            status = await connection.request(raw, count)
            if status != 200 or received != size:
                raise AssertionError(f"{server.name} embeddings {fmt} {kind}: status {status}, {received} bytes")

    try:
        return await measure(server, requests, work)
    finally:
        connection.close()


def _streamed_text(api: str, parser: SSEParser) -> str:
    """The text a parsed stream carried, from its JSON events."""
    pieces = []
    for name, data in parser.kept or []:
        if data == b"[DONE]":
            continue
        event = json.loads(data)
        if api == "chat":
            pieces.extend((choice.get("delta") or {}).get("content") or "" for choice in event.get("choices") or [])
        elif name == b"response.output_text.delta":
            pieces.append(event["delta"])
    return "".join(pieces)


# --- the whole run ---------------------------------------------------------------------------------


@dataclass
class Plan:
    """What one run measures."""

    rounds: int
    requests: int
    concurrency: int
    stream_shapes: list[tuple[int, int]]
    upload_mib: int
    upload_rounds: int
    only: str | None = None
    embedding_requests: int = 8


def scenarios(plan: Plan) -> list[tuple[str, tuple[Any, ...]]]:
    """(label, spec) of every measured scenario, in run order."""
    out: list[tuple[str, tuple[Any, ...]]] = [
        (f"non-stream {api}", ("nonstream", api)) for api in ("chat", "responses")
    ]
    for api in ("chat", "responses"):
        for kind in ("sync", "async"):
            for streams, chunks in plan.stream_shapes:
                out.append((f"stream {api} {kind} {streams}x{chunks:,}", ("stream", api, kind, streams, chunks)))
    out += embeddings_bench.scenarios()
    return [(label, spec) for label, spec in out if plan.only is None or plan.only in label]


async def measure_all(servers: list[Server], plan: Plan, checks: Checks) -> dict[tuple[str, str], list[Sample]]:
    """Every scenario on every server, servers alternating, `plan.rounds` rounds."""
    results: dict[tuple[str, str], list[Sample]] = {}
    todo = scenarios(plan)

    async def one(server: Server, spec: tuple[Any, ...], warm: bool = False) -> Sample:
        if spec[0] == "nonstream":
            requests = max(plan.concurrency, plan.requests // 10) if warm else plan.requests
            return await run_non_stream(server, spec[1], requests, plan.concurrency)
        if spec[0] == "embeddings":
            _, fmt, kind = spec
            size = checks.embedding_sizes[fmt, kind]
            return await run_embeddings(server, fmt, kind, 1 if warm else plan.embedding_requests, size)
        _, api, kind, streams, chunks = spec
        overhead = checks.overhead[server.name, api, kind]
        count = max(10, chunks // 10) if warm else chunks
        return await run_stream(server, api, kind, streams=streams, chunks=count, overhead=overhead)

    for label, spec in todo:
        started = time.perf_counter()
        # 1.4.0 has no embeddings endpoint: those scenarios compare ours with the floor only.
        taking_part = [s for s in servers if spec[0] != "embeddings" or s.name != "1.4.0"]
        for server in taking_part:
            await one(server, spec, warm=True)
        # The servers take turns, round after round (A B C, B C A, C A B, ...): runs that are compared
        # are seconds apart, and drift on a busy machine spreads over all of them.
        for round_index in range(plan.rounds):
            shift = round_index % len(taking_part)
            for server in taking_part[shift:] + taking_part[:shift]:
                results.setdefault((label, server.name), []).append(await one(server, spec))
        print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)
    return results


def measure_uploads(plan: Plan, ours_python: str, ref_python: str | None) -> dict[str, list[tuple[float, float]]]:
    """Peak RSS growth and seconds of one `plan.upload_mib` MiB upload per fresh server, through upload_memory.py."""
    import upload_memory  # noqa: PLC0415 - the files benchmark's own module, next to this one

    size = plan.upload_mib * 1024 * 1024
    cases = [("ours", ours_python, "stream"), ("ours, bytes callback", ours_python, "bytes")]
    if ref_python is not None:
        cases.append(("1.4.0", ref_python, "1.4.0"))
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "upload_server.py"
        script.write_text(upload_memory.SERVER)
        for round_index in range(plan.upload_rounds):
            for name, python, mode in cases:
                growth, seconds, received = upload_memory.measure(python, mode, size, script)
                if received != size:
                    raise AssertionError(f"upload {name}: the server reported {received} bytes, expected {size}")
                results.setdefault(name, []).append((growth, seconds))
            print(f"upload round {round_index + 1}/{plan.upload_rounds} done", flush=True)
    return results


# --- the table -------------------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def _fmt_us(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def machine() -> str:
    """One line describing the machine and the versions that matter."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("fastapi", "starlette", "pydantic", "uvicorn", "uvloop", "httptools")
    )
    return (
        f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {versions}"
    )


@dataclass
class Target:
    """A target ratio: ours against 1.4.0 for one scenario."""

    label: str
    metric: str
    limit: float  # ours / 1.4.0 must be at most this


def targets(plan: Plan) -> list[Target]:
    """The issue's targets, per scenario."""
    out = [
        Target("non-stream chat", "cpu", 0.7),
        Target("non-stream responses", "cpu", 0.7),
    ]
    for api in ("chat", "responses"):
        for streams, chunks in plan.stream_shapes:
            out.append(Target(f"stream {api} sync {streams}x{chunks:,}", "cpu", 1 / 20))
            out.append(Target(f"stream {api} async {streams}x{chunks:,}", "cpu", 1 / 3))
    return out


def report(
    results: dict[tuple[str, str], list[Sample]],
    uploads: dict[str, list[tuple[float, float]]],
    plan: Plan,
    names: list[str],
    checks: Checks,
) -> tuple[str, bool]:
    """The Markdown table and whether every target was met."""
    ours, ref, floor = names
    lines = [
        f"Machine: {machine()}",
        "",
        f"Rounds: {plan.rounds} per scenario, servers taking turns; figures are medians, ratios the median of "
        f"each round's ratio. Non-stream: {plan.requests:,} requests over {plan.concurrency} connections per run.",
    ]
    if any(spec[0] != "embeddings" for _, spec in scenarios(plan)):
        lines += [
            "",
            "| scenario | unit | ours /s | 1.4.0 /s | floor /s | ours CPU µs | 1.4.0 CPU µs | floor CPU µs "
            "| CPU ours/1.4.0 | CPU ours/floor | target | |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
        ]
    limits = {t.label: t for t in targets(plan)}
    all_met = True
    for label, spec in scenarios(plan):
        if spec[0] == "embeddings":
            continue
        unit = "request" if label.startswith("non-stream") else "chunk"
        rate = {n: _median([s.rate for s in results[label, n]]) for n in names}
        cpu = {n: _median([s.cpu_us for s in results[label, n]]) for n in names}
        # The ratio of each round's pair of runs, then the median: steadier than a ratio of medians
        # when the machine's speed drifts.
        ratio = _median([a.cpu_us / b.cpu_us for a, b in zip(results[label, ours], results[label, ref], strict=True)])
        floor_ratio = _median(
            [a.cpu_us / b.cpu_us for a, b in zip(results[label, ours], results[label, floor], strict=True)]
        )
        target = limits.get(label)
        verdict = ""
        goal = ""
        if target is not None:
            met = ratio <= target.limit
            all_met = all_met and met
            goal = f"≤ {target.limit:.2f}" if target.limit >= 0.1 else f"≤ 1/{1 / target.limit:.0f}"
            verdict = "met" if met else "**missed**"
        lines.append(
            f"| {label} | {unit} | {_fmt_rate(rate[ours])} | {_fmt_rate(rate[ref])} | {_fmt_rate(rate[floor])} "
            f"| {_fmt_us(cpu[ours])} | {_fmt_us(cpu[ref])} | {_fmt_us(cpu[floor])} "
            f"| {ratio:.3f} (1/{1 / ratio:.1f}) | {floor_ratio:.2f} | {goal} | {verdict} |"
        )
    if uploads:
        lines += [
            "",
            f"Upload of {plan.upload_mib} MiB (multipart, chunked; fresh server each, median of "
            f"{plan.upload_rounds}): server peak RSS growth (VmHWM) and seconds",
            "",
            "| server | peak RSS growth MiB | upload s | MiB/s | target | |",
            "|---|---:|---:|---:|---|---|",
        ]
        for name, samples in uploads.items():
            growth = _median([g for g, _ in samples]) / 2**20
            seconds = _median([s for _, s in samples])
            goal = verdict = ""
            if name == "ours":
                limit = 32 * plan.upload_mib / 200
                met = growth < limit
                all_met = all_met and met
                goal = f"< {limit:.0f} MiB"
                verdict = "met" if met else "**missed**"
            lines.append(
                f"| {name} | {growth:.1f} | {seconds:.2f} | {plan.upload_mib / seconds:.0f} | {goal} | {verdict} |"
            )
    embedding_lines, embeddings_met = embeddings_bench.table(results, checks.embedding_sizes, plan, ours, floor)
    if any(spec[0] == "embeddings" for _, spec in scenarios(plan)):
        lines += embedding_lines
        all_met = all_met and embeddings_met
    lines += ["", *checks.notes]
    return "\n".join(lines), all_met


def main(argv: list[str], ours_python: str, ref_python: str) -> int:
    """Run the whole benchmark; return the exit status (1 when an output check failed)."""
    import argparse  # noqa: PLC0415 - only the entry point needs it

    parser = argparse.ArgumentParser(prog="benchmarks/run.py")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--upload-mib", type=int, default=200)
    parser.add_argument("--no-upload", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw samples to this file")
    parser.add_argument("--only", help="measure only the scenarios whose label contains this text")
    args, _ = parser.parse_known_args(argv)

    if args.quick:
        plan = Plan(args.rounds or 3, 1000, 16, [(1, 5000), (16, 500)], args.upload_mib, 1, args.only, 3)
    else:
        plan = Plan(args.rounds or 9, 4000, 16, [(1, 20000), (16, 2000)], args.upload_mib, 3, args.only)

    servers = [
        Server("ours", ours_python, "ours"),
        Server("1.4.0", ref_python, "ref14"),
        Server("floor", ours_python, "floor"),
    ]
    names = [s.name for s in servers]
    for server in servers:
        server.start()
    try:
        checks = uvloop.run(check_outputs(servers, "ours", "floor"))
        for note in checks.notes:
            print(note)
        if checks.problems:
            print("OUTPUT CHECKS FAILED:", *checks.problems, sep="\n- ")
            return 1
        results = uvloop.run(measure_all(servers, plan, checks))
    finally:
        for server in servers:
            server.stop()
    uploads = {} if args.no_upload else measure_uploads(plan, ours_python, ref_python)
    table, met = report(results, uploads, plan, names, checks)
    print()
    print(table)
    print()
    print("every target met" if met else "some targets missed (see the table)")
    if args.json:
        raw = {f"{label} | {name}": [vars(s) for s in samples] for (label, name), samples in results.items()}
        args.json.write_text(json.dumps({"samples": raw, "uploads": uploads, "table": table}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], sys.executable, os.environ["BENCH_REF_PYTHON"]))
