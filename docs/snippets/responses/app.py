from fastapi import FastAPI

from openai_compat_responses import create_responses_router


def list_models() -> list[str]:
    return ["echo"]


def run_response(model: str, input_items: list[dict], body: dict) -> str:
    return f"You said: {input_items[-1]['content']}"


app = FastAPI()
app.include_router(
    create_responses_router(
        list_models=list_models,
        run_response=run_response,
        include_models_endpoints=True,
    )
)
