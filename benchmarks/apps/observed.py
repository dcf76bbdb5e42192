"""The app of `benchmarks/otel_overhead.py`: the chat and responses routers, telemetry as `OTEL_BENCH_MODE` says.

- `off`: the OpenTelemetry API is taken away before this project is imported (FastAPI may import it
  first for itself): core finds no `opentelemetry` to import, as without the `otel` extra;
- `api`: the API is there (FastAPI itself depends on it), no SDK is configured;
- `sdk`: the SDK is configured, spans going through a `BatchSpanProcessor` to an in-memory exporter
  (which keeps the last batch only) and metrics to an in-memory reader.

FastAPI's own telemetry (FastAPI 0.142 and later) is switched off unless `OTEL_BENCH_FASTAPI=on`,
so that the only difference between the modes is this project's; with it on (its default once an
SDK is configured) the `sdk` mode is compared with the baseline under the same SDK.

`OTEL_BENCH_EXPECT` (`today` or `telemetry`) says whether the code being served must have
`openai_compat_core.telemetry`: the baseline is the same app served from an older tree, put first on
`PYTHONPATH` by the benchmark.
"""

import importlib.util
import inspect
import os
import sys
from typing import Any

MODE = os.environ.get("OTEL_BENCH_MODE", "api")

import fastapi  # noqa: E402 - imported before the API is taken away in the `off` mode


def _take_the_api_away() -> None:
    for name in [n for n in sys.modules if n == "opentelemetry" or n.startswith("opentelemetry.")]:
        del sys.modules[name]

    class Absent:
        def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ImportError("opentelemetry is not installed (benchmark mode `off`)")

    sys.meta_path.insert(0, Absent())  # type: ignore[arg-type]


def _configure_the_sdk() -> None:
    # Imported only in this mode: in `off` nothing of OpenTelemetry may be imported.
    from opentelemetry import metrics, trace  # noqa: PLC0415
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor  # noqa: PLC0415
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: PLC0415

    class LastBatch(InMemorySpanExporter):
        """Keeps the last exported batch only: a long run must not hold every span in memory."""

        def export(self, spans: Any) -> Any:
            self.clear()
            return super().export(spans)

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(LastBatch()))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))


if MODE == "off":
    _take_the_api_away()
elif MODE == "sdk":
    _configure_the_sdk()
elif MODE != "api":
    raise SystemExit(f"OTEL_BENCH_MODE must be off, api or sdk, not {MODE!r}")

from callbacks import list_models, run  # noqa: E402

from openai_compat_chat import create_chat_completion_router  # noqa: E402
from openai_compat_responses import create_responses_router  # noqa: E402

_has_telemetry = importlib.util.find_spec("openai_compat_core.telemetry") is not None
_expected = os.environ.get("OTEL_BENCH_EXPECT", "telemetry")
if _has_telemetry != (_expected == "telemetry"):
    raise SystemExit(f"expected the {_expected} code, but openai_compat_core.telemetry is there: {_has_telemetry}")

options: dict[str, Any] = {}
fastapi_telemetry = os.environ.get("OTEL_BENCH_FASTAPI", "off") == "on"
if not fastapi_telemetry and "telemetry" in inspect.signature(fastapi.FastAPI).parameters:
    options["telemetry"] = {"tracing": False, "metrics": False, "logs": False}
app = fastapi.FastAPI(**options)
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run))
app.include_router(create_responses_router(list_models=list_models, run_response=run))
