"""1.x path `fastapi_openai_compat.responses.router`."""

from openai_compat_responses.router import ResponseResult, RunResponseFn, create_responses_router

__all__ = ["ResponseResult", "RunResponseFn", "create_responses_router"]
