"""Nox sessions: tests on every supported Python and on the lowest declared dependencies, isolation, lint,
typecheck and build.

``nox`` with no arguments runs every session but the long ones (``fuzz``, ``soak``, ``bench``), which
run by name: ``nox -s fuzz``. Interpreters come from the machine (pyenv here, exposed by this file): uv is
not allowed to download any (set ``UV_PYTHON_DOWNLOADS=never``), and with ``CI`` set a missing
interpreter fails the run instead of being skipped.
"""

import email.parser
import functools
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

nox.needs_version = ">=2025.2.9"  # nox.project.dependency_groups
nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = bool(os.environ.get("CI"))

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
VERSION = "2.0.0"
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
TOOLS_PYTHON = "3.12"


def _expose_pyenv_interpreters() -> None:
    """Let plain ``nox`` find every Python of ``PYTHONS`` that pyenv has installed.

    pyenv's shims run only the versions ``PYENV_VERSION`` (or the global version file) names, so add the
    installed ones we need to it. Nothing changes on machines without pyenv.
    """
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return
    run = functools.partial(subprocess.run, capture_output=True, text=True, check=False)
    installed = run([pyenv, "versions", "--bare", "--skip-aliases"]).stdout.split()
    current = os.environ.get("PYENV_VERSION") or run([pyenv, "version-name"]).stdout.strip()
    names = [name for name in current.split(":") if name]
    for minor in PYTHONS:
        matching = [v for v in installed if v.startswith(minor + ".") and v[len(minor) + 1 :].isdigit()]
        if matching and not any(name.startswith(minor + ".") or name == minor for name in names):
            names.append(max(matching, key=lambda v: int(v.rsplit(".", 1)[1])))
    if names:
        os.environ["PYENV_VERSION"] = ":".join(names)


_expose_pyenv_interpreters()

# distribution name (its folder under packages/) -> import package; dependencies come first.
DISTRIBUTIONS = {
    "openai-compat-core": "openai_compat_core",
    "openai-compat-chat": "openai_compat_chat",
    "openai-compat-responses": "openai_compat_responses",
    "openai-compat-files": "openai_compat_files",
    "openai-compat-embeddings": "openai_compat_embeddings",
    "fastapi-openai-compat": "fastapi_openai_compat",
}
META = "fastapi-openai-compat"
# The distribution whose `redis` extra brings redis-py (the meta package forwards it).
REDIS_DISTRIBUTION = "openai-compat-responses"

PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
# The test suite's dependencies: the root pyproject's `test` group (the `dev` group includes it).
TEST_DEPS = list(nox.project.dependency_groups(PYPROJECT, "test"))
# Also shown by `tests_lowest`: what the direct dependencies bring that matters most to this code.
SHOWN_TRANSITIVE = ["starlette", "pydantic-core", "anyio"]


# What tests/docs/test_docs_site.py (and the conftest files it loads) needs, besides the workspace.
DOCS_TEST_DEPS = ["pytest>=8.3", "pytest-asyncio>=0.24", "httpx>=0.27", "uvicorn>=0.30", "openai>=1.50"]


def package_dir(distribution: str) -> str:
    return f"packages/{distribution}"


