"""The administration API end to end: each admin fault of the reference server caught through client, cases, plugin
and reports; a default run (admin key set) sends nothing that changes the organization; a run without the admin key
sends nothing to an admin route and says which variable is missing; admin.write is claimed only by name."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import cases_args
from conformance.reference import FAULTS, ServerConfig
from conformance.requirements import catalogue, feature_claimed
from conformance.target import Target
from tests._runs import OnlyCasesDeclaring, assert_caught, briefly_serve, statuses

pytest_plugins = ["pytester"]

KEY_ENV, ADMIN_ENV = "OAI_TEST_ADMIN_PROJECT_KEY", "OAI_TEST_ADMIN_KEY"
KEY = "sk-proj-admin-tests-" + os.urandom(8).hex()
ADMIN_KEY = "sk-admin-tests-" + os.urandom(8).hex()
CASES = "admin"
# fault -> the requirements its run must fail (a SHOULD: warn)
CAUGHT = {
    "admin-project-key-accepted": ["admin.auth.project-key"],
    "admin-echo-key": ["admin.auth.key-never-echoed"],
    "admin-cursor-repeats": ["admin.pages.after-continues", "admin.audit-logs.pages"],
    "admin-audit-filter-ignored": ["admin.audit-logs.event-types"],
    "admin-buckets-unordered": ["admin.usage.buckets-ordered"],
    "admin-buckets-gap": ["admin.usage.buckets-contiguous"],
    "admin-page-repeats": ["admin.usage.next-page"],
    "admin-group-by-ignored": ["admin.usage.group-by"],
    "admin-usage-negative": ["admin.usage.non-negative"],
    "admin-result-outside-bucket": ["admin.usage.result-in-bucket"],
    "admin-limit-ignored": ["admin.usage.limit"],
    "admin-archive-ignored": ["admin.write.project-life"],
}
WRITE = frozenset(rid for rid, req in catalogue().items() if req.feature == "admin.write")


def run(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    faults: frozenset[str] = frozenset(),
    *extra: str,
    cases: tuple[str, ...] = (CASES,),
    admin_key: str | None = ADMIN_KEY,
    only: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The results and every exchange of the bundled `cases` run in process against a reference server with
    `faults` that takes KEY on project routes and ADMIN_KEY on admin routes; the run holds `admin_key` (None: unset)."""
    monkeypatch.setenv(KEY_ENV, KEY)
    if admin_key is None:
        monkeypatch.delenv(ADMIN_ENV, raising=False)
    else:
        monkeypatch.setenv(ADMIN_ENV, admin_key)
    report = pytester.path / "reports"
    plugins = [OnlyCasesDeclaring(only)] if only else []
    with briefly_serve(ServerConfig(api_key=KEY, admin_key=ADMIN_KEY, faults=faults)) as server:
        pytester.runpytest_inprocess(
            *cases_args(report, *cases),
            "--oai-base-url",
            server.base_url,
            "--oai-api-key-env",
            KEY_ENV,
            "--oai-admin-key-env",
            ADMIN_ENV,
            "--oai-retries",
            "0",
            *extra,
            plugins=plugins,
        )
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    lines = (report / "exchanges.jsonl").read_text(encoding="utf-8").splitlines()
    return results, [json.loads(line) for line in lines if line.strip()]


def admin_requests(exchanges: list[dict[str, Any]]) -> list[str]:
    out = []
    for exchange in exchanges:
        request = exchange.get("request", exchange)
        if "/v1/organization" in request["url"]:
            out.append(f"{request['method']} {request['url']}")
    return out


def test_every_admin_fault_is_caught_here() -> None:
    assert set(CAUGHT) == {f for f in FAULTS if f.startswith("admin-")}


@pytest.mark.parametrize("fault", sorted(CAUGHT))
def test_fault_is_reported(pytester, monkeypatch, fault) -> None:
    rules = CAUGHT[fault]
    write = ("--oai-features", "admin,admin.write") if set(rules) & WRITE else ()
    results, _ = run(pytester, monkeypatch, frozenset({fault}), *write, only=frozenset(rules))
    assert_caught(results, fault, rules)
    assert results["resources"]["left"] == []


