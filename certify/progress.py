"""What the install cache is building right now, for a progress line while the tests wait for it.

An install holds its folder's lock until its `.complete` marker is written (certify/cache.py); its steps append
to `<folder>/install.log`. `installing()` lists the folders whose lock is held: the name, how long the build has
run, and the last line of its log. Standard library only: `.ci/run` calls `python3 -m certify progress` before
the project's environment exists.
"""

from __future__ import annotations

import fcntl
import time
from dataclasses import dataclass
from pathlib import Path

from certify.cache import MARKER, cache_root


@dataclass(frozen=True)
class Building:
    name: str  # the cache folder, e.g. llama-server-0.3.36-o1
    seconds: float
    last_line: str

    def line(self) -> str:
        minutes, seconds = divmod(int(self.seconds), 60)
        return f"installing {self.name}: {minutes}m{seconds:02d}s so far; last: {self.last_line[:100]}"


def installing(root: Path | None = None) -> list[Building]:
    """The cache folders being built now (their lock is held and they are not complete)."""
    root = root or cache_root()
    found = []
    for lock in sorted(root.glob("*.lock")) if root.is_dir() else []:
        folder = lock.with_suffix("")
        if (folder / MARKER).is_file() or not _held(lock):
            continue
        log = folder / "install.log"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.is_file() else []
        started = folder.stat().st_mtime if not log.is_file() else min(folder.stat().st_ctime, log.stat().st_ctime)
        found.append(Building(folder.name, max(time.time() - started, 0.0), lines[-1].strip() if lines else "starting"))
    return found


def _held(lock: Path) -> bool:
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def watch(every: float = 30.0) -> None:
    """Print a line per build every `every` seconds until nothing is being built (for `.ci/run`)."""
    time.sleep(min(every, 5.0))  # the installs, started just before, take their locks first
    while building := installing():
        for entry in building:
            print(f"certify: {entry.line()}", flush=True)
        time.sleep(every)
