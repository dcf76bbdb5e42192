"""Core's telemetry: what a request records, how a stream ends, and that nothing is made when nothing records."""

import asyncio
import logging
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from openai_compat_core import EventStreamResponse, OpenAIHTTPException
from openai_compat_core.errors import callback_errors
from openai_compat_core.producer import stream_thread_limiter
from openai_compat_core.semconv import error_type, read_integer, read_number, read_strings, token_counts
from openai_compat_core.sse import data_frame
from openai_compat_core.telemetry import RequestTelemetry, RouterTelemetry
from openai_compat_core.usage import UsageRecord

LOG = logging.getLogger("test.telemetry")
WAIT = 10.0  # reached only when something hangs
HTTP_SCOPE = {"type": "http", "method": "POST", "path": "/", "headers": []}


class Encoder:
    """A minimal StreamEncoder whose chunks also report the stream's usage."""

    def __init__(self) -> None:
        self.finished = False
        self.encoded: list[Any] = []

    def open(self) -> bytes:
        return data_frame({"open": True})

    def encode(self, chunk: Any) -> bytes:
        self.encoded.append(chunk)
        return data_frame({"chunk": chunk})

    def close(self) -> bytes:
        return data_frame({"close": True})

    def fail(self, exc: Exception) -> bytes:
        return data_frame({"error": str(exc)})


