"""Pydantic models shared by every API: the permissive base model, model listings and error bodies."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class OpenAIBaseModel(BaseModel):
    """Base model that keeps unknown fields, as OpenAI's request and response schemas do."""

    model_config = ConfigDict(extra="allow")


class ModelObject(BaseModel):
    """One entry of the `/v1/models` list, and the body of `GET /v1/models/{model}`."""

    id: str = Field(description="Identifier of the model (the name your `list_models` returned).")
    name: str = Field(description="Human-readable name; the same as `id`. Not part of OpenAI's schema.")
    object: Literal["model"] = Field(description="Object type, always `model`.")
    created: int = Field(description="Unix timestamp (seconds) the model object was created.")
    owned_by: str = Field(description="Organisation or entity that owns the model.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "my-pipeline",
                    "name": "my-pipeline",
                    "object": "model",
                    "created": 1700000000,
                    "owned_by": "custom",
                }
            ]
        }
    )


class ModelsResponse(BaseModel):
    """Body of `GET /v1/models`."""

    data: list[ModelObject] = Field(description="The available models.")
    object: Literal["list"] = Field(description="Object type, always `list`.")


class ErrorObject(BaseModel):
    """The `error` member of OpenAI's error envelope."""

    message: str = Field(description="Human-readable description of the error.")
    type: str = Field(description="Error category, e.g. `invalid_request_error` or `server_error`.")
    param: str | None = Field(default=None, description="The request parameter the error is about, if any.")
    code: str | None = Field(default=None, description="Machine-readable error code, e.g. `model_not_found`.")


class ErrorResponse(BaseModel):
    """OpenAI's error envelope, plus the `detail` key that 1.x clients of this library read."""

    error: ErrorObject
    detail: Any = Field(default=None, description="The error text as fastapi-openai-compat 1.x reported it.")


__all__ = ["ErrorObject", "ErrorResponse", "ModelObject", "ModelsResponse", "OpenAIBaseModel"]
