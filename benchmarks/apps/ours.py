"""This project: Chat Completions, Responses and embeddings routers around the shared callbacks."""

from callbacks import list_models, run, run_embeddings
from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_embeddings import create_embeddings_router
from openai_compat_responses import create_responses_router

app = FastAPI()
app.include_router(create_chat_completion_router(list_models=list_models, run_completion=run))
app.include_router(create_responses_router(list_models=list_models, run_response=run))
app.include_router(create_embeddings_router(run_embeddings=run_embeddings))
