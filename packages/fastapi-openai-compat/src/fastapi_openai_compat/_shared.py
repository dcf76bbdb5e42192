"""1.x path `fastapi_openai_compat._shared`: helpers shared by the routers, now in `openai_compat_core`.

`_is_custom_event` keeps its 1.x private name because code and tests written against 1.4.0 import it.
"""

from openai_compat_core.callbacks import PostHook, PreHook, callable_accepts_kwarg
from openai_compat_core.chunks import ChunkMapper, default_chunk_mapper, is_custom_event
from openai_compat_core.models import OpenAIBaseModel

_is_custom_event = is_custom_event

__all__ = ["ChunkMapper", "OpenAIBaseModel", "PostHook", "PreHook", "callable_accepts_kwarg", "default_chunk_mapper"]
