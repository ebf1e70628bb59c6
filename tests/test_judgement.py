"""One judgement pipeline: what a status means is decided in `conformance.judgement` and nowhere else; a case or
a check that crashes is an ERROR (results, certificate, JUnit, exit code), never a quiet skip; the layers hold.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.checks.rule import CHECKS, Context, check_name
from conformance.exchange import Exchange
from conformance.judgement import (
    DEPARTING,
    FAILING,
    SEVERITY,
    Status,
    departs,
    failing,
    judge,
    not_claimed_reason,
    violated,
    worst,
)
from conformance.reference import RunningServer, ServerConfig, serve
from conformance.requirements import Level, catalogue
from tests._runs import as_a_user

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "OAI_JUDGEMENT_TEST_KEY"
KEY = "sk-test-judgement-" + os.urandom(12).hex()


# The meaning of a status ------------------------------------------------------------------------------------------


def test_a_status_means_one_thing():
    assert violated(Level.MUST, "compatible") is Status.FAIL
    assert violated(Level.SHOULD, "compatible") is Status.WARN
    assert violated(Level.SHOULD, "strict") is Status.FAIL
    assert {Status.FAIL, Status.ERROR} == FAILING and FAILING | {Status.WARN} == DEPARTING
    assert failing("error") and failing(Status.FAIL) and not failing("warn") and not failing("")
    assert departs("warn") and not departs("skip")
    assert worst(["pass", "skip", "warn"]) is Status.WARN and worst([]) is Status.SKIP
    assert worst(["fail", "error"]) is Status.ERROR and set(SEVERITY) == set(Status)


def _answer(body: object) -> Exchange:
    return Exchange.build(
        method="POST",
        url="http://127.0.0.1:1/v1/chat/completions",
        request_headers={},
        request_body=json.dumps({"model": "m", "messages": []}).encode(),
        status=200,
        response_headers={"content-type": "application/json"},
        response_body=json.dumps(body).encode(),
        index=7,
    )


def test_a_check_that_crashes_is_an_error_not_a_skip(monkeypatch):
    def crashes(subject, ctx):
        raise KeyError("choices")

    monkeypatch.setitem(CHECKS, "chat.completion.schema", crashes)
    (observation,) = judge(_answer({}), ["chat.completion.schema"])
    assert observation.status is Status.ERROR
    assert observation.reason == "the check crashed: KeyError: 'choices'"
    assert observation.exchanges == (7,)


def test_an_unclaimed_requirement_is_not_judged_and_says_why(monkeypatch):
    def must_not_run(subject, ctx):
        raise AssertionError("an unclaimed requirement's check ran")

    monkeypatch.setitem(CHECKS, "chat.completion.schema", must_not_run)
    (observation,) = judge(_answer({}), ["chat.completion.schema"], claims=frozenset({"embeddings"}))
    assert observation.status is Status.NOT_CLAIMED
    assert observation.reason == not_claimed_reason("chat") == "feature 'chat' is not claimed"


def test_the_mode_decides_a_should_violation():
    body = {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}]}  # fmt: skip
    (compatible,) = judge(_answer(body), ["chat.completion.null-keys"], Context(mode="compatible"))
    (strict,) = judge(_answer(body), ["chat.completion.null-keys"], Context(mode="strict"))
    assert (compatible.status, strict.status) == (Status.WARN, Status.FAIL)


# A crashed case, end to end through the plugin ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY)) as running:
        yield running


@pytest.fixture
def user_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    as_a_user(monkeypatch, KEY_ENV, KEY)


CRASHING_CASES = """
import pytest
from conformance.case import chat_body, requirement


@requirement("chat.completion.schema", "chat.completion.model-present")
def test_judges_one_then_crashes(oai_client, oai_target, oai_judge):
    exchange = oai_client.request("POST", "/chat/completions", json=chat_body(oai_target.model("chat")))
    oai_judge(exchange, "chat.completion.schema")
    {}["no such key"]  # our own bug, or an answer our code cannot read


@requirement("models.list.shape")
def test_skips_on_a_precondition(oai_client, oai_judge):
    pytest.skip("the server has no models to list")
"""


def test_a_case_that_raises_is_an_error_everywhere(
    pytester: pytest.Pytester, server: RunningServer, user_environment: None
):
    pytester.makepyfile(test_crash=CRASHING_CASES)
    out = pytester.path / "out"
    args = ["--oai-base-url", server.base_url, "--oai-api-key-env", KEY_ENV, "--oai-report-dir", str(out)]
    result = pytester.runpytest_subprocess(*args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in results["requirements"]}
    assert entries["chat.completion.schema"]["status"] == "pass"  # judged before the crash: stands
    crashed = entries["chat.completion.model-present"]
    assert crashed["status"] == "error"
    assert crashed["reasons"] == ["the case crashed: KeyError: 'no such key'"]
    assert entries["models.list.shape"]["status"] == "skip"
    assert entries["models.list.shape"]["reasons"] == ["the server has no models to list"]
    assert results["summary"]["error"] == 1
    assert results["verdict"] == "not conformant" and results["exit_code"] == 1

    junit = ET.parse(out / "junit.xml").getroot()
    errors = [c for c in junit.iter("testcase") if c.find("error") is not None]
    assert [c.get("name") for c in errors] == ["chat.completion.model-present"]
    assert "KeyError" in (errors[0].find("error").get("message") or "")
    certificate = (out / "certificate.md").read_text(encoding="utf-8")
    assert "chat.completion.model-present" in certificate and "the case crashed: KeyError" in certificate


def test_the_cli_exits_1_on_an_error(tmp_path: Path, server: RunningServer, monkeypatch: pytest.MonkeyPatch):
    """`oai-conformance run` reads the verdict from the results it collected in memory: an ERROR is exit 1."""
    monkeypatch.setenv(KEY_ENV, KEY)
    cases = tmp_path / "extra"
    cases.mkdir()
    (cases / "test_crash.py").write_text(CRASHING_CASES, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--base-url", server.base_url, "--api-key-env", KEY_ENV,
         "--features", "chat,models", "--report-dir", str(tmp_path / "out"), "-k", "crash", "--", str(cases)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "not conformant" in proc.stdout


# The shape of the code ---------------------------------------------------------------------------------------------


def test_every_requirement_names_its_check_and_the_id_is_written_in_that_module():
    for rid in catalogue():
        name = check_name(rid)
        assert name, f"{rid}: no check"
        module = name.rsplit(".", 1)[0]
        source = (ROOT / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        literals = {n.value for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Constant)}
        assert rid in literals, f"{rid} is not written in {module}, the module of its check {name}"


def test_requirements_json_names_each_check():
    proc = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "requirements", "--format", "json"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    listed = {r["id"]: r["check"] for r in json.loads(proc.stdout)}
    assert listed["chat.stream.role-first"] == "conformance.checks.chat_stream.role_first"
    assert listed["conversations.items.pages.limit"] == "conformance.checks.pagination.limit"
    assert all(listed.values())


def test_the_layers_hold_and_nothing_imports_in_a_cycle():
    # Beside this interpreter: the venv's scripts, whether or not the venv is activated.
    proc = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    import grimp

    graph = grimp.build_graph("conformance")
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            assert not graph.chain_exists(imported, module), f"{module} and {imported} import each other"
