"""Receiving one upload: the multipart body parsed as it arrives, and the callback run in the style it asked for."""

import inspect
import logging
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request

from openai_compat_core.bodies import declared_length
from openai_compat_core.callbacks import Callback, request_headers
from openai_compat_core.errors import callback_errors, callback_failure
from openai_compat_files._answers import file_object, missing
from openai_compat_files._multipart import (
    DATA,
    FORM_OVERHEAD,
    PART,
    FormReader,
    Part,
    Spool,
    body_too_large,
    fields_text,
    form_boundary,
    part_source,
)
from openai_compat_files.models import FileObject
from openai_compat_files.uploads import FileTooLargeError, UploadStream

logger = logging.getLogger("fastapi_openai_compat.files")


def wants_stream(fn: Callable[..., Any]) -> bool:
    """Tell whether an upload callback opted into streaming by declaring `file` (and not `content`)."""
    try:
        parameters = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    file_param = parameters.get("file")
    if file_param is None or "content" in parameters:
        return False
    if file_param.kind not in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY):
        return False
    # A 1.4.0 callback that called its bytes parameter `file` and said so keeps getting bytes.
    return file_param.annotation not in (bytes, "bytes")


class Uploader:
    """Receives one upload and runs the callback in the style it asked for."""

    def __init__(
        self, run_file_upload: Callable[..., Any], max_file_size: int | None, *, expose_errors: bool = True
    ) -> None:
        self.expose_errors = expose_errors
        self.streaming = wants_stream(run_file_upload)
        self.max_file_size = max_file_size
        self.max_body_size = None if max_file_size is None else max_file_size + FORM_OVERHEAD
        if self.streaming:
            # `file` is declared (`wants_stream` checked it); the others reach the callback only if it declares them.
            self._stream_call = Callback(
                run_file_upload, optional=("file", "purpose", "filename", "content_type", "fields", "headers")
            )
        else:
            self._bytes_call = Callback(run_file_upload, optional=("fields", "headers"))

    async def handle(self, request: Request) -> FileObject:
        """Read the multipart body of `request`, call the callback, return the file object it made."""
        boundary = form_boundary(request.headers.get("content-type"))
        declared = declared_length(request.scope["headers"])
        if self.max_body_size is not None and declared is not None and declared > self.max_body_size:
            # Refused before reading anything.
            raise body_too_large(self.max_body_size, declared)
        reader = FormReader(request.stream(), boundary, max_body_size=self.max_body_size)
        spool: Spool | None = None
        try:
            fields: dict[str, bytes] = {}
            fields_size = 0
            file_part: Part | None = None
            while (event := await reader.next_event()) is not None:
                if event[0] != PART:
                    continue
                part: Part = event[1]
                if part.name == "file" and file_part is None:
                    file_part = part
                    if self.streaming and fields.get("purpose"):
                        # The usual order (the openai SDK sends every field before the file): stream it live.
                        return await self._stream_live(reader, part, fields, request)
                    # The callback needs every field first, or wants bytes: keep the file until the end.
                    spool = Spool()
                    while (data := await reader.next_event()) is not None and data[0] == DATA:
                        await spool.write(data[1])
                        if self.max_file_size is not None and spool.size > self.max_file_size:
                            raise FileTooLargeError(self.max_file_size)
                elif part.name is None or part.name == "file" or part.filename is not None or part.name in fields:
                    await reader.skip_part()
                else:
                    value = await reader.read_part(
                        limit=FORM_OVERHEAD - fields_size,
                        too_large=FileTooLargeError(
                            FORM_OVERHEAD,
                            message=f"The form fields besides the file are larger than {FORM_OVERHEAD} bytes.",
                            code="request_too_large",
                            param=part.name,
                        ),
                    )
                    fields_size += len(value)
                    fields[part.name] = value
            await reader.finish()
            if file_part is None or spool is None:
                raise missing("file")
            if not fields.get("purpose"):
                raise missing("purpose")
            if self.streaming:
                stream = UploadStream(
                    await spool.source(),
                    filename=file_part.filename,
                    content_type=file_part.content_type,
                    headers=file_part.headers,
                    max_size=self.max_file_size,
                    size=spool.size,
                )
                return await self._run_streaming(stream, fields, request)
            content = await spool.read_all()
            spool.close()
            text = fields_text(fields)
            with callback_errors("File upload failed", logger, expose=self.expose_errors):
                result = await self._bytes_call(
                    file_part.filename,
                    file_part.content_type,
                    content,
                    text["purpose"],
                    fields=text,
                    headers=request_headers(request.headers),
                )
            return file_object(result, "run_file_upload", "File upload failed", expose=self.expose_errors)
        finally:
            if spool is not None:
                spool.close()
            await reader.aclose()

    async def _stream_live(
        self, reader: FormReader, part: Part, fields: dict[str, bytes], request: Request
    ) -> FileObject:
        stream = UploadStream(
            part_source(reader, max_size=self.max_file_size),
            filename=part.filename,
            content_type=part.content_type,
            headers=part.headers,
            max_size=self.max_file_size,
        )
        result = await self._run_streaming(stream, fields, request)
        await reader.finish()
        return result

    async def _run_streaming(self, stream: UploadStream, fields: dict[str, bytes], request: Request) -> FileObject:
        text = fields_text(fields)
        kwargs: dict[str, Any] = {
            "file": stream,
            "purpose": text.get("purpose", ""),
            "filename": stream.filename,
            "content_type": stream.content_type,
            "fields": text,
        }
        if self._stream_call.accepts("headers"):
            kwargs["headers"] = request_headers(request.headers)
        try:
            try:
                result = await self._stream_call(**kwargs)
            except Exception as exc:
                # A failed upload is answered as such, whatever the callback made of the error.
                if stream.error is not None:
                    raise stream.error from exc
                if isinstance(exc, HTTPException):
                    raise
                logger.exception("File upload failed")
                raise callback_failure(exc, "File upload failed", expose=self.expose_errors) from exc
            # Whatever the callback did not read is received (and checked against the limit) and dropped.
            while await stream.read(256 * 1024):
                pass
        finally:
            stream.close()
        return file_object(result, "run_file_upload", "File upload failed", expose=self.expose_errors)


__all__ = ["Uploader", "wants_stream"]
