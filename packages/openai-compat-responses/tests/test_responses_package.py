"""The responses distribution imports on its own and exports what it declares."""

import importlib.metadata

import openai_compat_responses


def test_responses_package_exports_resolve() -> None:
    missing = [name for name in openai_compat_responses.__all__ if not hasattr(openai_compat_responses, name)]
    assert missing == []


def test_responses_package_version_matches_core() -> None:
    assert importlib.metadata.version("openai-compat-responses") == importlib.metadata.version("openai-compat-core")
