"""Serve one benchmark app under uvicorn (uvloop, httptools) on 127.0.0.1; print the port, then serve.

    python benchmarks/apps/serve.py ours|ref14|floor

The first line on stdout is the port (the interface `upload_memory.py`'s `measure` expects too).
No access log: it would cost every server the same, and hide what the library costs.
"""

import importlib
import socket
import sys

import uvicorn


def main() -> None:
    """Import the app module named on the command line and serve its `app`."""
    app = importlib.import_module(sys.argv[1]).app
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, loop="uvloop", http="httptools", access_log=False, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
