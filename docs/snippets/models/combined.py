import time

from fastapi import FastAPI

from fastapi_openai_compat import (
    FileObject,
    create_chat_completion_router,
    create_files_router,
    create_models_router,
    create_responses_router,
)


def list_models() -> list[str]:
    return ["my-pipeline"]


def run_completion(model: str, messages: list[dict], body: dict) -> str:
    return "Hello from chat!"


def run_response(model: str, input_items: list[dict], body: dict) -> str:
    return "Hello from responses!"


def run_file_upload(
    filename: str | None, content_type: str | None, content: bytes, purpose: str
) -> FileObject:
    return FileObject(
        id="file-1",
        bytes=len(content),
        created_at=int(time.time()),
        filename=filename,
        purpose=purpose,
    )


app = FastAPI()
app.include_router(
    create_models_router(list_models=list_models)
)  # the one owner of /v1/models
app.include_router(
    create_chat_completion_router(
        list_models=list_models,
        run_completion=run_completion,
        include_models_endpoints=False,
    )
)
app.include_router(
    create_responses_router(list_models=list_models, run_response=run_response)
)
app.include_router(create_files_router(run_file_upload=run_file_upload))
