"""Prove that one distribution works when it is installed alone (with core, its only dependency).

    python -I tests/isolation/check_alone.py responses     # the `isolation` nox session
    python -I tests/isolation/check_alone.py embeddings    # the `isolation_embeddings` nox session

Each runs in an environment holding only openai-compat-core, the distribution, uvicorn and httpx (and
pytest for responses): no sibling package, no python-multipart, no Haystack (for embeddings no numpy,
for responses no redis: its store imports it lazily). It also proves the slim install stays free of
OpenTelemetry of ours: no distribution requires it (core's ``otel`` extra is not installed), the SDK is
absent, and serving imports no OpenTelemetry module that FastAPI has not imported itself (FastAPI 0.142
and later depend on the OpenTelemetry API). Then it serves the distribution's router alone under
uvicorn. pytest does not collect this file (no ``test_`` prefix): it only means something in that
environment.
"""

import base64
import importlib
import importlib.metadata
import importlib.util
import struct
import sys
from collections.abc import Callable
from typing import Any

ALWAYS_ABSENT = (
    "multipart",  # python-multipart's legacy import name
    "python_multipart",
    "haystack",
    "openai_compat_files",
    "openai_compat_chat",
    "openai_compat_responses",
    "openai_compat_embeddings",
    "fastapi_openai_compat",
)
ALSO_ABSENT = {"responses": ("redis",), "embeddings": ("numpy",)}


def importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def check_installed_set(package: str, also_absent: tuple[str, ...]) -> list[str]:
    """Return one message per module that is installed when it must not be, or missing when it must be."""
    absent = [name for name in (*ALWAYS_ABSENT, *also_absent) if name != package]
    problems = [f"{name} is importable but must not be installed" for name in absent if importable(name)]
    problems += [f"{name} is not importable" for name in ("openai_compat_core", package) if not importable(name)]
    return problems


def check_no_opentelemetry_of_ours(distribution: str) -> list[str]:
    """Return one message per way OpenTelemetry came into this environment through our distributions."""
    problems = []
    if importable("opentelemetry.sdk"):
        problems.append("the OpenTelemetry SDK is installed")
    for name in ("openai-compat-core", distribution):
        problems += [
            f"{name} requires {requirement}"
            for requirement in importlib.metadata.requires(name) or []
            if requirement.split(";")[0].strip().lower().startswith("opentelemetry") and "extra" not in requirement
        ]
    return problems


def opentelemetry_modules() -> set[str]:
    return {name for name in sys.modules if name == "opentelemetry" or name.startswith("opentelemetry.")}


def report(problems: list[str]) -> int:
    for problem in problems:
        sys.stderr.write(f"isolation: {problem}\n")
    return 1 if problems else 0


def main(api: str) -> int:
    package, distribution = f"openai_compat_{api}", f"openai-compat-{api}"
    problems = check_installed_set(package, ALSO_ABSENT[api]) + check_no_opentelemetry_of_ours(distribution)
    if problems:
        return report(problems)

    # Imported only after proving the environment is the isolated one.
    importlib.import_module(package)
    serve, served = SERVERS[api]
    fastapis_own = opentelemetry_modules()
    problems = serve()
    ours = opentelemetry_modules() - fastapis_own
    if ours:
        problems.append(f"serving imported OpenTelemetry modules FastAPI had not: {sorted(ours)}")
    if problems:
        return report(problems)
    sys.stdout.write(f"isolation: ok ({package} imported without its siblings and served {served} over uvicorn)\n")
    return 0


