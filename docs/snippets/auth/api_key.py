from fastapi import Depends, FastAPI

from fastapi_openai_compat import APIKeyAuth, create_chat_completion_router, create_responses_router

auth = [Depends(APIKeyAuth(["sk-local-1", "sk-local-2"]))]  # or APIKeyAuth() to read $OPENAI_COMPAT_API_KEYS

app = FastAPI()
app.include_router(
    create_chat_completion_router(  # also serves /v1/models: the key protects those routes too
        list_models=lambda: ["demo"], run_completion=lambda model, messages, body: "hi", dependencies=auth
    )
)
app.include_router(
    create_responses_router(
        list_models=lambda: ["demo"], run_response=lambda model, items, body: "hi", dependencies=auth
    )
)
