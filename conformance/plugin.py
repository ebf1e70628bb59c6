"""The pytest plugin: options, fixtures and the hooks that turn judged cases into reports.

It stays thin: checks decide, the report writers write. Cases record observations through `oai_judge`; the
observations (and the exchanges they cite) travel on each test report's `user_properties`, so that under
pytest-xdist the controller receives every worker's observations and writes one set of reports.

Fixture names carry an `oai_` prefix (DESIGN.md says `target`, `client`): this plugin is loaded in other
repositories, where `client` is a fixture name that Flask, Django and httpx users already own.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

import pytest

if TYPE_CHECKING:
    from conformance.client import Client
    from conformance.generation import GenerationSettings
    from conformance.judgement import Observation
    from conformance.target import Target

OBSERVATIONS = "oai_observations"
EXCHANGES = "oai_exchanges"
USAGE = "oai_usage"
FATAL = "oai_fatal"
REFERENCE_KEY_ENV = "OAI_CONFORMANCE_REFERENCE_KEY"
REFERENCE_ADMIN_KEY_ENV = "OAI_CONFORMANCE_REFERENCE_ADMIN_KEY"


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.options import add_options

    group = parser.getgroup("oai", "oai-conformance: certify a server that speaks the OpenAI API")
    add_options(group.addoption, prefix="oai-")
    group.addoption(
        "--oai-cases",
        dest="oai_cases",
        action="store_true",
        default=False,
        help="also collect the bundled conformance cases",
    )
    group.addoption(
        "--oai-replay",
        dest="oai_replay",
        action="append",
        default=[],
        metavar="RECORDINGS",
        help="replay these recordings (our format or FauxpenAI's; repeatable): a test per recording that fails when "
        "the server answers differently by shape (docs/replay.md)",
    )
    group.addoption(
        "--oai-replay-sample",
        dest="oai_replay_sample",
        default=None,
        metavar="N",
        help="replay N of the recordings, drawn with seed 0 (default: every one)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(*ids): the requirement ids a conformance case decides (see `oai-conformance requirements`)",
    )
    config.addinivalue_line(
        "markers",
        "generated: a case of the generated phase (requests drawn from the schemas); `-m 'not generated'` skips it",
    )
    if config.getoption("oai_cases", False):
        from conformance._paths import CASES_DIR

        config.args.append(str(CASES_DIR))
    if config.getoption("oai_replay", None):
        _load_replay(config)
    config.addinivalue_line(
        "markers",
        "alone: a conformance case that runs with no other case in flight (it reads what other cases change)",
    )
    # One run per config, registered as a plugin: a nested or repeated session (pytester) keeps its own state.
    config.pluginmanager.register(_Run(config), "oai-conformance-run")
    if not hasattr(config, "workerinput"):  # an xdist worker runs the items it is sent, one by one
        from conformance.readahead import ReadAhead

        read_ahead = ReadAhead(lambda: concurrency(config), _read_ahead_body, _alone, _bundled)
        config.pluginmanager.register(read_ahead, "oai-conformance-read-ahead")
    if path := config.getoption("oai_expectations", None):
        from conformance.exceptions import ConfigError
        from conformance.expectations import load

        try:
            config.stash[_EXPECTATIONS] = load(Path(path))
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None


# The run's state -------------------------------------------------------------------------------------------------


class _Run:
    """What the controller gathers from every test report (observations, their exchanges, token usage), and the
    reports it writes at the end of the session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.time()
        self.reports: list[tuple[str, dict[str, Any]]] = []  # (test id, its user properties), as they arrive
        self.observations: list[Observation] = []
        self.exchanges: list[dict[str, Any]] = []
        self.usage: dict[str, Any] = {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
                                      "endpoints": {}}  # fmt: skip
        self.target_summary: dict[str, Any] | None = None
        self.resources: list[dict[str, Any]] = []  # the ledger summary of each process that ran cases
        self.results: dict[str, Any] | None = None
        self.nothing_judged = ""  # why a session that ran cases judged nothing (then no report is written)
        self.fatal = ""  # why the run stopped before it could judge (no quota): no report either
        self.session: Any = None
        self.written: dict[str, str] = {}

    def absorb(self, properties: dict[str, Any]) -> None:
        from conformance.judgement import Observation

        # Exchange indices are per client (per xdist worker): renumber them into this run's log.
        renumber: dict[int, int] = {}
        for local, record in properties.get(EXCHANGES, {}).items():
            renumber[int(local)] = len(self.exchanges)
            self.exchanges.append({**record, "index": len(self.exchanges)})
        for data in properties.get(OBSERVATIONS, []):
            obs = Observation.from_json(data)
            failures = tuple(
                replace(f, exchange=renumber.get(f.exchange) if f.exchange is not None else None) for f in obs.failures
            )
            exchanges = tuple(renumber[i] for i in obs.exchanges if i in renumber)
            self.observations.append(replace(obs, failures=failures, exchanges=exchanges))
        _add_counts(self.usage, properties.get(USAGE, {}))
        self.target_summary = self.target_summary or properties.get("oai_target")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.started = time.time()
        self.session = session

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if FATAL in properties:  # from this process, or from an xdist worker: the whole run stops
            self.fatal = str(properties[FATAL])
            self.session.shouldstop = self.fatal
        if OBSERVATIONS in properties:
            self.reports.append((report.nodeid, properties))

    @pytest.hookimpl(optionalhook=True)  # an xdist hook: xdist may not be installed
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        # xdist: each worker's ledger summary arrives with the worker's goodbye.
        resources = getattr(node, "workeroutput", {}).get("oai_resources")
        if resources is not None:
            self.resources.append(resources)

    @pytest.hookimpl(trylast=True)  # after pytest's own teardown of the session fixtures (the ledger's clean-up)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if (generation := sys.modules.get("conformance.generation")) is not None:
            generation.stop_drawing_apart()  # the drawing processes, if a draw started them
        if hasattr(self.config, "workerinput") or not self.reports or self.fatal:
            return  # an xdist worker (the controller writes), a session that judged nothing, or one that stopped
        # xdist workers report in whatever order they finish: absorbing in test-id order makes the exchange log
        # and every exchange number the same as in a serial run.
        for _, properties in sorted(self.reports, key=lambda report: report[0]):
            self.absorb(properties)
        from conformance.judgement import fold, nothing_judged
        from conformance.reports import build_results, write_reports
        from conformance.requirements import catalogue, feature_claimed, features

        # A run that judged nothing is not a pass: no certificate says "conformant" over zero judgements.
        self.nothing_judged = nothing_judged(self.observations)
        if self.nothing_judged:
            return

        summary = self.target_summary or {}
        claims = summary.get("features")
        claimed = frozenset(claims) if claims is not None else None
        by_id: dict[str, list[Observation]] = {}
        for obs in self.observations:
            by_id.setdefault(obs.requirement, []).append(obs)
        results = build_results(
            outcomes=[fold(rid, by_id.get(rid, [])) for rid in catalogue()],
            requirements=catalogue(),
            features=features(),
            claimed=lambda feature: feature_claimed(feature, claimed),
            target=summary,
            usage=self.usage,
            exchanges=self.exchanges,
            started=self.started,
            finished=time.time(),
            tool_version=_version(),
        )
        from conformance.ledger import merge

        results["resources"] = merge(self.resources)
        if expectations := self.config.stash.get(_EXPECTATIONS, None):
            from conformance.expectations import apply

            results = apply(results, expectations, self.config.getoption("oai_strict_expectations", False))
        self.results = results
        # Reports only when asked (a report dir, or the bundled cases): a repository whose own tests use the
        # fixtures does not get a reports/ folder it did not ask for.
        if self.config.getoption("oai_report_dir") or self.config.getoption("oai_cases"):
            report_dir = Path(self.config.getoption("oai_report_dir") or "reports")
            self.written = {
                name: str(path) for name, path in write_reports(self.results, report_dir, self.exchanges).items()
            }

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.nothing_judged:
            terminalreporter.section("oai-conformance")
            terminalreporter.write_line(f"nothing judged, no report written: {self.nothing_judged}")
        if self.results is None:
            return
        s = self.results["summary"]
        if not self.written:
            terminalreporter.write_line(
                f"oai-conformance: {s['requirements'] - s['not-claimed'] - s['skip']} requirements judged; "
                "--oai-report-dir DIR writes the results and the certificate"
            )
            return
        terminalreporter.section("oai-conformance")
        terminalreporter.write_line(
            f"{self.results['verdict']}: {s['must_passed']}/{s['must']} MUST passed, {s['fail']} failed, "
            f"{s['warn']} warnings, {s['skip']} skipped, {s['not-claimed']} not claimed; "
            f"{self.results['usage']['total_tokens']} tokens"
        )
        if marks := self.results.get("expectations"):
            terminalreporter.write_line(
                f"expectations {marks['file']}: {len(marks['expected_failures'])} expected failures, "
                f"{len(marks['unexpected_failures'])} unexpected failures, "
                f"{len(marks['unexpected_passes'])} unexpected passes"
            )
        if "markdown" in self.written:
            terminalreporter.write_line(f"certificate: {self.written['markdown']}")


