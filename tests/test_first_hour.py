"""A user's first hour: the common mistakes stop before any certificate, with one line that says what to fix, exit
2 and no report written; options read as a user types them; the plugin stays quiet in a repository that did not
ask it for reports. Each test reproduces a mistake a new user made.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import assert_one_line_error, clean_env, cli, free_port

from conformance.reference import RunningServer, ServerConfig, serve
from tests._runs import as_a_user

pytest_plugins = ["pytester"]

KEY_ENV = "OAI_FIRST_HOUR_KEY"
KEY = "sk-first-hour-" + os.urandom(12).hex()


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY)) as running:
        yield running


@pytest.fixture(scope="module")
def open_server() -> Iterator[RunningServer]:
    """A server that needs no key (a local one)."""
    with serve(ServerConfig(api_key=None)) as running:
        yield running


def with_key(**extra: str) -> dict[str, str]:
    return clean_env(**{KEY_ENV: KEY}, **extra)


# Runs that never reach a certificate ------------------------------------------------------------------------------


@pytest.mark.parametrize("named", [("--api-key-env", "NOPE_KEY"), ()], ids=["named variable", "default variable"])
def test_an_unset_key_stops_the_run_and_names_the_variable(tmp_path: Path, server: RunningServer, named):
    proc = cli(tmp_path, "run", "--base-url", server.base_url, *named)
    line = assert_one_line_error(proc, named[1] if named else "OPENAI_API_KEY", "--no-api-key")
    assert "not set" in line
    assert list(tmp_path.iterdir()) == []  # no reports/ folder, nothing written


def test_a_server_that_needs_no_key_says_so(tmp_path: Path, open_server: RunningServer):
    proc = cli(tmp_path, "run", "--base-url", open_server.base_url, "--no-api-key", "-k", "test_models and test_list")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    target = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))["target"]
    assert target["api_key_present"] is False and target["api_key_env"] is None


def test_a_base_url_without_v1_is_named_with_the_url_that_works(tmp_path: Path, server: RunningServer):
    root = server.base_url.removesuffix("/v1")
    proc = cli(tmp_path, "run", "--base-url", root, "--api-key-env", KEY_ENV, env=with_key())
    line = assert_one_line_error(proc, "--base-url", f"use {server.base_url}")
    assert "404" in line
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_judged_nothing_is_not_a_pass(tmp_path: Path, server: RunningServer):
    proc = cli(tmp_path, "run", "--base-url", server.base_url, "--api-key-env", KEY_ENV, "--features", "embeddings",
               "-k", "test_models", env=with_key())  # fmt: skip
    line = assert_one_line_error(proc, "judged nothing", "not claimed", "--features")
    assert "CONFORMANT" not in proc.stdout.upper().replace("NOT CONFORMANT", "")
    assert "belong to features not claimed" in line
    assert list(tmp_path.iterdir()) == []


def test_serve_on_a_port_in_use_says_so_in_one_line(tmp_path: Path, server: RunningServer):
    port = server.base_url.rsplit(":", 1)[1].split("/")[0]
    proc = cli(tmp_path, "serve", "--port", port)
    assert_one_line_error(proc, "--port", port, "in use")


def test_serve_on_a_free_port_still_serves(tmp_path: Path):
    port = free_port()
    child = subprocess.Popen([sys.executable, "-m", "conformance.cli", "serve", "--port", str(port)],
                             env=clean_env(), stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stderr is not None
        assert f"reference server on http://127.0.0.1:{port}/v1" in child.stderr.readline()
    finally:
        child.send_signal(signal.SIGTERM)
        child.wait(timeout=30)


# Options as a user types them ------------------------------------------------------------------------------------


def _claimed(tmp_path: Path) -> dict[str, bool]:
    results = json.loads((tmp_path / "reports" / "results.json").read_text(encoding="utf-8"))
    return {f["name"]: f["claimed"] for f in results["features"]}


@pytest.mark.parametrize(
    ("spelling", "env"),
    [
        (("--features", "-chat"), {}),
        (("--features=-chat",), {}),
        ((), {"OAI_CONFORMANCE_FEATURES": "-chat"}),
    ],
    ids=["separate", "joined", "environment"],
)
def test_an_exclusion_alone_claims_everything_else(tmp_path: Path, server: RunningServer, spelling, env):
    proc = cli(tmp_path, "run", "--base-url", server.base_url, "--api-key-env", KEY_ENV, *spelling,
               "-k", "test_models and test_list", env=with_key(**env))  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    claimed = _claimed(tmp_path)
    assert claimed["chat"] is False and claimed["chat.stream"] is False
    assert claimed["models"] is True and claimed["responses"] is True and claimed["responses.store"] is True


def test_an_exclusion_inside_a_list_reaches_pytest(tmp_path: Path, server: RunningServer):
    features = "--features=responses,-responses.store,models"
    proc = cli(tmp_path, "run", "--base-url", server.base_url, "--api-key-env", KEY_ENV, features,
               "-k", "test_models and test_list", env=with_key())  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    claimed = _claimed(tmp_path)
    assert claimed["responses"] and not claimed["responses.store"] and not claimed["chat"]


def test_run_help_lists_the_features_and_the_modes(tmp_path: Path):
    from conformance.requirements import features

    proc = cli(tmp_path, "run", "--help")
    assert proc.returncode == 0
    for name, feature in features().items():
        assert f"  {name:<22} {feature.cost:<6} {feature.description}" in proc.stdout
    assert "strict fails it on either" in proc.stdout
    for command, words in (("serve", ("the port to listen on", "the address to listen on")),
                           ("compare", ("the results.json of the earlier run",))):  # fmt: skip
        shown = cli(tmp_path, command, "--help").stdout
        assert all(w in shown for w in words), shown


STREAM_WITH_USAGE = (
    'data: {"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,'
    '"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,'
    '"delta":{},"finish_reason":"stop"}]}\n\n'
    'data: {"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[],'
    '"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}\n\n'
    "data: [DONE]\n\n"
)


def test_check_stream_without_the_request_does_not_judge_what_the_request_decides(tmp_path: Path):
    (tmp_path / "s.sse").write_text(STREAM_WITH_USAGE, encoding="utf-8")
    alone = cli(tmp_path, "check-stream", "--kind", "chat", "s.sse")
    assert alone.returncode == 0, alone.stdout
    assert "SKIP  chat.stream.no-usage-unrequested  (the request is not known (check-stream --request" in alone.stdout
    assert "--request FILE judges them too" in alone.stdout
    (tmp_path / "asked.json").write_text(json.dumps({"stream": True}), encoding="utf-8")  # usage not asked for
    judged = cli(tmp_path, "check-stream", "--kind", "chat", "--request", "asked.json", "s.sse")
    assert judged.returncode == 1
    assert "FAIL  chat.stream.no-usage-unrequested" in judged.stdout


def test_an_expectation_whose_reason_says_todo_is_refused(tmp_path: Path):
    from conformance.exceptions import ConfigError
    from conformance.expectations import load

    path = tmp_path / "expectations.toml"
    todo = "TODO: what the server does; what the API does instead"
    path.write_text(f'["chat.stream.done-last"]\nexpected = "FAIL"\nreason = "{todo}"\nevidence = "200 ..."\n')
    with pytest.raises(ConfigError, match=r"reason still says TODO"):
        load(path)


# The plugin in another repository --------------------------------------------------------------------------------


USER_TEST = """
from conformance.case import chat_body, requirement

