from fastapi import Depends, FastAPI

from fastapi_openai_compat import (
    APIKeyAuth,
    create_chat_completion_router,
    create_responses_router,
)

# APIKeyAuth() without keys reads them from $OPENAI_COMPAT_API_KEYS (comma-separated).
auth = [Depends(APIKeyAuth(["sk-local-1", "sk-local-2"]))]


def answer(model: str, messages: list[dict], body: dict) -> str:
    return "hi"


app = FastAPI()
# The chat router also serves /v1/models: the key protects those routes too.
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=answer, dependencies=auth
    )
)
app.include_router(
    create_responses_router(
        list_models=lambda: ["demo"], run_response=answer, dependencies=auth
    )
)
