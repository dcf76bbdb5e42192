from fastapi import Depends, FastAPI

from openai_compat_core import APIKeyAuth
from openai_compat_responses import (
    ResponseRequest,
    ResponseResult,
    create_responses_router,
)


def pre_hook(request: ResponseRequest) -> ResponseRequest:
    # A transformer returns a (modified) request; an observer returns None.
    return request.model_copy(
        update={"instructions": request.instructions or "Be concise."}
    )


def post_hook(result: ResponseResult) -> None:
    # Called with the callback's result; return a replacement, or None to keep it.
    return None


def run_response(
    model: str, input_items: list[dict], body: dict, headers: dict[str, str]
) -> str:
    # Declaring `headers` (or **kwargs) opts in to the request headers (lower-cased).
    return f"Hello, tenant {headers.get('x-tenant', 'unknown')}. {body['instructions']}"


app = FastAPI()
app.include_router(
    create_responses_router(
        list_models=lambda: ["demo"],
        run_response=run_response,
        pre_hook=pre_hook,
        post_hook=post_hook,
        include_models_endpoints=True,  # also GET /v1/models and /v1/models/{model}
        dependencies=[Depends(APIKeyAuth(["sk-local"]))],
        validate_model=True,  # 404 model_not_found for models list_models does not name
        max_body_size=4 * 1024 * 1024,  # 413 above 4 MiB
        tags=["responses"],
    )
)