def test_a_write_run_passes_and_leaves_nothing(pytester, monkeypatch) -> None:
    results, exchanges = run(pytester, monkeypatch, frozenset(), "--oai-features", "admin,admin.write")
    judged = {r["id"]: r["status"] for r in results["requirements"] if r["id"].startswith("admin.")}
    skipped = {"admin.usage.result-in-bucket"}  # no result of the reference carries times of its own
    assert judged == {rid: "skip" if rid in skipped else "pass" for rid in judged} and len(judged) == 29, judged
    resources = results["resources"]
    assert resources["left"] == [] and sorted(resources["deleted"]) == sorted(c["id"] for c in resources["created"])
    assert {c["kind"] for c in resources["created"]} == {
        "organization.invite",
        "organization.project",
        "organization.project.user",
        "organization.project.service_account",
        "organization.certificate",
    }
    changed = [r for r in admin_requests(exchanges) if not r.startswith("GET ")]
    created = {c["id"] for c in resources["created"]}
    # Every change names an object the run created, or creates one (a POST to a collection).
    for line in changed:
        path = line.split(" ", 1)[1].split("?")[0]
        assert any(ident in path for ident in created) or path.rsplit("/", 1)[-1] in (
            "invites",
            "projects",
            "users",
            "service_accounts",
            "certificates",
            "activate",
            "deactivate",
        ), line


def test_a_default_run_changes_nothing_in_the_organization(pytester, monkeypatch) -> None:
    """With the admin key set and every feature claimed by default, the admin cases and the generated phase over
    the admin operations send only GETs below /organization, and the admin.write rules are not claimed."""
    results, exchanges = run(
        pytester,
        monkeypatch,
        frozenset(),
        "--oai-examples",
        "1",
        "-k",
        "organization or test_admin",
        cases=(CASES, "generated"),
    )
    sent = admin_requests(exchanges)
    assert len(sent) > 40, sent  # the reads of every admin list, the usage pages, the generated GETs
    assert [line for line in sent if not line.startswith("GET ")] == []
    got = statuses(results)
    assert {rid: got[rid] for rid in WRITE} == dict.fromkeys(WRITE, "not-claimed")
    assert got["admin.list.shape"] == "pass" and results["verdict"] == "conformant"


def test_without_the_admin_key_nothing_goes_to_an_admin_route(pytester, monkeypatch) -> None:
    # With the models cases: a run that judges nothing writes no report.
    results, exchanges = run(
        pytester,
        monkeypatch,
        frozenset(),
        "--oai-examples",
        "1",
        "-k",
        "organization or test_admin or test_models",
        cases=(CASES, "generated", "models"),
        admin_key=None,
    )
    assert admin_requests(exchanges) == []
    admin = [r for r in results["requirements"] if r["id"].startswith("admin.") and r["id"] not in WRITE]
    assert admin and {r["status"] for r in admin} == {"not-claimed"}
    reasons = {reason for r in admin for reason in r["reasons"]}
    assert reasons and all(ADMIN_ENV in reason and "--admin-key-env" in reason for reason in reasons), reasons


def test_admin_write_is_claimed_only_by_name(monkeypatch) -> None:
    assert not feature_claimed("admin.write", None), "not by claiming everything"
    assert not feature_claimed("admin.write", frozenset({"admin"})), "not by its parent"
    assert not feature_claimed("admin.write", frozenset({"-chat", "-responses"})), "not by a list of exclusions"
    assert feature_claimed("admin.write", frozenset({"admin.write"}))
    assert feature_claimed("admin.write", frozenset({"admin", "admin.write"}))
    assert feature_claimed("admin.usage", frozenset({"-chat"})) and feature_claimed("admin", None)
    monkeypatch.setenv(ADMIN_ENV, ADMIN_KEY)
    target = Target(base_url="http://127.0.0.1:9/v1", admin_key_env=ADMIN_ENV)
    assert target.claims("admin") and not target.claims("admin.write")
    monkeypatch.delenv(ADMIN_ENV)
    assert not target.claims("admin")
    assert ADMIN_ENV in (target.admin_unreachable("admin.usage") or "")
    assert target.admin_unreachable("chat") is None


def test_the_admin_key_option_is_checked(tmp_path: Path) -> None:
    from conformance.exceptions import ConfigError
    from conformance.target import load_target

    assert load_target({"admin_key_env": "MY_ADMIN"}, {}, None, tmp_path).admin_key_env == "MY_ADMIN"
    assert load_target({}, {"OAI_CONFORMANCE_ADMIN_KEY_ENV": "X_ADMIN"}, None, tmp_path).admin_key_env == "X_ADMIN"
    assert load_target({}, {}, None, tmp_path).admin_key_env == "OPENAI_ADMIN_KEY"
    with pytest.raises(ConfigError, match="--admin-key-env: admin_key_env names the environment variable") as raised:
        load_target({"admin_key_env": ADMIN_KEY}, {}, None, tmp_path)
    assert ADMIN_KEY not in str(raised.value)
    (tmp_path / "oai-conformance.toml").write_text(f'admin_key = "{ADMIN_KEY}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="never written in a file") as raised:
        load_target({}, {}, None, tmp_path)
    assert ADMIN_KEY not in str(raised.value)
