"""MkDocs hook: the limits table, with each default read from the code.

A page puts the line ``<!-- limits-table -->`` where the table goes (docs/limits.md does). Each row
names the constant that holds its default; the value shown is the constant's value, so the table
cannot disagree with the code. ``tests/docs/test_docs_wiring.py`` checks that every ``DEFAULT_MAX_*``
name a distribution exports has a row: a new limit adds one here.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

MARKER = "<!-- limits-table -->"


@dataclass(frozen=True)
class Limit:
    what: str
    constant: str
    """The dotted path of the constant holding the default."""
    unit: str
    """``bytes`` (shown in KiB/MiB) or a word for a count."""
    setting: str
    answer: str


LIMITS = (
    Limit(
        "JSON request body",
        "openai_compat_core.DEFAULT_MAX_BODY_SIZE",
        "bytes",
        "`max_body_size=` on the chat, responses and embeddings routers; `None`: no limit",
        "413 `request_too_large`: before reading when `Content-Length` is too large, else as soon as the "
        "body passes the limit",
    ),
    Limit(
        "JSON nesting depth",
        "openai_compat_core.DEFAULT_MAX_JSON_DEPTH",
        "levels",
        "`route_class_with(max_json_depth=...)`, for routers you build with core",
        "400 `invalid_json`, before validation",
    ),
    Limit(
        "Inputs of one embeddings request",
        "openai_compat_embeddings.MAX_INPUTS",
        "inputs",
        "fixed (OpenAI's limit)",
        "400 `invalid_value` with `param: input`, before the hooks and the callback",
    ),
    Limit(
        "Uploaded file",
        "openai_compat_files.DEFAULT_MAX_FILE_SIZE",
        "bytes",
        "`max_file_size=` on the files router; `None`: no limit",
        "413 `file_too_large` while the upload arrives; nothing past the limit is read, a streaming "
        "callback's read raises `FileTooLargeError`",
    ),
    Limit(
        "Upload fields, part headers and framing besides the file",
        "openai_compat_files._multipart.FORM_OVERHEAD",
        "bytes",
        "fixed",
        "413 `request_too_large`",
    ),
    Limit(
        "Headers of one multipart part",
        "openai_compat_files._multipart.MAX_PART_HEADERS",
        "bytes",
        "fixed",
        "400 `invalid_multipart`",
    ),
    Limit(
        "Upload held in memory while spooled (file sent before `purpose`)",
        "openai_compat_files._multipart.SPOOL_IN_MEMORY",
        "bytes",
        "fixed",
        "the rest goes to a temporary file, still bounded by the file limit",
    ),
    Limit(
        "Responses an `InMemoryResponseStore` keeps",
        "openai_compat_responses.memory.DEFAULT_MAX_RESPONSES",
        "responses",
        "`max_responses=` on `InMemoryResponseStore`",
        "the least recently used finished response is evicted; running ones never are (503 "
        "`store_unavailable` for a new background response when that many run)",
    ),
    Limit(
        "Age of a stored response or conversation after its last write",
        "openai_compat_responses.memory.DEFAULT_TTL",
        "seconds",
        "`ttl=` on `InMemoryResponseStore` (`None`: no age limit) and on `RedisResponseStore` (every key expires)",
        "not found from then on (running responses never expire)",
    ),
    Limit(
        "Conversations an `InMemoryResponseStore` keeps",
        "openai_compat_responses.memory.DEFAULT_MAX_CONVERSATIONS",
        "conversations",
        "`max_conversations=` on `InMemoryResponseStore`",
        "the least recently used conversation is evicted with its items",
    ),
    Limit(
        "Events of one background stream kept for resuming",
        "openai_compat_responses.memory.DEFAULT_MAX_EVENTS_PER_RESPONSE",
        "events",
        "`max_events_per_response=` on `InMemoryResponseStore` and `RedisResponseStore`",
        "the oldest are trimmed; resuming before them is 409 `events_unavailable`",
    ),
    Limit(
        "Bytes of all kept background events together",
        "openai_compat_responses.memory.DEFAULT_MAX_EVENT_BYTES",
        "bytes",
        "`max_event_bytes=` on `InMemoryResponseStore`",
        "finished responses' logs go first, then the oldest events of the log being written",
    ),
    Limit(
        "Bytes of one background stream's event log in Redis",
        "openai_compat_responses.redis_store.DEFAULT_MAX_EVENT_BYTES",
        "bytes",
        "`max_event_bytes=` on `RedisResponseStore`",
        "the oldest events are trimmed; resuming before them is 409 `events_unavailable`",
    ),
    Limit(
        "A Redis store operation",
        "openai_compat_responses.redis_store.DEFAULT_TIMEOUT",
        "seconds",
        "`timeout=` on `RedisResponseStore`",
        "503 `store_unavailable` with `x-should-retry: true` (also at once when Redis cannot be reached)",
    ),
    Limit(
        "A background response whose worker stopped renewing its lease (Redis)",
        "openai_compat_responses.redis_store.DEFAULT_LEASE",
        "seconds",
        "`lease=` on `RedisResponseStore`",
        "the next reader marks it `failed` (its stream ends with `response.failed`)",
    ),
    Limit(
        "Items one request adds to a conversation",
        "openai_compat_responses.conversations.MAX_ITEMS_PER_REQUEST",
        "items",
        "fixed (OpenAI's limit)",
        "400 with `param: items`",
    ),
    Limit(
        "Encoded chunks a stream may run ahead of its client",
        "openai_compat_core.streaming.DEFAULT_MAX_BUFFERED",
        "chunks",
        "`max_buffered=` on `EventStreamResponse`",
        "the generator waits until the client reads (back-pressure)",
    ),
    Limit(
        "Producer threads iterating sync generators (per event loop)",
        "openai_compat_core.producer.DEFAULT_MAX_STREAM_THREADS",
        "threads",
        "`OPENAI_COMPAT_MAX_STREAM_THREADS`, or `stream_thread_limiter().total_tokens = n` on the event loop",
        "the request waits for a free thread",
    ),
    Limit(
        "Wait for a producer thread at the bound",
        "openai_compat_core.producer.DEFAULT_STREAM_WAIT_TIMEOUT",
        "seconds",
        "`OPENAI_COMPAT_STREAM_WAIT_TIMEOUT`, or `wait_timeout=` on `EventStreamResponse` and `run_to_end`",
        "503 `server_overloaded` with `x-should-retry: true`, before the response starts",
    ),
)


def read_constant(path: str) -> object:
    module, name = path.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def format_value(value: object, unit: str) -> str:
    if unit != "bytes" or not isinstance(value, int):
        return f"{value} {unit}"
    for size, name in ((1024 * 1024, "MiB"), (1024, "KiB")):
        if value >= size and value % size == 0:
            return f"{value // size} {name}"
    return f"{value} bytes"


def constant_reference(path: str) -> str:
    """A link to the constant's reference entry when it is public, else its name."""
    module, name = path.rsplit(".", 1)
    if any(part.startswith("_") for part in module.split(".")):
        return f"`{name}`"
    return f"[`{name}`][{path}]"


def table() -> str:
    lines = ["| limit | default | set with | when it is passed |", "|---|---|---|---|"]
    for limit in LIMITS:
        value = format_value(read_constant(limit.constant), limit.unit)
        lines.append(
            f"| {limit.what} | {value} ({constant_reference(limit.constant)}) | {limit.setting} | {limit.answer} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    return markdown.replace(MARKER, table()) if MARKER in markdown else markdown
