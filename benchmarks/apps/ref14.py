"""fastapi-openai-compat 1.4.0 from PyPI (in its own virtual environment) around the shared callbacks."""

from callbacks import list_models, run
from fastapi import FastAPI

from fastapi_openai_compat import create_chat_completion_router, create_responses_router

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run))
app.include_router(create_responses_router(list_models=list_models, run_response=run))
