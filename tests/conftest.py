"""Runs of the bundled suite that the tests share (tests/_runs.py says how): each made once per test session, also
under pytest-xdist, and started in the background as the session starts. A test that reads one must not write
into its folder."""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._runs import FIRST, MAKERS, CliRun, SharedRuns, clean_env, cli_run, join_stopping, serving, shared_run

SHARED_KEY_ENV = "OAI_SHARED_RUN_KEY"


@pytest.fixture(scope="session", autouse=True)
def generated_phase_engine() -> None:
    """pytester's in-process runs drop the modules a run imported first. conformance.generation, imported here,
    keeps the schemathesis schema it loaded; a later run's fresh copies of schemathesis' modules no longer recognise
    its values (a fuzzed body comes out wrapped twice and fails hashing: `unhashable type: 'GeneratedValue'`).
    Drawing once as the session starts, before any run, imports the whole drawing path once for the session."""
    from conformance.generation import GenerationSettings, draw_requests, missing_engine, operations

    if missing_engine():
        return
    wanted = {"POST /chat/completions", "POST /files"}
    for op in (op for op in operations() if op.label in wanted):
        for mode in op.modes():
            draw_requests(op, mode, GenerationSettings(examples=1), shape=lambda body: body)


@pytest.fixture(scope="session", autouse=True)
def suite_imported() -> None:
    """pytester's in-process runs drop every module a run imported (they restore their snapshot of sys.modules),
    so each run of a session imported the suite's modules again: a third of a small run (0.49 -> 0.33 s). Imported
    once here, before any run, they are in every snapshot and kept. (The entry points of `python -m` are left out:
    importing one runs it.)"""
    import conformance

    for module in pkgutil.walk_packages(conformance.__path__, "conformance."):
        if not module.name.endswith(".__main__"):
            importlib.import_module(module.name)


# What a pytest start costs with schemathesis' and hypothesis' pytest plugins: ~1.2 CPU-s, against ~0.35 without
# (schemathesis' imports itself whole, hypothesis' imports hypothesis). The suite calls both as libraries and needs
# neither plugin, as a user who installs it without the `generated` extra has neither; so the runs of pytester go
# without them, but for the tests marked `engine_plugins` (a user's own tests beside the suite), which show the
# suite's plugin working beside them.
WITHOUT_ENGINE_PLUGINS = "-p no:schemathesis -p no:hypothesispytest"


@pytest.fixture(autouse=True)
def pytester_without_engine_plugins(request: pytest.FixtureRequest) -> None:
    if "pytester" not in request.fixturenames or request.node.get_closest_marker("engine_plugins"):
        return
    request.getfixturevalue("pytester")  # first: it clears PYTEST_ADDOPTS when it is made
    request.getfixturevalue("monkeypatch").setenv("PYTEST_ADDOPTS", WITHOUT_ENGINE_PLUGINS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests that read a shared run go last (the order is otherwise kept): the session's other tests run while
    the runs are made in the background, instead of waiting for them at its start (~15 s of a serial session)."""
    items[:] = sorted(items, key=lambda item: any(name in MAKERS for name in getattr(item, "fixturenames", ())))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    join_stopping()  # the reference servers of in-process runs, stopping in the background


@pytest.fixture(scope="session")
def shared_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedRuns]:
    runs = SharedRuns.for_session(request.config, tmp_path_factory)
    yield runs
    runs.close()


@pytest.fixture(scope="session", autouse=True)
def start_shared_runs(request: pytest.FixtureRequest, shared_runs: SharedRuns) -> None:
    """Starts the shared runs that the selected tests read, those declared `first` first, the others in the order
    the tests need them (an xdist worker starts those of every test; the other workers find them made)."""
    needed = list(dict.fromkeys(name for item in request.session.items for name in item.fixturenames
                                if name in MAKERS))  # fmt: skip
    for name in sorted(needed, key=lambda name: name not in FIRST):
        shared_runs.start(name, MAKERS[name])


@shared_run(read=CliRun.read, first=True)
def default_run(cwd: Path) -> None:
    """`oai-conformance run --report-dir out` with nothing else: every bundled case against the bundled reference
    server, as a user's first command. Read its exit code, output and reports (out/); write nothing there."""
    cli_run(cwd)


@shared_run(read=CliRun.read)
def no_done_run(cwd: Path) -> None:
    """`oai-conformance run` of the stream cases (`--features chat.stream --select test_stream`) against a reference
    server with the `no-done` fault (its streams end without data: [DONE]), which fails `chat.stream.done-last`."""
    key = "sk-no-done-" + os.urandom(8).hex()
    with serving("no-done", key_env=SHARED_KEY_ENV, key=key) as base_url:
        cli_run(cwd, "--base-url", base_url, "--api-key-env", SHARED_KEY_ENV,
                "--features", "chat.stream", "--select", "test_stream", env=clean_env(**{SHARED_KEY_ENV: key}))
