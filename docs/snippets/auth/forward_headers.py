from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router

FORWARD = {"x-request-id", "x-user-id"}


def my_pipeline(model: str, messages: list[dict], headers: dict[str, str]) -> str:
    return (
        f"{model} ran for {headers.get('x-user-id', 'nobody')} with {sorted(headers)}"
    )


def run_completion(
    model: str, messages: list[dict], body: dict, headers: dict[str, str]
) -> str:
    # `headers` holds every request header, `authorization` and `cookie` included:
    # pass on only what the pipeline needs.
    safe = {name: value for name, value in headers.items() if name in FORWARD}
    return my_pipeline(model, messages, headers=safe)


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run_completion
    )
)
