from fastapi import FastAPI

from openai_compat_embeddings import EmbeddingResult, create_embeddings_router


def count_tokens(item: str | list[int]) -> int:
    # Your model's own count; here: words, or the token ids as sent.
    return len(item.split()) if isinstance(item, str) else len(item)


async def run_embeddings(model: str, inputs: list, body: dict) -> EmbeddingResult:
    vectors = [[float(len(item)), 1.0] for item in inputs]
    tokens = sum(count_tokens(item) for item in inputs)
    return EmbeddingResult(vectors, prompt_tokens=tokens)


app = FastAPI()
app.include_router(create_embeddings_router(run_embeddings=run_embeddings))
