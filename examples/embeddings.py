"""Embeddings server: a small deterministic embedder behind `POST /v1/embeddings`, no model to download.

Run it from the repository root::

    uv run examples/embeddings.py            # or: python examples/embeddings.py (with the packages installed)

then embed texts with curl or any OpenAI client::

    curl http://127.0.0.1:8000/v1/embeddings -H 'Content-Type: application/json' \
        -d '{"model": "hashing-256", "input": ["a cat on a mat", "a dog in the fog"]}'

    python -c "import openai; c = openai.OpenAI(base_url='http://127.0.0.1:8000/v1', api_key='-'); \
print(c.embeddings.create(model='hashing-256', input='a cat').data[0].embedding[:4])"

The `hashing-256` model hashes each word of a text to one of 256 dimensions (the "hashing trick") and
scales the vector to unit length: texts that share words get similar vectors, the same text always
the same vector. Token-id inputs count each id as a word. `dimensions` works as with OpenAI's
models: ask for 64 and get unit vectors of 64 numbers.
"""

import argparse
import hashlib
import math
import re
from typing import Any

from fastapi import FastAPI

from fastapi_openai_compat import EmbeddingResult, create_embeddings_router

MODEL = "hashing-256"
DIMENSIONS = 256


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def embed(text: str) -> list[float]:
    """The embedding of one text: +1 or -1 per word at the dimension its hash picks, scaled to unit length."""
    vector = [0.0] * DIMENSIONS
    for word in words(text):
        digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
        vector[int.from_bytes(digest[:4], "little") % DIMENSIONS] += 1.0 if digest[4] & 1 else -1.0
    norm = math.hypot(*vector)
    return [value / norm for value in vector] if norm else vector


def run_embeddings(model: str, inputs: list[Any], body: dict[str, Any]) -> EmbeddingResult:
    """One vector per input (texts, or lists of token ids whose ids count as words), with token usage."""
    texts = [item if isinstance(item, str) else " ".join(map(str, item)) for item in inputs]
    return EmbeddingResult([embed(text) for text in texts], prompt_tokens=sum(len(words(text)) for text in texts))


app = FastAPI(title="fastapi-openai-compat embeddings demo")
app.include_router(
    create_embeddings_router(
        run_embeddings=run_embeddings,
        list_models=lambda: [MODEL],
        include_models_endpoints=True,  # GET /v1/models lists hashing-256
        validate_model=True,  # any other model name is a 404 model_not_found
    )
)


def main() -> None:
    import uvicorn  # noqa: PLC0415 - needed only to serve, not to import the app

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