def editable_workspace(*, haystack: bool = True) -> list[str]:
    """Return ``uv pip install`` arguments for all six distributions, editable (meta with ``[haystack]``, core
    with ``[otel]``).

    They go into one install call so that the siblings' ``==`` pins are satisfied by these local paths
    and never looked up on an index. Responses always gets its ``[redis]`` extra: the Redis store is
    tested and type-checked with the rest.
    """
    args: list[str] = []
    for distribution in DISTRIBUTIONS:
        extras = {
            META: "[haystack]" if haystack else "",
            REDIS_DISTRIBUTION: "[redis]",
            "openai-compat-core": "[otel]",
        }.get(distribution, "")
        args += ["-e", package_dir(distribution) + extras]
    return args


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the whole test suite against the editable workspace."""
    session.install(*editable_workspace(), *TEST_DEPS)
    session.run("pytest", *session.posargs)


@nox.session(python=PYTHONS[0])
def tests_lowest(session: nox.Session) -> None:
    """Run the whole test suite with every direct dependency at its declared minimum, on the oldest Python.

    Direct dependencies are those of the six distributions (the meta's `haystack`, responses' `redis` and
    core's `otel` extras included) and the `test` group; uv resolves them to their lowest allowed versions and
    everything else to the newest that fits. The session fails unless each of them got exactly its floor, so
    a floor nothing tests cannot stay.
    """
    session.install("--resolution", "lowest-direct", *editable_workspace(), *TEST_DEPS)
    check_floors(session, direct_requirements())
    session.run("pytest", *session.posargs)


def direct_requirements() -> list[Requirement]:
    """Return the requirements of every distribution (its `haystack` and `redis` extras included, siblings left
    out) and of the `test` group."""
    requirements = [Requirement(line) for line in TEST_DEPS]
    for distribution in DISTRIBUTIONS:
        project = nox.project.load_toml(ROOT / package_dir(distribution) / "pyproject.toml")["project"]
        extras = project.get("optional-dependencies", {})
        lines = [
            *project.get("dependencies", []),
            *extras.get("haystack", []),
            *extras.get("redis", []),
            *extras.get("otel", []),
        ]
        requirements += [r for r in map(Requirement, lines) if canonicalize_name(r.name) not in DISTRIBUTIONS]
    return requirements


def check_floors(session: nox.Session, requirements: list[Requirement]) -> None:
    """Print the installed version of each direct dependency; fail unless each is at its `>=` floor."""
    script = (
        "import importlib.metadata, json, platform; print(json.dumps({'python_version': "
        "'.'.join(platform.python_version_tuple()[:2]), 'python_full_version': platform.python_version(), "
        "'installed': {d.metadata['Name'].lower(): d.version for d in importlib.metadata.distributions()}}))"
    )
    output = session.run("python", "-c", script, silent=True)
    facts = json.loads(str(output).strip().splitlines()[-1])
    installed = {canonicalize_name(name): version for name, version in facts["installed"].items()}
    environment = {"python_version": facts["python_version"], "python_full_version": facts["python_full_version"]}

    problems = []
    for requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        floors = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        version = installed.get(name)
        session.log(f"{requirement.name}: {version} (declared {requirement.specifier or 'without a floor'})")
        if not floors:
            problems.append(f"{requirement.name} declares no floor")
        elif version is None or Version(version) != Version(floors[0]):
            problems.append(f"{requirement.name} is {version}, not its floor {floors[0]}")
    for name in SHOWN_TRANSITIVE:
        session.log(f"{name}: {installed.get(canonicalize_name(name))} (transitive: the newest that fits)")
    if problems:
        session.error("not at the declared floors: " + "; ".join(problems))


def run_alone(session: nox.Session, api: str, *tools: str) -> None:
    """Install openai-compat-`api` with core and `tools` only, then run `tests/isolation/check_alone.py`."""
    distribution = f"openai-compat-{api}"
    session.install(
        # Rebuild from the working tree: uv otherwise reuses a cached wheel of a local directory until
        # its pyproject.toml changes.
        "--reinstall-package",
        "openai-compat-core",
        "--reinstall-package",
        distribution,
        package_dir("openai-compat-core"),
        package_dir(distribution),
        *tools,
    )
    session.run("python", "-I", "tests/isolation/check_alone.py", api)


@nox.session(python=TOOLS_PYTHON)
def isolation(session: nox.Session) -> None:
    """Install openai-compat-responses alone (with core) and prove it works without its siblings."""
    run_alone(session, "responses", "uvicorn", "httpx", "pytest")


@nox.session(python=TOOLS_PYTHON)
def isolation_embeddings(session: nox.Session) -> None:
    """Install openai-compat-embeddings alone (with core) and prove it serves without its siblings or numpy."""
    run_alone(session, "embeddings", "uvicorn", "httpx")


@nox.session(python=TOOLS_PYTHON)
def lint(session: nox.Session) -> None:
    """Check lint rules and formatting with ruff."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=TOOLS_PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check every ``src/`` folder with mypy in strict mode."""
    # No haystack: library code never imports it. uvicorn and httpx: optional imports of the testing helpers.
    # trio: producer.py imports it when it runs under trio.
    session.install(*editable_workspace(haystack=False), "mypy", "uvicorn", "httpx", "trio")
    sources = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("packages/*/src"))
    session.run("mypy", "--strict", *sources)


