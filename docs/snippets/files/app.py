import time
import uuid

from fastapi import FastAPI

from openai_compat_files import FileObject, create_files_router


def run_file_upload(
    filename: str | None, content_type: str | None, content: bytes, purpose: str
) -> FileObject:
    file_id = f"file-{uuid.uuid4().hex}"
    # ... store `content` somewhere ...
    return FileObject(
        id=file_id,
        bytes=len(content),
        created_at=int(time.time()),
        filename=filename,
        purpose=purpose,
    )


app = FastAPI()
app.include_router(create_files_router(run_file_upload=run_file_upload))
