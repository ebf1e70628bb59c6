"""Compare two results documents (a baseline and a current run) requirement by requirement.

Requirements are matched by id, which is permanent (STYLE.md 6.2). The comparison says what got worse
(regressions: pass -> fail or error), what got better (fixes), which requirements appeared or disappeared, and
how the warnings changed; every other status change is listed too, so nothing moves unseen. Only a regression
makes the comparison fail (exit code 1).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.judgement import failing
from conformance.reports.results import load_results

COMPARISON_FORMAT = "oai-conformance/comparison"
COMPARISON_VERSION = 1


@dataclass(frozen=True)
class Change:
    """One requirement whose status differs between the two runs (`before`/`after` empty when absent)."""

    id: str
    level: str
    feature: str
    before: str
    after: str
    messages: tuple[str, ...] = ()  # the current run's failure messages (first lines), for regressions

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "level": self.level,
            "feature": self.feature,
            "before": self.before or None,
            "after": self.after or None,
            "messages": list(self.messages),
        }


@dataclass(frozen=True)
class Comparison:
    baseline: str
    current: str
    regressions: list[Change] = field(default_factory=list)
    fixes: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    new_warnings: list[Change] = field(default_factory=list)
    resolved_warnings: list[Change] = field(default_factory=list)
    other: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0

    def sections(self) -> dict[str, list[Change]]:
        return {
            "regressions": self.regressions,
            "fixes": self.fixes,
            "new": self.new,
            "removed": self.removed,
            "new_warnings": self.new_warnings,
            "resolved_warnings": self.resolved_warnings,
            "other": self.other,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": COMPARISON_FORMAT,
            "version": COMPARISON_VERSION,
            "baseline": self.baseline,
            "current": self.current,
            "exit_code": self.exit_code,
            "notes": self.notes,
            **{name: [c.to_json() for c in changes] for name, changes in self.sections().items()},
        }


def _messages(entry: Mapping[str, Any]) -> tuple[str, ...]:
    found: list[str] = []
    for failure in entry.get("failures") or []:
        lines = str(failure.get("message", "")).splitlines()
        head = lines[0] if lines else ""
        at = f" at {failure['at']}" if failure.get("at") else ""
        hint = str(failure.get("hint") or "")
        found.append(f"{head}{at}" + (f" — {hint}" if hint else ""))
    return tuple(dict.fromkeys(found))


def compare(
    baseline: Mapping[str, Any], current: Mapping[str, Any], *, names: tuple[str, str] = ("", "")
) -> Comparison:
    """The comparison of two results documents (as `load_results` returns them)."""
    before = {r["id"]: r for r in baseline.get("requirements", [])}
    after = {r["id"]: r for r in current.get("requirements", [])}
    result = Comparison(baseline=names[0], current=names[1])
    for key in ("base_url", "mode"):
        old, new = (baseline.get("target") or {}).get(key), (current.get("target") or {}).get(key)
        if old != new:
            result.notes.append(f"target {key} differs: {old!r} in the baseline, {new!r} now")

    for rid, entry in after.items():
        old = before.get(rid)
        was, now = (old or {}).get("status", ""), entry.get("status", "")
        change = Change(rid, entry.get("level", ""), entry.get("feature", ""), was, now, _messages(entry))
        if old is None:
            result.new.append(change)
        elif was == now:
            continue
        elif was == "pass" and failing(now):
            result.regressions.append(change)
        elif failing(was) and now == "pass":
            result.fixes.append(change)
        elif now == "warn" and not failing(was):
            result.new_warnings.append(change)
        elif was == "warn" and not failing(now):
            result.resolved_warnings.append(change)
        else:
            result.other.append(change)
    for rid, entry in before.items():
        if rid not in after:
            result.removed.append(Change(rid, entry.get("level", ""), entry.get("feature", ""), entry["status"], ""))
    return result


def compare_files(baseline: Path, current: Path) -> Comparison:
    """Compare two results files; a missing or foreign file is a ConfigError that names it."""
    return compare(load_results(baseline), load_results(current), names=(str(baseline), str(current)))


_TITLES = {
    "regressions": "Regressions (pass → fail)",
    "fixes": "Fixes (fail → pass)",
    "new": "New requirements",
    "removed": "Removed requirements",
    "new_warnings": "New warnings",
    "resolved_warnings": "Warnings gone",
    "other": "Other status changes",
}


def render_markdown(comparison: Comparison) -> str:
    verdict = f"**{len(comparison.regressions)} regression(s)**" if comparison.regressions else "No regression"
    lines = [
        "# Comparison with the baseline",
        "",
        f"Baseline: `{comparison.baseline}`, current: `{comparison.current}`. {verdict}.",
        "",
    ]
    lines += [f"- Note: {note}" for note in comparison.notes]
    for name, changes in comparison.sections().items():
        if not changes:
            continue
        lines += ["", f"## {_TITLES[name]} ({len(changes)})", "", "| requirement | level | before | now |"]
        lines.append("| --- | --- | --- | --- |")
        for change in changes:
            lines.append(f"| `{change.id}` | {change.level} | {change.before or '—'} | {change.after or '—'} |")
        if name == "regressions":
            for change in changes:
                lines += [f"- `{change.id}`: {message}" for message in change.messages[:3]]
    if not any(comparison.sections().values()):
        lines.append("Every requirement has the status it had in the baseline.")
    return "\n".join(lines).rstrip() + "\n"


def render_json(comparison: Comparison) -> str:
    return json.dumps(comparison.to_json(), indent=2, ensure_ascii=False) + "\n"


def render(comparison: Comparison, fmt: str) -> str:
    return render_json(comparison) if fmt == "json" else render_markdown(comparison)