@nox.session(python=TOOLS_PYTHON)
def docs(session: nox.Session) -> None:
    """Build the documentation site in strict mode, then open it in headless Chromium.

    Any warning fails the build (a broken link or anchor, a missing reference, a snippet that is not
    there). `tests/docs/test_docs_site.py` then checks the built pages in Debian's `chromium`; it is
    skipped without it, and fails in CI. `nox -s docs -- serve` previews the site instead.
    """
    docs_group = nox.project.load_toml(ROOT / "pyproject.toml")["dependency-groups"]["docs"]
    # The reference is generated by importing every package; the browser test needs the test tools.
    session.install(*editable_workspace(haystack=False), *docs_group, *DOCS_TEST_DEPS)
    env = {"NO_MKDOCS_2_WARNING": "1"}  # Material's notice about its successor: not a warning about this site
    if session.posargs == ["serve"]:
        session.run("mkdocs", "serve", env=env)
        return
    site = Path(session.create_tmp()) / "site"
    session.run("mkdocs", "build", "--strict", "--clean", "--site-dir", str(site), env=env)
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "-rs",
        "tests/docs/test_docs_site.py",
        env={"OPENAI_COMPAT_DOCS_SITE": str(site)},
    )


@nox.session(python=TOOLS_PYTHON, default=False)
def fuzz(session: nox.Session) -> None:
    """Fuzz every route from the app's OpenAPI schema with many examples, then the hostile inputs (not default).

    `nox -s fuzz -- 2000` sets the examples per operation (default 500); the `tests` session runs 25.
    """
    session.install(*editable_workspace(haystack=False), *TEST_DEPS)
    examples = session.posargs[0] if session.posargs else "500"
    report = Path(session.create_tmp()) / "fuzz-report.json"
    env = {"OPENAI_COMPAT_FUZZ_EXAMPLES": examples, "OPENAI_COMPAT_FUZZ_REPORT": str(report)}
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "tests/test_fuzz_schema.py",
        "tests/test_fuzz_stateful.py",
        "tests/test_hostile_inputs.py",
        env=env,
    )
    figures = json.loads(report.read_text())
    session.log(
        f"fuzzing: {figures['operations']} operations, up to {examples} examples each: "
        f"{figures['requests_to_documented_operations']} requests, plus "
        f"{figures['requests_with_undocumented_methods']} with methods the paths do not serve"
    )


@nox.session(python=TOOLS_PYTHON, default=False)
def soak(session: nox.Session) -> None:
    """A short load and soak run: 64 streaming clients, a fifth leaving midway; no error, flat RSS (not default).

    `nox -s soak -- --duration 300` runs longer (any option of benchmarks/soak.py may follow `--`).
    """
    session.install(
        *(
            arg
            for name in ("openai-compat-core", "openai-compat-chat", "openai-compat-responses")
            for arg in ("-e", package_dir(name))
        ),
        "uvicorn",
    )
    session.run("python", "benchmarks/soak.py", *(session.posargs or ["--duration", "45"]))


# The tests of 1.4.0's own suite that cannot pass here, and why: they pin `__module__` to the 1.x module
# paths, and the classes and functions now live in the openai_compat_* distributions (the 1.x paths give
# the very same objects, which tests/test_meta_api_surface.py checks).
COMPAT14_EXPECTED_FAILURES = [
    "tests/test_chat_exports.py::test_chat_package_is_canonical_and_root_modules_reexport",
    "tests/test_responses_module_layout.py::test_responses_package_is_canonical_and_legacy_modules_removed",
]


