"""1.x path `fastapi_openai_compat.chat_completions.router`."""

from openai_compat_chat.router import (
    CompletionResult,
    RunCompletionFn,
    create_chat_completion_router,
    create_openai_router,
)
from openai_compat_core.callbacks import PostHook, PreHook

__all__ = [
    "CompletionResult",
    "PostHook",
    "PreHook",
    "RunCompletionFn",
    "create_chat_completion_router",
    "create_openai_router",
]
