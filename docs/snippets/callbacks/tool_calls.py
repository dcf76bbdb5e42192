from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


@dataclass
class Delta:
    tool_calls: list[dict]


def run(model: str, messages: list[dict], body: dict) -> Iterator[Delta]:
    # Two calls in parallel: each piece names the call it continues by its index.
    yield Delta(
        [{"index": 0, "id": "call_a", "name": "get_weather", "arguments": '{"city":'}]
    )
    yield Delta(
        [{"index": 1, "id": "call_b", "name": "get_time", "arguments": '{"tz":'}]
    )
    yield Delta(
        [{"index": 0, "arguments": ' "Oslo"}'}, {"index": 1, "arguments": ' "CET"}'}]
    )


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