@nox.session(python=TOOLS_PYTHON, default=False)
def compat14(session: nox.Session) -> None:
    """Run fastapi-openai-compat 1.4.0's own test suite against this workspace (not default).

    The 1.4.0 sdist is downloaded into a temporary folder and its `tests/` run there, with our packages
    installed and 1.4.0 not: nothing of 1.4.0 enters the repository. Every test must pass but the ones
    in `COMPAT14_EXPECTED_FAILURES`, which must fail (they pin `__module__` to the 1.x paths).
    """
    session.install(*editable_workspace(), "pip", "pytest", "pytest-asyncio", "httpx", "openai")
    with tempfile.TemporaryDirectory(prefix="compat14-") as tmp:
        session.run(
            "python", "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
            "--dest", tmp, "fastapi-openai-compat==1.4.0",
        )  # fmt: skip
        [sdist] = Path(tmp).glob("fastapi_openai_compat-1.4.0.tar.gz")
        root = Path(tmp) / "fastapi_openai_compat-1.4.0"
        with tarfile.open(sdist) as archive:
            # Its tests and its pytest configuration only: its `src/` must never shadow our package.
            wanted = [m for m in archive.getmembers() if m.name.startswith(f"{root.name}/tests/")]
            wanted += [archive.getmember(f"{root.name}/pyproject.toml")]
            archive.extractall(tmp, members=wanted, filter="data")
        with session.chdir(root):
            # `fastapi_openai_compat` must be ours (the editable workspace), never 1.4.0.
            ours = f"import fastapi_openai_compat as m; assert m.__version__ == {VERSION!r}; print(m.__file__)"
            session.run("python", "-c", ours)
            pytest = ["python", "-m", "pytest", "-p", "no:cacheprovider", "-o", "log_cli=false", "-rf"]
            deselect = [arg for test in COMPAT14_EXPECTED_FAILURES for arg in ("--deselect", test)]
            session.run(*pytest, "-q", *deselect)
            # The divergence is real: these fail (pytest exits with 1), each on an assertion about `__module__`.
            output = session.run(*pytest, *COMPAT14_EXPECTED_FAILURES, success_codes=[1], silent=True) or ""
            failing = [line for line in output.splitlines() if line.startswith(">") and "assert" in line]
            if len(failing) != len(COMPAT14_EXPECTED_FAILURES) or not all("__module__" in line for line in failing):
                session.error(f"unexpected failures of the __module__ tests:\n{output}")
            session.log("\n".join(["the expected failures, on __module__ only:", *failing]))


@nox.session(python=TOOLS_PYTHON, default=False)
def bench(session: nox.Session) -> None:
    """The performance benchmark against 1.4.0 and a hand-written floor app, quick version (not default).

    `nox -s bench -- --rounds 5` runs it in full (any option of benchmarks/run.py may follow `--`).
    """
    # run.py makes its own environments (this project, and 1.4.0 from PyPI) with uv.
    session.install("uv")
    session.run("python", "benchmarks/run.py", *(session.posargs or ["--quick"]))


