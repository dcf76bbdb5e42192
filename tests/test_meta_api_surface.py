"""The 1.4.0 public API, frozen: every name importable from its 1.x path, as the very object of its new home.

The lists below were written from the 1.4.0 release's public surface (names, signatures and model
fields). Changing them means breaking code written against 1.x.
"""

import importlib
import inspect
import warnings
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

CHAT_MODELS = ["ChatCompletion", "ChatRequest", "Choice", "Message", "ModelObject", "ModelsResponse", "OpenAIBaseModel"]
CHAT_ROUTER = ["CompletionResult", "PostHook", "PreHook", "RunCompletionFn", "create_chat_completion_router",
               "create_openai_router"]  # fmt: skip
CHAT_STREAMING = ["ChunkMapper", "chat_completion_response", "create_async_streaming_response", "create_sse_data_msg",
                  "create_sync_streaming_response", "default_chunk_mapper", "event_to_sse_msg"]  # fmt: skip
RESPONSES_MODELS = ["InputItem", "OutputItem", "Response", "ResponseFunctionCall", "ResponseOutputMessage",
                    "ResponseOutputText", "ResponseRequest"]  # fmt: skip
RESPONSES_ROUTER = ["ResponseResult", "RunResponseFn", "create_responses_router"]
RESPONSES_EVENTS = ["create_async_responses_streaming_response", "create_function_call_arguments_delta_event",
                    "create_function_call_arguments_done_event", "create_output_item_added_event",
                    "create_output_item_done_event", "create_output_text_delta_event",
                    "create_output_text_done_event", "create_response_completed_event",
                    "create_response_created_event", "create_response_in_progress_event",
                    "create_responses_streaming_response", "format_named_sse_event",
                    "response_from_text"]  # fmt: skip
RESPONSES_REASONING_EVENTS = ["create_reasoning_summary_part_added_event", "create_reasoning_summary_part_done_event",
                              "create_reasoning_summary_text_delta_event",
                              "create_reasoning_summary_text_done_event"]  # fmt: skip
FILES = ["FileObject", "FileUploadResult", "RunFileUploadFn", "create_files_router"]

SURFACE: dict[str, list[str]] = {
    "fastapi_openai_compat": [
        "ChatCompletion", "ChatRequest", "Choice", "ChunkMapper", "CompletionResult", "FileObject",
        "FileUploadResult", "InputItem", "ListModelsFn", "Message", "MessageParam", "ModelObject", "ModelsResponse",
        "OpenAIBaseModel", "OutputItem", "PostHook", "PreHook", "Response", "ResponseFunctionCall",
        "ResponseOutputMessage", "ResponseOutputText", "ResponseRequest", "ResponseResult", "RunCompletionFn",
        "RunFileUploadFn", "RunResponseFn", "create_chat_completion_router", "create_files_router",
        "create_models_router", "create_openai_router", "create_responses_router",
    ],
    "fastapi_openai_compat.chat_completions": [*CHAT_MODELS, "MessageParam", *CHAT_ROUTER, *CHAT_STREAMING,
                                               "ListModelsFn"],
    "fastapi_openai_compat.chat_completions.models": [*CHAT_MODELS, "MessageParam"],
    "fastapi_openai_compat.chat_completions.router": CHAT_ROUTER,
    "fastapi_openai_compat.chat_completions.streaming": CHAT_STREAMING,
    "fastapi_openai_compat.responses": [*RESPONSES_MODELS, *RESPONSES_ROUTER, *RESPONSES_EVENTS],
    "fastapi_openai_compat.responses.models": RESPONSES_MODELS,
    "fastapi_openai_compat.responses.router": RESPONSES_ROUTER,
    "fastapi_openai_compat.responses.streaming": [*RESPONSES_EVENTS, *RESPONSES_REASONING_EVENTS],
    "fastapi_openai_compat.files": FILES,
    "fastapi_openai_compat.files.models": ["FileObject", "OpenAIBaseModel"],
    "fastapi_openai_compat.files.router": ["FileUploadResult", "RunFileUploadFn", "create_files_router"],
    "fastapi_openai_compat.models_router": ["ListModelsFn", "create_models_router"],
    "fastapi_openai_compat.models": CHAT_MODELS,
    "fastapi_openai_compat.router": [*CHAT_ROUTER, "ListModelsFn"],
    "fastapi_openai_compat.streaming": CHAT_STREAMING,
    "fastapi_openai_compat._shared": ["ChunkMapper", "OpenAIBaseModel", "PostHook", "PreHook",
                                      "callable_accepts_kwarg", "default_chunk_mapper"],
}  # fmt: skip

