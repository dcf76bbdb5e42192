"""Property-based fuzzing of every route of an app serving all five APIs, from the app's own OpenAPI schema.

schemathesis generates requests for each operation (valid ones, and ones that break the schema:
wrong types, missing fields, odd strings) and checks every answer:

- never a 5xx, and an answer within the request timeout (no hang);
- the status code, content type and body are those the schema documents (OpenAI's shapes);
- every error is OpenAI's envelope `{"error": {"message", "type", "param", "code"}, "detail"}`,
  and a validation error names the parameter at fault in `param`.

`OPENAI_COMPAT_FUZZ_EXAMPLES` sets the number of generated examples per operation (25 here, the fast
profile run by every `tests` session; the `fuzz` nox session runs a long profile). Generation is
derandomized, so a run is reproducible. `OPENAI_COMPAT_FUZZ_REPORT=<path>` writes the number of
requests sent per operation as JSON.
"""

import json
import os
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")

from fastapi import FastAPI  # noqa: E402 - after the importorskip above
from hypothesis import HealthCheck, settings  # noqa: E402

from openai_compat_chat import create_chat_completion_router  # noqa: E402
from openai_compat_embeddings import create_embeddings_router  # noqa: E402
from openai_compat_files import FileObject, create_files_router  # noqa: E402
from openai_compat_responses import create_responses_router  # noqa: E402

EXAMPLES = int(os.environ.get("OPENAI_COMPAT_FUZZ_EXAMPLES", "25"))
REPORT = os.environ.get("OPENAI_COMPAT_FUZZ_REPORT")
TIMEOUT = 10.0
MODELS = ["fuzz-model", "org/model:tag"]

# Requests sent (one per generated example) per operation, across the whole module.
SENT: Counter[str] = Counter()


class FileStore:
    """An in-memory file store behind the Files callbacks."""

    def __init__(self) -> None:
        self.files: dict[str, FileObject] = {}
        self.content: dict[str, bytes] = {}

    def upload(self, filename: str | None, content_type: str | None, content: bytes, purpose: str) -> FileObject:
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = FileObject(
            id=file_id, bytes=len(content), created_at=1_700_000_000, filename=filename or "upload", purpose=purpose
        )
        # Bounded: the fuzzer uploads many files.
        if len(self.files) > 50:
            oldest = next(iter(self.files))
            self.files.pop(oldest)
            self.content.pop(oldest, None)
        self.content[file_id] = content
        return self.files[file_id]

    def list(self, purpose: str | None, limit: int, after: str | None, order: str) -> list[FileObject]:
        files = [f for f in self.files.values() if purpose is None or f.purpose == purpose]
        return files[: limit + 1]

    def retrieve(self, file_id: str) -> FileObject | None:
        return self.files.get(file_id)

    def delete(self, file_id: str) -> bool:
        self.content.pop(file_id, None)
        return self.files.pop(file_id, None) is not None

    def read(self, file_id: str) -> bytes | None:
        return self.content.get(file_id)


def run_completion(model: str, messages: list[Any], body: dict[str, Any]) -> str | Iterator[str]:
    if body.get("stream"):
        return iter(["Hello", ", ", "world"])
    return "Hello, world"


async def run_response(model: str, items: list[Any], body: dict[str, Any]) -> str | AsyncIterator[str]:
    if body.get("stream"):

        async def words() -> AsyncIterator[str]:
            for word in ("Hello", ", ", "world"):
                yield word

        return words()
    return "Hello, world"


MAX_DIMENSIONS = 4096


def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> list[list[float]]:
    # A model that gives vectors of any length it is asked for, up to MAX_DIMENSIONS (3 by default).
    dimensions = min(body.get("dimensions") or 3, MAX_DIMENSIONS)
    return [[1.0 / (index + 1)] * dimensions for index in range(len(inputs))]


def document_max_dimensions(app: FastAPI) -> None:
    """Say in the schema how many dimensions this app's model gives at most.

    Asking for more dimensions than the model gives is a 400 that only the model can know about; an
    app whose models have a limit documents it like this (FastAPI serves `app.openapi_schema`).
    """
    schema = app.openapi()
    for path in ("/v1/embeddings", "/embeddings"):
        body = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
        body["properties"]["dimensions"]["anyOf"][0]["maximum"] = MAX_DIMENSIONS
    app.openapi_schema = schema


def build_app() -> FastAPI:
    """All five APIs in one app, with callbacks that succeed at once."""
    store = FileStore()
    app = FastAPI()
    app.include_router(create_chat_completion_router(list_models=lambda: MODELS, run_completion=run_completion))
    app.include_router(create_responses_router(list_models=lambda: MODELS, run_response=run_response))
    app.include_router(
        create_files_router(
            run_file_upload=store.upload,
            list_files=store.list,
            retrieve_file=store.retrieve,
            delete_file=store.delete,
            retrieve_file_content=store.read,
            max_file_size=1024 * 1024,
        )
    )
    app.include_router(create_embeddings_router(run_embeddings=run_embeddings))
    document_max_dimensions(app)
    return app


APP = build_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(max_examples=EXAMPLES, deterministic=True)
# Every check schemathesis has, but one: like 1.x, the request models coerce in pydantic's lax mode
# (`"stream": 0` is `false`, `"max_output_tokens": "12"` is 12), which this check counts as accepting
# schema-violating data. Such requests still get no 5xx and, when refused, the envelope (checked here).
schema.config.checks.update(excluded_check_names=["negative_data_rejection"])


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
    assert isinstance(error["type"], str)
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
def test_every_route_answers_fuzzed_requests_with_documented_answers(case: Any) -> None:
    response = case.call(timeout=TIMEOUT)
    SENT[f"{case.method.upper()} {case.path}"] += 1
    assert response.status_code < 500, response.text
    case.validate_response(response, additional_checks=[error_envelope])


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    """Write how many requests each documented operation got (and how many probed other methods)."""
    yield
    if not REPORT or not SENT:
        return
    documented = {f"{method.upper()} {path}" for path, item in APP.openapi()["paths"].items() for method in item}
    per_operation = {label: count for label, count in sorted(SENT.items()) if label in documented}
    report = {
        "max_examples_per_operation": EXAMPLES,
        "operations": len(per_operation),
        "requests_per_operation": per_operation,
        "requests_to_documented_operations": sum(per_operation.values()),
        "requests_with_undocumented_methods": sum(SENT.values()) - sum(per_operation.values()),
        "requests_total": sum(SENT.values()),
    }
    Path(REPORT).write_text(json.dumps(report, indent=2))
