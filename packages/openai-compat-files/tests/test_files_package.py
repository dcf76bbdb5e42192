"""The files distribution imports on its own and exports what it declares."""

import importlib.metadata

import openai_compat_files


def test_files_package_exports_resolve() -> None:
    missing = [name for name in openai_compat_files.__all__ if not hasattr(openai_compat_files, name)]
    assert missing == []


def test_files_package_version_matches_core() -> None:
    assert importlib.metadata.version("openai-compat-files") == importlib.metadata.version("openai-compat-core")
