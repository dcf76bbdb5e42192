from fastapi import Depends, FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_core import APIKeyAuth
from openai_compat_responses import create_responses_router

auth = [Depends(APIKeyAuth())]  # keys from $OPENAI_COMPAT_API_KEYS, comma-separated


def list_models() -> list[str]:
    return ["my-pipeline"]


async def my_pipeline(model: str, question: str) -> str:
    return f"{model} answers: {question}"  # your pipeline here


async def run_completion(model: str, messages: list[dict], body: dict) -> str:
    return await my_pipeline(model, messages[-1]["content"])


async def run_response(model: str, input_items: list[dict], body: dict) -> str:
    return await my_pipeline(model, input_items[-1]["content"])


app = FastAPI(docs_url=None, redoc_url=None)  # no public API explorer
app.include_router(
    create_chat_completion_router(
        list_models=list_models,
        run_completion=run_completion,
        dependencies=auth,  # also protects /v1/models, which this router serves
        validate_model=True,  # unknown models: OpenAI's 404, your pipeline never runs
        expose_errors=False,  # clients see "Pipeline execution failed." only
        max_body_size=4 * 1024 * 1024,
    )
)
app.include_router(
    create_responses_router(
        list_models=list_models,
        run_response=run_response,
        dependencies=auth,
        validate_model=True,
        expose_errors=False,
        max_body_size=4 * 1024 * 1024,
    )
)
