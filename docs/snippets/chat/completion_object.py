import time

from fastapi import FastAPI

from openai_compat_chat import (
    ChatCompletion,
    Choice,
    Message,
    create_chat_completion_router,
    new_completion_id,
)


def run_completion(model: str, messages: list[dict], body: dict) -> ChatCompletion:
    return ChatCompletion(
        id=new_completion_id(),
        object="chat.completion",
        created=int(time.time()),
        model=model,
        choices=[
            Choice(
                index=0,
                message=Message(role="assistant", content="Hello!"),
                finish_reason="stop",
            )
        ],
        usage={"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
    )


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run_completion
    )
)
