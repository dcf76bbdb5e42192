"""Prove that openai-compat-embeddings works when it is installed alone (with core, its only dependency).

Run by the ``isolation_embeddings`` nox session as ``python -I tests/isolation/check_embeddings_alone.py``
in an environment holding only openai-compat-core, openai-compat-embeddings, uvicorn and httpx: no chat,
responses or files package, no python-multipart, no Haystack and no numpy; and no OpenTelemetry of ours
(no distribution requires it, the SDK is absent, serving imports no module of it that FastAPI has not).
pytest does not collect this file (no ``test_`` prefix): it only means something in that environment.
"""

import base64
import importlib.metadata
import importlib.util
import struct
import sys
from typing import Any

MUST_BE_ABSENT = (
    "multipart",  # python-multipart's legacy import name
    "python_multipart",
    "haystack",
    "numpy",
    "openai_compat_chat",
    "openai_compat_responses",
    "openai_compat_files",
    "fastapi_openai_compat",
)
MUST_BE_PRESENT = ("openai_compat_core", "openai_compat_embeddings")


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
    for distribution in ("openai-compat-core", "openai-compat-embeddings"):
        for requirement in importlib.metadata.requires(distribution) or []:
            name = requirement.split(";")[0].strip().lower()
            if name.startswith("opentelemetry") and "extra" not in requirement:
                problems.append(f"{distribution} requires {requirement}")
    return problems


def opentelemetry_modules() -> set[str]:
    return {name for name in sys.modules if name == "opentelemetry" or name.startswith("opentelemetry.")}


def report(problems: list[str]) -> int:
    for problem in problems:
        sys.stderr.write(f"isolation: {problem}\n")
    return 1 if problems else 0


def main() -> int:
    problems = [f"{name} is importable but must not be installed" for name in MUST_BE_ABSENT if importable(name)]
    problems += [f"{name} is not importable" for name in MUST_BE_PRESENT if not importable(name)]
    problems += check_no_opentelemetry_of_ours()
    if problems:
        return report(problems)

    # Imported only after proving the environment is the isolated one.
    import openai_compat_embeddings

    problems = serve_floats_and_base64()
    if problems:
        return report(problems)
    sys.stdout.write(
        f"isolation: ok ({openai_compat_embeddings.__name__} imported without its siblings and numpy, and served "
        "float and base64 embeddings of texts and token ids over uvicorn)\n"
    )
    return 0


def serve_floats_and_base64() -> list[str]:
    """Serve the embeddings router alone under uvicorn; return one message per thing that went wrong."""
    import httpx
    from fastapi import FastAPI

    fastapis_own = opentelemetry_modules()

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
    ours = opentelemetry_modules() - fastapis_own
    if ours:
        problems.append(f"serving imported OpenTelemetry modules FastAPI had not: {sorted(ours)}")
    return problems


if __name__ == "__main__":
    sys.exit(main())
