"""Stateful Responses: memory of a bounded in-memory store, and CPU per streamed delta with the store on vs off.

    python benchmarks/stateful.py                     # both parts (about 3 minutes on 2 cores)
    python benchmarks/stateful.py --memory-only --responses 100000 --max-responses 10000
    python benchmarks/stateful.py --cpu-only --rounds 9

Needs Linux, this repository's packages, uvicorn, uvloop and httptools (the workspace's environment
has them: `uv run python benchmarks/stateful.py`). Prints figures and ratios; it asserts nothing
about speed.

**Memory.** A fresh process serves the Responses router with `InMemoryResponseStore(max_responses=N)`
and stores `--responses` responses through it (each a real request: a 200-character input, a
500-character answer), driving the ASGI app directly (no sockets, so the client costs no server
memory). First it starts one background response whose callback waits until the end: it must still be
retrievable (`in_progress`) after every eviction, and then complete. Printed: the resident memory
(`VmRSS`) after every tenth of the run, the responses held, and the growth from the moment the store
first reached its bound to the end (flat means bounded).

**CPU.** Two uvicorn servers (`benchmarks/apps/ours_responses.py`: no store;
`benchmarks/apps/ours_store.py`: `InMemoryResponseStore()`) take turns serving the same streams
(`benchmarks/apps/callbacks.py`: sync or async generators of `"tok "` chunks); the figure is the
server's CPU per streamed delta (the harness's clock: user + system time of the server process). With
the store on, each stream is measured twice: an ordinary stream (`store` left true: kept when it
ends) and a background stream (`background: true, stream: true`: run detached, every event appended
to the store's log, the client following the log). The ratio on/off of each round, median over the
rounds; the target is at most 1.5.
"""

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MIB = 1024 * 1024


# --- memory ----------------------------------------------------------------------------------------


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status (Linux only)")


async def call_app(app: Any, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    """One request straight through the ASGI app; the status and the whole body."""
    payload = json.dumps(body).encode() if body is not None else b""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())],
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    sent = False
    done = asyncio.Event()
    status = 0
    parts: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": payload, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    await app(scope, receive, send)
    return status, b"".join(parts)


