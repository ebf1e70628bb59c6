"""Read-ahead (conformance/readahead.py): bodies run before their turn, and the reports are still a serial run's.

That the bundled suite concludes and sends the same with cases read ahead is test_plugin.py's
test_read_ahead_run_matches_serial_run."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from conformance.readahead import ReadAhead

pytest_plugins = ["pytester"]

# test_waits passes only if test_sets' body runs while test_waits' body waits: proof of overlap without a clock.
# test_in_turn cannot run ahead but runs beside later bodies (test_after_turn's); test_alone runs with none.
CASES = """
import threading
import pytest

SET = threading.Event()
TURN = threading.Event()

def test_waits():
    assert SET.wait(2), "nothing ran beside this case"

def test_sets():
    SET.set()

def test_fails():
    assert 1 == 2, "the body's own failure"

def test_skips():
    pytest.skip("the body's own skip")

def test_in_turn():
    assert TURN.wait(2), "nothing ran beside the case in its turn"

def test_after_turn():
    TURN.set()

def test_alone():
    pass

def test_last():
    pass
"""
ORDER = ["test_waits", "test_sets", "test_fails", "test_skips", "test_in_turn", "test_after_turn", "test_alone",
         "test_last"]  # fmt: skip


class Watch:
    """Which bodies are running, and what was in flight when `test_alone` (which may not run ahead) was called."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.lock = threading.Lock()
        self.beside_alone: set[str] | None = None
        self.reported: list[str] = []

    def prepare(self, item: pytest.Item) -> Callable[[], object] | None:
        if item.name in ("test_in_turn", "test_alone"):
            return None
        function = item.obj  # type: ignore[attr-defined]

        def body() -> object:
            with self.lock:
                self.running.add(item.name)
            try:
                return function()
            finally:
                with self.lock:
                    self.running.discard(item.name)

        return body

    def pytest_runtest_call(self, item: pytest.Item) -> None:
        if item.name == "test_alone":
            with self.lock:
                self.beside_alone = set(self.running)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.reported.append(report.nodeid.rsplit("::", 1)[-1])


def run(
    pytester: pytest.Pytester, width: int, *args: str, cases: str = CASES, beside: str = ""
) -> tuple[pytest.RunResult, Watch, ReadAhead]:
    """The cases under a read-ahead `width` wide; `beside`: the one item set up in its turn whose call may run on
    the pool."""
    pytester.makepyfile(test_cases=cases)
    watch = Watch()
    read_ahead = ReadAhead(lambda: width, watch.prepare, lambda item: item.name == "test_alone",
                           lambda item: item.name == beside)  # fmt: skip
    result = pytester.runpytest_inprocess("-p", "no:randomly", "-p", "no:cacheprovider", "-rs", *args,
                                          plugins=[read_ahead, watch])  # fmt: skip
    return result, watch, read_ahead


def test_bodies_overlap_and_report_as_in_a_serial_run(pytester: pytest.Pytester):
    result, watch, read_ahead = run(pytester, 4)
    result.assert_outcomes(passed=6, failed=1, skipped=1)
    assert watch.reported == ORDER  # in the order of the items, whichever body ended first
    result.stdout.fnmatch_lines(["*assert 1 == 2*", "*the body's own failure*", "*cases ran ahead of their turn*"])
    result.stdout.no_fnmatch_line("*nothing ran beside*")
    result.stdout.fnmatch_lines(["*SKIPPED*the body's own skip*"])
    assert watch.beside_alone == set()  # an item that may not run ahead runs with nothing in flight
    assert read_ahead.started == 6 and 2 <= read_ahead.widest <= 4
    assert not watch.running


def test_one_at_a_time_is_a_serial_run(pytester: pytest.Pytester):
    result, watch, read_ahead = run(pytester, 1)
    # Nothing runs beside test_waits or test_in_turn: they wait in vain, as they would without the plugin.
    result.assert_outcomes(passed=4, failed=3, skipped=1)
    result.stdout.fnmatch_lines(["*nothing ran beside this case*"])
    result.stdout.fnmatch_lines(["*nothing ran beside the case in its turn*"])
    assert read_ahead.started == 0
    assert watch.reported == ORDER


def test_a_stopped_session_leaves_no_body_running(pytester: pytest.Pytester):
    result, watch, _ = run(pytester, 4, "-x")
    result.assert_outcomes(passed=2, failed=1)
    assert watch.reported == ORDER[:3]
    assert not watch.running  # bodies started ahead of the stop were awaited before the session ended


# test_in_turn waits for a body that cannot have started before its turn: two are in flight (test_a, test_b, for a
# moment) when its turn comes, and test_sets_late is two items further.
IN_TURN_WAITS_FOR_A_LATER_BODY = """
import threading
import time

LATE = threading.Event()

def test_in_turn():
    assert LATE.wait(3), "no later body started while the case in its turn waited"

def test_a():
    time.sleep(0.2)

def test_b():
    time.sleep(0.2)

def test_c():
    pass

def test_sets_late():
    LATE.set()
"""


def test_a_case_in_its_turn_holds_up_no_later_body(pytester: pytest.Pytester):
    result, watch, _ = run(pytester, 2, cases=IN_TURN_WAITS_FOR_A_LATER_BODY, beside="test_in_turn")
    result.assert_outcomes(passed=5)
    assert watch.reported == ["test_in_turn", "test_a", "test_b", "test_c", "test_sets_late"]


def test_a_case_in_its_turn_not_beside_holds_up_the_later_bodies(pytester: pytest.Pytester):
    # The same cases when `beside` declines test_in_turn: its call runs in the main thread, and nothing starts
    # behind the bodies already in flight until it ends.
    result, _, _ = run(pytester, 2, cases=IN_TURN_WAITS_FOR_A_LATER_BODY)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*no later body started while the case in its turn waited*"])
