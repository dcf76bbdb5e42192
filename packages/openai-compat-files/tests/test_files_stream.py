"""`UploadStream` on its own: reading by size, iterating, errors, and the public names of the package."""

from collections.abc import Awaitable, Callable

import pytest

import openai_compat_files
from openai_compat_files import FileTooLargeError, UploadError, UploadStream
from openai_compat_files import models as files_models


def source(*chunks: bytes, error: UploadError | None = None) -> Callable[[], Awaitable[bytes | None]]:
    pending = list(chunks)

    async def next_chunk() -> bytes | None:
        if pending:
            return pending.pop(0)
        if error is not None:
            raise error
        return None

    return next_chunk


async def test_read_by_size_across_chunks() -> None:
    stream = UploadStream(source(b"abc", b"defg", b"h"), filename="f", content_type=None)
    assert await stream.read(2) == b"ab"
    assert stream.size == 3
    assert await stream.read(4) == b"cdef"
    assert stream.size == 7
    assert await stream.read(0) == b""
    assert await stream.read(10) == b"gh"
    assert await stream.read(10) == b""
    assert await stream.read() == b""
    assert stream.size == 8


async def test_iteration_gives_buffered_bytes_first() -> None:
    stream = UploadStream(source(b"abc", b"def"), filename=None, content_type="text/plain")
    assert await stream.read(1) == b"a"
    assert [chunk async for chunk in stream] == [b"bc", b"def"]
    assert [chunk async for chunk in stream] == []


async def test_known_size_is_not_counted_again() -> None:
    stream = UploadStream(source(b"abc"), filename=None, content_type=None, size=3)
    assert await stream.read() == b"abc"
    assert stream.size == 3


async def test_errors_are_kept_and_raised_again() -> None:
    error = FileTooLargeError(4)
    stream = UploadStream(source(b"abcd", error=error), filename=None, content_type=None, max_size=4)
    assert await stream.read(4) == b"abcd"
    with pytest.raises(FileTooLargeError) as caught:
        await stream.read()
    assert caught.value is error
    assert stream.error is error
    with pytest.raises(FileTooLargeError):
        async for _ in stream:
            pass
    assert (error.status_code, error.code, error.param, error.limit) == (413, "file_too_large", "file", 4)


async def test_closed_stream_refuses_reads() -> None:
    stream = UploadStream(source(b"abc"), filename=None, content_type=None)
    stream.close()
    with pytest.raises(RuntimeError, match="upload is over"):
        await stream.read()


def test_sync_reading_outside_a_worker_thread_fails_loudly() -> None:
    stream = UploadStream(source(b"abc"), filename=None, content_type=None)
    with pytest.raises(RuntimeError):
        list(stream)


def test_public_names_and_1_4_module_names() -> None:
    for name in ("FileObject", "Field", "Literal", "OpenAIBaseModel"):
        assert hasattr(files_models, name), name
    assert issubclass(files_models.FileObject, files_models.OpenAIBaseModel)
    assert set(openai_compat_files.__all__) >= {
        "FileObject",
        "FileUploadResult",
        "RunFileUploadFn",
        "create_files_router",
        "UploadStream",
        "FileDeleted",
        "FileList",
    }
    fields = files_models.FileObject.model_fields
    assert [name for name, field in fields.items() if field.is_required()] == ["id", "bytes", "created_at", "purpose"]
