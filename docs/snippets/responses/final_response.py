import time
from collections.abc import Iterator

from fastapi import FastAPI

from openai_compat_responses import Response, create_responses_router


def run_response(model: str, input_items: list[dict], body: dict) -> Iterator[object]:
    yield "Working..."
    yield Response(
        id="resp_final",
        created_at=int(time.time()),
        model=model,
        output=[
            {
                "id": "msg_final",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {"type": "output_text", "text": "Final answer.", "annotations": []}
                ],
            }
        ],
        usage={"input_tokens": 10, "output_tokens": 3, "total_tokens": 13},
    )


app = FastAPI()
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run_response)
)
