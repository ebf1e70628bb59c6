"""Expectations files: validation (one line, exit 2), what a run makes of them, and `expectations update`.

End to end, the reference server with the `no-done` fault breaks `chat.stream.done-last`: listed, it is an
expected failure (exit 0, a known deviation in the certificate); unlisted, a failure (exit 1); and a listed
requirement that passes is an unexpected pass, which `--strict-expectations` turns into exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.exceptions import ConfigError
from conformance.expectations import apply, differences, load, update
from conformance.reference import RunningServer, ServerConfig, serve
from tests._runs import CliRun, clean_env, cli_run, serving, shared_run

REPO = Path(__file__).resolve().parents[1]
KEY_ENV = "OAI_EXPECTATIONS_TEST_KEY"

DONE_LAST = """
["chat.stream.done-last"]
expected = "FAIL"
reason = "the stream ends without data: [DONE]; the API always sends it last"
evidence = "200 data: {...} (no [DONE])"
"""
PASSING = """
["chat.stream.content-type"]
expected = "FAIL"
reason = "listed by mistake: the server sends text/event-stream"
evidence = "200 text/event-stream"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "expectations.toml"
    path.write_text('target = "reference"\n' + text, encoding="utf-8")
    return path


# Loading ----------------------------------------------------------------------------------------------------

BAD = {
    "unknown id": ('["chat.nope.never"]\nexpected = "FAIL"\nreason = "r"\nevidence = "e"\n', "unknown requirement id"),
    "FAIL for a SHOULD": (
        '["chat.completion.null-keys"]\nexpected = "FAIL"\nreason = "r"\nevidence = "e"\n',
        "expected must be 'WARN'",
    ),
    "no evidence": ('["chat.stream.done-last"]\nexpected = "FAIL"\nreason = "r"\n', "needs a non-empty evidence"),
    "two-line reason": (
        '["chat.stream.done-last"]\nexpected = "FAIL"\nreason = """a\nb"""\nevidence = "e"\n',
        "reason must be one line",
    ),
    "unknown key": (
        '["chat.stream.done-last"]\nexpected = "FAIL"\nreason = "r"\nevidence = "e"\nbug = 3\n',
        "unknown key 'bug'",
    ),
    "not TOML": ('["chat.stream.done-last"\n', "not a TOML expectations file"),
}


@pytest.mark.parametrize(("text", "message"), BAD.values(), ids=BAD.keys())
def test_a_bad_file_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as error:
        load(write(tmp_path, text))
    assert str(error.value).startswith(str(tmp_path / "expectations.toml"))
    assert "\n" not in str(error.value)


def test_the_cli_stops_on_an_unknown_id_before_any_request(tmp_path: Path) -> None:
    path = write(tmp_path, BAD["unknown id"][0])
    proc = cli(tmp_path, "run", "--base-url", "http://127.0.0.1:9/v1", "--expectations", str(path))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"oai-conformance: error: {path}: unknown requirement id 'chat.nope.never' (see `oai-conformance requirements`)"
    ]


# Applying ---------------------------------------------------------------------------------------------------


def results_with(*entries: tuple[str, str, str]) -> dict:
    """A results document holding only (id, level, status) entries."""
    requirements = [{"id": rid, "level": level, "status": status} for rid, level, status in entries]
    return {"target": {"mode": "compatible"}, "exit_code": 1, "requirements": requirements}


def test_apply_sorts_every_requirement(tmp_path: Path) -> None:
    expectations = load(write(tmp_path, DONE_LAST + PASSING))
    results = results_with(
        ("chat.stream.done-last", "MUST", "fail"),
        ("chat.stream.content-type", "MUST", "pass"),
        ("chat.stream.framing", "MUST", "fail"),
        ("chat.completion.null-keys", "SHOULD", "warn"),
    )
    marked = apply(results, expectations)
    assert marked["expectations"]["expected_failures"] == ["chat.stream.done-last"]
    assert marked["expectations"]["unexpected_passes"] == ["chat.stream.content-type"]
    assert marked["expectations"]["unexpected_failures"] == ["chat.stream.framing"]
    assert marked["expectations"]["unexpected_warnings"] == ["chat.completion.null-keys"]
    assert marked["exit_code"] == 1  # the unlisted MUST failure
    assert [line[:1] for line in differences(marked)] == ["+", "+", "-"]