REPLAY = pytest.StashKey[tuple[list[Any], int | None]]()  # the recordings of --oai-replay, and --oai-replay-sample


def _load_replay(config: pytest.Config) -> None:
    """Read the recordings before collection, so that a broken file is one line; then collect their cases."""
    from conformance._paths import CASES_DIR
    from conformance.exceptions import ConfigError
    from conformance.replay.importers import load_recordings

    sample = config.getoption("oai_replay_sample", None)
    if sample is not None and not (str(sample).isdigit() and int(sample) > 0):
        raise pytest.UsageError(f"oai-conformance: --oai-replay-sample: {sample!r} is not a positive number")
    try:
        recordings = load_recordings([Path(p) for p in config.getoption("oai_replay")])
    except ConfigError as exc:
        raise pytest.UsageError(f"oai-conformance: {exc}") from None
    config.stash[REPLAY] = (recordings, int(sample) if sample else None)
    # Named outside pytest's test_*.py pattern: collected only when asked for, never by a walk of the cases.
    config.args.append(str(CASES_DIR / "replay" / "replay_recordings.py"))


# Fixtures ----------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def oai_target(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The target under test; with no base URL, the bundled reference server, started for the session."""
    from conformance.exceptions import ConfigError

    # A wrong setting stops the whole session before any request: every case would fail for the same reason,
    # and a certificate would blame the server for it.
    try:
        target = session_target(request.config)
    except ConfigError as exc:
        pytest.exit(f"oai-conformance: {exc}", returncode=pytest.ExitCode.USAGE_ERROR)
    if problem := target.missing_key():
        problem = problem.replace("--api-key-env", "--oai-api-key-env").replace("--no-api-key", "--oai-no-api-key")
        pytest.exit(f"oai-conformance: {problem}", returncode=pytest.ExitCode.USAGE_ERROR)
    if target.base_url is not None:
        yield target
        return
    from conformance.reference import CHATKIT_WORKFLOW, ServerConfig, serve_apart

    # The reference server gets a fresh key of its own: a real OPENAI_API_KEY is never sent to it.
    key = os.environ.get(REFERENCE_KEY_ENV) or "sk-reference-" + os.urandom(12).hex()
    os.environ[REFERENCE_KEY_ENV] = key
    admin_key = os.environ.get(REFERENCE_ADMIN_KEY_ENV) or "sk-admin-reference-" + os.urandom(12).hex()
    os.environ[REFERENCE_ADMIN_KEY_ENV] = admin_key
    with serve_apart(ServerConfig(api_key=key, admin_key=admin_key, **_reference_webhooks(request.config))) as server:
        workflow = target.chatkit_workflow or CHATKIT_WORKFLOW  # the one workflow the reference serves
        yield replace(target.with_base_url(server.base_url, "reference"), api_key_env=REFERENCE_KEY_ENV,
                      admin_key_env=REFERENCE_ADMIN_KEY_ENV, chatkit_workflow=workflow)  # fmt: skip


