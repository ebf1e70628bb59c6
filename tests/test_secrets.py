"""A run with a key in the environment leaves the key nowhere: not in any report file (allure attachments
included), not on stdout or stderr, not in the repr of the objects that hold the settings.

The run is against a faulty reference server, so that failing cases cite their exchanges as evidence: the
exchanges, with their Authorization headers, are what gets written.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from conformance._paths import CASES_DIR
from conformance.client import Client
from conformance.reference import RunningServer, ServerConfig, serve
from conformance.target import load_target
from tests._runs import CliRun, clean_env, cli_run, serving, shared_run

# Each test of the run reads the session's one run of every case (a subprocess); the in-process tests below do not.
slow = pytest.mark.slow

KEY = "sk-test-" + secrets.token_hex(20)  # 40 random hex characters
KEY_ENV = "MY_KEY"
# A secret in an extra header. The target treats a header whose name holds "token" as a secret: it refuses it
# in the TOML file and shows it redacted in reports; the environment is where it belongs.
GATEWAY_TOKEN = "gw-" + secrets.token_hex(20)
HEADER = f"X-Gateway-Token: {GATEWAY_TOKEN}"
# Breaks auth (the wrong-key case then fails and cites the exchange that sent the wrong key), streams and the
# error envelope: many failing cases, many cited exchanges.
FAULTS = frozenset({"no-auth", "role-every-chunk", "error-string", "admin-echo-key"})
# The administration API's key: sent only below /organization, echoed there by the admin-echo-key fault (which
# also makes admin.auth.key-never-echoed fail and cite those exchanges as evidence).
ADMIN_KEY = "sk-admin-test-" + secrets.token_hex(20)
ADMIN_KEY_ENV = "MY_ADMIN_KEY"


def wrong_key_literal() -> str:
    """The wrong key the bundled errors case sends, read from the case so that the two cannot drift apart."""
    source = (CASES_DIR / "errors" / "test_errors.py").read_text(encoding="utf-8")
    found = re.findall(r'api_key="(sk-[^"]+)"', source)
    assert found, "the errors case sends no literal wrong key any more: update this test"
    return found[0]


def needles(key: str) -> list[str]:
    """The key, and its random part alone (a redaction that kept the prefix would still show that)."""
    return [key, key.split("-")[-1]]


def leaks(text: str | bytes, secret: str) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [n for n in needles(secret) if n.encode() in data]


@pytest.fixture(scope="module")
def faulty() -> Iterator[RunningServer]:
    with serve(ServerConfig(api_key=KEY, faults=FAULTS)) as running:
        yield running


@dataclass(frozen=True)
class KeyedRun:
    """The run, and the secrets it was given (an xdist worker that did not make it has secrets of its own)."""

    run: CliRun
    key: str
    token: str
    admin_key: str

    @property
    def output(self) -> str:
        return self.run.stdout + self.run.stderr

    @classmethod
    def read(cls, cwd: Path) -> KeyedRun:
        given = json.loads((cwd / "secrets.json").read_text(encoding="utf-8"))
        return cls(CliRun.read(cwd), given["key"], given["token"], given["admin_key"])


@shared_run(read=KeyedRun.read, first=True)  # the wheel's run reads its draws
def keyed_run(cwd: Path) -> None:
    """Every case against the faulty server, with the key and the header in the environment: one subprocess run
    per session, which the tests below read. One example per round of the generated phase: each round sends the
    key and, failing, writes its evidence as the others would. The costly features too: their uploads and jobs
    carry the key as well, and the wheel's run (tests/test_wheel.py) finds every draw of its own kept here."""
    (cwd / "secrets.json").write_text(
        json.dumps({"key": KEY, "token": GATEWAY_TOKEN, "admin_key": ADMIN_KEY}), encoding="utf-8"
    )
    with serving(*sorted(FAULTS), key_env=KEY_ENV, key=KEY, admin_key_env=ADMIN_KEY_ENV, admin_key=ADMIN_KEY) as url:
        cli_run(cwd, "--base-url", url, "--api-key-env", KEY_ENV, "--admin-key-env", ADMIN_KEY_ENV, "--examples", "1",
                "--allow-costly",
                env=clean_env(**{KEY_ENV: KEY, ADMIN_KEY_ENV: ADMIN_KEY, "OAI_CONFORMANCE_HEADERS": HEADER}))


