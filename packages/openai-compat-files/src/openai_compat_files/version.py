"""The installed version of openai-compat-files, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("openai-compat-files")

__all__ = ["__version__"]
