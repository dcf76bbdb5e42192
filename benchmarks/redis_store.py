"""What the Redis response store costs: CPU per streamed delta, retrieve latency, Redis memory per response.

    python benchmarks/redis_store.py            # 7 rounds, streams of 1x20,000 and 16x2,000 deltas
    python benchmarks/redis_store.py --quick    # 3 rounds, 1x5,000 and 16x500

Needs Linux, Python 3.10+, uv and the `redis-server` program (Debian: `apt-get install redis-server`).
It makes (or reuses) the environments of `run.py` (this project with `openai-compat-responses[redis]`,
and fastapi-openai-compat 1.4.0), starts one `redis-server` on a free port with persistence off, and
serves the callbacks of `apps/callbacks.py` from uvicorn processes (`apps/serve.py`):

- `no store`: `apps/ours.py`, the router without a store;
- `redis`: `apps/ours_redis.py`, `RedisResponseStore`; a streamed request is stored (the request
  omits `store`, which means true); with `background` too, every event also goes to the event log;
- `memory`: `apps/ours_store.py`, `InMemoryResponseStore`, the same requests;
- `1.4.0`: `apps/ref14.py`.

Printed: per scenario the server's CPU per streamed delta (and redis-server's own CPU beside it),
the ratios the issue sets targets for (Redis store / no store <= 2, and <= 1/10 of 1.4.0's CPU per
delta), the latency of `GET /v1/responses/{id}` (p50, p99), and Redis memory per stored response.
"""

import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
INSIDE = "--inside-environment"


def main() -> None:
    """Make run.py's environments, then run this script again inside this project's one."""
    if sys.version_info < (3, 10) or not sys.platform.startswith("linux"):
        raise SystemExit("the benchmark needs Linux and Python 3.10 or newer")
    if "-h" in sys.argv or "--help" in sys.argv:
        print(__doc__)
        return
    import shutil  # noqa: PLC0415

    if shutil.which("redis-server") is None:
        raise SystemExit("the benchmark needs redis-server (Debian: apt-get install redis-server)")
    sys.path.insert(0, str(HERE))
    import run  # noqa: PLC0415 - the environments of the main benchmark, next to this file

    run.make_environments(run.uv_command())
    env = {**os.environ, "BENCH_REF_PYTHON": str(run.python_of(run.REF))}
    command = [str(run.python_of(run.OURS)), str(Path(__file__).resolve()), INSIDE, *sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env))  # noqa: S603 - our own interpreter and script


# --- inside the environment ------------------------------------------------------------------------


@dataclass
class Mode:
    """One measured configuration: a server and what the request adds to a plain streamed request."""

    name: str
    server: str
    extra: dict[str, Any]


MODES = [
    Mode("no store", "no store", {}),
    Mode("redis", "redis", {}),
    Mode("redis, background", "redis", {"background": True}),
    Mode("memory", "memory", {}),
    Mode("memory, background", "memory", {"background": True}),
    Mode("1.4.0", "1.4.0", {}),
]


class ProcessClock:
    """The CPU time of any process by pid (redis-server's): the kernel's CPU clock, as the harness reads servers'."""

    def __init__(self, pid: int) -> None:
        import ctypes  # noqa: PLC0415
        import ctypes.util  # noqa: PLC0415

        self.pid = pid
        self._libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        clock = ctypes.c_int()
        if self._libc.clock_getcpuclockid(pid, ctypes.byref(clock)) != 0:
            raise SystemExit(f"no CPU clock for process {pid}")
        self._clock = clock.value

    def cpu_seconds(self) -> float:
        import ctypes  # noqa: PLC0415

        class Timespec(ctypes.Structure):
            _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

        spec = Timespec()
        if self._libc.clock_gettime(self._clock, ctypes.byref(spec)) != 0:
            raise SystemExit(f"cannot read the CPU clock of process {self.pid}")
        return spec.tv_sec + spec.tv_nsec / 1e9


async def stream(harness: Any, port: int, body: dict[str, Any]) -> tuple[int, Any]:
    """One streamed request with this body on a fresh connection: its status and parsed events."""
    connection = await harness.connect(port)
    parser = harness.SSEParser(keep=False)
    try:
        status = await connection.request(harness.post_bytes(port, "/v1/responses", body), parser.feed)
    finally:
        connection.close()
    parser.finish()
    return status, parser


def body_for(mode: Mode, kind: str, chunks: int) -> dict[str, Any]:
    return {"model": f"{kind}-{chunks}", "input": "Say something.", "stream": True, **mode.extra}


