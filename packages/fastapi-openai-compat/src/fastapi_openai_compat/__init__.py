"""fastapi-openai-compat: turn Python callables into OpenAI-compatible HTTP APIs on FastAPI.

This package re-exports the public names of `openai_compat_core`, `openai_compat_chat`,
`openai_compat_responses`, `openai_compat_files` and `openai_compat_embeddings` that applications use
(every 1.4.0 name, plus the 2.0 additions: `APIKeyAuth`, `OpenAIHTTPException`, the Files API's
list/retrieve/delete/content callback types, `FileList`, `FileDeleted`, `UploadStream`, the embeddings
API's `create_embeddings_router`, `EmbeddingRequest`, `EmbeddingResult`, ..., the response store's
`InMemoryResponseStore`, `ResponseStore`, `StoreUnavailableError`, `on_usage`'s `UsageRecord`), and keeps
every 1.x import path working (`fastapi_openai_compat.chat_completions.streaming`,
`fastapi_openai_compat.responses.models`, ...). Each name is the very object defined in its distribution.
"""

from fastapi_openai_compat.chat_completions import (
    ChatCompletion,
    ChatRequest,
    Choice,
    ChunkMapper,
    CompletionResult,
    Message,
    MessageParam,
    RunCompletionFn,
    create_chat_completion_router,
    create_openai_router,
)
from fastapi_openai_compat.files import FileObject, FileUploadResult, RunFileUploadFn, create_files_router
from fastapi_openai_compat.responses import (
    InputItem,
    OutputItem,
    Response,
    ResponseFunctionCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseRequest,
    ResponseResult,
    RunResponseFn,
    create_responses_router,
)
from fastapi_openai_compat.version import __version__
from openai_compat_core.auth import APIKeyAuth
from openai_compat_core.bodies import DEFAULT_MAX_BODY_SIZE
from openai_compat_core.callbacks import ListModelsFn, PostHook, PreHook
from openai_compat_core.errors import OpenAIHTTPException
from openai_compat_core.models import ModelObject, ModelsResponse, OpenAIBaseModel
from openai_compat_core.models_router import create_models_router
from openai_compat_core.usage import OnUsage, UsageRecord
from openai_compat_embeddings import (
    Embedding,
    EmbeddingRequest,
    EmbeddingResponse,
    EmbeddingResult,
    EmbeddingUsage,
    RunEmbeddingsFn,
    create_embeddings_router,
)
from openai_compat_files import (
    DEFAULT_MAX_FILE_SIZE,
    DeleteFileFn,
    FileDeleted,
    FileList,
    FileTooLargeError,
    ListFilesFn,
    RetrieveFileContentFn,
    RetrieveFileFn,
    StreamingFileUploadFn,
    UploadError,
    UploadStream,
)
from openai_compat_responses import InMemoryResponseStore, ResponseStore, StoreUnavailableError

__all__ = [
    "DEFAULT_MAX_BODY_SIZE",
    "DEFAULT_MAX_FILE_SIZE",
    "APIKeyAuth",
    "ChatCompletion",
    "ChatRequest",
    "Choice",
    "ChunkMapper",
    "CompletionResult",
    "DeleteFileFn",
    "Embedding",
    "EmbeddingRequest",
    "EmbeddingResponse",
    "EmbeddingResult",
    "EmbeddingUsage",
    "FileDeleted",
    "FileList",
    "FileObject",
    "FileTooLargeError",
    "FileUploadResult",
    "InMemoryResponseStore",
    "InputItem",
    "ListFilesFn",
    "ListModelsFn",
    "Message",
    "MessageParam",
    "ModelObject",
    "ModelsResponse",
    "OnUsage",
    "OpenAIBaseModel",
    "OpenAIHTTPException",
    "OutputItem",
    "PostHook",
    "PreHook",
    "Response",
    "ResponseFunctionCall",
    "ResponseOutputMessage",
    "ResponseOutputText",
    "ResponseRequest",
    "ResponseResult",
    "ResponseStore",
    "RetrieveFileContentFn",
    "RetrieveFileFn",
    "RunCompletionFn",
    "RunEmbeddingsFn",
    "RunFileUploadFn",
    "RunResponseFn",
    "StoreUnavailableError",
    "StreamingFileUploadFn",
    "UploadError",
    "UploadStream",
    "UsageRecord",
    "__version__",
    "create_chat_completion_router",
    "create_embeddings_router",
    "create_files_router",
    "create_models_router",
    "create_openai_router",
    "create_responses_router",
]
