from fastapi import FastAPI

from openai_compat_core import create_models_router


async def list_models() -> list[str]:  # sync works too
    return ["rag-pipeline", "org/agent"]


app = FastAPI()
app.include_router(create_models_router(list_models=list_models, owned_by="my-team"))
