"""Serve a sentence-transformers model as OpenAI's embeddings API.

Needs `pip install openai-compat-embeddings sentence-transformers uvicorn`; the model
is downloaded from the Hugging Face Hub on first use (or loaded from a local folder).
Run it with::

    python sentence_transformers_server.py  # sentence-transformers/all-MiniLM-L6-v2
    python sentence_transformers_server.py --model BAAI/bge-small-en-v1.5
"""

import argparse
from typing import Any

from fastapi import FastAPI
from sentence_transformers import SentenceTransformer

from openai_compat_core import OpenAIHTTPException
from openai_compat_embeddings import create_embeddings_router


def create_app(model: SentenceTransformer, name: str) -> FastAPI:
    """An app serving `model` as the model `name` (listed at /v1/models)."""

    def run_embeddings(model_name: str, inputs: list[Any], body: dict[str, Any]) -> Any:
        if not all(isinstance(item, str) for item in inputs):
            # Token ids are another tokenizer's (tiktoken's, for LangChain).
            raise OpenAIHTTPException(
                400, "This model embeds texts, not token ids.", param="input"
            )
        # A 2-D float32 numpy array, of unit vectors like OpenAI's.
        return model.encode(
            inputs, batch_size=64, convert_to_numpy=True, normalize_embeddings=True
        )

    app = FastAPI(title=f"{name} embeddings")
    app.include_router(
        create_embeddings_router(
            run_embeddings=run_embeddings,  # sync: runs in the thread pool
            list_models=lambda: [name],
            include_models_endpoints=True,
            validate_model=True,
        )
    )
    return app


def main() -> None:
    import uvicorn  # noqa: PLC0415 - needed only to serve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="sentence-transformers/all-MiniLM-L6-v2")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    model = SentenceTransformer(args.model)
    app = create_app(model, name=args.model.rsplit("/", 1)[-1])
    uvicorn.run(app, host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
