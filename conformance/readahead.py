"""Read-ahead: the bodies of upcoming cases run in a thread pool while pytest runs every item's protocol in order.

Against a slow server a run's time is its requests' latency, unless independent cases overlap. pytest's fixtures,
set-up, tear-down and report hooks are not thread-safe (a function-scoped fixture caches one value for whichever
item asked last), so none of them leaves the main thread: pytest runs each item exactly as in a serial run. What
runs early, on another thread, is only the test function of an item that needs nothing set up for it (the caller's
`prepare` decides and binds the arguments); when pytest reaches that item, its call phase waits for the body and
re-raises what it raised, so its reports, skips and failures are the serial run's.

An item `prepare` declines runs in its turn: pytest sets it up in the main thread as usual; then, when `beside`
allows, its call runs on the pool like a body while the main thread goes on starting the bodies of later items (a
case that waits for a job in its turn holds up nothing else); otherwise its call runs in the main thread, the bodies
already in flight beside it. An item `alone` declares runs with nothing else in flight: reading ahead stops in
front of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

import pytest

_BODIES = threading.local()


def among_others() -> bool:
    """Whether the calling code is a case's body run on the read-ahead pool, beside other bodies: its requests are
    already in flight beside theirs (a case that would send its own requests at once sends them one by one)."""
    return getattr(_BODIES, "pooled", False)


def _pooled(body: Callable[[], object]) -> object:
    _BODIES.pooled = True
    try:
        return body()
    finally:
        _BODIES.pooled = False


# An item's body, its arguments bound; None: the item cannot run ahead of its turn.
Prepare = Callable[[pytest.Item], Callable[[], object] | None]
# How far past the current item bodies may start: far enough that a long case (a job polled to its end) does not
# hold the others back; the bodies that ended wait for their turn with their observations kept on the item.
LOOKAHEAD = 256


class ReadAhead:
    """A pytest plugin: up to `width` bodies of upcoming items in flight while the current one runs (1: none)."""

    def __init__(
        self,
        width_of: Callable[[], int],
        prepare: Prepare,
        alone: Callable[[pytest.Item], bool],
        beside: Callable[[pytest.Item], bool] = lambda item: False,
    ) -> None:
        self.width_of = width_of  # read when a first item can run ahead: a session of other tests never asks
        self.width: int | None = None
        self.prepare = prepare
        self.alone = alone  # an item that runs with nothing else in flight: reading ahead stops in front of it
        self.beside = beside  # an item set up in its turn whose call may still run on the pool
        self.pool: ThreadPoolExecutor | None = None
        self.items: list[pytest.Item] = []
        self.position: dict[pytest.Item, int] = {}
        self.futures: dict[pytest.Item, Future[object]] = {}
        # The bodies started and not yet ended (at most `width`): what `running` counts. `futures` also holds the
        # ended bodies that wait for their item's turn, up to LOOKAHEAD, too many to ask each at every top-up.
        self.in_flight: set[Future[object]] = set()
        self.current: int | None = None  # the position of the item pytest is running
        self.session: pytest.Session | None = None
        self.started = 0  # bodies started ahead of their turn
        self.widest = 0  # the most in flight at once

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Generator[None, object, object]:
        self.session = session
        self.items = list(session.items)
        self.position = {item: i for i, item in enumerate(self.items)}
        try:
            return (yield)
        finally:
            self.close()

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, object, object]:
        self.current = self.position.get(item)
        self.top_up()
        if item not in self.futures and self.pool is not None and not self.alone(item) and self.beside(item):
            self.call_beside(item)
        try:
            return (yield)
        finally:
            # A body never outlives its item (a set-up error skips the call phase, which waits otherwise).
            if (future := self.futures.pop(item, None)) is not None:
                wait([future])
            item.__dict__.pop("runtest", None)

    def top_up(self) -> None:
        """Start the bodies of upcoming items, from the current one on, until `width` are in flight or an `alone`
        item is reached. An item `prepare` declines runs in its turn, with others beside it. Main thread only."""
        if self.current is None or self.session is None or self.width == 1:
            return
        running = self.running()
        for item in self.items[self.current : self.current + LOOKAHEAD]:
            if self.session.shouldstop or self.session.shouldfail:
                return
            if self.width is not None and running >= self.width:
                return
            if item in self.futures:
                continue
            body = self.prepare(item)
            if body is None:
                if self.alone(item):
                    return
                continue  # it may be ready later (a fixture its turn sets up): asked again at the next top-up
            if self.width is None:
                self.width = max(1, self.width_of())
                if self.width == 1:
                    return  # one at a time: every item runs in its turn, as without this plugin
            self.start(item, body)
            running += 1

    def running(self) -> int:
        """How many bodies are in flight now (main thread only)."""
        self.in_flight = {future for future in self.in_flight if not future.done()}
        return len(self.in_flight)

    def start(self, item: pytest.Item, body: Callable[[], object]) -> None:
        if self.pool is None:
            self.pool = ThreadPoolExecutor(max_workers=self.width or 1, thread_name_prefix="oai-case")
        future = self.pool.submit(_pooled, body)
        self.futures[item] = future
        self.in_flight.add(future)
        self.started += 1
        self.widest = max(self.widest, self.running())
        item.runtest = lambda: self.await_body(future)  # type: ignore[method-assign]

    def call_beside(self, item: pytest.Item) -> None:
        """Run the call phase of an item in its turn on the pool, once pytest has set it up."""
        call = item.runtest
        assert self.pool is not None

        def runtest() -> None:
            assert self.pool is not None
            future = self.pool.submit(_pooled, call)
            self.futures[item] = future
            self.in_flight.add(future)
            self.await_body(future)

        item.runtest = runtest  # type: ignore[method-assign]

    def await_body(self, future: Future[object]) -> None:
        """The call phase of an item: wait for its body, starting more bodies as others end."""
        while not future.done():
            wait([future, *self.in_flight], return_when=FIRST_COMPLETED)
            self.running()  # drops the bodies that ended, whether or not top_up starts more
            self.top_up()
        future.result()  # its exception (a failed assert, pytest.skip) is raised here, as in a serial run

    def close(self) -> None:
        """The session ends (or stops: no quota, Ctrl-C): bodies not started are dropped, started ones awaited, so
        that the session's tear-down (the ledger's clean-up) comes after every request."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        for item in self.futures:
            item.__dict__.pop("runtest", None)
        self.futures.clear()
        self.in_flight.clear()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.started:
            terminalreporter.write_line(
                f"oai-conformance: {self.started} cases ran ahead of their turn, up to {self.widest} at once"
            )
