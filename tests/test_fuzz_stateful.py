"""Property-based fuzzing of the Responses router with a store: every stateful route, from the app's OpenAPI schema.

As `test_fuzz_schema.py` (same checks, same `OPENAI_COMPAT_FUZZ_EXAMPLES`), for the routes a store
adds: retrieve, delete, cancel, input items and the Conversations API, and create with the store's
parameters. One check is left out besides: a request the schema allows may name a response or
conversation that does not exist (`previous_response_id`, `conversation`), which OpenAI refuses with
a 400, as this router does; schemathesis would count that as rejecting valid data. Such answers are
still checked: never a 5xx, always the envelope.
"""

import json
import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi import FastAPI  # noqa: E402 - after the importorskip above
from hypothesis import HealthCheck, settings  # noqa: E402

from openai_compat_responses import InMemoryResponseStore, create_responses_router  # noqa: E402

EXAMPLES = int(os.environ.get("OPENAI_COMPAT_FUZZ_EXAMPLES", "25"))
TIMEOUT = 10.0


def run_response(model: str, input_items: list[Any], body: dict[str, Any]) -> str:
    return f"{len(input_items)} items"


def build_app() -> FastAPI:
    app = FastAPI()
    app.include_router(
        create_responses_router(
            list_models=lambda: ["fuzz-model"],
            run_response=run_response,
            store=InMemoryResponseStore(max_responses=200, max_conversations=50),
        )
    )
    return app


APP = build_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
schema.config.checks.update(excluded_check_names=["negative_data_rejection", "positive_data_acceptance"])


def error_envelope(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error answer is OpenAI's envelope; a validation error names its parameter."""
    if response.status_code < 400:
        return None
    body = json.loads(response.content)
    assert set(body) == {"error", "detail"}, body
    error = body["error"]
    assert set(error) == {"message", "type", "param", "code"}, error
    assert isinstance(error["message"], str)
    assert error["message"]
    if error["code"] in ("invalid_type", "invalid_value", "missing_required_parameter"):
        assert isinstance(error["param"], str), error
        assert error["param"], error
    for leak in ("Traceback", 'File "', "Error:"):
        assert leak not in error["message"], error
    return True


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_stateful_route_answers_fuzzed_requests_with_documented_answers(case: Any) -> None:
    if case.path.endswith("/responses") and isinstance(case.body, dict):
        # A background response would outlive the request's event loop here (the fuzzer's client
        # runs each request on its own loop); background mode is tested with real servers.
        case.body.pop("background", None)
    response = case.call(timeout=TIMEOUT)
    assert response.status_code < 500, response.text
    case.validate_response(response, additional_checks=[error_envelope])
