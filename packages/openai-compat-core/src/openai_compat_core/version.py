"""The installed version of openai-compat-core, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("openai-compat-core")

__all__ = ["__version__"]
