"""This project: Chat Completions and Responses routers around the shared callbacks."""

from callbacks import list_models, run
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run))
app.include_router(create_responses_router(list_models=list_models, run_response=run))
