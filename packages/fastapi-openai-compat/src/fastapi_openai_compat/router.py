"""1.x path `fastapi_openai_compat.router`: the Chat Completions router factories."""

from openai_compat_chat.router import (
    CompletionResult,
    RunCompletionFn,
    create_chat_completion_router,
    create_openai_router,
)
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook

__all__ = [
    "CompletionResult",
    "ListModelsFn",
    "PostHook",
    "PreHook",
    "RunCompletionFn",
    "create_chat_completion_router",
    "create_openai_router",
]