async def overhead(harness: Any, port: int, mode: Mode, kind: str) -> int:
    """The events a stream adds to its chunks (3 and 4 chunks must differ by one event)."""
    counts = []
    for chunks in (3, 4):
        status, parser = await stream(harness, port, body_for(mode, kind, chunks))
        if status != 200:
            raise SystemExit(f"{mode.name}: status {status}")
        counts.append(parser.events)
    if counts[1] - counts[0] != 1:
        raise SystemExit(f"{mode.name} {kind}: {counts[1] - counts[0]} events per chunk")
    return counts[0] - 3


async def run_streams(
    harness: Any,
    server: Any,
    redis_clock: ProcessClock,
    mode: Mode,
    kind: str,
    *,
    streams: int,
    chunks: int,
    extra: int,
) -> tuple[float, float]:
    """`streams` concurrent streams of `chunks` deltas; (server CPU µs, redis-server CPU µs) per delta."""
    body = body_for(mode, kind, chunks)

    async def one() -> None:
        status, parser = await stream(harness, server.port, body)
        if status != 200 or parser.events != chunks + extra:
            raise AssertionError(f"{mode.name}: status {status}, {parser.events} events, expected {chunks + extra}")

    redis_before = redis_clock.cpu_seconds()
    sample = await harness.measure(server, streams * chunks, lambda: asyncio.gather(*(one() for _ in range(streams))))
    redis_us = (redis_clock.cpu_seconds() - redis_before) / (streams * chunks) * 1e6
    return sample.cpu_us, redis_us


async def measure_streams(
    harness: Any, servers: dict[str, Any], redis_clock: ProcessClock, shapes: list[tuple[int, int]], rounds: int
) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """Every mode on every scenario, the modes taking turns round after round."""
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for kind in ("sync", "async"):
        extras = {mode.name: await overhead(harness, servers[mode.server].port, mode, kind) for mode in MODES}
        for streams, chunks in shapes:
            label = f"stream {kind} {streams}x{chunks:,}"
            started = time.perf_counter()
            for mode in MODES:  # warm-up
                server = servers[mode.server]
                await run_streams(
                    harness, server, redis_clock, mode, kind, streams=1, chunks=100, extra=extras[mode.name]
                )
            for round_index in range(rounds):
                shift = round_index % len(MODES)
                for mode in MODES[shift:] + MODES[:shift]:
                    server = servers[mode.server]
                    figures = await run_streams(
                        harness,
                        server,
                        redis_clock,
                        mode,
                        kind,
                        streams=streams,
                        chunks=chunks,
                        extra=extras[mode.name],
                    )
                    results.setdefault((label, mode.name), []).append(figures)
            print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)
    return results


async def create_responses(harness: Any, port: int, count: int, body: dict[str, Any]) -> list[str]:
    """Create `count` stored responses through the server (one keep-alive connection); their ids."""
    import json  # noqa: PLC0415

    connection = await harness.connect(port)
    ids = []
    try:
        raw = harness.post_bytes(port, "/v1/responses", body)
        for _ in range(count):
            parts: list[bytes] = []
            status = await connection.request(raw, parts.append)
            if status != 200:
                raise AssertionError(f"create: status {status}: {b''.join(parts)[:300]!r}")
            ids.append(json.loads(b"".join(parts))["id"])
    finally:
        connection.close()
    return ids


async def retrieve_latencies(harness: Any, port: int, ids: list[str], requests: int) -> list[float]:
    """`GET /v1/responses/{id}` `requests` times over one keep-alive connection; each latency in ms."""
    connection = await harness.connect(port)
    latencies = []
    try:
        for index in range(requests):
            raw = f"GET /v1/responses/{ids[index % len(ids)]} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
            parts: list[bytes] = []
            start = time.perf_counter()
            status = await connection.request(raw, parts.append)
            latencies.append((time.perf_counter() - start) * 1e3)
            if status != 200:
                raise AssertionError(f"retrieve: status {status}: {b''.join(parts)[:300]!r}")
    finally:
        connection.close()
    return latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def redis_memory_per_response(harness: Any, port: int, client: Any, count: int, body: dict[str, Any]) -> float:
    """Bytes of Redis memory (`used_memory`) per response stored by `count` requests with this body."""
    client.flushall()
    before = int(client.info("memory")["used_memory"])
    if body.get("stream"):
        for _ in range(count):
            status, _ = await stream(harness, port, body)
            if status != 200:
                raise AssertionError(f"stream: status {status}")
    else:
        await create_responses(harness, port, count, body)
    after = int(client.info("memory")["used_memory"])
    return (after - before) / count


