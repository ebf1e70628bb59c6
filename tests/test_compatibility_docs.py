"""The published compatibility matrix: each committed certificate agrees with its expectations file, and the
matrix is what the committed results give (regenerate with `python -m certify matrix`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from certify.matrix import render
from certify.run import COMPATIBILITY
from conformance.expectations import load

SERVERS = sorted(p.parent.name for p in COMPATIBILITY.glob("*/results.json"))


def test_the_matrix_is_generated_from_the_results() -> None:
    committed = (COMPATIBILITY / "README.md").read_text(encoding="utf-8")
    assert committed == render(), "docs/compatibility/README.md is stale: run `python -m certify matrix`"


@pytest.mark.parametrize("server", SERVERS)
def test_a_committed_certificate_was_made_with_its_expectations(server: str) -> None:
    results = json.loads((COMPATIBILITY / server / "results.json").read_text(encoding="utf-8"))
    expectations = load(COMPATIBILITY / server / "expectations.toml")
    failed = {e["id"] for e in results["requirements"] if e["status"] in ("fail", "warn", "error")}
    assert results["expectations"]["file"] == f"docs/compatibility/{server}/expectations.toml"
    # Every listed deviation was seen; a failure that is not listed is a suspected suite false alarm, which
    # the matrix shows apart (servers certified in CI have none: tests/test_servers.py checks strictly).
    assert set(expectations.entries) <= failed, "listed deviations that the committed run did not see"
    assert json.loads((COMPATIBILITY / server / "server.json").read_text(encoding="utf-8"))["server"] == server
    assert Path(COMPATIBILITY / server / "certificate.md").is_file()