class Logged(logging.Handler):
    """Keeps the records logged to a logger, and lets a test wait for the next one."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.arrived = asyncio.Event()
        self.logger = logger

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.set()

    def __enter__(self) -> "Logged":
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.logger.removeHandler(self)


class Records:
    """`on_usage` for tests: keeps the records, and lets a test wait for them without sleeping."""

    def __init__(self) -> None:
        self.items: list[UsageRecord] = []
        self.arrived = asyncio.Event()

    async def __call__(self, record: UsageRecord) -> None:
        self.items.append(record)
        self.arrived.set()

    async def one(self) -> UsageRecord:
        with anyio.fail_after(WAIT):
            await self.arrived.wait()
        [record] = self.items
        return record


def read_usage(encoder: Encoder, telemetry: RequestTelemetry) -> None:
    telemetry.answered(response_id="stream-1", response_model="m", usage={"input_tokens": 3, "output_tokens": 2})


def streaming(records: Records) -> RequestTelemetry:
    telemetry = RouterTelemetry("chat", on_usage=records, logger=LOG).begin()
    assert telemetry is not None
    telemetry.start("m", stream=True)
    telemetry.hand_over(read_usage)
    return telemetry


def sync_words() -> Iterator[str]:
    yield from ["a", "b"]


async def async_words() -> AsyncIterator[str]:
    for word in ["a", "b"]:
        await asyncio.sleep(0)
        yield word


@pytest.mark.parametrize("make_source", [sync_words, async_words])
async def test_a_stream_that_ends_is_completed_with_what_its_encoder_answered(make_source: Any) -> None:
    records = Records()
    telemetry = streaming(records)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    response = EventStreamResponse(make_source(), Encoder(), telemetry=telemetry)
    with anyio.fail_after(WAIT):
        await response(HTTP_SCOPE, receive, send)
    record = await records.one()
    assert (record.status, record.stream, record.error_type) == ("completed", True, None)
    assert (record.response_id, record.usage) == ("stream-1", {"input_tokens": 3, "output_tokens": 2})
    assert record.time_to_first_token is not None
    assert 0 <= record.time_to_first_token <= record.duration


@pytest.mark.parametrize("as_async", [False, True])
async def test_a_stream_whose_generator_raises_is_failed_with_its_exception(as_async: bool) -> None:
    def broken() -> Iterator[str]:
        yield "a"
        raise KeyError("gone")

    async def broken_async() -> AsyncIterator[str]:
        yield "a"
        raise KeyError("gone")

    records = Records()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    response = EventStreamResponse(broken_async() if as_async else broken(), Encoder(), telemetry=streaming(records))
    with anyio.fail_after(WAIT):
        await response(HTTP_SCOPE, receive, send)
    record = await records.one()
    assert (record.status, record.error_type) == ("failed", "KeyError")
    # The error frame went out: the client was told, and the first chunk came before it.
    assert b'"error"' in b"".join(m.get("body", b"") for m in sent)
    assert record.time_to_first_token is not None


@pytest.mark.parametrize("as_async", [False, True])
async def test_a_stream_whose_client_leaves_is_disconnected(as_async: bool) -> None:
    release = asyncio.Event()

    def endless() -> Iterator[str]:
        for n in range(100_000):
            yield f"w{n}"

    async def endless_async() -> AsyncIterator[str]:
        yield "w0"
        await asyncio.Event().wait()  # the model never answers again: the client gives up
        yield "never"

    records = Records()
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        await release.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            release.set()
            await asyncio.sleep(0)

    response = EventStreamResponse(endless_async() if as_async else endless(), Encoder(), telemetry=streaming(records))
    with anyio.fail_after(WAIT):
        await response(HTTP_SCOPE, receive, send)
    record = await records.one()
    assert (record.status, record.error_type) == ("disconnected", "client_disconnected")
    assert not any(m.get("more_body") is False for m in sent if m["type"] == "http.response.body")


async def test_a_stream_the_server_cancels_is_failed_with_the_cancellation() -> None:
    started = asyncio.Event()

    async def waiting() -> AsyncIterator[str]:
        yield "a"
        await asyncio.Event().wait()
        yield "never"

    async def receive() -> dict[str, Any]:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            started.set()

    records = Records()
    response = EventStreamResponse(waiting(), Encoder(), telemetry=streaming(records))
    with anyio.fail_after(WAIT):
        async with anyio.create_task_group() as group:
            group.start_soon(response, HTTP_SCOPE, receive, send)
            await started.wait()
            group.cancel_scope.cancel()  # a server shutting down
    record = await records.one()
    assert (record.status, record.error_type) == ("failed", "asyncio.exceptions.CancelledError")


async def test_a_stream_refused_for_want_of_a_producer_thread_is_failed_with_503() -> None:
    limiter = stream_thread_limiter()
    tokens = limiter.total_tokens
    limiter.total_tokens = 1
    holder = object()
    await limiter.acquire_on_behalf_of(holder)
    try:
        records = Records()
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        response = EventStreamResponse(sync_words(), Encoder(), telemetry=streaming(records), wait_timeout=0)
        with anyio.fail_after(WAIT):
            await response(HTTP_SCOPE, receive, send)
        record = await records.one()
    finally:
        limiter.release_on_behalf_of(holder)
        limiter.total_tokens = tokens
    assert sent[0]["status"] == 503
    assert (record.status, record.error_type) == ("failed", "503")


def test_the_first_chunk_is_noted_once_and_the_encoder_is_left_as_it_was() -> None:
    telemetry = RouterTelemetry("chat", on_usage=Records(), logger=LOG).begin()
    assert telemetry is not None
    encoder = Encoder()
    telemetry.watch_first_chunk(encoder)
    assert telemetry.first_chunk is None
    encoder.encode("a")
    noted = telemetry.first_chunk
    assert noted is not None
    # The class's own method is back: every later chunk costs what it cost before.
    assert encoder.encode.__func__ is Encoder.encode  # type: ignore[attr-defined]
    encoder.encode("b")
    assert (telemetry.first_chunk, encoder.encoded) == (noted, ["a", "b"])

    class OwnEncode:
        """An encoder whose `encode` is an attribute of the instance, not a method of its class."""

        def __init__(self) -> None:
            self.finished = False
            self.encode = self.first_version

        def first_version(self, chunk: Any) -> bytes:
            return b"x"

    own = OwnEncode()
    original = own.encode
    telemetry.watch_first_chunk(own)
    assert own.encode is not original
    assert own.encode("a") == b"x"
    assert own.encode == original

    class Slotted:
        __slots__ = ("finished",)

        def encode(self, chunk: Any) -> bytes:
            return b""

    telemetry.watch_first_chunk(Slotted())  # no instance dict: nothing to note, nothing breaks


async def test_an_on_usage_that_raises_is_logged_and_changes_nothing() -> None:
    calls: list[UsageRecord] = []

    async def on_usage(record: UsageRecord) -> None:
        calls.append(record)
        raise RuntimeError("the meter is down")

    with Logged(LOG) as logged:
        telemetry = RouterTelemetry("chat", on_usage=on_usage, logger=LOG).begin()
        assert telemetry is not None
        telemetry.start("m")
        telemetry.finish("completed")
        telemetry.finish("failed", ValueError("twice"))  # finished once only
        with anyio.fail_after(WAIT):
            await logged.arrived.wait()
    [record] = logged.records
    assert record.getMessage() == "on_usage raised"
    assert record.exc_info is not None
    assert isinstance(record.exc_info[1], RuntimeError)
    assert [call.status for call in calls] == ["completed"]


def test_a_sync_on_usage_runs_in_a_worker_thread() -> None:
    import threading

    threads: list[threading.Thread] = []
    done = threading.Event()

    def on_usage(record: UsageRecord) -> None:
        threads.append(threading.current_thread())
        done.set()

    async def main() -> None:
        telemetry = RouterTelemetry("chat", on_usage=on_usage, logger=LOG).begin()
        assert telemetry is not None
        telemetry.start("m")
        telemetry.finish("completed")
        await anyio.to_thread.run_sync(done.wait, WAIT)

    anyio.run(main)
    assert done.is_set()
    assert threads[0] is not threading.main_thread()


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_records_are_delivered_on_either_event_loop(backend: str) -> None:
    received: list[UsageRecord] = []

    async def main() -> None:
        arrived = anyio.Event()

        async def on_usage(record: UsageRecord) -> None:
            received.append(record)
            arrived.set()

        telemetry = RouterTelemetry("embeddings", on_usage=on_usage, logger=LOG).begin()
        assert telemetry is not None
        telemetry.start("e")
        telemetry.finish("failed", OpenAIHTTPException(400, "no"))
        with anyio.fail_after(WAIT):
            await arrived.wait()

    anyio.run(main, backend=backend)
    [record] = received
    assert (record.operation, record.model, record.status, record.error_type) == ("embeddings", "e", "failed", "400")


def test_nothing_records_without_an_sdk_or_on_usage() -> None:
    # The process's providers are the API's own (no test leaves an SDK behind): no telemetry at all.
    assert RouterTelemetry("chat", logger=LOG).begin() is None


def test_error_types() -> None:
    assert error_type(ValueError("x")) == "ValueError"
    assert error_type(ClientDisconnect()) == "client_disconnected"
    assert error_type(HTTPException(404)) == "404"
    assert error_type(OpenAIHTTPException(429, "slow down")) == "429"
    with pytest.raises(OpenAIHTTPException) as caught, callback_errors("Pipeline execution failed", LOG):
        raise KeyError("k")
    # The 500 a failing callback is answered with is named for the callback's exception.
    assert (caught.value.status_code, error_type(caught.value)) == (500, "KeyError")

    class CustomError(Exception):
        pass

    assert error_type(CustomError()) == f"{__name__}.test_error_types.<locals>.CustomError"


def test_token_counts_and_parameters() -> None:
    assert token_counts({"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}) == (3, 5)
    assert token_counts({"input_tokens": 2, "output_tokens": 1}) == (2, 1)
    assert token_counts({"prompt_tokens": 4, "total_tokens": 4}) == (4, None)
    assert token_counts({"input_tokens": "many", "output_tokens": True}) == (None, None)
    assert token_counts(None) == (None, None)
    assert [read_number(v) for v in (0.2, 1, True, "0.2", None)] == [0.2, 1, None, None, None]
    assert [read_integer(v) for v in (5, 5.0, False, None)] == [5, None, None, None]
    assert [read_strings(v) for v in ("end", ["a", "b"], ["a", 1], 3)] == [("end",), ("a", "b"), None, None]


def test_without_the_opentelemetry_api_only_on_usage_records() -> None:
    """`opentelemetry` not importable (FastAPI itself may import it first): core never tries it again."""
    script = textwrap.dedent(
        """
        import asyncio, logging, sys
        import fastapi  # newer FastAPI imports the OpenTelemetry API itself: take it away after that
        for name in [n for n in sys.modules if n == "opentelemetry" or n.startswith("opentelemetry.")]:
            del sys.modules[name]

        class Absent:
            def find_spec(self, name, path=None, target=None):
                if name == "opentelemetry" or name.startswith("opentelemetry."):
                    raise ImportError("opentelemetry is not installed")
                return None

        sys.meta_path.insert(0, Absent())
        from openai_compat_core import _otel
        from openai_compat_core.telemetry import RouterTelemetry

        log = logging.getLogger("t")
        assert RouterTelemetry("chat", logger=log).begin() is None
        assert _otel.available() is False and _otel.state() is None
        records = []

        async def main():
            telemetry = RouterTelemetry("chat", on_usage=records.append, logger=log).begin()
            assert telemetry is not None and telemetry.otel is None
            telemetry.start("m", stream=True)
            with telemetry.active():
                pass
            telemetry.finish("completed")
            while not records:
                await asyncio.sleep(0)

        asyncio.run(main())
        assert "opentelemetry" not in sys.modules
        print(records[0].status, records[0].model)
        """
    )
    done = subprocess.run(  # noqa: S603 - this interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["completed", "m"]


def test_an_sdk_configured_after_the_routers_is_noticed_within_a_few_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unconfigured providers are looked up sparingly (each look-up costs); a new SDK is still found soon."""
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.test.globals_test import reset_metrics_globals, reset_trace_globals

    from openai_compat_core import _otel

    monkeypatch.setattr(_otel, "_unconfigured_checks", _otel.EAGER_CHECKS)  # a process past its first requests
    router = RouterTelemetry("chat", logger=LOG)
    assert router.begin() is None
    reset_trace_globals()
    reset_metrics_globals()
    tracer_provider, meter_provider = TracerProvider(), MeterProvider()
    try:
        trace.set_tracer_provider(tracer_provider)
        metrics.set_meter_provider(meter_provider)
        began = [router.begin() for _ in range(_otel.CHECK_EVERY)]
        first = next(index for index, telemetry in enumerate(began) if telemetry is not None)
        # Once found, every request records.
        assert all(telemetry is not None for telemetry in began[first:])
        assert first < _otel.CHECK_EVERY
        # A router made now looks the providers up at once.
        reset_trace_globals()
        reset_metrics_globals()
        assert RouterTelemetry("chat", logger=LOG).begin() is None
    finally:
        tracer_provider.shutdown()
        meter_provider.shutdown()
        reset_trace_globals()
        reset_metrics_globals()
        _otel.refresh()