def test_listed_failures_alone_do_not_fail_the_run_unless_strict_finds_more(tmp_path: Path) -> None:
    results = results_with(("chat.stream.done-last", "MUST", "fail"))
    assert apply(results, load(write(tmp_path, DONE_LAST)))["exit_code"] == 0
    assert apply(results, load(write(tmp_path, DONE_LAST + PASSING)), strict=True)["exit_code"] == 0  # not observed
    results["requirements"].append({"id": "chat.stream.content-type", "level": "MUST", "status": "pass"})
    assert apply(results, load(write(tmp_path, DONE_LAST + PASSING)))["exit_code"] == 0
    assert apply(results, load(write(tmp_path, DONE_LAST + PASSING)), strict=True)["exit_code"] == 1


def test_an_intermittent_deviation_may_pass(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        DONE_LAST + PASSING.replace('evidence = "200 text/event-stream"', 'evidence = "e"\nintermittent = true'),
    )
    results = results_with(("chat.stream.done-last", "MUST", "fail"), ("chat.stream.content-type", "MUST", "pass"))
    marked = apply(results, load(path), strict=True)
    assert marked["exit_code"] == 0
    assert marked["expectations"]["not_observed"] == ["chat.stream.content-type"]
    assert differences(marked) == []


# End to end through the CLI -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def no_done() -> Iterator[RunningServer]:
    key = "sk-expectations-" + os.urandom(8).hex()
    os.environ[KEY_ENV] = key
    with serve(ServerConfig(api_key=key, faults=frozenset({"no-done"}))) as server:
        yield server


def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_"))}
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def run_streams(tmp_path: Path, server: RunningServer, *extra: str) -> subprocess.CompletedProcess[str]:
    return cli(
        tmp_path,
        "run",
        *("--base-url", server.base_url, "--api-key-env", KEY_ENV, "--report-dir", "out"),
        *("--features", "chat.stream", "--select", "test_stream"),
        *extra,
    )


@shared_run(read=CliRun.read)
def listed_run(cwd: Path) -> None:
    """The stream cases against a `no-done` server, with a file that lists the failing `chat.stream.done-last` and,
    by mistake, the passing `chat.stream.content-type` (not strict): made once per session, started early."""
    path = write(cwd, DONE_LAST + PASSING)
    key = "sk-expectations-" + os.urandom(8).hex()
    with serving("no-done", key_env=KEY_ENV, key=key) as base_url:
        cli_run(cwd, "--base-url", base_url, "--api-key-env", KEY_ENV, "--features", "chat.stream",
                "--select", "test_stream", "--expectations", str(path), env=clean_env(**{KEY_ENV: key}))


@pytest.mark.slow
def test_a_listed_failure_is_expected_and_shown_with_its_reason(no_done_run: CliRun, listed_run: CliRun) -> None:
    assert no_done_run.returncode == 1, no_done_run.output  # the same run without the file (tests/conftest.py)
    assert listed_run.returncode == 0, listed_run.output
    certificate = (listed_run.out / "certificate.md").read_text(encoding="utf-8")
    assert "**Known deviation** (expectations file): the stream ends without data: [DONE]" in certificate
    assert listed_run.results["expectations"]["expected_failures"] == ["chat.stream.done-last"]


@pytest.mark.slow
def test_strict_expectations_fail_on_an_unexpected_pass(
    tmp_path: Path, no_done: RunningServer, listed_run: CliRun
) -> None:
    assert listed_run.returncode == 0, listed_run.output  # the same file, not strict
    path = write(tmp_path, DONE_LAST + PASSING)
    proc = run_streams(tmp_path, no_done, "--expectations", str(path), "--strict-expectations")
    assert proc.returncode == 1
    assert "- chat.stream.content-type: passed but the expectations file lists it" in proc.stdout


def test_update_writes_the_failures_and_keeps_reviewed_reasons(tmp_path: Path, no_done_run: CliRun) -> None:
    assert no_done_run.returncode == 1, no_done_run.output  # the session's shared run (tests/conftest.py)
    results = no_done_run.out / "results.json"
    out = tmp_path / "new.toml"
    proc = cli(tmp_path, "expectations", "update", "--results", str(results), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    written = tomllib.loads(out.read_text(encoding="utf-8"))
    assert written["chat.stream.done-last"]["reason"].startswith("TODO")
    assert written["chat.stream.done-last"]["evidence"].startswith("200 ")
    reviewed = out.read_text(encoding="utf-8").replace(written["chat.stream.done-last"]["reason"], "reviewed")
    out.write_text(reviewed, encoding="utf-8")
    assert cli(tmp_path, "expectations", "update", "--results", str(results), "--out", str(out)).returncode == 0
    assert load(out).entries["chat.stream.done-last"].reason == "reviewed"


def test_update_refuses_a_file_that_is_not_results(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text("{}", encoding="utf-8")
    proc = cli(tmp_path, "expectations", "update", "--results", "r.json", "--out", "e.toml")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert update  # the function the command wraps
