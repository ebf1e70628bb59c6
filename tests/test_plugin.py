"""The pytest plugin through the real pytest machinery: `pytester` runs pytest in a subprocess in a fresh
directory, so the plugin loads from its entry point exactly as it does for a user who installed the package.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conformance.reference import RunningServer, ServerConfig, serve
from conformance.requirements import catalogue, requirement
from tests._runs import CliRun, after, as_a_user, cli_run, shared_run

pytest_plugins = ["pytester"]

KEY_ENV = "OAI_PLUGIN_TEST_KEY"
KEY = "sk-test-plugin-" + os.urandom(12).hex()


@pytest.fixture(autouse=True)
def user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner pytest sees a user's environment: the key under KEY_ENV, none of the outer run's settings."""
    as_a_user(monkeypatch, KEY_ENV, KEY)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY)) as running:
        yield running


def target_args(server: RunningServer) -> list[str]:
    return ["--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV]


def cases_args(server: RunningServer, report_dir: Path, *extra: str) -> list[str]:
    return ["--oai-cases", *target_args(server), "--oai-report-dir", str(report_dir), *extra]


def statuses(report_dir: Path) -> dict[str, str]:
    data = json.loads((report_dir / "results.json").read_text(encoding="utf-8"))
    return {r["id"]: r["status"] for r in data["requirements"]}


def output(result: pytest.RunResult) -> str:
    return result.stdout.str() + "\n" + result.stderr.str()


# --- a user's own tests -------------------------------------------------------------------------------------


@pytest.mark.engine_plugins
def test_user_test_with_the_fixtures(pytester: pytest.Pytester, server: RunningServer):
    pytester.makepyfile(test_mine=f"""
        def test_target(oai_target):
            assert oai_target.base_url == {server.base_url!r}
            assert oai_target.api_key_env == {KEY_ENV!r}
            assert oai_target.api_key() is not None

        def test_models_list(oai_client, oai_validate):
            exchange = oai_client.request("GET", "/models")
            assert exchange.response.status == 200
            assert oai_validate("models.list", exchange.response.json) == []

        def test_chat(oai_client, oai_target, oai_validate):
            body = {{"model": oai_target.model("chat"), "messages": [{{"role": "user", "content": "Hi"}}]}}
            exchange = oai_client.request("POST", "/chat/completions", json=body)
            assert exchange.response.status == 200
            assert oai_validate("chat.completion", exchange.response.json) == []
            assert oai_validate("chat.completion", {{"id": 1}}) != []
    """)
    result = pytester.runpytest_subprocess(*target_args(server))
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["plugins:*hypothesis-*schemathesis-*"])  # beside both (engine_plugins)


def test_plugin_is_inert_for_unrelated_tests(pytester: pytest.Pytester):
    pytester.makepyfile(test_plain="""
        def test_x():
            assert True
    """)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("plugins:*hypothesis-*")  # pytester's runs go without it (tests/conftest.py)
    result.stdout.fnmatch_lines(["plugins:*oai-conformance-*"])
    assert "= oai-conformance =" not in result.stdout.str()  # no summary section
    assert not (pytester.path / "reports").exists()
    assert not list(pytester.path.rglob("results.json"))
    assert not list(pytester.path.rglob("allure-results"))


def test_plugin_options_are_registered(pytester: pytest.Pytester):
    result = pytester.runpytest_subprocess("--help")
    assert result.ret == 0
    for flag in ("--oai-base-url", "--oai-api-key-env", "--oai-cases", "--oai-report-dir", "--oai-features"):
        result.stdout.fnmatch_lines([f"*{flag}*"])


# --- the bundled cases --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_bundled_cases_pass(default_run: CliRun):
    """The session's shared default run: `oai-conformance run` hands the bundled cases to pytest and this plugin."""
    assert default_run.returncode == 0, default_run.output
    outcomes = pytest.RunResult.parse_summary_nouns(default_run.stdout.splitlines())
    assert outcomes.get("passed", 0) > 10
    assert "failed" not in outcomes and "error" not in outcomes and "errors" not in outcomes
    data = default_run.results
    assert data["verdict"] == "conformant"
    found = statuses(default_run.out)
    # A rule judged only when its situation arises: no run provokes a 429 (tests/test_errors_precise.py and
    # tests/test_transient.py make the reference answer them).
    # Nor does a documented usage result carry times of its own (admin.usage.result-in-bucket).
    situational = {"errors.rate-limit.code", "admin.usage.result-in-bucket"}
    assert {rid: found[rid] for rid in situational} == dict.fromkeys(situational, "skip")
    # What changes an organization, and seed 000's graders the real API does not serve, are claimed only by name,
    # never by a default run.
    explicit = {rid for rid in found if rid.startswith(("admin.write.", "graders."))}
    assert explicit and {found[rid] for rid in explicit} == {"not-claimed"}
    assert {s for rid, s in found.items() if rid not in situational | explicit} == {"pass"}
    assert (default_run.out / "junit.xml").is_file()


