"""Files + Responses: upload a file with any OpenAI client, then ask about it with an `input_file` item.

Files are kept in a small on-disk store (one data file and one JSON metadata file per upload, in
`./.files_store` unless you pass `--store`). Uploads are streamed to disk as they arrive, never held
whole in memory, and refused with 413 past 100 MiB. The `file-reader` model answers a Responses
request with the size and first line of every file it is given.

Run the server from the repository root (with the packages installed)::

    python examples/responses_with_files.py                # http://127.0.0.1:8000
    python examples/responses_with_files.py --port 8123 --store /tmp/files

then the client next to it (`python examples/responses_with_files_client.py some.txt`), or::

    curl http://127.0.0.1:8000/v1/files -F purpose=user_data -F file=@README.md
    curl http://127.0.0.1:8000/v1/responses -H 'Content-Type: application/json' -d '{"model": "file-reader",
      "input": [{"role": "user", "content": [{"type": "input_file", "file_id": "file-..."}]}]}'
"""

import argparse
import json
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from starlette.responses import FileResponse

from openai_compat_core import OpenAIHTTPException
from openai_compat_files import FileObject, UploadStream, create_files_router
from openai_compat_responses import create_responses_router

MAX_FILE_SIZE = 100 * 1024 * 1024


class FileStore:
    """Files on disk: `<id>.data` holds the content, `<id>.json` the file object."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _data(self, file_id: str) -> Path:
        return self.root / f"{file_id}.data"

    def _meta(self, file_id: str) -> Path:
        return self.root / f"{file_id}.json"

    @staticmethod
    def _valid(file_id: str) -> bool:
        # Ids come from URLs: never let one name a path outside the store.
        return file_id.startswith("file-") and file_id[5:].isalnum()

    def upload(self, file: UploadStream, purpose: str) -> FileObject:
        """Write the upload to disk while it arrives (a sync callback: it runs in a worker thread)."""
        file_id = f"file-{secrets.token_hex(12)}"
        data = self._data(file_id)
        try:
            with data.open("wb") as out:
                shutil.copyfileobj(file.file, out)
        except BaseException:
            data.unlink(missing_ok=True)  # too large, malformed or interrupted: keep nothing
            raise
        meta = FileObject(
            id=file_id, bytes=file.size, created_at=int(time.time()), filename=file.filename, purpose=purpose
        )
        self._meta(file_id).write_text(meta.model_dump_json())
        return meta

    def retrieve(self, file_id: str) -> FileObject | None:
        if not self._valid(file_id) or not self._meta(file_id).exists():
            return None
        return FileObject.model_validate_json(self._meta(file_id).read_text())

    def list(self, purpose: str | None, limit: int, after: str | None, order: str) -> list[FileObject]:
        files = [FileObject.model_validate_json(path.read_text()) for path in self.root.glob("file-*.json")]
        files.sort(key=lambda f: (f.created_at, f.id), reverse=order == "desc")
        if purpose is not None:
            files = [f for f in files if f.purpose == purpose]
        if after is not None:
            ids = [f.id for f in files]
            files = files[ids.index(after) + 1 :] if after in ids else []
        return files[: limit + 1]  # one more than asked tells the router there are more

    def delete(self, file_id: str) -> bool:
        if self.retrieve(file_id) is None:
            return False
        self._data(file_id).unlink(missing_ok=True)
        self._meta(file_id).unlink()
        return True

    def content(self, file_id: str) -> FileResponse | None:
        if self.retrieve(file_id) is None:
            return None
        return FileResponse(self._data(file_id), media_type="application/octet-stream")

    def head(self, file_id: str, size: int = 4096) -> bytes:
        with self._data(file_id).open("rb") as data:
            return data.read(size)


def describe_files(store: FileStore, input_items: list[dict[str, Any]]) -> str:
    """Answer with the size and first line of every `input_file` in the user's messages."""
    lines: list[str] = []
    question = ""
    for item in input_items:
        content = item.get("content")
        if item.get("role") != "user" or not isinstance(content, list):
            continue
        for part in content:
            if part.get("type") == "input_text":
                question = str(part.get("text", ""))
            elif part.get("type") == "input_file" and part.get("file_id"):
                file_id = str(part["file_id"])
                meta = store.retrieve(file_id)
                if meta is None:
                    raise OpenAIHTTPException(
                        404, f"No such File object: {file_id}", param="input", code="file_not_found"
                    )
                first_line = store.head(file_id).split(b"\n", 1)[0].decode(errors="replace").strip()
                lines.append(f"{meta.filename} ({meta.bytes} bytes) starts with: {first_line!r}")
    if not lines:
        return "Send me a file as an input_file item and I will describe it."
    prefix = f"{question}: " if question else ""
    return prefix + "; ".join(lines)


def create_app(store_dir: Path) -> FastAPI:
    """Build the app: the Files API on the store, and a Responses model that reads the files."""
    store = FileStore(store_dir)

    def run_response(model: str, input_items: list[dict[str, Any]], body: dict[str, Any]) -> str:
        return describe_files(store, input_items)

    app = FastAPI(title="Responses with files")
    app.include_router(
        create_files_router(
            run_file_upload=store.upload,
            list_files=store.list,
            retrieve_file=store.retrieve,
            delete_file=store.delete,
            retrieve_file_content=store.content,
            max_file_size=MAX_FILE_SIZE,
        )
    )
    app.include_router(
        create_responses_router(
            list_models=lambda: ["file-reader"], run_response=run_response, include_models_endpoints=True
        )
    )
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--store", type=Path, default=Path(".files_store"), help="directory of the file store")
    args = parser.parse_args()
    print(json.dumps({"store": str(args.store.resolve()), "url": f"http://{args.host}:{args.port}/v1"}))
    uvicorn.run(create_app(args.store), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
