"""The chat distribution imports on its own and exports what it declares."""

import importlib.metadata

import openai_compat_chat


def test_chat_package_exports_resolve() -> None:
    missing = [name for name in openai_compat_chat.__all__ if not hasattr(openai_compat_chat, name)]
    assert missing == []


def test_chat_package_version_matches_core() -> None:
    assert importlib.metadata.version("openai-compat-chat") == importlib.metadata.version("openai-compat-core")
