"""1.x path `fastapi_openai_compat.router`: the Chat Completions router factories.

Deprecated, as in 1.x: importing it warns; import from `fastapi_openai_compat.chat_completions.router`.
"""

import warnings

from openai_compat_chat.router import (
    CompletionResult,
    RunCompletionFn,
    create_chat_completion_router,
    create_openai_router,
)
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook

warnings.warn(
    "Importing from 'fastapi_openai_compat.router' is deprecated. "
    "Use 'fastapi_openai_compat.chat_completions.router' instead.",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "CompletionResult",
    "ListModelsFn",
    "PostHook",
    "PreHook",
    "RunCompletionFn",
    "create_chat_completion_router",
    "create_openai_router",
]
