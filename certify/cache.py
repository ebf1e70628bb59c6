"""The install cache: one folder per server and version, outside the repository, built once per machine.

`~/.cache/oai-conformance/<name>-<version>/` (or `$OAI_CONFORMANCE_CACHE/...`). A folder counts only once its
`.complete` marker exists; a build that failed or was interrupted is thrown away and redone. A file lock makes
two commands that want the same folder at once (CI's background install and a test) build it once: the second
waits for the first.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from certify.lifecycle import CertifyError

MARKER = ".complete"


def cache_root() -> Path:
    return Path(os.environ.get("OAI_CONFORMANCE_CACHE") or Path.home() / ".cache" / "oai-conformance")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_once(key: str, build: Callable[[Path], None]) -> Path:
    """The cache folder `key`, built by `build(folder)` unless a complete one is already there."""
    folder = cache_root() / key
    with _locked(folder.with_name(folder.name + ".lock")):
        if (folder / MARKER).is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        build(folder)
        (folder / MARKER).write_text("ok\n")
    return folder


def is_built(key: str) -> bool:
    return (cache_root() / key / MARKER).is_file()


def step(command: Sequence[str | Path], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run one install step at low priority, its output appended to `log`; a failure is a one-line CertifyError
    that points at the log."""
    with log.open("ab") as out:
        out.write(f"$ {' '.join(map(str, command))}\n".encode())
        out.flush()
        code = subprocess.call(
            ["nice", "-n", "10", *map(str, command)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if code != 0:
        raise CertifyError(f"install step failed (exit {code}): {' '.join(map(str, command))}; see {log}")


def make_venv(folder: Path, log: Path) -> Path:
    """A fresh virtual environment in `folder`; returns its python."""
    step([sys.executable, "-m", "venv", folder], log)
    python = folder / "bin" / "python"
    step([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade", "pip"], log)
    return python


def pip_install(python: Path, requirements: Sequence[str | Path], log: Path) -> None:
    step([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements], log)


def in_site_packages(venv: Path, relative: str) -> Path:
    """`relative` (a folder a package ships: a model, a voice) in the site-packages of the environment `venv`."""
    found = sorted((venv / "lib").glob(f"python3*/site-packages/{relative}"))
    if not found:
        raise CertifyError(f"no {relative} in the site-packages of {venv}")
    return found[0]
