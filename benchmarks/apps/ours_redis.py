"""This project's Responses router with `RedisResponseStore` on `REDIS_URL` (benchmarks/redis_store.py)."""

import os

from callbacks import list_models, run
from fastapi import FastAPI

from openai_compat_responses import create_responses_router
from openai_compat_responses.redis_store import RedisResponseStore

app = FastAPI()
store = RedisResponseStore.from_url(os.environ["REDIS_URL"])
app.include_router(create_responses_router(list_models=list_models, run_response=run, store=store))
