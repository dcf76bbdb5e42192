"""The six distributions agree on their version, pin each other with ``==`` and ship the same metadata."""

import sys
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]

# distribution name -> import package
DISTRIBUTIONS = {
    "openai-compat-core": "openai_compat_core",
    "openai-compat-chat": "openai_compat_chat",
    "openai-compat-responses": "openai_compat_responses",
    "openai-compat-files": "openai_compat_files",
    "openai-compat-embeddings": "openai_compat_embeddings",
    "fastapi-openai-compat": "fastapi_openai_compat",
}
META = "fastapi-openai-compat"
PYTHON_CLASSIFIERS = [f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)]


def load_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as file:
        return tomllib.load(file)


def project_table(distribution: str) -> dict[str, Any]:
    table: dict[str, Any] = load_toml(ROOT / "packages" / distribution / "pyproject.toml")["project"]
    return table


def sibling_requirements(project: dict[str, Any]) -> list[Requirement]:
    requirements = [Requirement(spec) for spec in project.get("dependencies", [])]
    return [req for req in requirements if canonicalize_name(req.name) in DISTRIBUTIONS]


@pytest.fixture(scope="module")
def version() -> str:
    versions = {project_table(distribution)["version"] for distribution in DISTRIBUTIONS}
    assert len(versions) == 1, f"the distributions disagree on their version: {sorted(versions)}"
    return versions.pop()


def test_workspace_holds_exactly_the_six_distributions() -> None:
    members = {path.parent.name for path in (ROOT / "packages").glob("*/pyproject.toml")}
    assert members == set(DISTRIBUTIONS)
    assert {project_table(distribution)["name"] for distribution in DISTRIBUTIONS} == set(DISTRIBUTIONS)


def test_workspace_sources_point_at_every_member() -> None:
    root = load_toml(ROOT / "pyproject.toml")
    assert root["tool"]["uv"]["workspace"]["members"] == ["packages/*"]
    assert root["tool"]["uv"]["sources"] == {distribution: {"workspace": True} for distribution in DISTRIBUTIONS}


def test_all_distributions_share_one_version(version: str) -> None:
    assert version.count(".") == 2


@pytest.mark.parametrize("distribution", list(DISTRIBUTIONS))
def test_siblings_are_pinned_to_the_shared_version(distribution: str, version: str) -> None:
    for requirement in sibling_requirements(project_table(distribution)):
        assert str(requirement.specifier) == f"=={version}", f"{distribution} -> {requirement}"
        assert not requirement.marker, f"{distribution} -> {requirement}"


def test_dependency_boundaries() -> None:
    def siblings(distribution: str) -> set[str]:
        return {canonicalize_name(req.name) for req in sibling_requirements(project_table(distribution))}

    def third_party(distribution: str) -> set[str]:
        requirements = [Requirement(spec) for spec in project_table(distribution)["dependencies"]]
        return {canonicalize_name(req.name) for req in requirements} - set(DISTRIBUTIONS)

    assert siblings("openai-compat-core") == set()
    assert third_party("openai-compat-core") == {"fastapi", "pydantic"}
    for api in ("openai-compat-chat", "openai-compat-responses", "openai-compat-embeddings"):
        assert siblings(api) == {"openai-compat-core"}
        assert third_party(api) == set()
    assert siblings("openai-compat-files") == {"openai-compat-core"}
    assert third_party("openai-compat-files") == {"python-multipart"}
    assert siblings(META) == set(DISTRIBUTIONS) - {META}
    assert third_party(META) == set()


def test_meta_package_forwards_the_haystack_extra() -> None:
    extras = project_table(META)["optional-dependencies"]
    assert [canonicalize_name(Requirement(spec).name) for spec in extras["haystack"]] == ["haystack-ai"]


def test_redis_is_an_extra_of_responses_forwarded_by_the_meta_package() -> None:
    """redis-py only comes with `openai-compat-responses[redis]` (or `fastapi-openai-compat[redis]`)."""
    responses_extras = project_table("openai-compat-responses")["optional-dependencies"]
    assert [canonicalize_name(Requirement(spec).name) for spec in responses_extras["redis"]] == ["redis"]
    [forwarded] = [Requirement(spec) for spec in project_table(META)["optional-dependencies"]["redis"]]
    assert canonicalize_name(forwarded.name) == "openai-compat-responses"
    assert forwarded.extras == {"redis"}
    assert str(forwarded.specifier) == f"=={project_table(META)['version']}"


@pytest.mark.parametrize(("distribution", "package"), list(DISTRIBUTIONS.items()))
def test_packaging_metadata(distribution: str, package: str) -> None:
    directory = ROOT / "packages" / distribution
    pyproject = load_toml(directory / "pyproject.toml")
    project = pyproject["project"]

    assert pyproject["build-system"]["build-backend"] == "hatchling.build"
    assert pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == [f"src/{package}"]
    assert project["requires-python"] == ">=3.10"
    assert project["license"] == "Apache-2.0"
    assert project["license-files"] == ["LICENSE"]
    assert (directory / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert project["readme"] == "README.md"
    assert (directory / "README.md").is_file()
    assert set(PYTHON_CLASSIFIERS) | {"Typing :: Typed"} <= set(project["classifiers"])
    assert (directory / "src" / package / "__init__.py").is_file()
    assert (directory / "src" / package / "py.typed").is_file()