def serve_plain_and_streamed() -> list[str]:
    """Serve the responses router alone under uvicorn; return one message per thing that went wrong."""
    from collections.abc import Iterator

    import httpx
    from fastapi import FastAPI

    from openai_compat_core.testing import LiveServer
    from openai_compat_responses import create_responses_router
    from openai_compat_responses.testing import check_events, check_response_object, parse_events

    def run_response(model: str, input_items: list[Any], body: dict[str, Any]) -> Any:
        if not body["stream"]:
            return f"echo: {input_items[0]['content']}"

        def words() -> Iterator[str]:
            yield from ["streamed ", "echo: ", input_items[0]["content"]]

        return words()

    app = FastAPI()
    app.include_router(create_responses_router(list_models=lambda: ["echo"], run_response=run_response))
    problems: list[str] = []
    with LiveServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        request = {"model": "echo", "input": "hi", "instructions": "Be brief."}
        plain = client.post("/responses", json=request)
        if plain.status_code != 200 or not plain.headers["content-type"].startswith("application/json"):
            return [f"plain response: {plain.status_code} {plain.headers.get('content-type')}: {plain.text[:200]}"]
        body = plain.json()
        check_response_object(body)
        if output_text(body) != "echo: hi" or body["instructions"] != "Be brief.":
            problems.append(f"plain response has the wrong content: {body}")

        streamed = client.post("/responses", json={**request, "stream": True})
        if not streamed.headers.get("content-type", "").startswith("text/event-stream"):
            return [*problems, f"streamed response is not an event stream: {streamed.text[:200]}"]
        events = parse_events(streamed.text)
        final = check_events(events)
        if events[-1][0] != "response.completed" or output_text(final) != "streamed echo: hi":
            problems.append(f"streamed response ended with {events[-1][0]} and output {final['output']}")
        deltas = [payload["delta"] for name, payload in events if name == "response.output_text.delta"]
        if deltas != ["streamed ", "echo: ", "hi"]:
            problems.append(f"streamed deltas are {deltas}")
    return problems


def output_text(response: dict[str, Any]) -> str:
    """The text of a response object's message items."""
    return "".join(
        part["text"]
        for item in response["output"]
        if item["type"] == "message"
        for part in item["content"]
        if part["type"] == "output_text"
    )


def serve_floats_and_base64() -> list[str]:
    """Serve the embeddings router alone under uvicorn; return one message per thing that went wrong."""
    import httpx
    from fastapi import FastAPI

    from openai_compat_core.testing import LiveServer
    from openai_compat_embeddings import create_embeddings_router

    def vector(item: Any) -> list[float]:
        size = len(item)
        return [size / 4, -size / 8, 0.5, 1.0]

    def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> list[list[float]]:
        return [vector(item) for item in inputs]

    app = FastAPI()
    app.include_router(create_embeddings_router(run_embeddings=run_embeddings))
    problems: list[str] = []
    with LiveServer(app) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        for fmt, inputs in [("float", ["one", "three"]), ("base64", ["one", "three"]), ("base64", [[1, 2, 3, 4, 5]])]:
            expected = [vector(item) for item in inputs]
            answer = client.post("/embeddings", json={"model": "toy", "input": inputs, "encoding_format": fmt})
            if answer.status_code != 200 or answer.headers["content-type"] != "application/json":
                problems.append(f"{fmt}: {answer.status_code} {answer.headers.get('content-type')}: {answer.text[:99]}")
                continue
            data = answer.json()["data"]
            if fmt == "float":
                got = [item["embedding"] for item in data]
            else:
                got = [list(struct.unpack("<4f", base64.b64decode(item["embedding"]))) for item in data]
            if got != expected:
                problems.append(f"{fmt}: got {got}, expected {expected}")
        refused = client.post("/embeddings", json={"model": "toy", "input": []})
        if refused.status_code != 400 or refused.json()["error"]["param"] != "input":
            problems.append(f"an empty input was answered {refused.status_code}: {refused.text[:200]}")
    return problems


SERVERS: dict[str, tuple[Callable[[], list[str]], str]] = {
    "responses": (serve_plain_and_streamed, "a plain and a streamed response"),
    "embeddings": (serve_floats_and_base64, "float and base64 embeddings of texts and token ids"),
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