_TARGET_LOADED = pytest.StashKey[Any]()
REFERENCE_WEBHOOK_SECRET_ENV = "OAI_CONFORMANCE_REFERENCE_WEBHOOK_SECRET"


def _reference_webhooks(config: pytest.Config) -> dict[str, Any]:
    """transports: the bundled reference server delivers its webhooks to the suite's receiver (a free local port,
    a fresh secret), unless the user named a receiver of their own."""
    if config.getoption("oai_webhook_listen", None):
        return {}
    import base64
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    os.environ[REFERENCE_WEBHOOK_SECRET_ENV] = secret
    config.option.oai_webhook_listen = f"127.0.0.1:{port}"
    config.option.oai_webhook_secret_env = REFERENCE_WEBHOOK_SECRET_ENV
    return {"webhook_url": f"http://127.0.0.1:{port}/webhooks", "webhook_secrets": (secret,)}


def session_target(config: pytest.Config) -> Target:
    """The target of the options, the environment and the TOML file, read once per session (a ConfigError is
    kept and raised again to every caller)."""
    from conformance.exceptions import ConfigError
    from conformance.options import cli_values
    from conformance.target import load_target

    if _TARGET_LOADED not in config.stash:
        value = config.getoption("oai_config", None)
        try:
            config.stash[_TARGET_LOADED] = load_target(
                cli_values(config.getoption, prefix="oai-"),
                os.environ,
                Path(value) if value else None,
                Path.cwd(),
                cli_prefix="oai-",
            )
        except ConfigError as exc:
            config.stash[_TARGET_LOADED] = exc
    loaded = config.stash[_TARGET_LOADED]
    if isinstance(loaded, ConfigError):
        raise loaded
    return loaded


