"""The results document: everything a run concluded, as versioned JSON-ready data.

The document is the single input of every report (JUnit, certificates) and of baselines, so it carries the
whole catalogue (every requirement, in catalogue order, with a status), the per-feature and overall counts,
the verdict, and the evidence: only the exchanges that a failure or a WARN/FAIL observation points to.
Exchanges are redacted when they are built, so nothing here can hold a secret the caller did not hand over.

The module also holds the small helpers the renderers share to show an exchange record (excerpts, curl).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.exceptions import ConfigError
from conformance.exchange import Exchange
from conformance.judgement import (
    DEPARTING,
    NOT_RUN,
    STATUSES,
    Observation,
    Outcome,
    Status,
    failing,
    not_claimed_reason,
    worst,
)
from conformance.requirements import Feature, Level, Requirement
from conformance.spend import UNITS

RESULTS_FORMAT = "oai-conformance/results"
RESULTS_VERSION = 1
TOOL_NAME = "oai-conformance"


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _merge(outcomes: Iterable[Outcome]) -> dict[str, tuple[Status, tuple[Observation, ...]]]:
    """Outcomes by requirement id; several outcomes of one id fold together (the worst status wins)."""
    merged: dict[str, tuple[Status, tuple[Observation, ...]]] = {}
    for outcome in outcomes:
        status, seen = merged.get(outcome.requirement, (outcome.status, ()))
        merged[outcome.requirement] = (worst((status, outcome.status)), seen + outcome.observations)
    return merged


def _requirement_entry(
    req: Requirement, merged: Mapping[str, tuple[Status, tuple[Observation, ...]]], claimed: bool
) -> tuple[dict[str, Any], set[int]]:
    """The record of one requirement and the indices of the exchanges that are its evidence."""
    status, observations = merged.get(req.id, (Status.SKIP, ()))
    # The reasons of the observations that gave the outcome its status (a pass has no skip reasons).
    reasons = list(dict.fromkeys(o.reason for o in observations if o.reason and o.status is status))
    cases = list(dict.fromkeys(o.case for o in observations if o.case))
    failures: list[dict[str, Any]] = []
    evidence: set[int] = set()
    if not claimed:
        status = Status.NOT_CLAIMED
        reasons = [not_claimed_reason(req.feature)]
    else:
        if status is Status.SKIP and not reasons:
            reasons = [NOT_RUN]
        for obs in observations:
            for f in obs.failures:
                failure = {"message": f.message, "at": f.at, "case": obs.case, "exchange": f.exchange}
                failures.append(failure | ({"hint": f.hint} if f.hint else {}))
                if f.exchange is not None:
                    evidence.add(f.exchange)
            # Failures that name their exchanges are the evidence; an observation over a batch of exchanges
            # (the generated examples) would otherwise make every one of them evidence.
            if obs.status in DEPARTING and not any(f.exchange is not None for f in obs.failures):
                evidence.update(obs.exchanges)
    entry = {
        "id": req.id,
        "level": req.level.value,
        "feature": req.feature,
        "description": req.description,
        "source": req.source,
        "status": status.value,
        "reasons": reasons,
        "cases": cases,
        "failures": failures,
        # Beyond the brief's list: the evidence of this requirement, so a report can show an observation's
        # exchanges even when its failures name none.
        "exchanges": sorted(evidence),
    }
    return entry, evidence


def _counts(entries: Iterable[dict[str, Any]]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for entry in entries:
        counts[entry["status"]] += 1
    return counts


def _failed(entry: dict[str, Any], level: Level) -> bool:
    return entry["level"] == level.value and failing(entry["status"])


def build_results(
    *,
    outcomes: Iterable[Outcome],
    requirements: Mapping[str, Requirement],
    features: Mapping[str, Feature],
    claimed: Callable[[str], bool],
    target: Mapping[str, Any],
    usage: Mapping[str, Any],
    exchanges: Sequence[Exchange | Mapping[str, Any]],
    started: float,
    finished: float,
    tool_version: str,
) -> dict[str, Any]:
    """The results document of a run (see the module doc and docs for the shape).

    Every requirement of `requirements` appears, in its order. Outcomes of ids that are not in `requirements`
    are ignored. An exchange is found by its `index`, or by its position in `exchanges` when it has none.
    """
    merged = _merge(outcomes)
    entries: list[dict[str, Any]] = []
    evidence: set[int] = set()
    for req in requirements.values():
        entry, used = _requirement_entry(req, merged, claimed(req.feature))
        entries.append(entry)
        evidence |= used

    must = [e for e in entries if e["level"] == Level.MUST.value]
    must_failed = sum(1 for e in must if _failed(e, Level.MUST))
    should_failed = sum(1 for e in entries if _failed(e, Level.SHOULD))  # non-zero only in strict mode
    summary: dict[str, int] = {"requirements": len(entries), **_counts(entries)}
    summary["must"] = len(must)
    summary["must_passed"] = sum(1 for e in must if e["status"] == Status.PASS.value)
    summary["must_failed"] = must_failed
    summary["should_failed"] = should_failed
    # MUST requirements of claimed features that no case judged (a `-k` selection, a case that crashed): a
    # verdict over a partial run says so.
    summary["must_not_run"] = sum(1 for e in must if e["status"] == Status.SKIP.value and e["reasons"] == [NOT_RUN])

    feature_rows = []
    for feature in features.values():
        mine = [e for e in entries if e["feature"] == feature.name]
        mine_must = [e for e in mine if e["level"] == Level.MUST.value]
        feature_rows.append(
            {
                "name": feature.name,
                "description": feature.description,
                "claimed": bool(claimed(feature.name)),
                **_counts(mine),
                "must": len(mine_must),
                "must_passed": sum(1 for e in mine_must if e["status"] == Status.PASS.value),
            }
        )

    by_index: dict[int, Mapping[str, Any]] = {}
    for position, record in enumerate(exchange_records(exchanges)):
        by_index.setdefault(record["index"] if record.get("index") is not None else position, record)
    records = {str(i): dict(by_index[i]) for i in sorted(evidence) if i in by_index}

    conformant = must_failed + should_failed == 0
    return {
        "format": RESULTS_FORMAT,
        "version": RESULTS_VERSION,
        "tool": {"name": TOOL_NAME, "version": tool_version},
        "target": dict(target),
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_s": round(max(finished - started, 0.0), 3),
        "verdict": "conformant" if conformant else "not conformant",
        "exit_code": 0 if conformant else 1,
        "summary": summary,
        "features": feature_rows,
        "requirements": entries,
        "usage": {
            "requests": int(usage.get("requests", len(exchanges))),
            "prompt_tokens": int(usage.get("prompt_tokens", 0)),
            "completion_tokens": int(usage.get("completion_tokens", 0)),
            "total_tokens": int(usage.get("total_tokens", 0)),
            "units": {unit: round(float(amount), 3) for unit, amount in usage.get("units", {}).items()},
            "by_feature": usage_by_feature(usage.get("endpoints", {})),
        },
        "exchanges": records,
    }


OTHER_ENDPOINTS = "other"  # requests to paths the API does not have (the errors cases' unknown routes)


def usage_by_feature(endpoints: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """The counts of each endpoint ("POST /chat/completions") summed by the feature of its operation: requests and
    tokens as integers, the units of conformance.spend (seconds of audio) as they were counted."""
    import re

    from conformance.generation import operations

    templates = [(op.method, re.compile(re.sub(r"\{\w+\}", "[^/]+", op.path)), op.feature.split(".")[0])
                 for op in operations()]  # fmt: skip
    by_feature: dict[str, dict[str, float]] = {}
    for endpoint, counts in endpoints.items():
        method, _, path = endpoint.partition(" ")
        feature = next((f for m, pattern, f in templates if m == method and pattern.fullmatch(path)), OTHER_ENDPOINTS)
        into = by_feature.setdefault(feature, {})
        for name, value in counts.items():
            summed = into.get(name, 0) + value
            into[name] = round(summed, 3) if name in UNITS else int(summed)
    return dict(sorted(by_feature.items()))


def exchange_records(exchanges: Sequence[Exchange | Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Exchanges as JSON records: a run's exchanges arrive as records when they crossed a process boundary."""
    return [e.to_json() if isinstance(e, Exchange) else e for e in exchanges]


def load_results(path: Path) -> dict[str, Any]:
    """Read a results document; a missing file, bad JSON or another format/version is a ConfigError."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the results file: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"{path}: not a JSON results file: {problem}") from None
    if not isinstance(data, dict) or data.get("format") != RESULTS_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ConfigError(f"{path}: not an {RESULTS_FORMAT} document (format {found!r})")
    if data.get("version") != RESULTS_VERSION:
        raise ConfigError(
            f"{path}: results version {data.get('version')!r} is not supported (expected {RESULTS_VERSION})"
        )
    return data
