"""Benchmark this project against fastapi-openai-compat 1.4.0 and a hand-written floor app.

    python benchmarks/run.py            # full run: 9 rounds, 1x20,000 and 16x2,000 chunks, ~5 min on 2 cores
    python benchmarks/run.py --quick    # 3 rounds, 1x5,000 and 16x500 chunks, one upload round (~1 min)
    python benchmarks/run.py --rounds 3 --upload-mib 100 --no-upload --only "stream chat" --json out.json

Needs Linux, Python 3.10+ and uv (`python3 -m pip install uv` if it is not on PATH). Uses only the
standard library itself: it makes two virtual environments under `benchmarks/.venvs/` with uv, then
runs `harness.py` in the first:

- `ours`: this repository's packages (editable, so the working tree is measured; responses with its
  `redis` extra), uvicorn, uvloop, httptools, httpx, and numpy and orjson for the embeddings scenarios
  (never dependencies of the library);
- `ref14`: fastapi-openai-compat 1.4.0 from PyPI, with every shared dependency (FastAPI, Starlette,
  pydantic, uvicorn, uvloop, httptools, ...) pinned to the version `ours` has, so the library is the
  only difference.

The servers are `apps/ours.py`, `apps/ref14.py` and `apps/floor.py`, all running the callbacks of
`apps/callbacks.py` under uvicorn on 127.0.0.1. See `docs/benchmarks.md` for what is measured.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = HERE / ".venvs"
OURS = VENVS / "ours"
REF = VENVS / "ref14"
PACKAGES = [
    "openai-compat-core",
    "openai-compat-chat",
    "openai-compat-responses",
    "openai-compat-files",
    "openai-compat-embeddings",
]
SERVER_DEPS = ["uvicorn", "uvloop", "httptools"]
# The embeddings scenarios only: numpy arrays as callback results, orjson in the floor app.
BENCH_DEPS = ["numpy", "orjson"]
REFERENCE = "fastapi-openai-compat==1.4.0"


def uv_command() -> list[str]:
    """How to run uv: from PATH, or as the module of this interpreter."""
    found = shutil.which("uv")
    if found:
        return [found]
    probe = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True, check=False)
    if probe.returncode == 0:
        return [sys.executable, "-m", "uv"]
    raise SystemExit("uv is needed to make the benchmark's environments: python3 -m pip install uv")


def python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def run(command: list[str]) -> str:
    """Run a setup command, failing loudly; return its stdout."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(command)}")
    return done.stdout


def make_environments(uv: list[str]) -> None:
    """Create (or update) both virtual environments; pin the reference's shared dependencies to ours."""
    env_python = sys.executable
    for venv in (OURS, REF):
        if not python_of(venv).exists():
            print(f"creating {venv.relative_to(ROOT)} ...", flush=True)
            run([*uv, "venv", "--quiet", "--python", env_python, str(venv)])
    # Responses with its `redis` extra: benchmarks/redis_store.py measures the Redis store in this environment.
    extras = {"openai-compat-responses": "[redis]"}
    editable = [arg for name in PACKAGES for arg in ("-e", str(ROOT / "packages" / name) + extras.get(name, ""))]
    print("installing this project into benchmarks/.venvs/ours ...", flush=True)
    ours = [*editable, *SERVER_DEPS, *BENCH_DEPS, "httpx"]
    run([*uv, "pip", "install", "--quiet", "--python", str(python_of(OURS)), *ours])

    # Everything ours has that is not ours becomes a constraint of the reference environment.
    frozen = run([*uv, "pip", "freeze", "--python", str(python_of(OURS))]).splitlines()
    constraints = [line for line in frozen if "==" in line and not line.startswith("-e")]
    constraints_file = VENVS / "constraints.txt"
    constraints_file.write_text("\n".join(constraints) + "\n")
    print(f"installing {REFERENCE} into benchmarks/.venvs/ref14 ...", flush=True)
    run(
        [
            *uv,
            "pip",
            "install",
            "--quiet",
            "--python",
            str(python_of(REF)),
            "-c",
            str(constraints_file),
            REFERENCE,
            *SERVER_DEPS,
        ]
    )


def main() -> None:
    """Make the environments, then run the harness in ours."""
    if sys.version_info < (3, 10) or not sys.platform.startswith("linux"):
        raise SystemExit("the benchmark needs Linux and Python 3.10 or newer")
    if "-h" in sys.argv or "--help" in sys.argv:
        print(__doc__)
        return
    make_environments(uv_command())
    env = {**os.environ, "BENCH_REF_PYTHON": str(python_of(REF))}
    command = [str(python_of(OURS)), str(HERE / "harness.py"), *sys.argv[1:]]
    sys.exit(subprocess.call(command, env=env))  # noqa: S603 - our own interpreter and script


if __name__ == "__main__":
    main()
