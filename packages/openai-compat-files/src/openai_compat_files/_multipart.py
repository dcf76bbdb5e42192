"""Reading a multipart/form-data body as it streams in, and spooling a file part when it must wait.

FastAPI's `File`/`Form` parameters let Starlette read and spool the whole body before the endpoint
runs, so a size limit could only be checked after the fact. Here python-multipart's push parser is
fed the request's chunks one by one and turns them into events (a part begins, a piece of its data,
it ends) that the router consumes at its own pace: nothing is read ahead of what the consumer needs.
"""

import tempfile
from collections import deque
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import anyio.to_thread
from starlette.requests import ClientDisconnect

from openai_compat_files.uploads import ChunkSource, FileTooLargeError, UploadError

try:
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header
except ImportError:  # pragma: no cover - only python-multipart releases that predate the `python_multipart` name
    from multipart.exceptions import FormParserError  # type: ignore[no-redef,import-not-found,import-untyped,unused-ignore]
    from multipart.multipart import (  # type: ignore[no-redef,import-not-found,import-untyped,unused-ignore]
        MultipartParser,
        parse_options_header,
    )

FORM_OVERHEAD = 64 * 1024
"""Bytes allowed for everything but the file: other fields, part headers and boundaries."""

MAX_PART_HEADERS = 16 * 1024
"""Bytes allowed for the headers of one part."""

SPOOL_IN_MEMORY = 1024 * 1024
"""A spooled file stays in memory up to this size, then goes to a temporary file on disk."""

SPOOL_READ_SIZE = 256 * 1024
"""Size of the pieces a spooled file is handed out in."""

PART, DATA, END = 0, 1, 2


def invalid_body(message: str, *, param: str | None = None, code: str = "invalid_multipart") -> UploadError:
    """A 400 `invalid_request_error` about the request body."""
    return UploadError(400, message, param=param, code=code)


def body_too_large(limit: int, size: int | None = None) -> FileTooLargeError:
    """The 413 for a request body larger than `limit` (`size`: its declared length, when known)."""
    what = "The request body" if size is None else f"The request body ({size} bytes)"
    return FileTooLargeError(
        limit,
        message=f"{what} is larger than the limit of {limit} bytes (max_file_size plus {FORM_OVERHEAD} bytes "
        "for the other form fields).",
        code="request_too_large",
        param=None,
    )


def form_boundary(content_type: str | None) -> bytes:
    """Return the boundary of a `multipart/form-data` content type; raise a 400 `UploadError` otherwise."""
    kind, options = parse_options_header(content_type or "")
    if kind != b"multipart/form-data":
        raise invalid_body(
            "Expected a multipart/form-data body (Content-Type: multipart/form-data; boundary=...) "
            f"with the fields 'file' and 'purpose'; got Content-Type: {content_type or 'none'}.",
            code="invalid_content_type",
        )
    boundary = options.get(b"boundary")
    if not boundary:
        raise invalid_body("The multipart/form-data Content-Type has no boundary.", code="invalid_content_type")
    return boundary


def _text(value: bytes) -> str:
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("latin-1")


@dataclass
class Part:
    """The headers of one part of the form."""

    headers: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    filename: str | None = None
    content_type: str | None = None

    @classmethod
    def from_headers(cls, raw: list[tuple[bytes, bytes]]) -> "Part":
        """Build a part from its raw header lines."""
        headers = {_text(name).strip().lower(): _text(value).strip() for name, value in raw}
        disposition = next((value for name, value in raw if name.strip().lower() == b"content-disposition"), b"")
        # From the raw bytes: python-multipart reads bytes as latin-1, which any byte is; UTF-8 names are
        # decoded below.
        _, options = parse_options_header(disposition.strip())
        name, filename = options.get(b"name"), options.get(b"filename")
        return cls(
            headers=headers,
            name=None if name is None else _text(name),
            filename=None if filename is None else _text(filename),
            content_type=headers.get("content-type") or None,
        )


