"""The upload as a streaming callback receives it, and the errors raised while it is received."""

import io
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping

import anyio.from_thread

from openai_compat_core.errors import OpenAIHTTPException


class UploadError(OpenAIHTTPException):
    """The upload could not be received: it is malformed, too large, or the client went away.

    Reading an `UploadStream` raises it. Let it propagate out of your callback (clean up what you
    wrote first): the router answers the request with it, in OpenAI's error envelope, even if your
    callback catches it or raises something else instead.
    """


class FileTooLargeError(UploadError):
    """The file passed the router's `max_file_size` while it was received (413 `file_too_large`).

    With `code="request_too_large"` (and a message saying so) it reports the whole request body
    instead: the limit is then `max_file_size` plus the allowance for the other form fields.
    """

    def __init__(
        self, limit: int, *, message: str | None = None, code: str = "file_too_large", param: str | None = "file"
    ) -> None:
        super().__init__(413, message or f"The file is larger than the limit of {limit} bytes.", param=param, code=code)
        self.limit = limit


ChunkSource = Callable[[], Awaitable[bytes | None]]
"""Returns the next non-empty piece of the file, or `None` at its end."""


class UploadStream:
    """The uploaded file, read while the request is still arriving.

    A `run_file_upload` callback that declares a parameter named `file` receives one of these
    instead of the whole content as `bytes`, so an upload never has to sit whole in memory::

        async def run_file_upload(file: UploadStream, purpose: str) -> FileObject:
            async with await anyio.open_file(path, "wb") as out:
                async for chunk in file:
                    await out.write(chunk)
            return FileObject(id=..., bytes=file.size, created_at=..., filename=file.filename, purpose=purpose)

    Async code reads it with `async for chunk in file` or `await file.read(n)`. A sync callback
    (which runs in a worker thread) iterates it with `for chunk in file` or reads `file.file`, a
    binary file-like object (`shutil.copyfileobj(file.file, out)`).

    Reading raises `FileTooLargeError` as soon as the file passes the router's `max_file_size`, and
    `UploadError` when the request is malformed or the client disconnects.

    Attributes:
        filename: the file name the client sent, if any.
        content_type: the part's `Content-Type`, if any.
        headers: all headers of the file's part, with lower-cased names.
        size: bytes of the file received so far; its full size once read to the end.
        max_size: the router's `max_file_size` (`None`: no limit).
    """

    def __init__(
        self,
        source: ChunkSource,
        *,
        filename: str | None,
        content_type: str | None,
        headers: Mapping[str, str] | None = None,
        max_size: int | None = None,
        size: int | None = None,
    ) -> None:
        self._source = source
        self._buffer = bytearray()
        self._eof = False
        self._closed = False
        self.error: UploadError | None = None
        self.filename = filename
        self.content_type = content_type
        self.headers = dict(headers or {})
        self.max_size = max_size
        # A known size means the file was received (spooled) before the callback: nothing left to count.
        self._counting = size is None
        self.size = size or 0

    def __repr__(self) -> str:
        return f"UploadStream(filename={self.filename!r}, content_type={self.content_type!r}, size={self.size})"

    async def _pull(self) -> bytes | None:
        if self.error is not None:
            raise self.error
        if self._closed:
            raise RuntimeError("The upload is over: read the file before your callback returns.")
        if self._eof:
            return None
        try:
            chunk = await self._source()
        except UploadError as exc:
            self.error = exc
            raise
        if chunk is None:
            self._eof = True
        elif self._counting:
            self.size += len(chunk)
        return chunk

    async def read(self, size: int = -1) -> bytes:
        """Read up to `size` bytes (all the rest when `size` is negative); `b""` at the end of the file."""
        if size < 0:
            while (chunk := await self._pull()) is not None:
                self._buffer += chunk
        else:
            while len(self._buffer) < size and (chunk := await self._pull()) is not None:
                self._buffer += chunk
        if size < 0 or size >= len(self._buffer):
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        """Return the next piece of the file, as it arrived."""
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            return data
        chunk = await self._pull()
        if chunk is None:
            raise StopAsyncIteration
        return chunk

    def __iter__(self) -> Iterator[bytes]:
        """Iterate the file from a sync callback (a worker thread): each piece as it arrived."""
        while chunk := anyio.from_thread.run(self._next_or_empty):
            yield chunk

    async def _next_or_empty(self) -> bytes:
        try:
            return await self.__anext__()
        except StopAsyncIteration:
            return b""

    @property
    def file(self) -> io.BufferedReader:
        """A binary, read-only file object over the upload, for sync callbacks (worker threads only)."""
        return io.BufferedReader(_ThreadReader(self), buffer_size=256 * 1024)

    def close(self) -> None:
        """Make further reads fail: the request this upload belongs to has been answered."""
        self._closed = True
        self._buffer.clear()


class _ThreadReader(io.RawIOBase):
    """Raw binary reader that fetches the upload from the event loop, for code in a worker thread."""

    def __init__(self, upload: UploadStream) -> None:
        super().__init__()
        self._upload = upload

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: "memoryview | bytearray") -> int:  # type: ignore[override]
        data = anyio.from_thread.run(self._upload.read, len(buffer))
        size = len(data)
        buffer[:size] = data
        return size


__all__ = ["FileTooLargeError", "UploadError", "UploadStream"]
