from fastapi import Depends, FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import APIKeyAuth

app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["rag", "chat"],
        run_completion=lambda model, messages, body: f"{model} answered",
        dependencies=[
            Depends(APIKeyAuth(["sk-local-1"]))
        ],  # clients use api_key="sk-local-1"
        validate_model=True,  # other models: openai.NotFoundError, "model_not_found"
        max_body_size=1024 * 1024,  # 413 above 1 MiB
        owned_by="my-team",  # the models' owned_by
        tags=["chat"],  # OpenAPI tags of the routes
    )
)
