from collections.abc import Iterator

from fastapi import FastAPI, HTTPException

from openai_compat_chat import (
    ChatRequest,
    CompletionResult,
    create_chat_completion_router,
)


def run_completion(model: str, messages: list[dict], body: dict) -> Iterator[str]:
    yield from ["hello", " world"]


async def add_system_prompt(request: ChatRequest) -> ChatRequest:
    if not request.messages:
        raise HTTPException(status_code=400, detail="messages must not be empty")
    system = {"role": "system", "content": "Be brief."}
    return request.model_copy(update={"messages": [system, *request.messages]})


def shout(result: CompletionResult) -> CompletionResult:
    if isinstance(result, str):
        return result.upper()
    if isinstance(result, Iterator):
        return (chunk.upper() for chunk in result)
    return result


app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"],
        run_completion=run_completion,
        pre_hook=add_system_prompt,
        post_hook=shout,
    )
)