class FormReader:
    """Pull events out of a multipart body: `(PART, Part)`, `(DATA, bytes)`, `(END, None)`.

    Args:
        chunks: the request body, as `request.stream()` gives it.
        boundary: the multipart boundary.
        max_body_size: bytes the whole body may have (`None`: no limit); past it `next_event` raises 413.
    """

    def __init__(self, chunks: AsyncIterator[bytes], boundary: bytes, *, max_body_size: int | None) -> None:
        self._chunks = chunks
        self._max_body_size = max_body_size
        self._events: deque[tuple[int, Any]] = deque()
        self._header_lines: list[tuple[bytes, bytes]] = []
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._header_bytes = 0
        self.received = 0
        self.finished = False
        self._exhausted = False
        self._over_limit = False
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except (FormParserError, ValueError) as exc:
            raise invalid_body(f"Invalid multipart boundary: {exc}", code="invalid_content_type") from exc

    def _on_part_begin(self) -> None:
        self._header_lines = []
        self._header_bytes = 0

    def _count_header(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > MAX_PART_HEADERS:
            raise invalid_body(f"The headers of a multipart part are larger than {MAX_PART_HEADERS} bytes.")

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._count_header(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._header_lines.append((bytes(self._header_name), bytes(self._header_value)))
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        self._events.append((PART, Part.from_headers(self._header_lines)))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append((DATA, data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append((END, None))

    def _on_end(self) -> None:
        self.finished = True

    async def next_event(self) -> tuple[int, Any] | None:
        """Return the next event, reading more of the body only when none is pending; `None` at the end.

        Raises:
            UploadError: 400 for a malformed or truncated body or a client that went away, 413 when
                the body passes `max_body_size`.
        """
        while not self._events:
            if self.finished:
                return None
            chunk = await self._next_chunk()
            if chunk is None:
                raise invalid_body("The multipart body ended before its closing boundary.")
            try:
                self._parser.write(chunk)
            except FormParserError as exc:
                raise invalid_body(f"The multipart body is malformed: {exc}") from exc
        return self._events.popleft()

    async def read_part(self, *, limit: int, too_large: UploadError) -> bytes:
        """Read the rest of the current part into memory, raising `too_large` past `limit` bytes."""
        value = bytearray()
        while (event := await self.next_event()) is not None and event[0] == DATA:
            value += event[1]
            if len(value) > limit:
                raise too_large
        return bytes(value)

    async def skip_part(self) -> None:
        """Read and discard the rest of the current part."""
        while (event := await self.next_event()) is not None and event[0] == DATA:
            pass

    async def finish(self) -> None:
        """Read the body to its end (after the closing boundary), so the connection can be reused.

        Raises:
            UploadError: 400 when the body is malformed or truncated, 413 past `max_body_size`.
        """
        while await self.next_event() is not None:
            pass
        while await self._next_chunk() is not None:
            pass

    async def _next_chunk(self) -> bytes | None:
        """Receive the next chunk of the body (`None` at its end), counting it against the limit."""
        if self._exhausted:
            return None
        if self._over_limit:
            raise body_too_large(self._max_body_size or 0)
        try:
            chunk = await self._chunks.__anext__()
        except StopAsyncIteration:
            self._exhausted = True
            return None
        except ClientDisconnect as exc:
            self._exhausted = True
            raise invalid_body("The client disconnected before the upload was complete.") from exc
        self.received += len(chunk)
        # The chunk that passes the limit is still parsed (memory stays bounded by one chunk), so that
        # a file that is too large is reported as such; reading any further fails.
        self._over_limit = self._max_body_size is not None and self.received > self._max_body_size
        return chunk

    async def aclose(self) -> None:
        """Stop reading the body."""
        close = getattr(self._chunks, "aclose", None)
        if close is not None:
            await close()


def part_source(reader: FormReader, *, max_size: int | None) -> ChunkSource:
    """Hand out the data of the current part as it arrives, raising `FileTooLargeError` past `max_size`."""
    done = False
    received = 0

    async def next_chunk() -> bytes | None:
        nonlocal done, received
        if done:
            return None
        event = await reader.next_event()
        if event is None or event[0] != DATA:
            done = True
            return None
        chunk: bytes = event[1]
        received += len(chunk)
        if max_size is not None and received > max_size:
            raise FileTooLargeError(max_size)
        return chunk

    return next_chunk


class Spool:
    """A file part received before the callback can run: in memory up to 1 MiB, then on disk.

    Writing and reading the temporary file happen in worker threads, in pieces of about 1 MiB.
    """

    def __init__(self) -> None:
        self._pending = bytearray()
        self._file: IO[bytes] | None = None
        self.size = 0

    async def write(self, data: bytes) -> None:
        """Add `data` to the end of the file."""
        self.size += len(data)
        self._pending += data
        if len(self._pending) > SPOOL_IN_MEMORY:
            await self._flush()

    async def _flush(self) -> None:
        if self._file is None:
            self._file = await anyio.to_thread.run_sync(tempfile.TemporaryFile)
        await anyio.to_thread.run_sync(self._file.write, self._pending)
        self._pending = bytearray()

    async def read_all(self) -> bytes:
        """Return the whole file (one allocation of its size)."""
        if self._file is None:
            return bytes(self._pending)
        await self._flush()
        await anyio.to_thread.run_sync(self._file.seek, 0)
        return await anyio.to_thread.run_sync(self._file.read)

    async def source(self) -> ChunkSource:
        """Return a chunk source that reads the file from its beginning."""
        if self._file is None:
            pending: list[bytes] = [bytes(self._pending)] if self._pending else []
            self._pending = bytearray()

            async def from_memory() -> bytes | None:
                return pending.pop() if pending else None

            return from_memory
        await self._flush()
        spooled = self._file
        await anyio.to_thread.run_sync(spooled.seek, 0)

        async def from_disk() -> bytes | None:
            chunk = await anyio.to_thread.run_sync(spooled.read, SPOOL_READ_SIZE)
            return chunk or None

        return from_disk

    def close(self) -> None:
        """Delete the temporary file, if any."""
        self._pending = bytearray()
        if self._file is not None:
            self._file.close()
            self._file = None


def fields_text(fields: Mapping[str, bytes]) -> dict[str, str]:
    """Decode form field values (UTF-8; invalid bytes replaced)."""
    return {name: value.decode(errors="replace") for name, value in fields.items()}


__all__ = [
    "DATA",
    "END",
    "FORM_OVERHEAD",
    "MAX_PART_HEADERS",
    "PART",
    "SPOOL_IN_MEMORY",
    "SPOOL_READ_SIZE",
    "FormReader",
    "Part",
    "Spool",
    "body_too_large",
    "fields_text",
    "form_boundary",
    "invalid_body",
    "part_source",
]
