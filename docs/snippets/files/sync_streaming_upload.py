import shutil
import time
import uuid
from pathlib import Path

from fastapi import FastAPI

from openai_compat_files import FileObject, UploadStream, create_files_router

STORE = Path("uploads")
STORE.mkdir(exist_ok=True)


def run_file_upload(file: UploadStream, purpose: str) -> FileObject:
    # A sync callback runs in a worker thread: `file.file` is a binary file object.
    file_id = f"file-{uuid.uuid4().hex}"
    with open(STORE / file_id, "wb") as out:
        shutil.copyfileobj(file.file, out)
    return FileObject(
        id=file_id,
        bytes=file.size,
        created_at=int(time.time()),
        filename=file.filename,
        purpose=purpose,
    )


app = FastAPI()
app.include_router(create_files_router(run_file_upload=run_file_upload))
