"""The published compatibility matrix: each committed certificate agrees with its expectations file, and the
matrix is what the committed results give (regenerate with `python -m certify matrix`)."""

from __future__ import annotations

import json

import pytest

from certify.compare import differences, false_alarms
from certify.matrix import render
from certify.run import COMPATIBILITY
from conformance.expectations import load

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
    assert row.split(" | ")[2].startswith(f"{results['summary']['must_passed']}/{len(claimed)} (")
