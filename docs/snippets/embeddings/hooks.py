from fastapi import FastAPI

from openai_compat_embeddings import EmbeddingRequest, create_embeddings_router


def run_embeddings(model: str, inputs: list, body: dict) -> list[list[float]]:
    return [[float(len(text)), 1.0] for text in inputs]


def add_prefix(request: EmbeddingRequest) -> EmbeddingRequest | None:
    # E5 models, for one, expect "query: " or "passage: " before each text.
    texts = [request.input] if isinstance(request.input, str) else request.input
    if not all(isinstance(text, str) for text in texts):
        return None  # token ids: keep the request as it is
    prefixed = [f"query: {text}" for text in texts]
    return request.model_copy(update={"input": prefixed})


app = FastAPI()
app.include_router(
    create_embeddings_router(run_embeddings=run_embeddings, pre_hook=add_prefix)
)
