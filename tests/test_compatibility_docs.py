"""The published compatibility matrix: each committed certificate agrees with its expectations file, and the
matrix and the certificates are what the committed results give (regenerate with `python -m certify matrix`)."""

from __future__ import annotations

import json

import pytest

from certify.compare import differences, false_alarms
from certify.matrix import certificates, render
from certify.run import COMPATIBILITY
from conformance.expectations import load
from conformance.reports.certificate import must_share, must_tally

SERVERS = sorted(p.parent.name for p in COMPATIBILITY.glob("*/results.json"))


def test_the_matrix_is_generated_from_the_results() -> None:
    committed = (COMPATIBILITY / "README.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/compatibility/README.md is stale: run `python -m certify matrix`"


@pytest.mark.parametrize("server", SERVERS)
def test_a_committed_certificate_matches_its_reviewed_files(server: str) -> None:
    """Every failure of the published run is a listed deviation or a suspected suite false alarm, and every
    listed one was seen: the same comparison `python -m certify SERVER --check` makes on a fresh run."""
    folder = COMPATIBILITY / server
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["expectations"]["file"] == f"docs/compatibility/{server}/expectations.toml"
    expectations = load(folder / "expectations.toml")
    suspected = set(false_alarms(folder / "suspected-false-alarms.toml"))
    assert not set(expectations.entries) & suspected, "a requirement cannot be both a deviation and a false alarm"
    assert differences(results, expectations, suspected) == []
    assert json.loads((folder / "server.json").read_text(encoding="utf-8"))["server"] == server
    assert (folder / "certificate.md").is_file()


def test_no_published_file_holds_a_key() -> None:
    """Each certification starts its server with a fresh `sk-certify-...` key: none may reach a published file."""
    leaked = [p for p in COMPATIBILITY.rglob("*") if p.is_file() and "sk-certify-" in p.read_text(encoding="utf-8")]
    assert leaked == []


@pytest.mark.parametrize("server", SERVERS)
def test_the_must_share_counts_only_what_the_server_claims(server: str) -> None:
    results = json.loads((COMPATIBILITY / server / "results.json").read_text(encoding="utf-8"))
    claimed = [r for r in results["requirements"] if r["level"] == "MUST" and r["status"] != "not-claimed"]
    assert len(claimed) < results["summary"]["must"], "every server leaves some feature unclaimed"
    row = next(line for line in render().splitlines() if line.startswith(f"| {server} |"))
    assert row.split(" | ")[2].startswith(f"{results['summary']['must_passed']}/{len(claimed)}")


@pytest.mark.parametrize("server", SERVERS)
def test_the_certificate_counts_its_must_requirements_as_the_matrix_does(server: str) -> None:
    results = json.loads((COMPATIBILITY / server / "results.json").read_text(encoding="utf-8"))
    tally = must_tally(results["requirements"])
    row = next(line for line in render().splitlines() if line.startswith(f"| {server} |"))
    assert row.split(" | ")[2] == must_share(tally)
    certificate = (COMPATIBILITY / server / "certificate.md").read_text(encoding="utf-8")
    assert f"{tally.passed} of the {tally.claimed} MUST requirements of the claimed features passed" in certificate


def test_a_cell_shows_the_skipped_apart(tmp_path) -> None:
    """0 of 7 passed with 6 skipped and 1 failed is not `0/7 (0%)`: that reads as seven failures."""
    requirements = [{"id": "t.fail", "level": "MUST", "feature": "t", "status": "fail", "reasons": []}]
    requirements += [
        {"id": f"t.skip{i}", "level": "MUST", "feature": "t", "status": "skip", "reasons": ["nothing to judge"]}
        for i in range(6)
    ]
    results = {
        "summary": {"must_passed": 0},
        "features": [{"name": "t", "claimed": True, "must": 7, "must_passed": 0}],
        "requirements": requirements,
    }
    (tmp_path / "srv").mkdir()
    (tmp_path / "srv" / "results.json").write_text(json.dumps(results), encoding="utf-8")
    row = next(line for line in render(tmp_path).splitlines() if line.startswith("| srv |"))
    assert row.split(" | ")[2:4] == ["0/7, 6 skipped", "0/7, 6 skipped"]
    assert "0/7 (0%)" not in row


@pytest.mark.parametrize("server", SERVERS)
def test_a_committed_certificate_is_rendered_from_its_results(server: str) -> None:
    for name, text in certificates(COMPATIBILITY / server / "results.json").items():
        committed = (COMPATIBILITY / server / name).read_text(encoding="utf-8")
        assert committed == text, f"docs/compatibility/{server}/{name} is stale: run `python -m certify matrix`"
        assert "seeds/" not in committed, "a source must link to public documentation"


def test_a_replayed_server_shows_its_share_answered_alike(tmp_path) -> None:
    """certify.replay publishes the summary of a replay beside the certificate; the matrix shows the share, and a
    server never replayed shows `—`."""
    from certify.replay import publish

    results = {"summary": {"must_passed": 0}, "features": [], "requirements": []}
    for server in ("replayed", "not-replayed"):
        (tmp_path / server).mkdir()
        (tmp_path / server / "results.json").write_text(json.dumps(results), encoding="utf-8")
    report = tmp_path / "reports"
    report.mkdir()
    group = {"title": "answers 200 where the API answers 400", "kind": "status", "recordings": 3, "examples": ["a"]}
    document = {"finished": "2026-12-05T00:00:00Z", "replay": {
        "recordings": {"files": ["x.jsonl"], "total": 10, "sample": 4, "seed": 0},
        "summary": {"sent": 4, "alike": 1, "different": 3, "share_alike": 25.0}, "groups": [group]}}  # fmt: skip
    (report / "replay.json").write_text(json.dumps(document), encoding="utf-8")
    published = publish("replayed", report, tmp_path)
    assert published == tmp_path / "replayed" / "replay.json"
    kept = json.loads(published.read_text(encoding="utf-8"))["groups"]
    assert kept == [{"title": group["title"], "kind": "status", "recordings": 3}]
    rows = {line.split(" | ")[0]: line for line in render(tmp_path).splitlines() if line.startswith("| ")}
    assert rows["| replayed"].endswith("| [25% of 4](replayed/replay.json) |")
    assert rows["| not-replayed"].endswith("| — |")
    assert publish("unknown", report, tmp_path) is None, "no folder of a certified server: nothing published"


def test_every_published_replay_names_its_sample() -> None:
    for path in sorted(COMPATIBILITY.glob("*/replay.json")):
        replay = json.loads(path.read_text(encoding="utf-8"))
        assert replay["recordings"]["sample"] == replay["summary"]["sent"] > 0, path
        assert 0 <= replay["summary"]["share_alike"] <= 100, path
