import os

from openai_compat_responses.redis_store import RedisResponseStore

# Each worker process runs this line: one client per process, all on the same Redis.
store = RedisResponseStore.from_url(
    os.environ.get("REDIS_URL", "redis://localhost:6379/0")
)

# Then, exactly as with the in-memory store:
# app.include_router(create_responses_router(..., store=store))