@pytest.fixture(scope="session")
def oai_client(request: pytest.FixtureRequest, oai_target: Target) -> Iterator[Client]:
    """An httpx-based client for the target: retries, timeouts, redacted exchanges, token usage."""
    from conformance.client import Client

    in_flight = concurrency(request.config)
    with Client(oai_target, in_flight=in_flight) as client, _terminate_as_interrupt():  # type: ignore[arg-type]
        try:
            yield client
        finally:
            # Also after a failed or interrupted run: pytest tears the session's fixtures down on Ctrl-C too.
            summary = client.ledger.clean_up(lambda method, path: client.request(method, path), in_flight)
            run = request.config.pluginmanager.get_plugin("oai-conformance-run")
            if isinstance(run, _Run):
                run.resources.append(summary)
            if hasattr(request.config, "workeroutput"):
                request.config.workeroutput["oai_resources"] = summary


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """While a client is open, SIGTERM stops the run as Ctrl-C does: the session's teardown (and the ledger's
    clean-up) still runs. Only where nobody else handles SIGTERM, and only from the main thread."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGTERM) is not (
        signal.SIG_DFL
    ):
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.fixture
def oai_judge(
    request: pytest.FixtureRequest, oai_target: Target, oai_client: Client
) -> Callable[..., list[Observation]]:
    """`oai_judge(subject, *ids, expect=None)` runs the checks of `ids` on `subject` and records what they find.

    Only ids declared with `@requirement(...)` on the case may be judged. A MUST violation fails the case when it
    ends (all judgements of the case are recorded first); a SHOULD violation is a warning.
    """
    return _judge_for(request.node, oai_target, oai_client)


def _judge_for(node: pytest.Item, target: Target, client: Client) -> Callable[..., list[Observation]]:
    """The `oai_judge` of one case: its judgements go to the case's item (also when its body ran ahead)."""
    from conformance.checks.rule import Context
    from conformance.judgement import judge

    declared = _declared_ids(node)
    recorded: list[Observation] = node.stash.setdefault(_OBSERVED, [])
    # Kept on the item: at the session's last teardown the session fixtures are already gone.
    node.stash[_CLIENT] = client
    node.stash[_TARGET] = target

    def run(subject: Any, *ids: str, expect: dict[str, Any] | None = None) -> list[Observation]:
        if undeclared := [i for i in ids if i not in declared]:
            raise pytest.UsageError(f"{node.nodeid}: judges {undeclared} without declaring them in @requirement")
        ctx = Context(mode=target.mode, live=True, now=time.time(), expect=expect or {})
        observations = judge(subject, ids, ctx, case=node.nodeid, claims=target.features)
        recorded.extend(observations)
        return observations

    return run


