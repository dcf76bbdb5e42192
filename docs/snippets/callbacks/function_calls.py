from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router
from openai_compat_responses import create_responses_router


@dataclass
class FunctionCallChunk:
    function_call_id: str
    function_call_name: str | None
    function_call_arguments: str | None


def tool_output(items: list[dict]) -> str | None:
    """The last tool result the client sent back.

    A `tool` message in chat, a `function_call_output` item in Responses.
    """
    for item in reversed(items):
        if item.get("role") == "tool":
            return item["content"]
        if item.get("type") == "function_call_output":
            return item["output"]
    return None


def run(model: str, messages: list[dict], body: dict) -> Iterator[object]:
    output = tool_output(messages)
    if output is not None:  # the client ran the tool and sent its result back
        yield f"It is {output} in Paris."
        return
    # One call at a time: the first piece names it, the next ones continue it.
    yield FunctionCallChunk("call_1", "get_weather", '{"city":')
    yield FunctionCallChunk("call_1", None, ' "Paris"}')


app = FastAPI()
app.include_router(
    create_chat_completion_router(list_models=lambda: ["demo"], run_completion=run)
)
app.include_router(
    create_responses_router(list_models=lambda: ["demo"], run_response=run)
)
