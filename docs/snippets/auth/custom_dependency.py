from fastapi import Depends, FastAPI, Request

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import OpenAIHTTPException

KEYS = {"sk-ada": "ada", "sk-grace": "grace"}  # key -> user, e.g. from your database
BLOCKED = {"grace"}


def current_user(request: Request) -> str:
    key = request.headers.get("authorization", "").removeprefix("Bearer ")
    user = KEYS.get(key)
    if user is None:
        raise OpenAIHTTPException(
            401, "Invalid API key.", type="authentication_error", code="invalid_api_key"
        )
    if user in BLOCKED:
        raise OpenAIHTTPException(
            429, "Quota exceeded.", type="rate_limit_error", code="quota_exceeded"
        )
    return user


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"],
        run_completion=lambda model, messages, body: "hi",
        dependencies=[Depends(current_user)],
    )
)