def concurrency(config: pytest.Config) -> int:
    """`--oai-concurrency`: how many requests are in flight at once (a wrong value counts as 1 here: the generated
    phase's fixture stops the session with its message)."""
    from conformance.exceptions import ConfigError
    from conformance.generation import generation_settings

    try:
        return generation_settings(concurrency=config.getoption("oai_concurrency", None)).concurrency
    except ConfigError:
        return 1


# A case that carries one of these marks runs in its turn: pytest decides at set-up whether it runs at all.
_IN_TURN_MARKS = ("alone", "skip", "skipif", "xfail", "usefixtures")
# What a bundled case may ask for besides its parameters and the session's fixtures.
_AHEAD_FIXTURES = frozenset({"oai_judge", "request"})


def _alone(item: pytest.Item) -> bool:
    return item.get_closest_marker("alone") is not None


def _bundled(item: pytest.Item) -> TypeGuard[pytest.Function]:
    """A plain function of cases/: a bundled case, whose call may run off the main thread once it is set up."""
    import inspect

    from conformance._paths import CASES_DIR

    return isinstance(item, pytest.Function) and CASES_DIR in item.path.parents and not inspect.iscoroutinefunction(
        item.obj
    )


def _read_ahead_body(item: pytest.Item) -> Callable[[], object] | None:
    """The body of a bundled case with its arguments bound, when it may run before its turn (readahead.py): a
    plain function of cases/, claimed, without marks that decide at set-up, that asks only for its parameters,
    `oai_judge` and session fixtures already set up. None otherwise: the case then runs in its turn."""
    import functools

    if not _bundled(item) or any(item.get_closest_marker(mark) for mark in _IN_TURN_MARKS):
        return None
    if _UNCLAIMED not in item.stash:  # asked at every top-up while the item waits for its turn
        item.stash[_UNCLAIMED] = _unclaimed(item) is not None
    if item.stash[_UNCLAIMED]:
        return None  # set-up skips it: nothing is sent
    callspec = getattr(item, "callspec", None)
    params: dict[str, Any] = dict(callspec.params) if callspec is not None else {}
    session: dict[str, Any] = {}
    for name in item.fixturenames:
        if name in params or name in _AHEAD_FIXTURES:
            continue
        definitions = item._fixtureinfo.name2fixturedefs.get(name)
        cached = definitions[-1].cached_result if definitions else None
        if not definitions or definitions[-1].scope != "session" or cached is None or cached[2] is not None:
            return None  # a fixture set up per module or per case, or not yet: pytest's set-up is needed
        session[name] = cached[0]
    values = {**params, **session}
    if "oai_judge" in item.fixturenames:
        if "oai_target" not in session or "oai_client" not in session:
            return None
        values["oai_judge"] = _judge_for(item, session["oai_target"], session["oai_client"])
    wanted = item._fixtureinfo.argnames
    if "request" in wanted:
        return None
    return functools.partial(item.obj, **{name: values[name] for name in wanted})


@pytest.fixture(scope="session")
def oai_validate() -> Callable[[str, Any], list[str]]:
    """`oai_validate(schema_name, body)` gives the schema errors of a body (empty when valid)."""
    from conformance import schemas

    return lambda name, instance: [str(e) for e in schemas.validate(name, instance)]