# Where each name lives now. The meta package must hand out these very objects.
HOMES: dict[str, str] = {
    **dict.fromkeys(["ChatCompletion", "ChatRequest", "Choice", "Message", "MessageParam"],
                    "openai_compat_chat.models"),
    **dict.fromkeys(["CompletionResult", "RunCompletionFn", "create_chat_completion_router", "create_openai_router"],
                    "openai_compat_chat.router"),
    **dict.fromkeys(["chat_completion_response", "create_async_streaming_response", "create_sse_data_msg",
                     "create_sync_streaming_response", "event_to_sse_msg"], "openai_compat_chat.streaming"),
    **dict.fromkeys(RESPONSES_MODELS, "openai_compat_responses.models"),
    **dict.fromkeys(RESPONSES_ROUTER, "openai_compat_responses.router"),
    **dict.fromkeys([*RESPONSES_EVENTS, *RESPONSES_REASONING_EVENTS], "openai_compat_responses.events"),
    **dict.fromkeys(["create_responses_streaming_response", "create_async_responses_streaming_response"],
                    "openai_compat_responses.streaming"),
    "FileObject": "openai_compat_files.models",
    **dict.fromkeys(["FileUploadResult", "RunFileUploadFn", "create_files_router"], "openai_compat_files.router"),
    **dict.fromkeys(["ModelObject", "ModelsResponse", "OpenAIBaseModel"], "openai_compat_core.models"),
    **dict.fromkeys(["PreHook", "PostHook", "ListModelsFn", "callable_accepts_kwarg"],
                    "openai_compat_core.callbacks"),
    **dict.fromkeys(["ChunkMapper", "default_chunk_mapper"], "openai_compat_core.chunks"),
    "create_models_router": "openai_compat_core.models_router",
}  # fmt: skip

CASES = [(module, name) for module, names in SURFACE.items() for name in names]

# The 1.x root shims warn on import, as in 1.4.0 (tests/test_meta_legacy_modules.py checks the warnings).
DEPRECATED = {"fastapi_openai_compat.models", "fastapi_openai_compat.router", "fastapi_openai_compat.streaming"}


def load(module: str) -> ModuleType:
    """Import a 1.x module path; the deprecated root shims' warning is expected and silenced."""
    with warnings.catch_warnings():
        if module in DEPRECATED:
            warnings.simplefilter("ignore", DeprecationWarning)
        return importlib.import_module(module)


@pytest.mark.parametrize(("module", "name"), CASES, ids=[f"{m}:{n}" for m, n in CASES])
def test_name_is_importable_and_is_the_object_of_its_new_home(module: str, name: str) -> None:
    obj = getattr(load(module), name)
    home = getattr(load(HOMES[name]), name)
    assert obj is home


@pytest.mark.parametrize("module", sorted(SURFACE))
def test_modules_with_all_list_their_1x_names(module: str) -> None:
    exported = set(getattr(load(module), "__all__", ()))
    missing = set(SURFACE[module]) - exported
    if module == "fastapi_openai_compat.files.models":
        return  # 1.4.0 had no __all__ there
    assert not missing, f"{module}.__all__ lacks {sorted(missing)}"


def test_submodules_are_not_aliased_modules() -> None:
    # Each 1.x path is a real module of the meta package (no sys.modules aliasing, which loads things twice).
    for module in SURFACE:
        assert load(module).__name__ == module


# Parameters of the 1.4.0 functions: name, kind, and default (inspect.Parameter.empty when required).
EMPTY = inspect.Parameter.empty
KW = inspect.Parameter.KEYWORD_ONLY
POS = inspect.Parameter.POSITIONAL_OR_KEYWORD
ROUTER_PARAMS = [("list_models", KW, EMPTY), ("run_completion", KW, EMPTY), ("pre_hook", KW, None),
                 ("post_hook", KW, None), ("chunk_mapper", KW, "default_chunk_mapper"), ("owned_by", KW, "custom"),
                 ("tags", KW, None), ("include_models_endpoints", KW, True)]  # fmt: skip
