from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


def run(model: str, messages: list[dict], body: dict, headers: dict[str, str]) -> str:
    return f"Hello {headers.get('x-user-id', 'anonymous')}"


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
