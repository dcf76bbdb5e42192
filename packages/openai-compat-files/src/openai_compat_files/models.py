"""Pydantic models of the Files API: the file object, a page of files and the answer to a deletion."""

from typing import Literal

from pydantic import ConfigDict, Field

from openai_compat_core.models import OpenAIBaseModel


class FileObject(OpenAIBaseModel):
    """OpenAI-compatible file object returned by the Files API.

    Unknown fields are kept and sent as they are.
    """

    id: str = Field(description="Unique file identifier, conventionally `file-...`.")
    object: Literal["file"] = Field(default="file", description="Object type, always `file`.")
    bytes: int = Field(description="Size of the file in bytes.")
    created_at: int = Field(description="Unix timestamp (seconds) when the file was uploaded.")
    filename: str | None = Field(default=None, description="Original name of the uploaded file.")
    purpose: str = Field(description="Upload purpose (for example `user_data`, `assistants`, `batch`).")
    status: str = Field(default="processed", description="File processing status.")
    expires_at: int | None = Field(default=None, description="Unix timestamp (seconds) when the file expires.")
    status_details: str | None = Field(default=None, description="Details on why processing failed, if it did.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "file-abc123",
                    "object": "file",
                    "bytes": 120000,
                    "created_at": 1700000000,
                    "filename": "report.pdf",
                    "purpose": "user_data",
                    "status": "processed",
                }
            ]
        }
    )


class FileList(OpenAIBaseModel):
    """Body of `GET /v1/files`: one page of file objects."""

    object: Literal["list"] = Field(default="list", description="Object type, always `list`.")
    data: list[FileObject] = Field(default_factory=list, description="The files of this page.")
    has_more: bool = Field(default=False, description="Whether more files follow this page.")
    first_id: str | None = Field(default=None, description="Id of the first file of this page.")
    last_id: str | None = Field(default=None, description="Id of the last file of this page; the next `after`.")


class FileDeleted(OpenAIBaseModel):
    """Body of `DELETE /v1/files/{file_id}`."""

    id: str = Field(description="Id of the deleted file.")
    object: Literal["file"] = Field(default="file", description="Object type, always `file`.")
    deleted: bool = Field(default=True, description="Whether the file was deleted.")


__all__ = ["FileDeleted", "FileList", "FileObject"]
