"""Process lifecycle: start a server in its own process group, wait until it answers, stop it by its group id.

`running(...)` is a context manager: whatever ends the `with` block (a normal exit, an exception, Ctrl-C, a
SIGTERM sent to us), the server's whole process group is stopped before the exception travels on: SIGTERM,
a grace period, then SIGKILL. `signals_raise()` turns SIGTERM and SIGHUP into `Interrupted`, so a `kill` of the
certify command unwinds through the same `finally` blocks as Ctrl-C does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

STOP_GRACE_S = 10.0


class CertifyError(Exception):
    """A step failed; the message is one line for the user."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: unwind like KeyboardInterrupt (a BaseException, so `except Exception` lets it
    pass)."""


@contextlib.contextmanager
def signals_raise() -> Iterator[None]:
    """While inside, SIGTERM and SIGHUP raise `Interrupted` in the main thread (SIGINT already raises)."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Interrupted(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A started server: its process (the leader of its own group) and its log file."""

    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, lines: int = 15) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def start(command: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | None = None) -> Process:
    """Start `command` as the leader of a new session (its own process group), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        popen = subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Process(popen, log)


def stop(process: Process, grace: float | None = None) -> None:
    """Stop the process group of `process`: SIGTERM, wait up to `grace` seconds (STOP_GRACE_S), then SIGKILL.
    Idempotent."""
    pgid = process.pid  # the leader of a new session: its pid is the group id
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + (STOP_GRACE_S if grace is None else grace)
    while time.monotonic() < deadline:
        if process.popen.poll() is not None and not group_alive(pgid):
            return
        time.sleep(0.1)
    _signal_group(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.popen.wait(timeout=5)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group `pgid` still exists (signal 0 checks without sending)."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_ready(process: Process, url: str, timeout: float, headers: Mapping[str, str] | None = None) -> float:
    """Poll `url` until it answers 200; return the seconds it took. Raise CertifyError if the process exits or
    the time runs out (with the end of the server's log)."""
    started = time.monotonic()
    while True:
        if process.popen.poll() is not None:
            raise CertifyError(
                f"the server exited with code {process.popen.returncode} before it was ready; "
                f"its log ({process.log}) ends with:\n{process.tail()}"
            )
        if _answers(url, headers or {}):
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            raise CertifyError(f"the server did not answer {url} within {timeout:.0f} s; log: {process.log}")
        time.sleep(0.5)


def _answers(url: str, headers: Mapping[str, str]) -> bool:
    request = urllib.request.Request(url, headers=dict(headers))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


@contextlib.contextmanager
def running(command: Sequence[str], env: Mapping[str, str], log: Path, cwd: Path | None = None) -> Iterator[Process]:
    """Start a server; stop its process group when the block ends, however it ends."""
    process = start(command, env, log, cwd)
    try:
        yield process
    finally:
        # A second Ctrl-C or SIGTERM must not cut the stop short: hold them until the group is gone.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            stop(process)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)


_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
