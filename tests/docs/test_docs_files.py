"""The Files page: uploads (whole and streamed), the other routes, and the clients it shows."""

from pathlib import Path
from typing import Any

import httpx
import openai
import pytest


def test_quick_start(serve: Any, check_client: Any, in_tmp_dir: Path) -> None:
    server = serve("files/app.py")
    (in_tmp_dir / "notes.txt").write_bytes(b"Buy milk.\nx\n")
    check_client("files/upload_client.py", server)


@pytest.mark.parametrize("name", ["files/streaming_upload.py", "files/sync_streaming_upload.py"])
def test_streaming_uploads_land_on_disk(name: str, serve: Any, sdk: Any, in_tmp_dir: Path) -> None:
    client = sdk(serve(name))
    content = bytes(range(256)) * 4096  # 1 MiB
    uploaded = client.client.files.create(file=("data.bin", content), purpose="user_data")
    assert (uploaded.filename, uploaded.bytes, uploaded.purpose) == ("data.bin", len(content), "user_data")
    assert (in_tmp_dir / "uploads" / uploaded.id).read_bytes() == content


def test_the_streaming_upload_limit(serve: Any, sdk: Any, in_tmp_dir: Path) -> None:
    server = serve("files/streaming_upload.py")
    too_big = b"x" * (100 * 1024 * 1024 + 1)
    with pytest.raises(openai.APIStatusError) as refused:
        sdk(server).client.files.create(file=("big.bin", too_big), purpose="user_data")
    assert refused.value.status_code == 413
    assert refused.value.code == "file_too_large"


def test_every_route_of_the_files_api(serve: Any, check_client: Any, sdk: Any) -> None:
    server = serve("files/store.py")
    check_client("files/store_client.py", server)
    # Pages: the store returns one more than `limit`, the router answers has_more and the SDK pages on.
    client = sdk(server).client
    ids = [client.files.create(file=(f"{n}.txt", b"x"), purpose="batch").id for n in range(5)]
    page = client.files.list(purpose="batch", limit=2, order="asc")
    assert [f.id for f in page.data] == ids[:2]
    assert page.has_more
    assert [f.id for f in page] == ids  # the SDK follows `after` across pages
    assert httpx.get(f"{server.base_url}/files/file-unknown/content").status_code == 404
