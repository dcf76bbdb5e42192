from fastapi import FastAPI

from openai_compat_chat import create_chat_completion_router

app = FastAPI()
app.include_router(
    create_chat_completion_router(
        list_models=lambda: ["demo"],
        run_completion=lambda model, messages, body: iter(["a", "b"]),
        openai_done_frame=True,  # end chat streams with `data: [DONE]`, byte for byte
    )
)
