"""Seed README (1.1.0), "Responses API: streaming function calls".

The snippet is pasted unchanged; the code around it is the least it needs to be served.
"""

from fastapi import FastAPI

from fastapi_openai_compat import InputItem, ResponseResult, create_responses_router


def list_models() -> list[str]:
    return ["my-pipeline"]


# fmt: off
# --- seed README snippet (verbatim) ---
class FunctionCallChunk:
    def __init__(self, *, call_id: str, name: str | None, arguments: str | None):
        self.function_call_id = call_id
        self.function_call_name = name
        self.function_call_arguments = arguments

def run_response(model: str, input_items: list[InputItem], body: dict) -> ResponseResult:
    def stream():
        yield FunctionCallChunk(call_id="call_1", name="get_weather", arguments='{"city":')
        yield FunctionCallChunk(call_id="call_1", name=None, arguments=' "Paris"}')
    return stream()
# --- end of snippet ---
# fmt: on

app = FastAPI()
app.include_router(
    create_responses_router(list_models=list_models, run_response=run_response, include_models_endpoints=True)
)
