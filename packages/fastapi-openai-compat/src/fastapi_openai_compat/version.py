"""The installed version of fastapi-openai-compat, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("fastapi-openai-compat")

__all__ = ["__version__"]
