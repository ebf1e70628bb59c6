"""`python -m certify progress`: while a server is being installed, what and for how long (CI shows it)."""

from __future__ import annotations

import fcntl
from pathlib import Path

from certify.progress import installing


def test_a_build_in_progress_is_named_with_its_last_log_line(tmp_path: Path) -> None:
    folder = tmp_path / "llama-server-1.0"
    folder.mkdir()
    (folder / "install.log").write_text("$ cmake --build\n[ 45%] Building CXX object ggml.o\n")
    done = tmp_path / "litellm-2.0"
    done.mkdir()
    (done / ".complete").write_text("ok\n")
    (tmp_path / "litellm-2.0.lock").touch()
    with (tmp_path / "llama-server-1.0.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as certify/cache.py holds it while it builds
        (building,) = installing(tmp_path)
    assert building.name == "llama-server-1.0"
    assert building.last_line == "[ 45%] Building CXX object ggml.o"
    assert building.line().startswith("installing llama-server-1.0: 0m0")
    assert installing(tmp_path) == []  # the lock released: nothing is being built
