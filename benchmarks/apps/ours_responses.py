"""This project's Responses router without a store: the baseline of `benchmarks/stateful.py`."""

from callbacks import list_models, run
from fastapi import FastAPI

from openai_compat_responses import create_responses_router

app = FastAPI()
app.include_router(create_responses_router(list_models=list_models, run_response=run))
