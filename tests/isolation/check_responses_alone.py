"""Prove that openai-compat-responses works when it is installed alone (with core, its only dependency).

It also proves the slim install stays free of OpenTelemetry: neither distribution requires it (core's
``otel`` extra is not installed), the SDK is absent, and serving imports no OpenTelemetry module that
FastAPI has not imported itself (FastAPI 0.142 and later depend on the OpenTelemetry API).

Run by the ``isolation`` nox session as ``python -I tests/isolation/check_responses_alone.py`` in an
environment holding only openai-compat-core, openai-compat-responses, uvicorn, httpx and pytest.
pytest does not collect this file (no ``test_`` prefix): it only means something in that environment.
"""

import importlib.metadata
import importlib.util
import sys
from typing import Any

MUST_BE_ABSENT = (
    "multipart",  # python-multipart's legacy import name
    "python_multipart",
    "haystack",
    "redis",  # only with the `redis` extra: the Redis store imports it lazily
    "openai_compat_files",
    "openai_compat_chat",
    "fastapi_openai_compat",
)
MUST_BE_PRESENT = ("openai_compat_core", "openai_compat_responses")


def check_installed_set() -> list[str]:
    """Return one message per module that is installed when it must not be, or missing when it must be."""
    problems = [f"{name} is importable but must not be installed" for name in MUST_BE_ABSENT if importable(name)]
    problems += [f"{name} is not importable" for name in MUST_BE_PRESENT if not importable(name)]
    return problems


def importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def check_no_opentelemetry_of_ours() -> list[str]:
    """Return one message per way OpenTelemetry came into this environment through our distributions."""
    problems = []
    if importable("opentelemetry.sdk"):
        problems.append("the OpenTelemetry SDK is installed")
    for distribution in ("openai-compat-core", "openai-compat-responses"):
        for requirement in importlib.metadata.requires(distribution) or []:
            name = requirement.split(";")[0].strip().lower()
            if name.startswith("opentelemetry") and "extra" not in requirement:
                problems.append(f"{distribution} requires {requirement}")
    return problems


def opentelemetry_modules() -> set[str]:
    return {name for name in sys.modules if name == "opentelemetry" or name.startswith("opentelemetry.")}


def main() -> int:
    problems = check_installed_set() + check_no_opentelemetry_of_ours()
    if problems:
        for problem in problems:
            sys.stderr.write(f"isolation: {problem}\n")
        return 1

    # Imported only after proving the environment is the isolated one.
    import openai_compat_responses

    problems = serve_plain_and_streamed()
    if problems:
        for problem in problems:
            sys.stderr.write(f"isolation: {problem}\n")
        return 1
    sys.stdout.write(
        f"isolation: ok ({openai_compat_responses.__name__} imported without its siblings and served "
        "a plain and a streamed response over uvicorn)\n"
    )
    return 0


def serve_plain_and_streamed() -> list[str]:
    """Serve the responses router alone under uvicorn; return one message per thing that went wrong."""
    from collections.abc import Iterator

    import httpx
    from fastapi import FastAPI

    fastapis_own = opentelemetry_modules()

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
    ours = opentelemetry_modules() - fastapis_own
    if ours:
        problems.append(f"serving imported OpenTelemetry modules FastAPI had not: {sorted(ours)}")
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


if __name__ == "__main__":
    sys.exit(main())
