"""Spec drift: how our schemas (`schemas/*.json`, wired by `schemas/openapi.json`) depart from an upstream
OpenAPI document, the published one of openai/openai-openapi by default.

`normalise` reduces both sides to one comparable shape, `diff` pairs the objects and lists the differences,
`report` sorts them into new and reviewed (the accepted-drift file) and renders them. `check` does it all.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path
from typing import Any

from conformance.drift.diff import KINDS, MAPPING, Difference, compare_documents
from conformance.drift.report import DriftReport, Reviewed, accepted_toml, build_report, load_reviewed, render
from conformance.exceptions import ConfigError
from conformance.retry import RetryPolicy, failure_of

__all__ = ["KINDS", "MAPPING", "UPSTREAM_URL", "Difference", "DriftReport", "check", "render", "update_accepted"]

# The branch and file openai/openai-openapi publishes the specification on (its README and the projects that
# follow it name manual_spec/openapi.yaml; master holds an old copy).
UPSTREAM_URL = "https://raw.githubusercontent.com/openai/openai-openapi/manual_spec/openapi.yaml"
ACCEPTED_FILE = "ACCEPTED-DRIFT.toml"
OPENAPI_FILE = "openapi.json"


def load_upstream(source: str, timeout: float = 60.0) -> dict[str, Any]:
    """The upstream OpenAPI document (JSON or YAML) from a URL or a path; anything else is a ConfigError."""
    return read_upstream(source, timeout)[0]


def read_upstream(source: str, timeout: float = 60.0) -> tuple[dict[str, Any], str]:
    """The upstream document and the sha256 of its text, which names the version a report compared against."""
    if source.startswith(("http://", "https://")):
        text = _fetch(source, timeout)
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--upstream: cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from None
    document = _parse(source, text)
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ConfigError(f"--upstream: {source} is not an OpenAPI document (no `paths`)")
    return document, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as not_json:
        import yaml

        try:  # upstream publishes YAML; JSON is YAML too, but the JSON parser is far faster
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise ConfigError(f"--upstream: {source} is neither JSON ({not_json}) nor YAML ({exc})") from None


def _fetch(url: str, timeout: float, policy: RetryPolicy | None = None) -> str:
    """GET a document, retried by the suite's one retry policy (GitHub rate-limits too)."""
    import httpx

    policy = policy or RetryPolicy()
    for retry_number in itertools.count():
        try:
            response = httpx.get(url, timeout=timeout, follow_redirects=True)
        except httpx.TransportError as exc:
            delay = policy.delay(method="GET", retry_number=retry_number, failure=failure_of(exc))
            if delay is None:
                raise ConfigError(f"--upstream: cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        else:
            delay = policy.delay(
                method="GET", retry_number=retry_number, status=response.status_code, headers=response.headers
            )
            if delay is None:
                if response.status_code != 200:
                    raise ConfigError(f"--upstream: {url} answered {response.status_code}")
                return response.text
        time.sleep(delay)
    raise AssertionError("unreachable")


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
