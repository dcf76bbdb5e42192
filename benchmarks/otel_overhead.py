"""What the OpenTelemetry instrumentation costs: server CPU per request and per streamed chunk, as ratios.

    python benchmarks/otel_overhead.py            # 7 rounds, 4,000 requests and 1x20,000-chunk streams
    python benchmarks/otel_overhead.py --quick    # 3 rounds, 1,000 requests, 1x5,000-chunk streams
    python benchmarks/otel_overhead.py --rounds 9 --baseline <git ref>
    python benchmarks/otel_overhead.py --only non-stream    # the scenarios whose label holds this text

Four servers run `apps/observed.py` (this project's chat and responses routers around the callbacks
of `apps/callbacks.py`) under uvicorn, and take turns, as in `run.py`:

- `today`: the code before the instrumentation (`--baseline`, by default the parent of the commit
  that added `openai_compat_core/telemetry.py`), exported from git and put first on `PYTHONPATH`;
- `off`: this tree, the OpenTelemetry API not importable (`OTEL_BENCH_MODE=off`);
- `api`: this tree, the API importable and no SDK configured;
- `sdk`: this tree, the SDK configured: a `BatchSpanProcessor` into an in-memory exporter, and an
  in-memory metric reader;
- `today+fa` and `sdk+fa`: `today` and `sdk` with the SDK configured in both and FastAPI's own
  telemetry on (its HTTP server span and metrics, FastAPI 0.142 and later; its default once an SDK is
  configured): what this project adds to an app that already records its requests.

FastAPI's own telemetry is off in the first four, so that this project's is the only difference.

Server CPU per request (non-stream) and per chunk (one stream of N chunks) is measured as in
`harness.py`; each ratio is the median over the rounds of `mode / today` within a round. Needs Linux,
Python 3.10+, uv and git; makes `benchmarks/.venvs/otel` (this repository's packages, editable,
uvicorn, uvloop, httptools, httpx and the OpenTelemetry SDK).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV = HERE / ".venvs" / "otel"
PACKAGES = ["openai-compat-core", "openai-compat-chat", "openai-compat-responses"]
DEPS = ["uvicorn", "uvloop", "httptools", "httpx", "opentelemetry-sdk"]
TELEMETRY = "packages/openai-compat-core/src/openai_compat_core/telemetry.py"
MODES = ["today", "off", "api", "sdk", "today+fa", "sdk+fa"]
# (mode, the baseline it is compared with)
RATIOS = [("off", "today"), ("api", "today"), ("sdk", "today"), ("sdk+fa", "today+fa")]


def run(command: list[str], **options: Any) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    return done.stdout


def default_baseline() -> str:
    """The parent of the first commit that added core's telemetry module."""
    added = run(["git", "log", "--diff-filter=A", "--format=%H", "--", TELEMETRY], cwd=ROOT).split()
    if not added:
        raise SystemExit(f"no commit adds {TELEMETRY}: pass --baseline")
    return f"{added[-1]}^"


def export_baseline(ref: str, into: Path) -> str:
    """Extract the packages of `ref` into `into`; return the PYTHONPATH of their sources."""
    archive = into / "baseline.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "archive", ref, "packages"], cwd=ROOT, stdout=out, check=True)  # noqa: S603, S607
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return os.pathsep.join(str(into / "packages" / name / "src") for name in PACKAGES)


def outside(argv: list[str]) -> int:
    """Make the environment and the baseline, then run the measurement inside the environment."""
    uv = shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is needed: python3 -m pip install uv")
    python = VENV / "bin" / "python"
    if not python.exists():
        run([uv, "venv", "--quiet", "--python", sys.executable, str(VENV)])
    editable = [arg for name in PACKAGES for arg in ("-e", str(ROOT / "packages" / name))]
    print("installing this project and the OpenTelemetry SDK into benchmarks/.venvs/otel ...", flush=True)
    run([uv, "pip", "install", "--quiet", "--python", str(python), *editable, *DEPS])
    ref = argv[argv.index("--baseline") + 1] if "--baseline" in argv else default_baseline()
    with tempfile.TemporaryDirectory(prefix="otel-baseline-") as tmp:
        path = export_baseline(ref, Path(tmp))
        print(f"baseline: {run(['git', 'rev-parse', '--short', ref], cwd=ROOT).strip()} ({ref})", flush=True)
        env = {**os.environ, "OTEL_BENCH_BASELINE_PATH": path}
        return subprocess.call([str(python), __file__, "--inside", *argv], env=env)  # noqa: S603


