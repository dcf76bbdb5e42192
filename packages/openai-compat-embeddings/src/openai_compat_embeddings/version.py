"""The installed version of openai-compat-embeddings, read from its metadata (written once, in pyproject.toml)."""

from importlib.metadata import version

__version__ = version("openai-compat-embeddings")

__all__ = ["__version__"]
