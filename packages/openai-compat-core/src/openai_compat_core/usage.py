"""What `on_usage` receives: one `UsageRecord` per finished request, and how the request ended (`Status`).

Every router factory takes `on_usage=`; `openai_compat_core.telemetry` makes the records and
delivers them after the answer.
"""

from dataclasses import dataclass
from typing import Any, Literal, Protocol

Status = Literal["completed", "failed", "disconnected"]
"""How a request ended: answered in full, failed (an error answer or a failed stream), or its client left."""


@dataclass(frozen=True)
class UsageRecord:
    """One finished request, as `on_usage` receives it.

    Attributes:
        operation: `chat` (Chat Completions and Responses), `embeddings`, or a Files operation
            (`upload_file`, `list_files`, `retrieve_file`, `delete_file`, `retrieve_file_content`).
        model: the model the client asked for (`None` when the request had none, or could not be read).
        response_id: the id of the answer (`chatcmpl-...`, `resp_...`, a file id), when there is one.
        usage: the token usage the callback reported, in the API's own terms (`prompt_tokens` and
            `completion_tokens`, or `input_tokens` and `output_tokens`), or `None`.
        duration: seconds from the request's arrival to the end of its answer (a stream's last byte).
        time_to_first_token: for a stream, seconds until the callback's first chunk; else `None`.
        status: `completed`, `failed` or `disconnected`.
        stream: whether the answer was streamed.
        error_type: why it failed or stopped: the callback's exception class, the status code of an
            HTTP error (`"404"`), `client_disconnected`, or the cancellation's class when the server
            cancelled the request (shutting down); `None` when it completed.
    """

    operation: str
    model: str | None
    response_id: str | None
    usage: dict[str, Any] | None
    duration: float
    time_to_first_token: float | None
    status: Status
    stream: bool = False
    error_type: str | None = None


class OnUsage(Protocol):
    """`on_usage(record)`: called once per finished request with its `UsageRecord`; sync or async.

    A sync callable runs in the thread pool. It is called after the answer, so it never delays it;
    an exception it raises is logged and changes nothing else.
    """

    def __call__(self, record: UsageRecord, /) -> Any: ...


__all__ = ["OnUsage", "Status", "UsageRecord"]
