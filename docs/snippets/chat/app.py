from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router


def list_models() -> list[str]:
    return ["echo"]


def run_completion(model: str, messages: list[dict], body: dict) -> str:
    return f"You said: {messages[-1]['content']}"


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=list_models, run_completion=run_completion
    )
)