def test_select_embeddings_cases(pytester: pytest.Pytester, server: RunningServer, tmp_path: Path):
    out = tmp_path / "reports"
    # One example per generated round: which cases run is the point, not how many requests they send.
    result = pytester.runpytest_subprocess(*cases_args(server, out, "-k", "embeddings", "-v", "--oai-examples", "1"))
    assert result.ret == 0, output(result)
    ran = [line for line in result.outlines if " PASSED" in line or " FAILED" in line or " SKIPPED" in line]
    assert ran, output(result)
    assert all("embeddings" in line for line in ran), ran
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    judged = {r["id"]: r["cases"] for r in data["requirements"] if r["status"] != "skip"}
    assert "embeddings.list.schema" in judged
    assert all("embeddings" in case for cases in judged.values() for case in cases), judged
    assert statuses(out)["chat.stream.done-last"] == "skip"  # not run: nothing judged it


def test_unclaimed_features_are_not_claimed(pytester: pytest.Pytester, server: RunningServer, tmp_path: Path):
    out = tmp_path / "reports"
    result = pytester.runpytest_subprocess(*cases_args(server, out, "--oai-features", "embeddings", "-rs"))
    assert result.ret == 0, output(result)
    outcomes = result.parseoutcomes()
    assert outcomes.get("skipped", 0) > 0 and outcomes.get("passed", 0) > 0
    assert "failed" not in outcomes
    result.stdout.fnmatch_lines(["*not claimed*chat*"])
    found = statuses(out)
    chat = {rid: status for rid, status in found.items() if requirement(rid).feature.split(".")[0] == "chat"}
    assert chat
    assert set(chat.values()) == {"not-claimed"}, chat
    assert {s for rid, s in found.items() if requirement(rid).feature == "embeddings"} == {"pass"}


def test_must_violation_fails_the_case_and_names_the_requirement(pytester: pytest.Pytester, tmp_path: Path):
    out = tmp_path / "reports"
    with serve(ServerConfig(api_key=KEY, faults=frozenset({"role-every-chunk"}))) as faulty:
        result = pytester.runpytest_subprocess(*cases_args(faulty, out, "-k", "test_stream"))
    assert result.ret == 1, output(result)
    assert result.parseoutcomes().get("failed", 0) >= 1
    result.stdout.fnmatch_lines(["*MUST violation*", "*chat.stream.role-once*"])
    assert statuses(out)["chat.stream.role-once"] == "fail"


# Server-made ids (`resp_...`) differ from server to server, and a case that polls a background response sends as
# many GETs as the response takes: neither is something the run decides.
SERVER_ID = re.compile(r"\b([a-z]+)[_-][A-Za-z0-9]{16,}\b")  # resp_..., chatcmpl-...
# A run's own tag on what it stores (cases/chat/test_chat_store.py): random per run, so that its lists hold its own.
RUN_TAG = re.compile(r"\boai-[0-9a-f]{12}\b")
# Names a case makes its own with a random suffix (a ChatKit session's user, the metadata a fine-tuning list
# filters on): "oai-conformance-23df1edf", "fine-tuning-list-8b7f9e5b".
RANDOM_SUFFIX = re.compile(r"\b([a-z]+(?:-[a-z]+)+)-[0-9a-f]{8}\b")
# A fine-tuned model's name ends with its job's id (ft:gpt-4o-mini:reference::00000419).
FINE_TUNED = re.compile(r"\bft:[^/:\"]+:[^/:\"]*:[^/:\"]*:[0-9A-Za-z]+")
# httpx draws a multipart body's boundary at random.
BOUNDARY = re.compile(r"\b[0-9a-f]{32}\b")


def sent(report_dir: Path) -> list[tuple[str, str, str]]:
    """What the run sent: method, path and body of each exchange (ports and timings differ from run to run),
    server-made ids blanked, a request repeated (a poll) counted once. Sorted: the generated phase sends an
    operation's requests concurrently (--concurrency), so the order they are answered in is the server's."""
    out: set[tuple[str, str, str]] = set()
    for line in (report_dir / "exchanges.jsonl").read_text(encoding="utf-8").splitlines():
        request = json.loads(line)["request"]
        if not urlsplit(request["url"]).path.startswith("/v1/"):
            continue  # a webhook delivery the run received (recorded beside what it sent), stamped when it came
        path, body = FINE_TUNED.sub("ft:ID", urlsplit(request["url"]).path), request.get("body") or ""
        body = BOUNDARY.sub("BOUNDARY", RUN_TAG.sub("oai-RUN", FINE_TUNED.sub("ft:ID", body)))
        body = RANDOM_SUFFIX.sub(r"\1-RANDOM", body)
        out.add((request["method"], SERVER_ID.sub(r"\1_ID", path), SERVER_ID.sub(r"\1_ID", body)))
    return sorted(out)