def report_files(report_dir: Path) -> list[Path]:
    return sorted(p for p in report_dir.rglob("*") if p.is_file())


@slow
def test_the_run_failed_and_wrote_evidence(keyed_run: KeyedRun):
    out = keyed_run.run.out
    assert keyed_run.run.returncode == 1, keyed_run.run.output
    exchanges = (out / "exchanges.jsonl").read_text(encoding="utf-8")
    assert "Bearer [REDACTED]" in exchanges  # the key was sent, and recorded redacted
    allure = out / "allure-results"
    assert list(allure.glob("*-attachment*")), "no allure attachment: nothing for the key to leak into"
    assert any("authorization" in p.read_text(encoding="utf-8", errors="replace").lower()
               for p in allure.glob("*-attachment*"))
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    failed = {r["id"] for r in data["requirements"] if r["status"] == "fail"}
    assert any(rid.startswith("generated.") for rid in failed), f"no evidence of the generated phase: {failed}"


@slow
def test_key_is_in_no_report_file(keyed_run: KeyedRun):
    out = keyed_run.run.out
    files = report_files(out)
    assert len(files) > 5
    leaked = {str(p.relative_to(out)): found for p in files if (found := leaks(p.read_bytes(), keyed_run.key))}
    assert leaked == {}


@slow
def test_key_is_not_on_stdout_or_stderr(keyed_run: KeyedRun):
    assert leaks(keyed_run.run.stdout, keyed_run.key) == []
    assert leaks(keyed_run.run.stderr, keyed_run.key) == []


@slow
def test_wrong_key_literal_is_in_no_report_file(keyed_run: KeyedRun):
    out = keyed_run.run.out
    wrong = wrong_key_literal()
    # The wrong-key case failed (the server accepts any key), so its exchange is among the evidence.
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    wrong_key = next(r for r in data["requirements"] if r["id"] == "errors.auth.wrong-key")
    assert wrong_key["status"] == "fail"
    assert wrong_key["exchanges"] or any(f.get("exchange") is not None for f in wrong_key["failures"])
    leaked = [str(p.relative_to(out)) for p in report_files(out) if wrong.encode() in p.read_bytes()]
    assert leaked == []
    assert wrong not in keyed_run.output


@slow
def test_sensitive_header_is_redacted_in_the_target_summary(keyed_run: KeyedRun):
    data = json.loads((keyed_run.run.out / "results.json").read_text(encoding="utf-8"))
    assert "X-Gateway-Token" in data["target"]["headers"]
    assert keyed_run.token not in json.dumps(data["target"])


@slow
def test_sensitive_header_value_is_in_no_report_file(keyed_run: KeyedRun):
    out = keyed_run.run.out
    leaked = [str(p.relative_to(out)) for p in report_files(out) if keyed_run.token.encode() in p.read_bytes()]
    assert leaked == []
    assert keyed_run.token not in keyed_run.output


# --- in process ---------------------------------------------------------------------------------------------


