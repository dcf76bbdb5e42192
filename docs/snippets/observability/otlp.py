from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from openai_compat_chat import create_chat_completion_router

# The collector's address comes from $OTEL_EXPORTER_OTLP_ENDPOINT
# (default http://localhost:4318): the exporters read it themselves.
resource = Resource.create({"service.name": "my-llm-server"})
tracer_provider = TracerProvider(resource=resource)
tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
trace.set_tracer_provider(tracer_provider)
reader = PeriodicExportingMetricReader(OTLPMetricExporter())
metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[reader]))

tracer = trace.get_tracer("my_pipeline")


async def run_completion(model: str, messages: list[dict], body: dict) -> str:
    # Your own spans nest under the request's `chat my-pipeline` span.
    with tracer.start_as_current_span("retrieve"):
        context = "..."
    return f"Answer from {len(context)} characters of context"


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["my-pipeline"], run_completion=run_completion
    )
)
