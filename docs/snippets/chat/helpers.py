from collections.abc import Iterator

from fastapi import FastAPI
from starlette.responses import StreamingResponse

from openai_compat_chat import create_sync_streaming_response, new_completion_id

app = FastAPI()


@app.get("/demo-stream")
def demo_stream() -> StreamingResponse:
    def words() -> Iterator[str]:
        yield from ["streamed", " by", " hand"]

    return create_sync_streaming_response(words(), new_completion_id(), "demo")