@pytest.fixture
def target(faulty: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(KEY_ENV, KEY)
    return load_target({"base_url": faulty.base_url, "api_key_env": KEY_ENV}, {}, None, tmp_path)


def test_target_never_shows_the_key(target):
    assert target.api_key() == KEY  # it is there to be read ...
    for shown in (repr(target), str(target), str(target.summary()), f"{target!r}", f"{target}"):
        assert leaks(shown, KEY) == []  # ... and shown nowhere
    assert target.summary()["api_key_present"] is True


def test_client_and_exchanges_never_show_the_key(target, caplog: pytest.LogCaptureFixture):
    wrong = wrong_key_literal()
    caplog.set_level(logging.DEBUG)  # httpcore logs raw headers at DEBUG
    with Client(target) as client:
        good = client.request("GET", "/models")
        bad = client.request("GET", "/models", api_key=wrong)
        shown = [repr(client), str(client), repr(client.__dict__)]
    assert good.response is not None and good.response.status == 200
    assert bad.response is not None
    for exchange in (good, bad):
        shown += [repr(exchange), str(exchange.to_json())]
    for text in [*shown, caplog.text]:
        assert leaks(text, KEY) == []
        assert wrong not in text


# --- the admin key ------------------------------------------------------------------------------------------


@slow
def test_the_admin_key_was_sent_echoed_and_is_in_no_report_file(keyed_run: KeyedRun):
    out = keyed_run.run.out
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    echoed = next(r for r in data["requirements"] if r["id"] == "admin.auth.key-never-echoed")
    assert echoed["status"] == "fail", "the server echoed the admin key and the run saw it"
    assert any(f["exchange"] is not None for f in echoed["failures"]), "its exchanges are evidence"
    assert data["target"]["admin_key_env"] == ADMIN_KEY_ENV and data["target"]["admin_key_present"] is True
    files = report_files(out)
    leaked = {str(p.relative_to(out)): found for p in files if (found := leaks(p.read_bytes(), keyed_run.admin_key))}
    assert leaked == {}
    assert leaks(keyed_run.run.stdout, keyed_run.admin_key) == []
    assert leaks(keyed_run.run.stderr, keyed_run.admin_key) == []


@pytest.fixture
def admin_target(faulty: RunningServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv(KEY_ENV, KEY)
    monkeypatch.setenv(ADMIN_KEY_ENV, ADMIN_KEY)
    cli = {"base_url": faulty.base_url, "api_key_env": KEY_ENV, "admin_key_env": ADMIN_KEY_ENV}
    return load_target(cli, {}, None, tmp_path)


def test_target_never_shows_the_admin_key(admin_target):
    assert admin_target.admin_key() == ADMIN_KEY
    for shown in (repr(admin_target), str(admin_target), str(admin_target.summary())):
        assert leaks(shown, ADMIN_KEY) == []
    assert admin_target.summary()["admin_key_present"] is True


def test_client_exchanges_and_exceptions_never_show_the_admin_key(admin_target, caplog: pytest.LogCaptureFixture):
    """The admin key goes below /organization only, and is redacted wherever it is recorded: in the request that
    sent it, in an answer that echoes it (the admin-echo-key fault), in logs, reprs and error text."""
    from conformance.checks.admin import AdminReads
    from conformance.judgement import judge

    caplog.set_level(logging.DEBUG)
    with serve(ServerConfig(api_key=KEY, admin_key=ADMIN_KEY, faults=frozenset({"admin-echo-key"}))) as running:
        target = admin_target.with_base_url(running.base_url)
        with Client(target) as client:
            users = client.request("GET", "/organization/users")
            models = client.request("GET", "/models")
            shown = [repr(client), str(client), repr(client.__dict__)]
    assert users.response is not None and users.response.status == 200
    assert models.response is not None and models.response.status == 200, "the API key went to /models"
    assert ("authorization", "Bearer [REDACTED]") in users.request.headers
    assert b"[REDACTED]" in users.response.body, "the echoed key is redacted in the record"
    [seen] = judge(AdminReads((), users), ["admin.auth.key-never-echoed"])
    assert seen.failures and all(leaks(f.message, ADMIN_KEY) == [] for f in seen.failures)
    for exchange in (users, models):
        shown += [repr(exchange), str(exchange.to_json()), exchange.curl()]
    for text in [*shown, caplog.text]:
        assert leaks(text, ADMIN_KEY) == []
