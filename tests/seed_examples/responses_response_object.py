"""Seed README (1.1.0), "Responses API: returning a Response object".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

# ruff: noqa: E402, I001 - the snippet is kept exactly as the README prints it

from fastapi import FastAPI

from fastapi_openai_compat import InputItem, ResponseResult, create_responses_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
import time
import uuid
from fastapi_openai_compat import Response

def run_response(model: str, input_items: list[InputItem], body: dict) -> ResponseResult:
    return Response(
        id=f"resp_{uuid.uuid4().hex}",
        created_at=int(time.time()),
        model=model,
        output=[{
            "id": f"msg_{uuid.uuid4().hex}",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "Hello!", "annotations": []}],
        }],
    )
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(
    create_responses_router(list_models=list_models, run_response=run_response, include_models_endpoints=True)
)
