import time
import uuid

from fastapi import FastAPI

from openai_compat_files import FileObject, UploadStream, create_files_router


class MemoryStore:
    """Every callback of the Files API, with the files in memory (one process only)."""

    def __init__(self) -> None:
        self.files: dict[str, FileObject] = {}
        self.contents: dict[str, bytes] = {}

    async def upload(self, file: UploadStream, purpose: str) -> FileObject:
        content = await file.read()
        uploaded = FileObject(
            id=f"file-{uuid.uuid4().hex}",
            bytes=len(content),
            created_at=int(time.time()),
            filename=file.filename,
            purpose=purpose,
        )
        self.files[uploaded.id] = uploaded
        self.contents[uploaded.id] = content
        return uploaded

    def list(
        self, purpose: str | None, limit: int, after: str | None, order: str
    ) -> list[FileObject]:
        files = [
            f for f in self.files.values() if purpose is None or f.purpose == purpose
        ]  # oldest first
        if order == "desc":
            files.reverse()
        if after is not None:
            ids = [f.id for f in files]
            files = files[ids.index(after) + 1 :] if after in ids else []
        return files[
            : limit + 1
        ]  # one more than `limit` tells the router there is a next page

    def retrieve(self, file_id: str) -> FileObject | None:
        return self.files.get(file_id)  # None: 404 file_not_found

    def delete(self, file_id: str) -> bool:
        self.contents.pop(file_id, None)
        return self.files.pop(file_id, None) is not None

    def content(self, file_id: str) -> bytes | None:
        return self.contents.get(file_id)


store = MemoryStore()
app = FastAPI()
app.include_router(
    create_files_router(
        run_file_upload=store.upload,
        list_files=store.list,
        retrieve_file=store.retrieve,
        delete_file=store.delete,
        retrieve_file_content=store.content,
    )
)
