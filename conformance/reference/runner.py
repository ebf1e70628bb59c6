"""Run the reference server on a socket bound here (port 0 = a free port): in a background thread (`serve`), or in
a process of its own (`serve_apart`), which serves on the other core while this one judges, instead of taking
turns with the judging threads for one interpreter lock.
"""

from __future__ import annotations

import contextlib
import pickle
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from ._transient import TransientTrouble
from .app import ServerConfig, create_app

STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0


class RunningServer:
    """A server started by `serve()`: where it listens, and how to stop it (idempotent)."""

    def __init__(
        self, server: uvicorn.Server, thread: threading.Thread, sock: socket.socket, host: str, port: int
    ) -> None:
        self.host = host
        self.port = port
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}/v1"
        self._server = server
        self._thread = thread
        self._socket = sock

    def __repr__(self) -> str:
        return f"RunningServer(base_url={self.base_url!r})"

    @property
    def store(self) -> Any:
        """What the server keeps (stored responses, conversations): tests look for what a run left behind."""
        return self._server.config.app.state.store  # type: ignore[union-attr]

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(SHUTDOWN_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(SHUTDOWN_TIMEOUT)
        self._socket.close()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket says it is TCP (proto 0 leaves Nagle on: each keep-alive answer then waits ~40 ms for an ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


@contextmanager
def serve(config: ServerConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> Iterator[RunningServer]:
    """Start the reference server, wait until it answers, yield it, and always stop it on exit."""
    sock = _bind(host, port)
    server = _uvicorn(config if config is not None else ServerConfig())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="reference-server", daemon=True)
    running = RunningServer(server, thread, sock, host, sock.getsockname()[1])
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError(f"the reference server did not start on {host}:{running.port}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the reference server did not start within {STARTUP_TIMEOUT:.0f}s")
            time.sleep(0.005)
        with socket.create_connection((host, running.port), timeout=STARTUP_TIMEOUT):
            pass
        yield running
    finally:
        running.stop()


class ServerProcess:
    """A server started by `serve_apart()`: where it listens, and how to stop it (idempotent)."""

    def __init__(self, process: subprocess.Popen[bytes], host: str, port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{shown}:{port}/v1"
        self._process = process

    def __repr__(self) -> str:
        return f"ServerProcess(base_url={self.base_url!r})"

    def stop(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()  # the server's end of the pipe reads EOF: it stops
        try:
            self._process.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


@contextmanager
def serve_apart(config: ServerConfig, host: str = "127.0.0.1", port: int = 0) -> Iterator[ServerProcess]:
    """Start the reference server in a process of its own and yield it at once; always stop it on exit.

    The socket is bound and listening here, before the process starts, so requests sent while it starts wait in
    the backlog; the process gets its configuration (keys included: never on a command line) through a pipe and
    stops when that pipe closes, so it cannot outlive this process."""
    sock = _bind(host, port)
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "conformance.reference", str(sock.fileno())],
            stdin=subprocess.PIPE,
            pass_fds=[sock.fileno()],
        )
        running = ServerProcess(process, host, sock.getsockname()[1])
    finally:
        sock.close()  # the process holds the socket now: if it dies, connections are refused, not left waiting
    try:
        assert process.stdin is not None
        process.stdin.write(pickle.dumps(config))
        process.stdin.flush()
        yield running
    finally:
        running.stop()


def serve_from_parent(fileno: int) -> None:
    """The process `serve_apart` starts: its configuration from stdin, then serve until stdin closes."""
    config = pickle.load(sys.stdin.buffer)
    sock = socket.socket(fileno=fileno)
    server = _uvicorn(config)

    def stop_when_the_parent_goes() -> None:
        sys.stdin.buffer.read()
        server.should_exit = True

    threading.Thread(target=stop_when_the_parent_goes, daemon=True).start()
    server.run(sockets=[sock])


def _uvicorn(config: ServerConfig) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(
            _app(config), log_level="warning", log_config=None, access_log=False, lifespan="off",
            timeout_graceful_shutdown=1,
        )
    )


def _app(config: ServerConfig) -> Any:
    app = create_app(config)
    return TransientTrouble(app, config.transient_every, config.transient) if config.transient_every else app


def run_forever(config: ServerConfig, host: str, port: int) -> None:
    """Serve in the foreground until Ctrl-C (the `oai-conformance serve` command)."""
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.run(_app(config), host=host, port=port, log_level="warning", access_log=False, lifespan="off")
