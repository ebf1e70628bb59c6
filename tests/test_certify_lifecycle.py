"""certify's process lifecycle: every server it starts is stopped, by process group, however the run ends.

The "server" here is a real process tree: a Python HTTP server that also forks a grandchild, so the tests show
that the whole group goes, not only the pid certify holds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from certify import lifecycle
from certify.lifecycle import CertifyError, Interrupted, free_port, group_alive, running, signals_raise, wait_ready

REPO = Path(__file__).resolve().parent.parent

# A server with a child of its own: `sleep` in the same process group.
SERVER = textwrap.dedent(
    """
    import http.server, subprocess, sys
    subprocess.Popen(["sleep", "300"])
    http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
    """
)


def server_command(port: int) -> list[str]:
    return [sys.executable, "-c", SERVER, str(port)]


def gone(pgid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not group_alive(pgid):
            return True
        time.sleep(0.1)
    return False


def test_the_group_is_stopped_when_the_block_ends(tmp_path: Path) -> None:
    port = free_port()
    with running(server_command(port), os.environ, tmp_path / "server.log") as server:
        wait_ready(server, f"http://127.0.0.1:{port}/", timeout=30)
        assert group_alive(server.pid)
    assert gone(server.pid)


def test_the_group_is_stopped_when_the_run_raises(tmp_path: Path) -> None:
    port = free_port()
    pid = 0
    with (
        pytest.raises(RuntimeError, match="the suite crashed"),
        running(server_command(port), os.environ, tmp_path / "server.log") as server,
    ):
        pid = server.pid
        wait_ready(server, f"http://127.0.0.1:{port}/", timeout=30)
        raise RuntimeError("the suite crashed")
    assert pid and gone(pid)


def test_a_server_that_ignores_sigterm_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "STOP_GRACE_S", 1.0)  # the grace is what is waited out: not 10 s of a test
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(300)\n"
    with running([sys.executable, "-c", stubborn], os.environ, tmp_path / "server.log") as server:
        time.sleep(0.5)  # let it install its handler
    assert gone(server.pid, within=1.0)


def test_a_server_that_dies_at_start_up_is_one_clear_error(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; print('no model file'); sys.exit(3)"]
    with (
        pytest.raises(CertifyError, match=r"exited with code 3 before it was ready(.|\n)*no model file"),
        running(command, os.environ, tmp_path / "server.log") as server,
    ):
        wait_ready(server, f"http://127.0.0.1:{free_port()}/", timeout=30)


def test_sigterm_raises_interrupted_inside_signals_raise() -> None:
    with pytest.raises(Interrupted), signals_raise():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


# A whole certify-like process, interrupted from outside -------------------------------------------------------

DRIVER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from certify.lifecycle import running, signals_raise, wait_ready
    port = int(sys.argv[1])
    command = [sys.executable, "-c", sys.argv[2], str(port)]
    try:
        with signals_raise(), running(command, os.environ, Path(sys.argv[3])) as server:
            wait_ready(server, f"http://127.0.0.1:{port}/", timeout=30)
            print(server.pid, flush=True)
            time.sleep(300)  # the suite "runs"
    except BaseException as exc:
        print(type(exc).__name__, flush=True)
        sys.exit(130)
    """
)


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_an_interrupted_run_stops_the_server(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    driver = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(port), SERVER, str(tmp_path / "server.log")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        text=True,
        # A shell that starts pytest in the background makes it ignore SIGINT, and a child inherits an ignored
        # signal: the driver starts with the default, which Python makes KeyboardInterrupt, as a user's run does.
        preexec_fn=default_sigint,
    )
    try:
        assert driver.stdout is not None
        server_pid = int(driver.stdout.readline())
        assert group_alive(server_pid)
        driver.send_signal(sig)
        assert driver.wait(timeout=30) == 130
        assert driver.stdout.read().strip() in ("KeyboardInterrupt", "Interrupted")
        assert gone(server_pid, within=1.0), f"the server's group {server_pid} outlived the interrupted run"
    finally:
        driver.kill()
        driver.wait()


def test_certify_refuses_an_unknown_server_in_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "certify", "nginx"], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "certify: error: unknown server 'nginx'; the servers are litellm, llama-server, litellm-llama-server, vllm, "
        "llama-stack, llama-server-gemma, fakellm, mockllm, llama-cpp-python, faster-whisper, litellm-media, "
        "litellm-faster-whisper, local-tts, litellm-local-tts"
    ]
