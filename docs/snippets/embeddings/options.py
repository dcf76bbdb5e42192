from fastapi import Depends, FastAPI

from openai_compat_core import APIKeyAuth
from openai_compat_embeddings import create_embeddings_router

app = FastAPI()
app.include_router(
    create_embeddings_router(
        run_embeddings=lambda model, inputs, body: [[1.0, 0.0] for _ in inputs],
        list_models=lambda: ["toy"],
        include_models_endpoints=True,  # also GET /v1/models and /v1/models/{model}
        validate_model=True,  # other models: openai.NotFoundError, "model_not_found"
        dependencies=[
            Depends(APIKeyAuth(["sk-local-1"]))
        ],  # clients use api_key="sk-local-1"
        max_body_size=4 * 1024 * 1024,  # 413 above 4 MiB
        owned_by="my-team",  # the models' owned_by
        tags=["embeddings"],  # OpenAPI tags of the routes
    )
)
