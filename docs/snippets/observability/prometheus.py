from fastapi import FastAPI
from opentelemetry import metrics
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import make_asgi_app

from openai_compat_chat import create_chat_completion_router

# Metrics are collected when Prometheus scrapes /metrics.
metrics.set_meter_provider(MeterProvider(metric_readers=[PrometheusMetricReader()]))


async def run_completion(model: str, messages: list[dict], body: dict) -> str:
    return "Hello!"


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["my-pipeline"],
        run_completion=run_completion,
        validate_model=True,  # keeps unknown model names out of the metrics' labels
    )
)
app.mount("/metrics", make_asgi_app())