def inside(argv: list[str]) -> int:
    """The measurements (in run.py's environment of this project)."""
    import argparse  # noqa: PLC0415

    import harness  # noqa: PLC0415 - next to this file: servers, client and CPU clock of the main benchmark
    import redis  # noqa: PLC0415
    import uvloop  # noqa: PLC0415

    from openai_compat_responses.redis_testing import RedisServer  # noqa: PLC0415

    parser = argparse.ArgumentParser(prog="benchmarks/redis_store.py")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args(argv)
    shapes = [(1, 5000), (16, 500)] if args.quick else [(1, 20000), (16, 2000)]
    rounds = args.rounds or (3 if args.quick else 7)
    stored = 500 if args.quick else 2000
    gets = 2000 if args.quick else 10000

    with RedisServer() as redis_server:
        os.environ["REDIS_URL"] = redis_server.url
        assert redis_server.pid is not None  # noqa: S101 - started
        redis_clock = ProcessClock(redis_server.pid)
        ours, ref = sys.executable, os.environ["BENCH_REF_PYTHON"]
        servers = {
            "no store": harness.Server("no store", ours, "ours"),
            "redis": harness.Server("redis", ours, "ours_redis"),
            "memory": harness.Server("memory", ours, "ours_store"),
            "1.4.0": harness.Server("1.4.0", ref, "ref14"),
        }
        for server in servers.values():
            server.start()
        client = redis.Redis.from_url(redis_server.url)
        try:
            results = uvloop.run(measure_streams(harness, servers, redis_clock, shapes, rounds))
            latency = {}
            for name in ("redis", "memory"):
                port = servers[name].port
                ids = uvloop.run(create_responses(harness, port, stored, {"model": "text", "input": "Say something."}))
                uvloop.run(retrieve_latencies(harness, port, ids, gets // 10))  # warm-up
                latency[name] = uvloop.run(retrieve_latencies(harness, port, ids, gets))
            memory = {
                "plain (text answer)": {"model": "text", "input": "Say something."},
                "background stream, 100 deltas (event log kept)": body_for(MODES[2], "async", 100),
            }
            per_response = {
                label: uvloop.run(redis_memory_per_response(harness, servers["redis"].port, client, stored, body))
                for label, body in memory.items()
            }
        finally:
            client.close()
            for server in servers.values():
                server.stop()
    print(
        report(
            results, latency=latency, per_response=per_response, shapes=shapes, rounds=rounds, stored=stored, gets=gets
        )
    )
    return 0


def report(
    results: dict[tuple[str, str], list[tuple[float, float]]],
    *,
    latency: dict[str, list[float]],
    per_response: dict[str, float],
    shapes: list[tuple[int, int]],
    rounds: int,
    stored: int,
    gets: int,
) -> str:
    """The Markdown tables."""
    median = statistics.median
    compared = ["redis", "redis, background"]
    lines = [
        f"Rounds: {rounds}, modes taking turns; medians. CPU µs per streamed delta: the uvicorn worker's, with "
        "redis-server's own in parentheses. Ratios: the median of each round's ratio of worker CPU.",
        "",
        "| scenario | " + " | ".join(mode.name for mode in MODES) + " | "
        + " | ".join(f"{name} / no store | {name} / 1.4.0" for name in compared) + " |",
        "|---|" + "---:|" * (len(MODES) + 2 * len(compared)),
    ]  # fmt: skip
    for kind in ("sync", "async"):
        for streams, chunks in shapes:
            label = f"stream {kind} {streams}x{chunks:,}"
            cells = []
            for mode in MODES:
                server_us = median([s for s, _ in results[label, mode.name]])
                redis_us = median([r for _, r in results[label, mode.name]])
                cells.append(f"{server_us:.1f} (+{redis_us:.1f})" if mode.server == "redis" else f"{server_us:.1f}")
            for name in compared:
                for base in ("no store", "1.4.0"):
                    pairs = zip(results[label, name], results[label, base], strict=True)
                    ratio = median([a[0] / b[0] for a, b in pairs])
                    cells.append(f"{ratio:.2f}" if ratio >= 0.1 else f"1/{1 / ratio:.1f}")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Retrieve (`GET /v1/responses/{{id}}`, {gets:,} requests over {stored:,} stored responses, one "
        "keep-alive connection): latency in ms",
        "",
        "| store | p50 | p99 |",
        "|---|---:|---:|",
    ]
    for name, values in latency.items():
        lines.append(f"| {name} | {percentile(values, 0.5):.3f} | {percentile(values, 0.99):.3f} |")
    lines += ["", f"Redis memory per stored response (`used_memory` growth / {stored:,} responses)", ""]
    lines += ["| response | bytes |", "|---|---:|"]
    lines += [f"| {label} | {value:,.0f} |" for label, value in per_response.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == INSIDE:
        sys.exit(inside(sys.argv[2:]))
    main()
