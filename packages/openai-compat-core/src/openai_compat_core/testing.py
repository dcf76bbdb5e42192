"""Helpers for testing apps and pipelines: a live server, a request watch, and stand-ins for stream chunks.

- `LiveServer` serves an app on 127.0.0.1 with uvicorn in a background thread (uvicorn is not a
  dependency of this package: install it to use `LiveServer`).
- `RequestWatch` wraps an app and tells a test when the server saw the client leave and when the
  app returned, so that a test waits for those moments instead of sleeping.
- `StreamingChunk`, `ToolCallDelta` and `ReasoningContent` have the attributes of Haystack's classes of
  those names that the routers read (duck typing), `FunctionCallChunk` the `function_call_id` shape of
  other pipelines, `UsageChunk` a usage report and `CustomEvent` a user event: a pipeline's streams can
  be tested without Haystack.
"""

import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

_Message = MutableMapping[str, Any]
_ASGIApp = Callable[
    [_Message, Callable[[], Awaitable[_Message]], Callable[[_Message], Awaitable[None]]], Awaitable[None]
]


class LiveServer:
    """Run an ASGI app under uvicorn on 127.0.0.1 and a free port, for the duration of a `with` block.

    ::

        with LiveServer(app) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="unused")

    Attributes (once started): `port`, `url` (`http://127.0.0.1:<port>`) and `base_url` (`url + "/v1"`).
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", log_level: str = "warning", **config: Any) -> None:
        import uvicorn  # noqa: PLC0415 - optional dependency, needed only here

        # No websockets: none of our routes use them, and loading the protocol imports a library some releases
        # warn about.
        options: dict[str, Any] = {"lifespan": "off", "ws": "none", **config}
        self._config = uvicorn.Config(app, host=host, port=0, log_level=log_level, **options)
        self._server = uvicorn.Server(self._config)
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = 0

    @property
    def url(self) -> str:
        """The server's root URL."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The URL to give the `openai` SDK as `base_url`."""
        return f"{self.url}/v1"

    def start(self, timeout: float = 10.0) -> "LiveServer":
        """Start serving; return once the socket is listening."""
        self._thread = threading.Thread(target=self._server.run, name="live-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the server thread."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class RequestWatch:
    """ASGI middleware for tests: sets `disconnect_seen` when the app reads `http.disconnect`, `app_returned` after it.

    ::

        watch = RequestWatch(app)
        with LiveServer(watch) as server:
            ...  # open a stream, read a little, close the connection
            assert watch.app_returned.wait(10)  # the response has given up on the departed client

    Both are `threading.Event`s, for tests that drive the server from another thread; `reset()` clears them.
    """

    def __init__(self, app: _ASGIApp) -> None:
        self.app = app
        self.disconnect_seen = threading.Event()
        self.app_returned = threading.Event()

    def reset(self) -> None:
        """Clear both events, before the next request."""
        self.disconnect_seen.clear()
        self.app_returned.clear()

    async def __call__(
        self,
        scope: _Message,
        receive: Callable[[], Awaitable[_Message]],
        send: Callable[[_Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def watched_receive() -> _Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnect_seen.set()
            return message

        try:
            await self.app(scope, watched_receive, send)
        finally:
            self.app_returned.set()


@dataclass
class ReasoningContent:
    """Reasoning text, shaped like Haystack's `ReasoningContent`."""

    reasoning_text: str


@dataclass
class ToolCallDelta:
    """A fragment of a tool call, shaped like Haystack's `ToolCallDelta`.

    The first fragment of a call carries its `id` and `tool_name`; the next ones add to its `arguments`.
    Parallel calls differ by `index`.
    """

    index: int
    tool_name: str | None = None
    arguments: str | None = None
    id: str | None = None


@dataclass
class StreamingChunk:
    """A streamed chunk, shaped like Haystack's `StreamingChunk`.

    `content` is text; `tool_calls` a list of `ToolCallDelta`; `reasoning` a `ReasoningContent` (or
    plain text); `finish_reason` ends the answer ("stop", "tool_calls", "length", ...); `meta` may carry
    `{"usage": {...}}` in OpenAI's chat usage shape.
    """

    content: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolCallDelta] | None = None
    reasoning: ReasoningContent | str | None = None
    finish_reason: str | None = None


@dataclass
class UsageChunk:
    """A chunk that only reports token usage (a `usage` attribute), as the last chunk of many LLM streams does.

    `usage` is in OpenAI's chat shape (`prompt_tokens`, ...) or its Responses shape (`input_tokens`, ...).
    """

    usage: dict[str, Any]
    content: str = ""


@dataclass
class FunctionCallChunk:
    """A fragment of a function call in the `function_call_id` shape some pipelines yield."""

    function_call_id: str
    function_call_name: str | None = None
    function_call_arguments: str | None = None


class CustomEvent:
    """A user event: the routers send what `to_event_dict()` returns as it is."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event

    def to_event_dict(self) -> dict[str, Any]:
        """Return the event to send."""
        return dict(self.event)


__all__ = [
    "CustomEvent",
    "FunctionCallChunk",
    "LiveServer",
    "ReasoningContent",
    "RequestWatch",
    "StreamingChunk",
    "ToolCallDelta",
    "UsageChunk",
]
