"""The OpenTelemetry side of `openai_compat_core.telemetry`: the API, imported lazily, and what it records.

Nothing here runs unless `opentelemetry-api` is importable, and nothing is made until an SDK (or
another implementation of the API) is configured: `state()` answers `None` for the API's own proxy
and no-op providers. The tracer and the instruments are made once per configured provider, and made
again if the application replaces it.

Looking the providers up costs little once one is set, but while none is, each look-up checks the
environment for a provider to load (a failed `os.environ` look-up, about a microsecond, twice). So
while nothing is configured, the providers are looked up on every request for a process's first
`EAGER_CHECKS` requests, then on one request in `CHECK_EVERY`, and whenever a router is made
(`refresh()`): an SDK configured later still records from its 16th request on at the latest.
"""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from openai_compat_core.semconv import as_json, failure_cause, is_server_fault, token_counts
from openai_compat_core.version import __version__

if TYPE_CHECKING:
    from openai_compat_core.telemetry import RequestTelemetry
    from openai_compat_core.usage import Status

SCOPE = "openai_compat_core"
"""The instrumentation scope of every span and instrument (the `otel.scope.name` exporters show)."""

# The GenAI conventions' advised bucket boundaries, per instrument.
_DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
_FIRST_TOKEN_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
_PER_TOKEN_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
_TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)

# The API's modules, once imported; False when `opentelemetry-api` is not installed.
_api: Any = None


def available() -> bool:
    """Import the OpenTelemetry API once; tell whether it is installed."""
    global _api  # noqa: PLW0603 - one import per process, remembered
    if _api is None:
        try:
            from opentelemetry import context, trace  # noqa: PLC0415 - optional: the `otel` extra
            from opentelemetry import metrics as metrics_api  # noqa: PLC0415
        except ImportError:
            _api = False
        else:
            _api = (trace, metrics_api, context)
    return _api is not False


def _unconfigured(provider: Any) -> bool:
    # The API has no public "is an SDK configured" query: its own providers (the proxy handed out until
    # one is set, and the no-op ones) live in its modules; an SDK's or a vendor's provider lives elsewhere.
    return type(provider).__module__.startswith(("opentelemetry.trace", "opentelemetry.metrics"))


class Instruments:
    """The histograms of the GenAI conventions' server side (and the token usage, named for a server)."""

    __slots__ = ("duration", "first_token", "per_token", "tokens")

    def __init__(self, meter: Any) -> None:
        self.duration = _histogram(
            meter,
            "gen_ai.server.request.duration",
            "s",
            "Generative AI server request duration such as time-to-last byte or last output token.",
            _DURATION_BUCKETS,
        )
        self.first_token = _histogram(
            meter,
            "gen_ai.server.time_to_first_token",
            "s",
            "Time to generate first token for successful responses.",
            _FIRST_TOKEN_BUCKETS,
        )
        self.per_token = _histogram(
            meter,
            "gen_ai.server.time_per_output_token",
            "s",
            "Time per output token generated after the first token for successful responses.",
            _PER_TOKEN_BUCKETS,
        )
        self.tokens = _histogram(
            meter,
            "gen_ai.server.token.usage",
            "{token}",
            "Number of input and output tokens the callbacks reported.",
            _TOKEN_BUCKETS,
        )


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: Sequence[float]) -> Any:
    try:
        return meter.create_histogram(name, unit, description, explicit_bucket_boundaries_advisory=buckets)
    except TypeError:  # an API from before bucket advice: the SDK's default buckets
        return meter.create_histogram(name, unit, description)


class State:
    """What the configured providers give: a tracer (or None) and the instruments (or None)."""

    __slots__ = ("instruments", "tracer")

    def __init__(self, tracer: Any, instruments: Instruments | None) -> None:
        self.tracer = tracer
        self.instruments = instruments


EAGER_CHECKS = 1000
"""While no provider is configured, the providers are looked up on each of a process's first requests."""

CHECK_EVERY = 16
"""Then, while none is configured, on one request in this many."""

# (tracer provider, meter provider, state) last seen.
_seen: tuple[Any, Any, State | None] = (None, None, None)
_unconfigured_checks = 0


def state() -> State | None:
    """The tracer and instruments of the configured providers, or None when nothing would record."""
    if not _api:
        return None
    if _seen[2] is None:
        global _unconfigured_checks  # noqa: PLW0603 - a counter of look-ups, per process
        _unconfigured_checks += 1
        if _unconfigured_checks > EAGER_CHECKS and _unconfigured_checks % CHECK_EVERY:
            return None
    return refresh()


