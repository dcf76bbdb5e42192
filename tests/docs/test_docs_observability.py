"""The observability page: an OTLP collector gets the spans and metrics, Prometheus scrapes them, on_usage logs.

No network: the OTLP "collector" is a small HTTP server on 127.0.0.1 that decodes what the exporters
send, and Prometheus's scrape is a request to the app's own `/metrics`.
"""

import gzip
import http.server
import logging
import threading
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from opentelemetry import metrics, trace
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.test.globals_test import reset_metrics_globals, reset_trace_globals

CHAT = {"model": "my-pipeline", "messages": [{"role": "user", "content": "Hi"}]}


@pytest.fixture
def providers() -> Iterator[None]:
    """The snippets set the process's OpenTelemetry providers: shut them down and reset them afterwards."""
    reset_trace_globals()
    reset_metrics_globals()
    try:
        yield
    finally:
        for provider in (trace.get_tracer_provider(), metrics.get_meter_provider()):
            shutdown = getattr(provider, "shutdown", None)
            if shutdown is not None:
                shutdown()
        reset_trace_globals()
        reset_metrics_globals()


class Collector(http.server.ThreadingHTTPServer):
    """An OTLP/HTTP collector on 127.0.0.1: keeps the protobuf bodies posted to each path."""

    def __init__(self) -> None:
        self.received: dict[str, list[bytes]] = {}
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.received.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return


@pytest.fixture
def collector() -> Iterator[Collector]:
    server = Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def attributes(values: Any) -> dict[str, Any]:
    out = {}
    for item in values:
        value = item.value
        out[item.key] = getattr(value, value.WhichOneof("value"))
    return out


async def test_otlp(
    snippet: Any, asgi_client: Any, collector: Collector, providers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    module = snippet("observability/otlp.py")
    async with asgi_client(module.app) as client:
        answer = await client.post("/v1/chat/completions", json=CHAT)
    assert answer.status_code == 200
    # What the batch processor and the periodic reader would send in their own time, sent now.
    await anyio.to_thread.run_sync(trace.get_tracer_provider().force_flush)  # type: ignore[attr-defined]
    await anyio.to_thread.run_sync(metrics.get_meter_provider().force_flush)  # type: ignore[attr-defined]

    spans = {}
    for body in collector.received["/v1/traces"]:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            assert attributes(resource_spans.resource.attributes)["service.name"] == "my-llm-server"
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    spans[span.name] = span
    ours = spans["chat my-pipeline"]
    assert attributes(ours.attributes)["gen_ai.response.id"] == answer.json()["id"]
    assert spans["retrieve"].parent_span_id == ours.span_id

    names = set()
    for body in collector.received["/v1/metrics"]:
        request = ExportMetricsServiceRequest.FromString(body)
        for resource_metrics in request.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                names.update(metric.name for metric in scope_metrics.metrics)
    assert "gen_ai.server.request.duration" in names


async def test_prometheus(snippet: Any, asgi_client: Any, providers: None) -> None:
    module = snippet("observability/prometheus.py")
    async with asgi_client(module.app) as client:
        assert (await client.post("/v1/chat/completions", json=CHAT)).status_code == 200
        assert (await client.post("/v1/chat/completions", json={**CHAT, "model": "x"})).status_code == 404
        scraped = (await client.get("/metrics/")).text
    counts = [line for line in scraped.splitlines() if line.startswith("gen_ai_server_request_duration_seconds_count")]
    assert len(counts) == 2, scraped
    assert any('gen_ai_request_model="my-pipeline"' in line and line.endswith(" 1.0") for line in counts)
    # The unknown model's 404 is counted by its error type.
    assert any('error_type="404"' in line for line in counts)


class Lines(logging.Handler):
    """Keeps what a logger logs; a test waits on `arrived` instead of sleeping."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.arrived = anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())
        if len(self.lines) == 2:
            self.arrived.set()


async def test_on_usage(snippet: Any, asgi_client: Any) -> None:
    module = snippet("observability/on_usage.py")
    lines = Lines()
    logger = logging.getLogger("usage")
    logger.addHandler(lines)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        async with asgi_client(module.app) as client:
            await client.post("/v1/chat/completions", json={**CHAT, "model": "demo", "stream": True})
            await client.post("/v1/chat/completions", json={**CHAT, "model": "demo"})
            # The records are delivered by tasks of their own, after each answer.
            with anyio.fail_after(10):
                await lines.arrived.wait()
    finally:
        logger.removeHandler(lines)
        logger.setLevel(level)
    assert module.tokens_by_model == {"demo": 28}
    assert all(line.startswith("chat demo: completed in ") for line in lines.lines)
    assert lines.lines[0].endswith("'total_tokens': 14}")
