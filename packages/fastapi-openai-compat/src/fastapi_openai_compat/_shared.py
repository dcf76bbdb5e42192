"""1.x path `fastapi_openai_compat._shared`: helpers shared by the routers, now in `openai_compat_core`."""

from openai_compat_core.callbacks import PostHook, PreHook, callable_accepts_kwarg
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper
from openai_compat_core.models import OpenAIBaseModel

__all__ = ["ChunkMapper", "OpenAIBaseModel", "PostHook", "PreHook", "callable_accepts_kwarg", "default_chunk_mapper"]
