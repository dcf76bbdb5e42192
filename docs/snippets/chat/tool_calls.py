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
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    return ChatCompletion(
        id=new_completion_id(),
        object="chat.completion",
        created=int(time.time()),
        model=model,
        choices=[
            Choice(
                index=0,
                message=Message(role="assistant", tool_calls=[call]),
                finish_reason="tool_calls",
            )
        ],
    )


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"], run_completion=run_completion
    )
)
