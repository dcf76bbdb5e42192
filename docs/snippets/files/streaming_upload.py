import time
import uuid
from pathlib import Path

import anyio
from fastapi import FastAPI

from openai_compat_files import FileObject, UploadStream, create_files_router

STORE = Path("uploads")
STORE.mkdir(exist_ok=True)


async def run_file_upload(file: UploadStream, purpose: str) -> FileObject:
    file_id = f"file-{uuid.uuid4().hex}"
    async with await anyio.open_file(STORE / file_id, "wb") as out:
        async for chunk in file:  # the file's bytes, as they arrive
            await out.write(chunk)
    return FileObject(
        id=file_id,
        bytes=file.size,
        created_at=int(time.time()),
        filename=file.filename,
        purpose=purpose,
    )


app = FastAPI()
app.include_router(
    create_files_router(
        run_file_upload=run_file_upload, max_file_size=100 * 1024 * 1024
    )
)