@pytest.fixture(scope="session")
def oai_generation(request: pytest.FixtureRequest) -> GenerationSettings:
    """The generated phase's budget, seed, concurrency and response-time limit (`--oai-examples`, ...)."""
    from conformance.exceptions import ConfigError

    try:
        return session_generation(request.config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def session_generation(config: pytest.Config) -> GenerationSettings:
    """The generated phase's settings of the options (a wrong one is a ConfigError)."""
    from conformance.generation import generation_settings

    names = ("examples", "seed", "response_time_limit", "concurrency", "upstream", "draws")
    return generation_settings(**{name: config.getoption(f"oai_{name}", None) for name in names}, prefix="--oai-")


_OBSERVED = pytest.StashKey[list]()
_UNCLAIMED = pytest.StashKey[bool]()
_FATAL = pytest.StashKey[str]()
_EXPECTATIONS = pytest.StashKey[Any]()
_CLIENT = pytest.StashKey["Client"]()
_TARGET = pytest.StashKey["Target"]()


def _declared_ids(item: pytest.Item) -> tuple[str, ...]:
    return tuple(i for mark in item.iter_markers("requirement") for i in mark.args)


# Hooks -------------------------------------------------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With `--oai-cases`, collect the bundled cases even where pytest skips their folder: an installed package
    lies in a virtual environment (`./.venv`), which pytest ignores when it walks the user's folder, and it
    drops the cases' own path as a duplicate of that walk. Only the way down to the cases is opened; the rest
    of the environment stays ignored."""
    gate = _cases_gate(config)
    if gate is None:
        return None
    from conformance._paths import CASES_DIR

    if collection_path == CASES_DIR or CASES_DIR in collection_path.parents or collection_path in CASES_DIR.parents:
        return False
    return True if gate in collection_path.parents else None


_GATE = pytest.StashKey["Path | None"]()


def _cases_gate(config: pytest.Config) -> Path | None:
    """The highest folder above the bundled cases that pytest ignores when it walks (a virtual environment, or
    a name in `norecursedirs` such as `.venv`), or None when nothing hides them or `--oai-cases` is off."""
    if _GATE not in config.stash:
        config.stash[_GATE] = None
        if config.getoption("oai_cases", False):
            from fnmatch import fnmatch

            from conformance._paths import CASES_DIR

            patterns = config.getini("norecursedirs")
            for folder in reversed(CASES_DIR.parents):
                if (folder / "pyvenv.cfg").is_file() or any(fnmatch(folder.name, p) for p in patterns):
                    config.stash[_GATE] = folder
                    break
    return config.stash[_GATE]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    declaring = [item for item in items if _declared_ids(item)]
    if not declaring:
        return
    items[:] = sorted(items, key=_turn)
    from conformance.exceptions import ConfigError
    from conformance.requirements import requirement

    for item in declaring:
        for rid in _declared_ids(item):
            try:
                requirement(rid)
            except ConfigError as exc:
                raise pytest.UsageError(f"{item.nodeid}: {exc}") from None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the draws of the generated phase: a case module's `oai_draw_ahead(items, target, generation)` is given
    its items in their order. Not in an xdist worker, which runs only the items it is sent."""
    if hasattr(session.config, "workerinput") or session.config.option.collectonly:
        return
    by_module: dict[Any, list[pytest.Item]] = {}
    for item in session.items:
        module = getattr(item, "module", None)
        if _bundled(item) and hasattr(module, "oai_draw_ahead"):
            by_module.setdefault(module, []).append(item)
    if not by_module:
        return
    from conformance import schemas
    from conformance.exceptions import ConfigError

    try:
        target = session_target(session.config)
        generation = session_generation(session.config)
    except ConfigError:
        return  # the session's fixtures stop it with the message
    for module, items in by_module.items():
        module.oai_draw_ahead(items, target, generation)
    # While the drawing processes start: the schema files checked and marked so (schemas._documents), so that the
    # reference server the session starts next finds the mark instead of checking them again (~0.6 CPU-s).
    with contextlib.suppress(ConfigError):  # a broken file: the session's fixtures stop it with the message
        schemas.names()


def _turn(item: pytest.Item) -> int:
    """When a conformance case runs (items sort stably by it): first the cases that run `alone`, with nothing else
    in flight, while there is nothing else yet; then the hand-written cases, whose waits for jobs (polls, webhook
    deliveries) overlap the bodies read ahead of them; last the generated phase, which only sends and judges.
    Mixed in the middle, an `alone` case stops every case behind it until the ones in flight end."""
    if _alone(item):
        return 0
    return 2 if item.get_closest_marker("generated") is not None else 1


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip, before any request, a case none of whose requirements belong to a claimed feature.

    The errors rules judge the answers of other features' endpoints: a case that declares them beside another
    feature's rules sends to that feature, so it runs only when that feature is claimed (an unclaimed feature
    gets no request at all)."""
    unclaimed = _unclaimed(item)
    if unclaimed is None:
        return
    from conformance.judgement import not_claimed

    reason, keyless = unclaimed
    item.stash[_OBSERVED] = [not_claimed(i, item.nodeid, keyless) for i in _declared_ids(item)]
    pytest.skip(reason)


def _unclaimed(item: pytest.Item) -> tuple[str, str | None] | None:
    """Why set-up skips a case (none of its features is claimed), and the admin key it lacks if that is why."""
    declared = _declared_ids(item)
    if not declared:
        return None
    from conformance.exceptions import ConfigError
    from conformance.requirements import requirement

    try:
        target = session_target(item.config)
    except ConfigError:
        return None  # the oai_target fixture reports configuration errors with their message
    features = sorted({requirement(i).feature for i in declared})
    own = [f for f in features if f != "errors"] or features
    if any(target.claims(f) for f in own):
        return None
    # An administration feature the user claims but holds no admin key for: the reason names the variable.
    keyless = next((r for f in own if (r := target.admin_unreachable(f))), None)
    return keyless or f"not claimed: {', '.join(features)}", keyless


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        _note_unjudged(item, call)
        if _FATAL in item.stash:
            report.user_properties.append((FATAL, item.stash[_FATAL]))
    if report.when != "teardown" and not (report.when == "setup" and report.skipped):
        if report.when == "call":
            _fail_on_violations(item, report)
        return report
    observations = item.stash.get(_OBSERVED, [])
    if not observations and not _declared_ids(item):
        return report
    client = item.stash.get(_CLIENT, None)
    exchanges = _cited_exchanges(observations, client)
    report.user_properties.append((OBSERVATIONS, [o.to_json() for o in observations]))
    report.user_properties.append((EXCHANGES, {str(i): record for i, record in exchanges.items()}))
    if client is not None:
        report.user_properties.append((USAGE, _usage_delta(item, client)))
        report.user_properties.append(("oai_target", item.stash[_TARGET].summary()))
    _attach_to_allure(item, exchanges)
    return report


def _note_unjudged(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """The declared requirements a case did not judge because it stopped: SKIP with the reason it gave when it
    skipped (a precondition the server did not meet), ERROR when it raised (a crash is never a quiet skip)."""
    if call.excinfo is None or not _declared_ids(item):
        return
    from conformance.exceptions import one_line
    from conformance.judgement import Observation, Status
    from conformance.retry import QuotaExhausted, StillTransient

    recorded: list[Observation] = item.stash.setdefault(_OBSERVED, [])
    judged = {o.requirement for o in recorded}
    if call.excinfo.errisinstance(pytest.skip.Exception):
        status, reason = Status.SKIP, str(getattr(call.excinfo.value, "msg", "")) or "the case skipped"
    elif call.excinfo.errisinstance(StillTransient):
        status, reason = Status.ERROR, str(call.excinfo.value)
    elif call.excinfo.errisinstance(QuotaExhausted):
        # No request will be answered: the run stops (see _Run.pytest_runtest_logreport), and no certificate
        # blames the server for it.
        item.stash[_FATAL] = str(call.excinfo.value)
        return
    else:
        where = "could not start" if call.when == "setup" else "crashed"
        status, reason = Status.ERROR, f"the case {where}: {one_line(call.excinfo.value, kind=True)}"
    recorded += [
        Observation(rid, status, reason=reason, case=item.nodeid) for rid in _declared_ids(item) if rid not in judged
    ]


def _fail_on_violations(item: pytest.Item, report: pytest.TestReport) -> None:
    if not item.stash.get(_OBSERVED, []):
        return  # not a conformance case (the plugin stays cheap for a repository's own tests)
    from conformance.judgement import Status

    failed = [f for o in item.stash.get(_OBSERVED, []) if o.status is Status.FAIL for f in o.failures]
    expectations = item.config.stash.get(_EXPECTATIONS, None)
    if failed and report.passed and expectations and all(f.requirement in expectations.entries for f in failed):
        report.outcome = "skipped"  # pytest's xfail: a known deviation, listed in the expectations file
        report.wasxfail = "; ".join(dict.fromkeys(expectations.entries[f.requirement].reason for f in failed))
        return
    if failed and report.passed:
        report.outcome = "failed"
        from conformance.exchange import printable

        # The messages quote the server: escape what a terminal would act on (ANSI sequences, controls).
        shown = "\n".join(
            f"- {f.requirement}{' at ' + printable(f.at) if f.at else ''}:\n    "
            + printable(f.message).replace("\n", "\n    ")
            for f in failed[:10]
        )
        more = f"\n... and {len(failed) - 10} more" if len(failed) > 10 else ""
        report.longrepr = (
            f"{len(failed)} MUST violation(s):\n{shown}{more}\n(evidence: see the certificate in the report dir)"
        )


def _cited_exchanges(observations: list[Observation], client: Client | None) -> dict[int, dict[str, Any]]:
    if client is None:
        return {}
    cited = {i for o in observations for i in o.exchanges} | {
        f.exchange for o in observations for f in o.failures if f.exchange is not None
    }
    return {i: client.exchanges[i].to_json() for i in sorted(cited) if 0 <= i < len(client.exchanges)}


_USAGE_SEEN = pytest.StashKey[dict]()


def _usage_delta(item: pytest.Item, client: Client) -> dict[str, Any]:
    """What the client spent since the last test: the totals and each endpoint's counts."""
    now = client.usage_changed()  # the endpoints counted since the last test; the others spent nothing since
    seen = item.config.stash.get(_USAGE_SEEN, {})
    item.config.stash[_USAGE_SEEN] = {**now, "endpoints": {**seen.get("endpoints", {}), **now["endpoints"]}}

    def minus(mine: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
        return {k: minus(v, before.get(k, {})) if isinstance(v, dict) else v - before.get(k, 0)
                for k, v in mine.items()}  # fmt: skip

    delta = minus(now, seen)
    # Only what this test spent: each report carries it (to the xdist controller too), and a run has ~200 endpoints.
    delta["endpoints"] = {e: counts for e, counts in delta.get("endpoints", {}).items() if any(counts.values())}
    delta["units"] = {unit: amount for unit, amount in delta.get("units", {}).items() if amount}
    return delta


def _add_counts(total: dict[str, Any], more: dict[str, Any]) -> None:
    """Sum `more` into `total`, nested counts (each endpoint's) included."""
    for key, value in more.items():
        if isinstance(value, dict):
            _add_counts(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def _attach_to_allure(item: pytest.Item, exchanges: dict[int, dict[str, Any]]) -> None:
    if not exchanges or not item.config.pluginmanager.hasplugin("allure_pytest"):
        return
    import allure

    for index, record in exchanges.items():
        allure.attach(
            json.dumps(record, indent=2),
            name=f"exchange {index}: {record['request']['method']} {record['request']['url']}",
            attachment_type=allure.attachment_type.JSON,
        )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("oai-conformance")
    except PackageNotFoundError:
        return "0+unknown"