@shared_run(read=CliRun.read)
def parallel_run(cwd: Path) -> None:
    """`oai-conformance run -n 2`, started with the session's shared runs (-v against the run's -q: xdist then
    shows its workers), after the default run: its workers read the draws that run kept, under keys made of the
    seed, the budget and what shapes each draw, so a worker that drew otherwise would miss them and send other
    requests. (That a draw made in another process is the draw made here: tests/test_draw_cache.py.)"""
    after("default_run")
    cli_run(cwd, "-n", "2", "--", "-v")


@pytest.mark.slow
def test_parallel_run_matches_serial_run(default_run: CliRun, parallel_run: CliRun):
    """`-n 2` concludes what the session's shared serial run concludes, about every requirement, and sends the
    same requests: the generated phase's, drawn from one seed, included."""
    assert parallel_run.returncode == 0, parallel_run.output
    assert "2 workers" in parallel_run.stdout
    assert default_run.returncode == 0, default_run.output
    assert statuses(parallel_run.out) == statuses(default_run.out)
    assert set(statuses(default_run.out)) == set(catalogue())
    assert sent(parallel_run.out) == sent(default_run.out)
    assert len(sent(default_run.out)) > 100


@shared_run(read=CliRun.read)
def serial_run(cwd: Path) -> None:
    """`oai-conformance run --concurrency 1`: one request at a time, every case in its turn (after the default run,
    whose kept draws it reads)."""
    after("default_run")
    cli_run(cwd, "--concurrency", "1")


@pytest.mark.slow
def test_read_ahead_run_matches_serial_run(serial_run: CliRun, default_run: CliRun):
    """The default run, its cases read ahead (conformance/readahead.py, 4 in flight), concludes what a serial run
    concludes, about every requirement, sends the same requests, and leaves nothing behind."""
    assert serial_run.returncode == 0, serial_run.output
    assert default_run.returncode == 0, default_run.output
    assert "ran ahead of their turn" not in serial_run.stdout
    ahead = re.search(r"(\d+) cases ran ahead of their turn, up to (\d+) at once", default_run.stdout)
    assert ahead and int(ahead[1]) > 300 and 1 < int(ahead[2]) <= 4, default_run.stdout[-2000:]
    assert statuses(default_run.out) == statuses(serial_run.out)
    assert set(statuses(serial_run.out)) == set(catalogue())
    assert sent(default_run.out) == sent(serial_run.out)
    for run in (serial_run, default_run):
        resources = run.results["resources"]
        assert resources["created"] and resources["left"] == [], resources


# --- usage errors -------------------------------------------------------------------------------------------


def test_judging_an_undeclared_id_is_a_usage_error(pytester: pytest.Pytester, server: RunningServer):
    pytester.makepyfile(test_sloppy="""
        import pytest

        @pytest.mark.requirement("models.list.shape")
        def test_judges_more_than_it_declares(oai_client, oai_judge):
            exchange = oai_client.request("GET", "/models")
            oai_judge(exchange, "models.list.shape", "models.list.not-empty")
    """)
    result = pytester.runpytest_subprocess(*target_args(server), "--oai-report-dir", "out")
    # The case fails with pytest.UsageError naming the undeclared id (the session goes on: exit 1, not 4).
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*UsageError*test_judges_more_than_it_declares*judges*'models.list.not-empty'*"
                                 "without declaring*@requirement*"])


def test_unknown_requirement_id_is_a_usage_error(pytester: pytest.Pytester, server: RunningServer):
    pytester.makepyfile(test_typo="""
        import pytest

        @pytest.mark.requirement("no.such.id.here")
        def test_typo(oai_client):
            pass
    """)
    result = pytester.runpytest_subprocess(*target_args(server))
    assert result.ret == pytest.ExitCode.USAGE_ERROR, output(result)
    assert "no.such.id.here" in output(result)
    assert "Traceback" not in output(result)
    assert not (pytester.path / "reports").exists()



def test_the_bundled_cases_run_alone_ones_first_and_the_generated_phase_last(pytester: pytest.Pytester):
    """The order the plugin gives the bundled cases (plugin._turn): every `alone` case (hand-written or generated)
    before any other, every generated case after every hand-written one."""
    from conformance.cli import cases_args

    class Order:
        def __init__(self) -> None:
            self.kinds: list[str] = []

        def pytest_collection_finish(self, session: pytest.Session) -> None:
            self.kinds = ["alone" if item.get_closest_marker("alone") else
                          "generated" if item.get_closest_marker("generated") else "hand-written"
                          for item in session.items]  # fmt: skip

    order = Order()
    pytester.runpytest_inprocess(*cases_args(pytester.path / "out"), "--collect-only", "-q", plugins=[order])
    runs = [kind for i, kind in enumerate(order.kinds) if i == 0 or kind != order.kinds[i - 1]]
    assert runs == ["alone", "hand-written", "generated"], runs
    assert order.kinds.count("alone") >= 5
