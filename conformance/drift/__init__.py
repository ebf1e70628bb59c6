"""Spec drift: how our schemas (`schemas/*.json`, wired by `schemas/openapi.json`) depart from an upstream
OpenAPI document, the published one of openai/openai-openapi by default.

`normalise` reduces both sides to one comparable shape, `diff` pairs the objects and lists the differences,
`report` sorts them into new and reviewed (the accepted-drift file) and renders them. `check` does it all.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from conformance.drift.diff import KINDS, MAPPING, Difference, compare_documents
from conformance.drift.report import DriftReport, Reviewed, accepted_toml, build_report, load_reviewed, render
from conformance.exceptions import ConfigError
from conformance.upstream import fetch as _fetch  # noqa: F401  (tests/test_drift.py drives it here)
from conformance.upstream import load_upstream, read_upstream

__all__ = [
    "KINDS", "MAPPING", "UPSTREAM_URL", "Difference", "DriftReport", "check", "load_upstream", "render",
    "update_accepted",
]  # fmt: skip

# The branch and file openai/openai-openapi publishes the specification on (its README and the projects that
# follow it name manual_spec/openapi.yaml; master holds an old copy).
UPSTREAM_URL = "https://raw.githubusercontent.com/openai/openai-openapi/manual_spec/openapi.yaml"
ACCEPTED_FILE = "ACCEPTED-DRIFT.toml"
OPENAPI_FILE = "openapi.json"


def our_documents(directory: Path) -> dict[str, Any]:
    """Our schema files and openapi.json, by file name."""
    documents: dict[str, Any] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            documents[path.name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{path}: cannot read our schema: {exc}") from None
    if OPENAPI_FILE not in documents:
        raise ConfigError(f"{directory}: no {OPENAPI_FILE} wires our schemas to operations")
    return documents


def check(upstream: str | None = None, accepted: Path | None = None, schemas_dir: Path | None = None) -> DriftReport:
    """Compare our schemas with the upstream document; `accepted` defaults to schemas/ACCEPTED-DRIFT.toml."""
    from conformance.schemas import SCHEMAS_DIR

    started = time.perf_counter()
    directory = schemas_dir or SCHEMAS_DIR
    if accepted is None and (directory / ACCEPTED_FILE).is_file():
        accepted = directory / ACCEPTED_FILE
    reviewed = load_reviewed(accepted) if accepted is not None else Reviewed([])  # broken: stops before a fetch
    source = upstream or UPSTREAM_URL
    ours = our_documents(directory)
    document, digest = read_upstream(source)
    walk, coverage = compare_documents(ours, OPENAPI_FILE, document)
    names = {name.removesuffix(".json") for name in ours if name != OPENAPI_FILE}
    uncompared = sorted(names - walk.ours.touched - set(walk.pairs))
    report = build_report(
        source, coverage, sorted(walk.differences.values()), reviewed.entries, walk.pairs, uncompared
    )
    report.digest, report.version = digest, str((document.get("info") or {}).get("version") or "")
    if reviewed.not_covered is not None:
        report.new_operations = [key for key in coverage.missing if key not in reviewed.not_covered]
        report.stale_not_covered = sorted(reviewed.not_covered - set(coverage.missing))
    report.new_unpaired = [name for name in uncompared if name not in reviewed.unpaired]
    report.stale_unpaired = sorted(name for name in reviewed.unpaired if name not in uncompared)
    report.seconds = time.perf_counter() - started
    return report


def update_accepted(report: DriftReport, path: Path | None = None) -> Path:
    """Rewrite the accepted-drift file with every current difference, keeping the reasons already given."""
    from conformance.reports.writer import write_atomic
    from conformance.schemas import SCHEMAS_DIR

    path = path or SCHEMAS_DIR / ACCEPTED_FILE
    header = []
    if path.is_file():
        lines = path.read_text(encoding="utf-8").splitlines()
        header = [line for line in lines[: next((i for i, x in enumerate(lines) if not x.startswith("#")), 0)]]
    reasons = {d.key: reason for d, reason in report.accepted}
    # The upstream operations not covered today are reviewed with the differences: a new one is news tomorrow.
    not_covered = "not_covered = [\n" + "".join(f"    {json.dumps(k)},\n" for k in report.coverage.missing) + "]\n"
    # Our schemas with no upstream counterpart keep their reviewed reason; a new one gets none: review it.
    known = load_reviewed(path).unpaired if path.is_file() else {}
    unpaired = "".join(
        f"[[unpaired]]\nobject = {json.dumps(name)}\nreason = {json.dumps(known.get(name, ''))}\n\n"
        for name in report.uncompared
    )
    text = "".join(f"{line}\n" for line in header) + "\n" + not_covered + "\n" + unpaired
    text += accepted_toml(report, reasons)
    write_atomic(path, text)
    return path
