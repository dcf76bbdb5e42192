"""1.x path `fastapi_openai_compat.models_router`: the models router, now in `openai_compat_core`."""

from openai_compat_core.callbacks import ListModelsFn
from openai_compat_core.models_router import create_models_router

__all__ = ["ListModelsFn", "create_models_router"]