def refresh() -> State | None:
    """Look the providers up now (when a router is made, and as `state()` says)."""
    if not _api:
        return None
    trace, metrics_api, _ = _api
    tracer_provider = trace.get_tracer_provider()
    meter_provider = metrics_api.get_meter_provider()
    global _seen  # noqa: PLW0603 - a cache of what the providers give, per provider
    seen_tracers, seen_meters, seen = _seen
    if tracer_provider is seen_tracers and meter_provider is seen_meters:
        return seen
    tracer = None if _unconfigured(tracer_provider) else tracer_provider.get_tracer(SCOPE, __version__)
    meters = None if _unconfigured(meter_provider) else Instruments(meter_provider.get_meter(SCOPE, __version__))
    current = None if tracer is None and meters is None else State(tracer, meters)
    _seen = (tracer_provider, meter_provider, current)
    return current


def start_span(tracer: Any, name: str, attributes: Mapping[str, Any], start_time: int) -> Any:
    """Start an INTERNAL span (a child of the current one) whose attributes are known at its start."""
    trace = _api[0]
    return tracer.start_span(name, kind=trace.SpanKind.INTERNAL, attributes=attributes, start_time=start_time)


def attach(span: Any) -> object:
    """Make `span` the current span; return the token `detach` takes."""
    trace, _, context = _api
    return context.attach(trace.set_span_in_context(span))


def detach(token: object) -> None:
    _api[2].detach(token)


def end_span(span: Any, attributes: Mapping[str, Any], error: BaseException | None, failed: bool) -> None:
    """Set the attributes known at the end, the error status if `failed`, and end the span."""
    if attributes:
        span.set_attributes(attributes)
    if failed:
        trace = _api[0]
        if error is not None and not _is_http_error(error):
            span.record_exception(error)
        span.set_status(trace.Status(trace.StatusCode.ERROR, _describe(error)))
    span.end()


def record(
    observed: "RequestTelemetry",
    status: "Status",
    error: BaseException | None,
    kind: str | None,
    *,
    duration: float,
    first: float | None,
) -> None:
    """End a finished request's span with what it answered, and record its metrics (`observed.otel` is set)."""
    otel = observed.otel
    assert otel is not None  # noqa: S101 - checked by the caller
    given, made = token_counts(observed.usage)
    span = observed.span
    if span is not None:
        names: dict[str, Any] = {}
        if observed.response_id is not None:
            names["gen_ai.response.id"] = observed.response_id
        if observed.response_model is not None:
            names["gen_ai.response.model"] = observed.response_model
        if observed.finish_reasons:
            names["gen_ai.response.finish_reasons"] = observed.finish_reasons
        if given is not None:
            names["gen_ai.usage.input_tokens"] = given
        if made is not None:
            names["gen_ai.usage.output_tokens"] = made
        if first is not None:
            names["gen_ai.response.time_to_first_chunk"] = first
        if kind is not None:
            names["error.type"] = kind
        if observed.output is not None:
            names["gen_ai.output.messages"] = as_json(observed.output)
        cause = failure_cause(error) if error is not None else None
        end_span(span, names, cause, error is not None and is_server_fault(error))
    instruments = otel.instruments
    if instruments is None:
        return
    labels: dict[str, Any] = {"gen_ai.operation.name": observed.operation}
    if observed.model is not None:
        labels["gen_ai.request.model"] = observed.model
    if observed.response_model is not None:
        labels["gen_ai.response.model"] = observed.response_model
    if kind is not None:
        labels["error.type"] = kind
    instruments.duration.record(duration, labels)
    if first is not None and status == "completed":
        instruments.first_token.record(first, labels)
        if made is not None and made > 1:
            instruments.per_token.record((duration - first) / (made - 1), labels)
    if given is not None:
        instruments.tokens.record(given, {**labels, "gen_ai.token.type": "input"})
    if made is not None:
        instruments.tokens.record(made, {**labels, "gen_ai.token.type": "output"})


def _is_http_error(error: BaseException) -> bool:
    return isinstance(getattr(error, "status_code", None), int)


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    try:
        return f"{type(error).__name__}: {error}"
    except Exception:  # noqa: BLE001 - a broken __str__ must not break the span's end
        return type(error).__name__


__all__ = [
    "CHECK_EVERY",
    "EAGER_CHECKS",
    "SCOPE",
    "Instruments",
    "State",
    "attach",
    "available",
    "detach",
    "end_span",
    "record",
    "refresh",
    "start_span",
    "state",
]
