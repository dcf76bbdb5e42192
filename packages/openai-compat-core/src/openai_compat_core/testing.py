"""Serve an app on 127.0.0.1 for tests and examples, with uvicorn in a background thread.

uvicorn is not a dependency of this package: install it to use `LiveServer`.
"""

import threading
import time
from types import TracebackType
from typing import Any


class LiveServer:
    """Run an ASGI app under uvicorn on 127.0.0.1 and a free port, for the duration of a `with` block.

    ::

        with LiveServer(app) as server:
            client = openai.OpenAI(base_url=server.base_url, api_key="unused")

    Attributes (once started): `port`, `url` (`http://127.0.0.1:<port>`) and `base_url` (`url + "/v1"`).
    """

    def __init__(self, app: Any, *, host: str = "127.0.0.1", log_level: str = "warning", **config: Any) -> None:
        import uvicorn  # noqa: PLC0415 - optional dependency, needed only here

        self._config = uvicorn.Config(app, host=host, port=0, log_level=log_level, lifespan="off", **config)
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


__all__ = ["LiveServer"]
