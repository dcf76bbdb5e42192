"""OpenAI-compatible embeddings endpoint (`POST /v1/embeddings`) for FastAPI.

`create_embeddings_router` serves OpenAI's embeddings API from a Python callable of yours that
returns the vectors (lists of floats, a numpy array, Haystack embedder output, ...), in the
`float` and `base64` encodings the `openai` SDK, LangChain and Haystack ask for.
"""

from openai_compat_embeddings.encoding import encode_embeddings
from openai_compat_embeddings.models import (
    MAX_INPUTS,
    Embedding,
    EmbeddingInput,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingResult,
    EmbeddingUsage,
)
from openai_compat_embeddings.router import (
    RunEmbeddings,
    RunEmbeddingsFn,
    RunEmbeddingsWithHeaders,
    create_embeddings_router,
)
from openai_compat_embeddings.validation import (
    EncodingFormat,
    Inputs,
    check_dimensions,
    check_encoding_format,
    check_input,
    check_request,
)
from openai_compat_embeddings.vectors import Vectors, vectors_from_result
from openai_compat_embeddings.version import __version__

__all__ = [
    "MAX_INPUTS",
    "Embedding",
    "EmbeddingInput",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingResult",
    "EmbeddingUsage",
    "EncodingFormat",
    "Inputs",
    "RunEmbeddings",
    "RunEmbeddingsFn",
    "RunEmbeddingsWithHeaders",
    "Vectors",
    "__version__",
    "check_dimensions",
    "check_encoding_format",
    "check_input",
    "check_request",
    "create_embeddings_router",
    "encode_embeddings",
    "vectors_from_result",
]
