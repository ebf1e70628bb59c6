"""Expectations: the reviewed list of requirements a given server is known to fail, and what a run makes of it.

An expectations file is TOML, keyed by requirement id (wpt's meaning, STYLE.md §6.3; PASS is implicit):

    target = "litellm"
    generated-from = "docs/compatibility/litellm/results.json"

    ["embeddings.usage.adds-up"]
    expected = "FAIL"                       # FAIL for a MUST requirement, WARN for a SHOULD one
    reason = "usage.total_tokens is 0 while prompt_tokens is 10; the API sends the sum"
    evidence = "200 {... \\"prompt_tokens\\":10,\\"total_tokens\\":0 ...}"
    intermittent = true                     # optional: the deviation shows only sometimes (a pass is not news)

`apply` marks a results document: a listed requirement that failed (or warned) is an *expected* failure and
does not change the exit code; a listed one that passed is an *unexpected pass*; an unlisted failure stays a
failure. With `strict`, an unexpected pass or an unlisted warning also makes the exit code 1, so a fresh run
that differs from the file in any way is a failure (the comparison CI makes).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.exceptions import ConfigError
from conformance.judgement import departs, failing
from conformance.requirements import Level, catalogue

_FIELDS = frozenset({"expected", "reason", "evidence", "intermittent"})
_TOP = frozenset({"target", "generated-from"})
_EXPECTED_FOR = {Level.MUST: "FAIL", Level.SHOULD: "WARN"}


@dataclass(frozen=True)
class Expectation:
    requirement: str
    expected: str  # FAIL or WARN
    reason: str
    evidence: str
    intermittent: bool = False

    def to_json(self) -> dict[str, str | bool]:
        return {
            "expected": self.expected,
            "reason": self.reason,
            "evidence": self.evidence,
            "intermittent": self.intermittent,
        }


@dataclass(frozen=True)
class Expectations:
    path: str
    target: str
    entries: Mapping[str, Expectation]


def load(path: Path) -> Expectations:
    """Read and validate an expectations file; any problem is a one-line ConfigError naming the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the expectations file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a TOML expectations file: {exc}") from None
    known = catalogue()
    entries: dict[str, Expectation] = {}
    for key, value in data.items():
        if key in _TOP:
            if not isinstance(value, str):
                raise ConfigError(f"{path}: {key!r} must be a string")
            continue
        if key not in known:
            raise ConfigError(f"{path}: unknown requirement id {key!r} (see `oai-conformance requirements`)")
        entries[key] = _entry(path, key, value, _EXPECTED_FOR[known[key].level])
    return Expectations(str(path), str(data.get("target", "")), entries)


def _entry(path: Path, rid: str, value: Any, expected: str) -> Expectation:
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{rid!r}] must be a table with expected, reason and evidence")
    if unknown := sorted(set(value) - _FIELDS):
        raise ConfigError(
            f"{path}: [{rid!r}] has unknown key {unknown[0]!r} (allowed: expected, reason, evidence, intermittent)"
        )
    if value.get("expected") != expected:
        raise ConfigError(f"{path}: [{rid!r}] expected must be {expected!r} (got {value.get('expected')!r})")
    for name in ("reason", "evidence"):
        text = value.get(name)
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{path}: [{rid!r}] needs a non-empty {name}")
    if "\n" in value["reason"].strip():
        raise ConfigError(f"{path}: [{rid!r}] reason must be one line")
    if value["reason"].strip().upper().startswith("TODO"):
        raise ConfigError(
            f"{path}: [{rid!r}] reason still says TODO: write what the server does and what the API does instead"
        )
    if not isinstance(value.get("intermittent", False), bool):
        raise ConfigError(f"{path}: [{rid!r}] intermittent must be true or false")
    return Expectation(
        rid, expected, value["reason"].strip(), value["evidence"].strip(), value.get("intermittent", False)
    )