@nox.session(python=TOOLS_PYTHON)
def build(session: nox.Session) -> None:
    """Build every wheel and sdist, check their metadata, and import each wheel in an environment of its own."""
    shutil.rmtree(DIST, ignore_errors=True)
    # uv itself goes into the session so the session does not depend on where the outer uv lives.
    session.install("uv", "twine>=6.1")
    session.run(
        "uv",
        "build",
        "--all-packages",
        "--no-sources",
        "--out-dir",
        str(DIST),
        "--python",
        str(session_python(session)),
    )

    # uv also writes a .gitignore into the output folder: count only the distribution files.
    files = sorted(path for path in DIST.iterdir() if path.name.endswith((".whl", ".tar.gz")))
    expected = len(DISTRIBUTIONS) * 2
    if len(files) != expected:
        session.error(f"expected {expected} files in dist/ (a wheel and an sdist each), found: {files}")
    session.run("twine", "check", "--strict", *map(str, files))

    wheels = {distribution: find_wheel(session, distribution) for distribution in DISTRIBUTIONS}
    for distribution, package in DISTRIBUTIONS.items():
        check_wheel_metadata(session, wheels[distribution], distribution, package)

    for distribution, package in DISTRIBUTIONS.items():
        with tempfile.TemporaryDirectory(prefix=f"{distribution}-") as tmp:
            venv = Path(tmp) / "venv"
            session.run("uv", "venv", "--quiet", "--python", str(session_python(session)), str(venv))
            python = venv / "bin" / "python"
            # --find-links makes the sibling `==` pins resolve to the wheels just built: none of these
            # distributions exists on an index at this version.
            session.run(
                "uv",
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                "--find-links",
                str(DIST),
                # Never a cached wheel of the same name and version from an earlier build.
                *(arg for name in DISTRIBUTIONS for arg in ("--refresh-package", name)),
                str(wheels[distribution]),
            )
            session.run(str(python), "-I", "-c", smoke_test(distribution, package), external=True)


def smoke_test(distribution: str, package: str) -> str:
    """Return a ``python -c`` script: import the package; it and every sibling installed are at VERSION."""
    return "\n".join(
        [
            "import importlib.metadata",
            f"import {package}",
            f"ours = {sorted(DISTRIBUTIONS)!r}",
            "found = {d.metadata['Name']: d.version for d in importlib.metadata.distributions()",
            "         if d.metadata['Name'] in ours}",
            f"assert {distribution!r} in found and set(found.values()) == {{{VERSION!r}}}, found",
            f"print({package!r}, 'imports alone; installed:', ', '.join(sorted(found)))",
        ]
    )


def session_python(session: nox.Session) -> Path:
    return Path(session.bin) / "python"


def find_wheel(session: nox.Session, distribution: str) -> Path:
    stem = distribution.replace("-", "_")
    wheels = list(DIST.glob(f"{stem}-{VERSION}-*.whl"))
    if len(wheels) != 1:
        session.error(f"expected one wheel for {distribution} {VERSION}, found {wheels}")
    return wheels[0]


def check_wheel_metadata(session: nox.Session, wheel: Path, distribution: str, package: str) -> None:
    """Fail the session unless the wheel carries the shared version, license, pins, and typing marker."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        dist_info = f"{distribution.replace('-', '_')}-{VERSION}.dist-info"
        metadata = email.parser.Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())

    problems = []
    if metadata["Name"] != distribution or metadata["Version"] != VERSION:
        problems.append(f"name/version is {metadata['Name']} {metadata['Version']}")
    if metadata["License-Expression"] != "Apache-2.0":
        problems.append(f"License-Expression is {metadata['License-Expression']}")
    if f"{dist_info}/licenses/LICENSE" not in names:
        problems.append("LICENSE is missing")
    if f"{package}/py.typed" not in names:
        problems.append("py.typed is missing")
    stray = sorted(name for name in names if not name.startswith((f"{package}/", f"{dist_info}/")))
    if stray:
        problems.append(f"files outside the package: {stray}")
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) in DISTRIBUTIONS and str(requirement.specifier) != f"=={VERSION}":
            problems.append(f"sibling requirement not pinned to {VERSION}: {line}")
    extras = metadata.get_all("Provides-Extra") or []
    if distribution == META and "haystack" not in extras:
        problems.append("the haystack extra is not forwarded")
    if distribution in (META, "openai-compat-core") and "otel" not in extras:
        problems.append("the otel extra is missing")
    if problems:
        session.error(f"{wheel.name}: " + "; ".join(problems))
    session.log(f"{wheel.name}: metadata ok")
