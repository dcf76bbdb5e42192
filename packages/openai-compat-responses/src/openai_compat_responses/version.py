"""The installed version of openai-compat-responses, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("openai-compat-responses")

__all__ = ["__version__"]
