import hashlib

from fastapi import FastAPI

from openai_compat_embeddings import create_embeddings_router


def embed(text: str) -> list[float]:
    """A toy model: 8 numbers from the text's hash, the same for the same text."""
    digest = hashlib.sha256(text.encode()).digest()
    return [(byte - 128) / 128 for byte in digest[:8]]


def run_embeddings(model: str, inputs: list, body: dict) -> list[list[float]]:
    # `inputs` holds texts, or lists of token ids if the client sent those.
    return [embed(item if isinstance(item, str) else str(item)) for item in inputs]


app = FastAPI()
app.include_router(
    create_embeddings_router(
        run_embeddings=run_embeddings,
        list_models=lambda: ["toy"],
        include_models_endpoints=True,  # GET /v1/models lists "toy"
    )
)
