"""A throwaway `redis-server` for tests of apps that use `RedisResponseStore`.

::

    with RedisServer() as redis_server:
        store = RedisResponseStore.from_url(redis_server.url)
        ...

`RedisServer` runs the `redis-server` program (Debian and Ubuntu: `apt-get install redis-server`;
macOS: `brew install redis`) on 127.0.0.1 and a free port, with persistence off and its files in a
temporary folder, and stops it afterwards. `stop()` and `start()` (or `restart()`), `pause()` and `resume()` in
between let a test see what an app does while Redis is down or hung. Only the standard library is used here.
"""

import contextlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType


class RedisServer:
    """Run `redis-server` on 127.0.0.1 and a free port, persistence off, for the duration of a `with` block.

    Args:
        executable: the `redis-server` program (a name looked up on `PATH`, or a path).
        port: the port to listen on; `None` picks a free one (kept across `restart()`).
        extra_args: more `redis-server` options, e.g. `["--maxmemory", "64mb"]`.

    Attributes: `port`, `url` (`redis://127.0.0.1:<port>/0`), `running` and `pid`.

    Raises:
        FileNotFoundError: `start()` when the program is not installed.
        RuntimeError: `start()` when the server does not answer `PING` in time.
    """

    def __init__(
        self, *, executable: str = "redis-server", port: int | None = None, extra_args: tuple[str, ...] = ()
    ) -> None:
        self.executable = executable
        self.port = port or 0
        self.extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @staticmethod
    def available(executable: str = "redis-server") -> bool:
        """Whether the `redis-server` program is installed."""
        return shutil.which(executable) is not None

    @property
    def url(self) -> str:
        """The URL to give `RedisResponseStore.from_url` (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs (to measure its CPU or memory), else `None`."""
        return self._process.pid if self.running and self._process is not None else None

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> "RedisServer":
        """Start the server (empty: nothing was persisted) and return once it answers `PING`."""
        if self.running:
            return self
        program = shutil.which(self.executable)
        if program is None:
            raise FileNotFoundError(f"{self.executable} is not installed (Debian: apt-get install redis-server)")
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="redis-server-")
        # A free port found here may be taken by another process before redis-server binds it: try others.
        tries = 1 if self.port else 5
        for _ in range(tries):
            if tries > 1:
                self.port = _free_port()
            problem = self._launch(program, timeout)
            if problem is None:
                return self
        raise RuntimeError(f"redis-server did not start on port {self.port}:\n{problem}")

    def _launch(self, program: str, timeout: float) -> str | None:
        """Start one process; return `None` once it answers, else what went wrong (it is stopped then)."""
        assert self._dir is not None  # noqa: S101 - set by start()
        log = Path(self._dir.name) / "redis.log"
        command = [
            program,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--logfile", str(log),
            "--daemonize", "no",
            *self.extra_args,
        ]  # fmt: skip
        self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL)  # noqa: S603 - a fixed program
        deadline = time.monotonic() + timeout
        while not self._answers_ping():
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                return log.read_text() if log.exists() else "no log"
            time.sleep(0.01)
        return None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections stay open but nothing is answered, as with a hung host."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """Let a paused server go on (SIGCONT)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server (what it held is lost) and wait until it has exited."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)  # a paused server cannot act on SIGTERM
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)

    def restart(self, timeout: float = 10.0) -> "RedisServer":
        """Stop the server and start a new, empty one on the same port."""
        self.stop(timeout)
        return self.start(timeout)

    def close(self) -> None:
        """Stop the server and remove its folder."""
        self.stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def _answers_ping(self) -> bool:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def __enter__(self) -> "RedisServer":
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


__all__ = ["RedisServer"]
