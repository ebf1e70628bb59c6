"""Runs of the bundled cases that several tests read, made once per test session, and the helpers that make runs.

A run of the whole bundled suite takes ~10 s. The tests that only read what a run concluded (its results and
reports, its output, its exit code) share one, declared with `@shared_run`:

- it is made once per test session, also under pytest-xdist: in a folder that every worker of the session sees
  (the parent of the workers' basetemp), under a file lock, as in pytest-xdist's docs ("Making session-scoped
  fixtures execute only once");
- it starts in the background when the session starts, if a selected test uses it (tests/conftest.py): a serial
  session makes the shared runs in two background threads (its tests take one core, the runs the other), and
  under xdist each worker makes in one thread the runs no other worker is making (`SharedRuns`). A maker
  therefore only starts subprocesses (reference servers included) and writes files in its folder: no pytest
  machinery, no in-process server, no reading of the environment, which tests change.

A test that reads a shared run must not write into its folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

from conformance.cli import cases_args
from conformance.reference import RunningServer, ServerConfig, serve

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no lock, so each xdist worker makes the runs it reads itself
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")
TIMEOUT = 180
# The key of the reference servers that the in-process runs below start (they read it from the environment).
KEY_ENV = "OAI_TEST_RUNS_KEY"
KEY = "sk-runs-" + os.urandom(8).hex()
_DONE = ".done"
# The environment this session started with: a maker runs in a background thread while tests change os.environ.
STARTING_ENV = dict(os.environ)
# Where a run in a user's environment (clean_env) keeps its draws. pytester moves HOME, so the in-process runs are
# pointed here (certify) to read what the shared runs drew.
USER_DRAWS = Path(STARTING_ENV.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "oai-conformance" / "draws"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: none of this suite's settings, and no trace of the outer pytest."""
    env = {k: v for k, v in STARTING_ENV.items()
           if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_")) and k not in ("OPENAI_API_KEY", "PYTHONPATH")}
    env.update(extra)
    return env


def as_a_user(monkeypatch: pytest.MonkeyPatch, key_env: str, key: str) -> None:
    """This process's environment made a user's, for the pytest runs a test starts (pytester): the key under
    `key_env`, none of this suite's settings, none of the outer run's xdist (pytester clears its addopts)."""
    for name in list(os.environ):
        if name.startswith(("OAI_CONFORMANCE_", "PYTEST_XDIST", "OPENAI_API_KEY")):
            monkeypatch.delenv(name)
    monkeypatch.setenv(key_env, key)


def cli(cwd: Path, *args: str, env: dict[str, str] | None = None, stdin: str | None = None,
        ) -> subprocess.CompletedProcess[str]:
    """`oai-conformance ARGS` in a subprocess, in `cwd`, in a user's environment (or `env`)."""
    return subprocess.run([sys.executable, "-m", "conformance.cli", *args], cwd=cwd, env=env or clean_env(),
                          input=stdin, capture_output=True, text=True, timeout=TIMEOUT, check=False)


@dataclass(frozen=True)
class CliRun:
    """A finished `oai-conformance run --report-dir out`: its exit code and output, where it ran, its reports."""

    returncode: int
    stdout: str
    stderr: str
    cwd: Path

    @property
    def out(self) -> Path:
        return self.cwd / "out"

    @property
    def results(self) -> dict[str, Any]:
        return json.loads((self.out / "results.json").read_text(encoding="utf-8"))

    @property
    def output(self) -> str:
        return f"exit {self.returncode}\nstdout:\n{self.stdout[-3000:]}\nstderr:\n{self.stderr[-3000:]}"

    @classmethod
    def read(cls, cwd: Path) -> CliRun:
        return cls(cwd=cwd, **json.loads((cwd / "process.json").read_text(encoding="utf-8")))


def cli_run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    """`oai-conformance run --report-dir out ARGS` in `cwd`; its exit code and output are kept in cwd/process.json."""
    proc = cli(cwd, "run", "--report-dir", "out", *args, env=env)
    kept = {"returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    (cwd / "process.json").write_text(json.dumps(kept), encoding="utf-8")
    return CliRun(cwd=cwd, **kept)


# The features whose cases between them read every kind of answer the client handles: JSON (models, embeddings,
# errors), event streams (chat, responses), uploads and downloaded bytes (files), binary media (speech, images),
# jobs polled to their end and objects the ledger deletes (batches, vector stores), and the generated phase. The
# tests that put a troubled or hostile server under a whole run use these: the same code paths as the whole suite
# (~1,400 requests, 80 s), in a third of its requests and a seventh of its time.
EVERY_KIND_OF_ANSWER = ("--features", "models,chat,embeddings,errors,responses,files,batches,vector-stores,"
                        "audio.speech,images,generated")  # fmt: skip


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serving(*faults: str, key_env: str, key: str, admin_key_env: str = "", admin_key: str = "") -> Iterator[str]:
    """`oai-conformance serve` with `faults`, requiring `key` (and `admin_key` on the admin routes, when given), in
    a subprocess: its base URL while it runs."""
    port = free_port()
    command = [sys.executable, "-m", "conformance.cli", "serve", "--port", str(port), "--api-key-env", key_env]
    command += ["--admin-key-env", admin_key_env] if admin_key_env else []
    command += [arg for fault in faults for arg in ("--fault", fault)]
    keys = {key_env: key, **({admin_key_env: admin_key} if admin_key_env else {})}
    # Its output goes to a file, not a pipe, which a talkative server could fill.
    with tempfile.TemporaryFile() as said, subprocess.Popen(
        command, env=clean_env(**keys), stdout=said, stderr=subprocess.STDOUT
    ) as server:
        try:
            deadline = time.monotonic() + 60
            while True:
                if server.poll() is not None:
                    said.seek(0)
                    told = said.read().decode(errors="replace")
                    raise RuntimeError(f"{command} exited with {server.returncode}: {told}")
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command} did not listen within 60 s")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


# Shared runs ------------------------------------------------------------------------------------------------------

# name -> the maker of the shared run of that name (and of the session fixture that returns it)
MAKERS: dict[str, Callable[[Path], object]] = {}


class SharedRuns:
    """Folders made once per test session: started in the background, or made by the first test that asks.

    The background makes them in `lanes` threads, in the order they were started. Under pytest-xdist every worker
    has a lane and starts every run; a lane skips a run another worker is making (its lock is held) and comes back
    to it when nothing else is left, so the workers make different runs at once instead of waiting for each other.
    """

    def __init__(self, root: Path, lock: bool, lanes: int = 1) -> None:
        self.root = root
        self._lock_files = lock and fcntl is not None
        root.mkdir(parents=True, exist_ok=True)
        self._jobs: dict[str, Future[Path]] = {}
        self._queue: queue.SimpleQueue[tuple[str, Callable[[Path], object], Future[Path]]] = queue.SimpleQueue()
        self._lanes: list[threading.Thread] = []
        self._width = lanes
        global _SESSION_RUNS
        _SESSION_RUNS = self

    @classmethod
    def for_session(cls, config: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> SharedRuns:
        basetemp = tmp_path_factory.getbasetemp()
        if hasattr(config, "workerinput") and fcntl is not None:  # an xdist worker: basetemp is <session>/popen-gwN
            return cls(basetemp.parent / "shared-runs", lock=True)
        # A serial session: its tests take one core, two lanes the other (the runs wait on their servers too).
        return cls(basetemp / "shared-runs", lock=False, lanes=2)

    @contextlib.contextmanager
    def _locked(self, name: str, wait: bool = True) -> Iterator[bool]:
        """Holds `name`'s lock (xdist workers make a run once); False when `wait` is False and it is held."""
        if not self._lock_files:
            yield True
            return
        with open(self.root / f"{name}.lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _make(self, name: str, make: Callable[[Path], object]) -> Path:
        with self._locked(name):
            return self._made(name, make)

    def _made(self, name: str, make: Callable[[Path], object]) -> Path:
        """The folder `name`, made unless it is already (by this process or another xdist worker); lock held."""
        folder = self.root / name
        if not (folder / _DONE).is_file():
            shutil.rmtree(folder, ignore_errors=True)  # a failed attempt
            folder.mkdir(parents=True)
            make(folder)
            (folder / _DONE).touch()
        return folder

    def start(self, name: str, make: Callable[[Path], object]) -> None:
        """Make `name` in the background, after the runs started before it, unless it is started already."""
        if name in self._jobs:
            return
        self._jobs[name] = job = Future()
        self._queue.put((name, make, job))
        while len(self._lanes) < self._width:
            lane = threading.Thread(target=self._work, name=f"shared-runs-{len(self._lanes)}", daemon=True)
            self._lanes.append(lane)
            lane.start()

    def _work(self) -> None:
        later: list[tuple[str, Callable[[Path], object], Future[Path]]] = []  # being made by another worker
        while True:
            try:
                name, make, job = self._queue.get(block=not later)
                wait = False
            except queue.Empty:
                (name, make, job), wait = later.pop(0), True
            with self._locked(name, wait=wait) as mine:
                if not mine:
                    later.append((name, make, job))
                elif job.set_running_or_notify_cancel():
                    try:
                        job.set_result(self._made(name, make))
                    except BaseException as exc:
                        job.set_exception(exc)

    def started(self, name: str) -> bool:
        return name in self._jobs

    def close(self) -> None:
        """At the end of the session: the runs not started are dropped; the one being made is finished (another
        xdist worker may be waiting for it, and a thread cut short would leave its subprocesses behind)."""
        for job in self._jobs.values():
            job.cancel()
        for job in self._jobs.values():
            if not job.cancelled():
                job.exception()  # waits

    def folder(self, name: str, make: Callable[[Path], object]) -> Path:
        """The folder `name`, filled by `make(folder)` unless a test of this session has done so already. A run
        that is started but still waits for its turn in the background is made here and now instead."""
        job = self._jobs.get(name)
        if job is None or job.cancel():
            self._jobs[name] = job = Future()
            job.set_running_or_notify_cancel()
            try:
                job.set_result(self._make(name, make))
            except BaseException as exc:
                job.set_exception(exc)
        return job.result()


_SESSION_RUNS: SharedRuns | None = None


def after(name: str) -> None:
    """For a maker whose run must come after the shared run `name` when the session makes that one too (a selected
    test reads it): waits for it, or makes it here if it has not started. E.g. a run that reads the draws `name`
    keeps, instead of drawing the same at the same time."""
    if _SESSION_RUNS is not None and _SESSION_RUNS.started(name):
        _SESSION_RUNS.folder(name, MAKERS[name])


# The shared runs that start before the others, whichever test reads them first: the long chains of steps, so that
# the rest of the session overlaps them instead of waiting for them at its end.
FIRST: list[str] = []


def shared_run(read: Callable[[Path], T], first: bool = False) -> Callable[[Callable[[Path], object]], Any]:
    """Declares a shared run: the decorated `maker(folder)` fills the folder; it becomes a session fixture of the
    same name, which returns `read(folder)`. See the module doc for what a maker may do. `first`: see FIRST."""

    def declare(maker: Callable[[Path], object]) -> Any:
        name = maker.__name__
        MAKERS[name] = maker
        if first:
            FIRST.append(name)

        def fixture(shared_runs: SharedRuns) -> T:
            return read(shared_runs.folder(name, maker))

        fixture.__doc__ = maker.__doc__
        return pytest.fixture(scope="session", name=name)(fixture)

    return declare


# In-process runs of the cases (pytester) ---------------------------------------------------------------------------

_STOPPING: list[threading.Thread] = []


@contextlib.contextmanager
def briefly_serve(config: ServerConfig) -> Iterator[RunningServer]:
    """`serve(config)`, stopped in the background: a stop waits ~0.2 s for uvicorn's main loop, which dozens of
    fault runs would otherwise wait in turn. `join_stopping()` (at the end of the session) waits for them all."""
    context = serve(config)
    server = context.__enter__()
    try:
        yield server
    finally:
        stopping = threading.Thread(target=context.__exit__, args=(None, None, None), daemon=True)
        stopping.start()
        _STOPPING.append(stopping)


def join_stopping() -> None:
    while _STOPPING:
        _STOPPING.pop().join(10)


class OnlyCasesDeclaring:
    """An in-process plugin of the inner run: it keeps only the cases that declare one of `rules`
    (`@requirement`), the others are deselected."""

    def __init__(self, rules: Iterable[str]) -> None:
        self.rules = frozenset(rules)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        def declares(item: pytest.Item) -> bool:
            return any(rid in self.rules for mark in item.iter_markers("requirement") for rid in mark.args)

        kept = [item for item in items if declares(item)]
        config.hook.pytest_deselected(items=[item for item in items if not declares(item)])
        items[:] = kept


def certify(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    faults: frozenset[str],
    cases: str | Sequence[str],
    *extra: str,
    only: Iterable[str] = (),
    report_dir: Path | None = None,
) -> dict[str, Any]:
    """The results of the bundled cases (the files `cases` under cases/; "" for all) run in process by the real
    plugin against a reference server with `faults`; with `only`, just the cases that declare one of those ids."""
    monkeypatch.setenv(KEY_ENV, KEY)
    report_dir = report_dir or pytester.path / "reports"
    paths = (cases,) if isinstance(cases, str) else tuple(cases)
    plugins = [OnlyCasesDeclaring(only)] if only else []
    with briefly_serve(ServerConfig(api_key=KEY, faults=faults)) as server:
        pytester.runpytest_inprocess(
            *cases_args(report_dir, *paths), "--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV,
            "--oai-allow-costly",  # the reference server costs nothing: every family is judged
            "--oai-draws", str(USER_DRAWS),
            # as `oai-conformance run` leaves them out (cli.py): each costs every in-process run its set-up
            "-p", "no:benchmark", "-p", "no:anyio", "-p", "no:unraisableexception", *extra,
            plugins=plugins,
        )  # fmt: skip
    return json.loads((report_dir / "results.json").read_text(encoding="utf-8"))


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in results["requirements"]}


def assert_caught(results: dict[str, Any], fault: str, rules: Iterable[str]) -> None:
    """A run against a server with `fault` FAILs each of `rules` (WARNs a SHOULD), every failure quoting what was
    received and citing an exchange the results hold; a failed rule makes the run not conformant."""
    from conformance.requirements import Level, catalogue

    got = statuses(results)
    for rid in rules:
        wanted = "fail" if catalogue()[rid].level is Level.MUST else "warn"
        assert got[rid] == wanted, f"{fault}: {rid} is {got[rid]}"
        entry = next(r for r in results["requirements"] if r["id"] == rid)
        assert entry["failures"] and all("Received:" in f["message"] for f in entry["failures"])
        cited = [str(f["exchange"]) for f in entry["failures"] if f["exchange"] is not None]
        assert cited and all(c in results["exchanges"] for c in cited), "the evidence is in the results"
    if "fail" in {got[rid] for rid in rules}:
        assert results["verdict"] == "not conformant" and results["exit_code"] == 1


def slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "-", "-".join(parts)).strip("-")
