"""Prove that openai-compat-responses works when it is installed alone (with core, its only dependency).

Run by the ``isolation`` nox session as ``python -I tests/isolation/check_responses_alone.py`` in an
environment holding only openai-compat-core, openai-compat-responses, uvicorn, httpx and pytest.
pytest does not collect this file (no ``test_`` prefix): it only means something in that environment.
"""

import importlib.util
import sys

MUST_BE_ABSENT = (
    "multipart",  # python-multipart's legacy import name
    "python_multipart",
    "haystack",
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
    return importlib.util.find_spec(name) is not None


def main() -> int:
    problems = check_installed_set()
    if problems:
        for problem in problems:
            sys.stderr.write(f"isolation: {problem}\n")
        return 1

    # Imported only after proving the environment is the isolated one.
    import openai_compat_responses

    # TODO(responses issue): serve a plain and a streamed response: build a FastAPI app with the
    # responses router alone, call POST /v1/responses through httpx.ASGITransport once plain and once
    # with "stream": true, and check the body and the SSE events.
    sys.stdout.write(f"isolation: ok ({openai_compat_responses.__name__} imported without its siblings)\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
