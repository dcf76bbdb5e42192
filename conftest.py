"""Fixtures shared by every test folder of the repository (pytest finds this file from the rootdir)."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from openai_compat_core.testing import LiveServer
from openai_compat_responses.redis_testing import RedisServer


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], LiveServer]]:
    """Start apps under uvicorn on 127.0.0.1; every server started is stopped after the test."""
    servers: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def asgi_client() -> Callable[[Any], httpx.AsyncClient]:
    def make(app: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    return make


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh `redis-server` on a free port, persistence off, stopped after the test.

    Skipped when the program is not installed, except in CI (`CI` set), where `.ci/run` installs it.
    """
    if not RedisServer.available() and not os.environ.get("CI"):
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server)")
    with RedisServer() as server:
        yield server


class Recorded:
    """What the OpenTelemetry SDK recorded during one test: finished spans and metric points."""

    SCOPE = "openai_compat_core"

    def __init__(self, exporter: Any, reader: Any) -> None:
        self.exporter = exporter
        self.reader = reader

    def spans(self) -> list[Any]:
        """Every finished span, ours and others (FastAPI's, the test's own), in the order they ended."""
        return list(self.exporter.get_finished_spans())

    def ours(self) -> list[Any]:
        """The finished spans the routers made (instrumentation scope `openai_compat_core`)."""
        return [span for span in self.spans() if span.instrumentation_scope.name == self.SCOPE]

    def points(self, name: str) -> list[Any]:
        """The data points of one of the routers' metrics so far (cumulative), with their attributes."""
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource_metrics in data.resource_metrics if data is not None else ():
            for scope_metrics in resource_metrics.scope_metrics:
                if scope_metrics.scope.name != self.SCOPE:
                    continue
                for metric in scope_metrics.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Iterator[Recorded]:
    """An OpenTelemetry SDK set as the process's providers for one test, recording in memory.

    The API's providers are process-wide and can be set once: they are reset before and after the
    test with the OpenTelemetry test utilities, so no other test sees them.
    """
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.test.globals_test import reset_metrics_globals, reset_trace_globals

    reset_trace_globals()
    reset_metrics_globals()
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    meter_provider = MeterProvider(metric_readers=[reader])
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(meter_provider)
    try:
        yield Recorded(exporter, reader)
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
        reset_trace_globals()
        reset_metrics_globals()