@requirement("chat.completion.schema")
def test_mine(oai_client, oai_target, oai_judge):
    exchange = oai_client.request("POST", "/chat/completions", json=chat_body(oai_target.model("chat")))
    oai_judge(exchange, "chat.completion.schema")
"""


@pytest.fixture
def user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    as_a_user(monkeypatch, KEY_ENV, KEY)


def test_the_plugin_writes_reports_only_when_asked(pytester: pytest.Pytester, server: RunningServer, user_environment):
    pytester.makepyfile(test_user=USER_TEST)
    target = ["--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "-p", "no:cacheprovider"]
    quiet = pytester.runpytest_subprocess(*target)
    assert quiet.ret == 0
    assert not (pytester.path / "reports").exists()
    quiet.stdout.fnmatch_lines(["*oai-conformance: 1 requirements judged; --oai-report-dir DIR writes*"])
    asked = pytester.runpytest_subprocess(*target, "--oai-report-dir", "out")
    assert asked.ret == 0 and (pytester.path / "out" / "certificate.md").is_file()


def test_the_plugin_stops_at_an_unset_key(pytester: pytest.Pytester, server: RunningServer, user_environment):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest_subprocess("--oai-base-url", server.base_url, "--oai-api-key-env", "NOPE_KEY",
                                           "-p", "no:cacheprovider")  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*oai-conformance: the environment variable NOPE_KEY*--oai-no-api-key*"])
    assert not (pytester.path / "reports").exists()


def test_the_bundled_cases_are_collected_from_a_virtual_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed into ./.venv (which pytest skips when it walks a folder), the bundled cases still run, and
    nothing else of the environment is collected."""
    import importlib

    # The module the plugin will import (an earlier in-process run may have replaced it in sys.modules).
    _paths = importlib.import_module("conformance._paths")
    site = pytester.path / ".venv" / "lib" / "python3.11" / "site-packages"
    cases = site / "conformance" / "bundled" / "cases" / "chat"
    cases.mkdir(parents=True)
    (pytester.path / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (cases / "test_bundled.py").write_text("def test_bundled():\n    pass\n")
    (site / "other").mkdir()
    (site / "other" / "test_decoy.py").write_text("def test_decoy():\n    raise AssertionError('collected')\n")
    pytester.makepyfile(test_mine="def test_mine():\n    pass\n")
    monkeypatch.setattr(_paths, "CASES_DIR", cases.parent)
    result = pytester.runpytest_inprocess("--oai-cases", "-p", "no:cacheprovider", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_bundled.py::test_bundled PASSED*", "*test_mine.py::test_mine PASSED*"])
