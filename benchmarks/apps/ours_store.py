"""This project's Responses router with the in-memory response store (the same callbacks as `ours.py`)."""

from callbacks import list_models, run
from fastapi import FastAPI

from openai_compat_responses import InMemoryResponseStore, create_responses_router

app = FastAPI()
app.include_router(create_responses_router(list_models=list_models, run_response=run, store=InMemoryResponseStore()))