async def memory_child(total: int, bound: int) -> dict[str, Any]:
    from fastapi import FastAPI  # noqa: PLC0415 - the child process imports what it measures

    from openai_compat_responses import InMemoryResponseStore, create_responses_router  # noqa: PLC0415

    started, release = asyncio.Event(), asyncio.Event()
    answer = "lorem ipsum " * 42  # about 500 characters

    async def run(model: str, items: list[Any], body: dict[str, Any]) -> str:
        if model == "wait":
            started.set()
            await release.wait()
        return answer

    store = InMemoryResponseStore(max_responses=bound)
    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: ["m"], run_response=run, store=store))

    status, raw = await call_app(app, "POST", "/v1/responses", {"model": "wait", "input": "x", "background": True})
    running_id = json.loads(raw)["id"]
    await started.wait()  # its task is running (in_progress)
    prompt = "What is the meaning of all this? " * 6  # about 200 characters
    gc.collect()
    samples = [(0, rss_mib(), store.response_count)]
    started = time.perf_counter()
    for n in range(1, total + 1):
        status, raw = await call_app(app, "POST", "/v1/responses", {"model": "m", "input": prompt})
        if status != 200:
            raise AssertionError(f"request {n}: {status} {raw[:300]!r}")
        if n % (total // 10) == 0:
            held, _ = await call_app(app, "GET", f"/v1/responses/{running_id}")
            if held != 200 or json.loads(_)["status"] != "in_progress":
                raise AssertionError(f"the running background response was lost after {n} responses")
            gc.collect()
            samples.append((n, rss_mib(), store.response_count))
    seconds = time.perf_counter() - started
    release.set()
    await store.until_cancelled(running_id)  # returns once it is no longer running
    status = json.loads((await call_app(app, "GET", f"/v1/responses/{running_id}"))[1])["status"]
    if status != "completed":
        raise AssertionError(f"the background response ended {status}")
    return {"samples": samples, "seconds": seconds, "running_completed": True}


def memory(total: int, bound: int) -> None:
    print(f"memory: {total:,} responses into InMemoryResponseStore(max_responses={bound:,}), in a fresh process")
    done = subprocess.run(  # noqa: S603 - this script, run with this interpreter
        [sys.executable, __file__, "--memory-child", str(total), str(bound)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit("the memory run failed")
    result = json.loads(done.stdout.splitlines()[-1])
    print()
    print("| responses stored | held | RSS MiB |")
    print("|---:|---:|---:|")
    for n, rss, held in result["samples"]:
        print(f"| {n:,} | {held:,} | {rss:.1f} |")
    full = [(n, rss) for n, rss, held in result["samples"] if held >= bound]
    first_full, last = full[0], full[-1]
    print()
    print(
        f"growth from {first_full[0]:,} stored (store full) to {last[0]:,}: {last[1] - first_full[1]:+.1f} MiB; "
        f"from the start: {last[1] - result['samples'][0][1]:+.1f} MiB; "
        f"{result['seconds'] / total * 1e6:.0f} µs per request in process"
    )
    print("the background response kept running through every eviction and then completed: yes")


# --- CPU per delta ---------------------------------------------------------------------------------


async def stream_events(port: int, body: dict[str, Any]) -> int:
    """One streaming request; the number of SSE events it carried (the stream must end cleanly)."""
    import harness  # noqa: PLC0415 - the benchmark's client, next to this file

    connection = await harness._connect(port)  # noqa: SLF001 - our own benchmark's helpers
    parser = harness.SSEParser()
    try:
        status = await connection.request(harness._post(port, "/v1/responses", body), parser.feed)  # noqa: SLF001
    finally:
        connection.close()
    parser.finish()
    if status != 200:
        raise AssertionError(f"status {status}")
    return parser.events


def body_for(mode: str, kind: str, chunks: int) -> dict[str, Any]:
    body: dict[str, Any] = {"model": f"{kind}-{chunks}", "input": "Say something.", "stream": True}
    if mode == "background":
        body["background"] = True
    return body


async def measure(server: Any, mode: str, kind: str, *, streams: int, chunks: int, overhead: int) -> Any:
    import harness  # noqa: PLC0415

    async def one() -> None:
        events = await stream_events(server.port, body_for(mode, kind, chunks))
        if events != chunks + overhead:
            raise AssertionError(f"{server.name} {mode} {kind}: {events} events, expected {chunks + overhead}")

    async def work() -> None:
        await asyncio.gather(*(one() for _ in range(streams)))

    return await harness._measure(server, streams * chunks, work)  # noqa: SLF001


async def cpu_runs(servers: dict[str, Any], rounds: int, shapes: list[tuple[int, int]]) -> list[str]:
    # (label, server, mode): the store-less server is the baseline of both modes.
    cases = [("off", "off", "stream"), ("on", "on", "stream"), ("on, background", "on", "background")]
    overhead = {}
    for label, name, mode in cases:
        for kind in ("sync", "async"):
            three = await stream_events(servers[name].port, body_for(mode, kind, 3))
            four = await stream_events(servers[name].port, body_for(mode, kind, 4))
            if four - three != 1:
                raise AssertionError(f"{label} {kind}: {four - three} events per chunk")
            overhead[label, kind] = three - 3
    lines = [
        "| scenario | off CPU µs/delta | on CPU µs/delta | on/off | on, background CPU µs/delta | background/off |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in ("sync", "async"):
        for streams, chunks in shapes:
            samples: dict[str, list[Any]] = {label: [] for label, _, _ in cases}
            for round_index in range(rounds + 1):
                shift = round_index % len(cases)
                for label, name, mode in cases[shift:] + cases[:shift]:
                    count = chunks if round_index else max(10, chunks // 10)  # round 0 warms up
                    sample = await measure(
                        servers[name], mode, kind, streams=streams, chunks=count, overhead=overhead[label, kind]
                    )
                    if round_index:
                        samples[label].append(sample)
            cpu = {label: statistics.median(s.cpu_us for s in runs) for label, runs in samples.items()}
            ratio = statistics.median(a.cpu_us / b.cpu_us for a, b in zip(samples["on"], samples["off"], strict=True))
            background = statistics.median(
                a.cpu_us / b.cpu_us for a, b in zip(samples["on, background"], samples["off"], strict=True)
            )
            lines.append(
                f"| responses {kind} {streams}x{chunks:,} | {cpu['off']:.2f} | {cpu['on']:.2f} | {ratio:.2f} "
                f"| {cpu['on, background']:.2f} | {background:.2f} |"
            )
            print(lines[-1], flush=True)
    return lines


def cpu(rounds: int, quick: bool) -> None:
    sys.path.insert(0, str(HERE))
    import harness  # noqa: PLC0415
    import uvloop  # noqa: PLC0415

    shapes = [(1, 5_000), (16, 500)] if quick else [(1, 20_000), (16, 2_000)]
    servers = {
        "off": harness.Server("off", sys.executable, "ours_responses"),
        "on": harness.Server("on", sys.executable, "ours_store"),
    }
    print(f"CPU per streamed delta, store off vs on: {rounds} rounds, servers taking turns")
    print(harness.machine())
    for server in servers.values():
        server.start()
    try:
        lines = uvloop.run(cpu_runs(servers, rounds, shapes))
    finally:
        for server in servers.values():
            server.stop()
    print()
    print("\n".join(lines))
    print()
    print("target: on/off at most 1.5 (ratios: the median of each round's ratio)")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--memory-child":
        result = asyncio.run(memory_child(int(sys.argv[2]), int(sys.argv[3])))
        print(json.dumps(result))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--max-responses", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="shorter streams (1x5,000 and 16x500)")
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--cpu-only", action="store_true")
    args = parser.parse_args()
    if not args.cpu_only:
        memory(args.responses, args.max_responses)
        print()
    if not args.memory_only:
        cpu(args.rounds, args.quick)


if __name__ == "__main__":
    main()