def apply(results: dict[str, Any], expectations: Expectations, strict: bool = False) -> dict[str, Any]:
    """The results document with every requirement marked against the expectations, and the exit code redone.

    Each listed requirement gets `expected` (the entry) and `expectation`: `expected-fail`, `unexpected-pass`, or
    `not-observed` (skipped, not claimed, or an intermittent deviation that did not show this time).
    `results["expectations"]` lists the ids of each kind.
    """
    marked: dict[str, list[str]] = {
        "expected_failures": [],
        "unexpected_passes": [],
        "unexpected_failures": [],
        "unexpected_warnings": [],
        "not_observed": [],
    }
    requirements = []
    for entry in results["requirements"]:
        entry = dict(entry)
        listed = expectations.entries.get(entry["id"])
        status = entry["status"]
        if listed is not None:
            entry["expected"] = listed.to_json()
            passed = "not-observed" if listed.intermittent else "unexpected-pass"
            kind = "expected-fail" if departs(status) else passed if status == "pass" else "not-observed"
            entry["expectation"] = kind
            marked[
                {"expected-fail": "expected_failures", "unexpected-pass": "unexpected_passes"}.get(kind, "not_observed")
            ].append(entry["id"])
        elif failing(status):
            marked["unexpected_failures"].append(entry["id"])
        elif status == "warn":
            marked["unexpected_warnings"].append(entry["id"])
        requirements.append(entry)

    unexpected = [i for i in marked["unexpected_failures"] if _is_must_or_strict(results, i)]
    if strict:
        unexpected += marked["unexpected_passes"] + marked["unexpected_warnings"]
    return {
        **results,
        "requirements": requirements,
        "exit_code": 1 if unexpected else 0,
        "expectations": {"file": expectations.path, "target": expectations.target, "strict": strict, **marked},
    }


def _is_must_or_strict(results: dict[str, Any], rid: str) -> bool:
    """A failed SHOULD requirement counts against the exit code only in strict mode (as without expectations)."""
    entry = next(e for e in results["requirements"] if e["id"] == rid)
    return entry["level"] == Level.MUST.value or results.get("target", {}).get("mode") == "strict"


def differences(results: dict[str, Any]) -> list[str]:
    """One line per way a marked run departs from its expectations file (empty: the run matches it)."""
    marks = results.get("expectations") or {}
    by_id = {e["id"]: e for e in results["requirements"]}
    lines = []
    for rid in marks.get("unexpected_failures", []) + marks.get("unexpected_warnings", []):
        failures = by_id[rid].get("failures") or [{}]
        message = str(failures[0].get("message", "")).splitlines()[0] if failures[0] else ""
        lines.append(f"+ {rid}: {by_id[rid]['status']} but not in the expectations file: {message}")
    lines += [f"- {rid}: passed but the expectations file lists it" for rid in marks.get("unexpected_passes", [])]
    lines += [
        f"- {rid}: {by_id[rid]['status']} (not judged) but the expectations file lists it"
        for rid in marks.get("not_observed", [])
        if by_id[rid]["status"] != "pass" and not by_id[rid]["expected"].get("intermittent")
    ]
    return lines


# `oai-conformance expectations update` -------------------------------------------------------------------------


def update(results: dict[str, Any], previous: Expectations | None, generated_from: str) -> str:
    """The expectations file for a run: one entry per failed or warned requirement; the reasons of `previous`
    are kept, new entries get a TODO reason and evidence taken from their first failure's exchange."""
    old = previous.entries if previous else {}
    target = (previous.target if previous else "") or str(results.get("target", {}).get("name") or "")
    lines = [f"target = {_toml(target)}", f"generated-from = {_toml(generated_from)}", ""]
    for entry in results["requirements"]:
        if not departs(entry["status"]):
            continue
        expected = "FAIL" if entry["level"] == Level.MUST.value else "WARN"
        kept = old.get(entry["id"])
        reason = kept.reason if kept else "TODO: what the server does; what the API does instead"
        evidence = kept.evidence if kept else _evidence(results, entry)
        lines += [
            f"[{_toml(entry['id'])}]",
            f"expected = {_toml(expected)}",
            f"reason = {_toml(reason)}",
            f"evidence = {_toml(evidence)}",
            *(["intermittent = true"] if kept and kept.intermittent else []),
            "",
        ]
    return "\n".join(lines)


def _evidence(results: dict[str, Any], entry: dict[str, Any]) -> str:
    exchanges = results.get("exchanges", {})
    for failure in entry.get("failures", []):
        record = exchanges.get(str(failure.get("exchange")))
        if record and record.get("response"):
            body = " ".join(str(record["response"].get("body") or "").split())
            return f"{record['response'].get('status')} {body[:300]}"
    failures = entry.get("failures") or [{}]
    return " ".join(str(failures[0].get("message", "see the certificate")).split())[:300]


def _toml(text: str) -> str:
    """A TOML basic string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'