def inside(argv: list[str]) -> int:
    """Measure every scenario on the four servers; print CPU per unit and the ratios."""
    import uvloop  # noqa: PLC0415 - only in the benchmark's environment
    from harness import Server, run_non_stream, run_stream, stream_once  # noqa: PLC0415

    quick = "--quick" in argv
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else (3 if quick else 7)
    requests, chunks = (1000, 5000) if quick else (4000, 20000)
    servers = {mode: start_server(Server, mode) for mode in MODES}
    scenarios: list[tuple[str, tuple[Any, ...]]] = [
        ("non-stream chat (per request)", ("nonstream", "chat")),
        ("non-stream responses (per request)", ("nonstream", "responses")),
    ]
    scenarios += [
        (f"stream {api} {kind} 1x{chunks:,} (per chunk)", ("stream", api, kind))
        for api in ("chat", "responses")
        for kind in ("async", "sync")
    ]
    if "--only" in argv:
        wanted = argv[argv.index("--only") + 1]
        scenarios = [(label, spec) for label, spec in scenarios if wanted in label]

    async def overheads() -> dict[tuple[str, str, str], int]:
        found = {}
        for mode, server in servers.items():
            for api in ("chat", "responses"):
                for kind in ("async", "sync"):
                    status, parser, _ = await stream_once(server.port, api, f"{kind}-3")
                    assert status == 200, (mode, api, kind, status)  # noqa: S101
                    found[mode, api, kind] = parser.events - 3
        return found

    async def one(server: Any, spec: tuple[Any, ...], overhead: dict[Any, int], warm: bool = False) -> float:
        if spec[0] == "nonstream":
            sample = await run_non_stream(server, spec[1], requests // 10 if warm else requests, 16)
        else:
            _, api, kind = spec
            count = chunks // 10 if warm else chunks
            sample = await run_stream(
                server, api, kind, streams=1, chunks=count, overhead=overhead[server.name, api, kind]
            )
        return sample.cpu_us

    results: dict[tuple[str, str], list[float]] = {}
    try:
        overhead = uvloop.run(overheads())

        async def measure() -> None:
            for label, spec in scenarios:
                started = time.perf_counter()
                order = list(servers.values())
                for server in order:
                    await one(server, spec, overhead, warm=True)
                for index in range(rounds):
                    shift = index % len(order)
                    for server in order[shift:] + order[:shift]:
                        results.setdefault((label, server.name), []).append(await one(server, spec, overhead))
                print(f"{label}: {time.perf_counter() - started:.0f} s", flush=True)

        uvloop.run(measure())
    finally:
        for server in servers.values():
            server.stop()
    print()
    print(table(results, [label for label, _ in scenarios], rounds))
    print()
    print(f"for scale, the SDK's own work for one span and one histogram record: {sdk_floor():.1f} µs of CPU")
    return 0


def sdk_floor(count: int = 20000) -> float:
    """CPU µs of what the SDK does per request at least, in this process: a span's start, attributes and end
    (through a `BatchSpanProcessor` into an exporter that drops them) and one histogram record."""
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415 - only in the benchmark's environment
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: PLC0415

    class Drop(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(Drop()))
    tracer = tracer_provider.get_tracer("floor")
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    histogram = meter_provider.get_meter("floor").create_histogram("floor.duration", "s")
    start = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "text"}
    end = {
        "gen_ai.response.id": "chatcmpl-0",
        "gen_ai.response.model": "text",
        "gen_ai.response.finish_reasons": ("stop",),
    }
    labels = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "text", "gen_ai.response.model": "text"}
    began = time.process_time()
    for _ in range(count):
        span = tracer.start_span("chat text", attributes=start)
        span.set_attributes(end)
        span.end()
        histogram.record(0.001, labels)
    spent = time.process_time() - began
    tracer_provider.shutdown()
    meter_provider.shutdown()
    return spent / count * 1e6


def start_server(server_class: Any, mode: str) -> Any:
    """Start the server of one mode (see the module docstring); its environment says what it serves."""
    baseline = mode.startswith("today")
    os.environ["OTEL_BENCH_MODE"] = {"today": "api", "today+fa": "sdk", "sdk+fa": "sdk"}.get(mode, mode)
    os.environ["OTEL_BENCH_FASTAPI"] = "on" if mode.endswith("+fa") else "off"
    os.environ["OTEL_BENCH_EXPECT"] = "today" if baseline else "telemetry"
    if baseline:
        os.environ["PYTHONPATH"] = os.environ["OTEL_BENCH_BASELINE_PATH"]
    else:
        os.environ.pop("PYTHONPATH", None)
    server = server_class(mode, sys.executable, "observed")
    server.start()
    return server


def table(results: dict[tuple[str, str], list[float]], labels: list[str], rounds: int) -> str:
    """CPU µs per unit (median) per server, and each mode's ratio to its baseline (median of per-round ratios)."""
    names = [f"{mode}/{base}" for mode, base in RATIOS]
    lines = [
        "| scenario | " + " | ".join(f"{m} µs" for m in MODES) + " | " + " | ".join(names) + " |",
        "|---" * (1 + len(MODES) + len(RATIOS)) + "|",
    ]
    for label in labels:
        cells = [f"{statistics.median(results[label, m]):.2f}" for m in MODES]
        for mode, base in RATIOS:
            per_round = [results[label, mode][i] / results[label, base][i] for i in range(rounds)]
            cells.append(f"{statistics.median(per_round):.3f}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if "-h" in arguments or "--help" in arguments:
        print(__doc__)
        sys.exit(0)
    if "--inside" in arguments:
        arguments.remove("--inside")
        sys.exit(inside(arguments))
    sys.exit(outside(arguments))