RESPONSES_PARAMS = [("run_response", KW, EMPTY) if p[0] == "run_completion" else p for p in ROUTER_PARAMS]
RESPONSES_PARAMS[-1] = ("include_models_endpoints", KW, False)
STREAM_PARAMS = [("result", POS, EMPTY), ("resp_id", POS, EMPTY), ("model_name", POS, EMPTY),
                 ("chunk_mapper", POS, "default_chunk_mapper")]  # fmt: skip

SIGNATURES: dict[str, list[tuple[str, Any, Any]]] = {
    "fastapi_openai_compat:create_chat_completion_router": ROUTER_PARAMS,
    "fastapi_openai_compat:create_openai_router": ROUTER_PARAMS,
    "fastapi_openai_compat:create_responses_router": RESPONSES_PARAMS,
    "fastapi_openai_compat:create_files_router": [("run_file_upload", KW, EMPTY), ("tags", KW, None)],
    "fastapi_openai_compat:create_models_router": [("list_models", KW, EMPTY), ("owned_by", KW, "custom"),
                                                   ("tags", KW, None), ("operation_id_prefix", KW, "openai")],
    "fastapi_openai_compat.streaming:chat_completion_response": STREAM_PARAMS[:3],
    "fastapi_openai_compat.streaming:create_sync_streaming_response": STREAM_PARAMS,
    "fastapi_openai_compat.streaming:create_async_streaming_response": STREAM_PARAMS,
    "fastapi_openai_compat.streaming:create_sse_data_msg": [("resp_id", POS, EMPTY), ("model_name", POS, EMPTY),
                                                            ("chunk_content", POS, ""), ("finish_reason", POS, None),
                                                            ("created", POS, None)],
    "fastapi_openai_compat.streaming:event_to_sse_msg": [("data", POS, EMPTY)],
    "fastapi_openai_compat.streaming:default_chunk_mapper": [("chunk", POS, EMPTY)],
    "fastapi_openai_compat._shared:callable_accepts_kwarg": [("fn", POS, EMPTY), ("name", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_responses_streaming_response": STREAM_PARAMS,
    "fastapi_openai_compat.responses:create_async_responses_streaming_response": STREAM_PARAMS,
    "fastapi_openai_compat.responses:format_named_sse_event": [("event_name", POS, EMPTY), ("data_dict", POS, EMPTY)],
    "fastapi_openai_compat.responses:response_from_text": [("text", POS, EMPTY), *STREAM_PARAMS[1:3]],
    "fastapi_openai_compat.responses:create_response_created_event": [("response", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_response_in_progress_event": [("response", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_response_completed_event": [("response", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_output_item_added_event": [("output_index", POS, EMPTY),
                                                                       ("item", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_output_item_done_event": [("output_index", POS, EMPTY),
                                                                      ("item", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_output_text_delta_event": [
        ("item_id", POS, EMPTY), ("output_index", POS, EMPTY), ("content_index", POS, EMPTY), ("delta", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_output_text_done_event": [
        ("item_id", POS, EMPTY), ("output_index", POS, EMPTY), ("content_index", POS, EMPTY), ("text", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_function_call_arguments_delta_event": [
        ("item_id", POS, EMPTY), ("output_index", POS, EMPTY), ("delta", POS, EMPTY)],
    "fastapi_openai_compat.responses:create_function_call_arguments_done_event": [
        ("item_id", POS, EMPTY), ("output_index", POS, EMPTY), ("arguments", POS, EMPTY)],
    **{f"fastapi_openai_compat.responses.streaming:create_reasoning_summary_{kind}_event": [
        ("item_id", POS, EMPTY), ("output_index", POS, EMPTY), ("summary_index", POS, EMPTY), (last, POS, EMPTY)]
       for kind, last in [("part_added", "part"), ("part_done", "part"), ("text_delta", "delta"),
                          ("text_done", "text")]},
}  # fmt: skip


@pytest.mark.parametrize("target", sorted(SIGNATURES))
def test_signature_keeps_the_1x_parameters(target: str) -> None:
    module, name = target.split(":")
    fn = getattr(load(module), name)
    params = list(inspect.signature(fn).parameters.values())
    expected = SIGNATURES[target]
    assert len(params) >= len(expected)
    for param, (exp_name, exp_kind, exp_default) in zip(params, expected, strict=False):
        assert param.name == exp_name
        assert param.kind == exp_kind
        if exp_default == "default_chunk_mapper":
            assert param.default is load("openai_compat_core.chunks").default_chunk_mapper
        else:
            assert param.default == exp_default or (param.default is EMPTY and exp_default is EMPTY)
    # Anything added after the 1.x parameters must be optional, so 1.x calls keep working.
    for extra in params[len(expected) :]:
        assert extra.default is not EMPTY or extra.kind in (inspect.Parameter.VAR_KEYWORD,), extra.name
        assert extra.kind in (KW, inspect.Parameter.VAR_KEYWORD) or extra.default is not EMPTY


# Model fields of 1.4.0; a trailing "?" marks an optional field.
MODEL_FIELDS = {
    "ChatCompletion": "id object created model choices usage? system_fingerprint?",
    "ChatRequest": "model messages stream?",
    "Choice": "index delta? finish_reason? logprobs? message?",
    "Message": "role content? reasoning_content? tool_calls? refusal?",
    "ModelObject": "id name object created owned_by",
    "ModelsResponse": "data object",
    "FileObject": "id object? bytes created_at filename? purpose status?",
    "Response": "id object? created_at status? model output usage? error? incomplete_details?",
    "ResponseFunctionCall": "type? id call_id name arguments status?",
    "ResponseOutputMessage": "id type? status? role? content",
    "ResponseOutputText": "type? text annotations?",
    "ResponseRequest": "model input? instructions? stream? tools? tool_choice? top_p? top_logprobs? temperature? "
    "max_output_tokens? previous_response_id? parallel_tool_calls? stream_options? text? reasoning? store? "
    "service_tier? metadata?",
}


@pytest.mark.parametrize("model", sorted(MODEL_FIELDS))
def test_model_keeps_the_1x_fields(model: str) -> None:
    cls = getattr(load("fastapi_openai_compat"), model)
    assert issubclass(cls, BaseModel)
    for spec in MODEL_FIELDS[model].split():
        name = spec.rstrip("?")
        assert name in cls.model_fields, f"{model}.{name} is missing"
        if spec.endswith("?"):
            assert not cls.model_fields[name].is_required(), f"{model}.{name} became required"


def test_openai_base_model_allows_extra_fields() -> None:
    from fastapi_openai_compat import OpenAIBaseModel

    class Item(OpenAIBaseModel):
        a: int

    assert Item.model_validate({"a": 1, "b": 2}).model_dump() == {"a": 1, "b": 2}


def test_logger_names_are_the_1x_ones() -> None:
    import logging

    import openai_compat_chat.router  # noqa: F401
    import openai_compat_files.router  # noqa: F401
    import openai_compat_responses.router  # noqa: F401

    names = set(logging.Logger.manager.loggerDict)
    assert {
        "fastapi_openai_compat.chat_completions",
        "fastapi_openai_compat.responses",
        "fastapi_openai_compat.files",
    } <= names


# --- 2.0 additions: the embeddings API (no 1.x path; importable from the top-level package) ----------------

EMBEDDINGS = ["Embedding", "EmbeddingRequest", "EmbeddingResponse", "EmbeddingResult", "EmbeddingUsage",
              "RunEmbeddingsFn", "create_embeddings_router"]  # fmt: skip


@pytest.mark.parametrize("name", EMBEDDINGS)
def test_embeddings_names_are_the_objects_of_openai_compat_embeddings(name: str) -> None:
    meta = importlib.import_module("fastapi_openai_compat")
    assert name in meta.__all__
    assert getattr(meta, name) is getattr(importlib.import_module("openai_compat_embeddings"), name)


STORE = ["InMemoryResponseStore", "ResponseStore", "StoreUnavailableError"]


@pytest.mark.parametrize("name", STORE)
def test_response_store_names_are_the_objects_of_openai_compat_responses(name: str) -> None:
    meta = importlib.import_module("fastapi_openai_compat")
    assert name in meta.__all__
    assert getattr(meta, name) is getattr(importlib.import_module("openai_compat_responses"), name)


def test_create_embeddings_router_takes_the_options_of_the_other_routers() -> None:
    from fastapi_openai_compat import create_embeddings_router, create_responses_router

    params = inspect.signature(create_embeddings_router).parameters
    assert all(param.kind is KW for param in params.values())
    assert params["run_embeddings"].default is EMPTY
    assert params["list_models"].default is None
    # The response store is the Responses API's own.
    own = {"run_response", "chunk_mapper", "store", "store_scope"}
    shared = set(inspect.signature(create_responses_router).parameters) - own
    assert shared <= set(params)
    for name in shared - {"list_models"}:
        assert params[name].default == inspect.signature(create_responses_router).parameters[name].default, name
