import time
import uuid

from fastapi import FastAPI

from openai_compat_responses import (
    Response,
    ResponseOutputMessage,
    ResponseOutputText,
    create_responses_router,
)


def run_response(model: str, input_items: list[dict], body: dict) -> Response:
    message = ResponseOutputMessage(
        id=f"msg_{uuid.uuid4().hex}",
        content=[ResponseOutputText(text="Hello!").model_dump()],
    )
    return Response(
        id=f"resp_{uuid.uuid4().hex}",
        created_at=int(time.time()),
        model=model,
        output=[message.model_dump()],
        usage={"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
    )


app = FastAPI()
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run_response)
)
