"""The installed version of openai-compat-chat, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("openai-compat-chat")

__all__ = ["__version__"]
