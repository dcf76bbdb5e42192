"""The embeddings distribution imports on its own, exports what it declares, and never imports numpy."""

import importlib.metadata
import subprocess
import sys

import openai_compat_embeddings


def test_embeddings_package_exports_resolve() -> None:
    missing = [name for name in openai_compat_embeddings.__all__ if not hasattr(openai_compat_embeddings, name)]
    assert missing == []


def test_embeddings_package_version_matches_core() -> None:
    version = importlib.metadata.version("openai-compat-embeddings")
    assert version == importlib.metadata.version("openai-compat-core") == openai_compat_embeddings.__version__


def test_serving_embeddings_imports_no_numpy() -> None:
    script = (
        "import sys, httpx, asyncio\n"
        "from fastapi import FastAPI\n"
        "from openai_compat_embeddings import create_embeddings_router\n"
        "app = FastAPI()\n"
        "app.include_router(create_embeddings_router(run_embeddings=lambda m, i, b: [[1.0, 2.0] for _ in i]))\n"
        "async def main():\n"
        "    transport = httpx.ASGITransport(app=app)\n"
        "    async with httpx.AsyncClient(transport=transport, base_url='http://t') as client:\n"
        "        for fmt in ('float', 'base64'):\n"
        "            body = {'model': 'm', 'input': ['a', 'b'], 'encoding_format': fmt}\n"
        "            assert (await client.post('/v1/embeddings', json=body)).status_code == 200\n"
        "asyncio.run(main())\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('numpy', 'haystack', 'torch')))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603
    assert done.stdout.strip() == "[]"
