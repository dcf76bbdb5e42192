from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router

app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["rag"], run_completion=lambda model, messages, body: "ok"
    ),
    prefix="/pipelines",  # clients use base_url="http://host:port/pipelines/v1"
)
