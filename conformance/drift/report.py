"""The drift report: coverage, differences (new or reviewed), stale reviewed entries; and the accepted-drift file.

The accepted-drift file (TOML) lists the differences people reviewed, each with a reason, so that only new drift
fails a nightly run:

    [[accepted]]
    object = "chat.completion"            # our schema (file name without .json)
    at = "system_fingerprint"             # the path inside it, "" for the object itself
    kind = "nullable"                     # see conformance.drift.diff.KINDS
    detail = "ours nullable, upstream not"
    reason = "DECISIONS.md: system-fingerprint"

An entry names the kind it accepts. It may cover a group of differences of that kind that share one reason: `*`
in `at` stands for any run of characters (`[type=web_search_call].*` is every difference inside that alternative,
`*.annotations[].*` every one inside any annotation), `{a,b,c}` one of the listed words
(`[type={mcp_call,shell_call}].*`), and a missing `detail` matches any. `object` is always a whole name. A pattern
entry that matches no current difference is stale like any other.

A difference that changes what a value may be (a type, nullability, a newly required property, a removed enum
value: `EXACT_ONLY`) is accepted only by an entry that names its kind and a path without `*` (`{a,b}` lists
each path it names); for a type or a removed value also its detail, which says what changed. A group with `*` in
its path never absorbs one, so each such change upstream surfaces.

An entry that matches no current difference is stale: the report lists it, so the file can be cleaned.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from conformance.drift.diff import KINDS, REQUIRED_UPSTREAM, Coverage, Difference
from conformance.exceptions import ConfigError

REPORT_FORMAT = "oai-conformance/drift"
REPORT_VERSION = 1
_FIELDS = ("object", "at", "kind", "detail", "reason")
EXACT_ONLY = frozenset({"type", "nullable", "required-added", "enum-removed"})
_DETAIL_NAMED = frozenset({"type", "enum-removed"})  # their detail is the change itself


def exact_only(d: Difference) -> bool:
    """Whether only an entry naming `d`'s kind and path may accept it (a property upstream adds as required too)."""
    return d.kind in EXACT_ONLY or (d.kind == "property-added" and d.detail == REQUIRED_UPSTREAM)


@dataclass(frozen=True)
class Accepted:
    """A reviewed difference, or a group of them of one kind: `any_detail` matches any detail, `*` in `at` any
    characters."""

    difference: Difference
    reason: str
    any_detail: bool = False

    @property
    def is_pattern(self) -> bool:
        return self.any_detail or "*" in self.difference.at or "," in self.difference.at

    @property
    def names_exactly(self) -> bool:
        """Whether the entry may accept an `exact_only` difference: no `*` in its path, and the detail named where
        the detail is the change."""
        detail_ok = not self.any_detail or self.difference.kind not in _DETAIL_NAMED
        return "*" not in self.difference.at and detail_ok

    def matches(self, d: Difference) -> bool:
        mine = self.difference
        if d.object != mine.object or (exact_only(d) and not self.names_exactly):
            return False
        if d.kind != mine.kind:
            return False
        if not self.any_detail and d.detail != mine.detail:
            return False
        if not self.is_pattern or ("*" not in mine.at and "{" not in mine.at):
            return d.at == mine.at
        return re.fullmatch(_pattern(mine.at), d.at, re.DOTALL) is not None


def _pattern(at: str) -> str:
    """`*` any characters, `{a,b}` one of the words listed; the rest literal."""
    out: list[str] = []
    for token in re.split(r"(\*|\{[^{}]*\})", at):
        if token == "*":
            out.append(".*")
        elif token.startswith("{") and token.endswith("}") and "," in token:
            out.append("(?:" + "|".join(re.escape(w.strip()) for w in token[1:-1].split(",")) + ")")
        else:
            out.append(re.escape(token))
    return "".join(out)


@dataclass
class Reviewed:
    """What the accepted-drift file holds: the reviewed differences, and the upstream operations known not to be
    covered (None: the file keeps no such list, so none is news)."""

    entries: list[Accepted]
    not_covered: set[str] | None = None
    unpaired: dict[str, str] = field(default_factory=dict)  # our schemas with no upstream counterpart: the reason


def load_reviewed(path: Path) -> Reviewed:
    """The accepted-drift file; a broken file or entry is a ConfigError that says where."""
    entries = load_accepted(path)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unpaired: dict[str, str] = {}
    for number, entry in enumerate(data.get("unpaired", []), 1):
        if not isinstance(entry, dict) or set(entry) != {"object", "reason"} or not str(entry["reason"]).strip():
            raise ConfigError(f"{path}: [[unpaired]] entry {number}: needs exactly an object and a reason")
        unpaired[str(entry["object"])] = str(entry["reason"])
    listed = data.get("not_covered")
    if listed is None:
        return Reviewed(entries, None, unpaired)
    if not isinstance(listed, list) or not all(isinstance(x, str) for x in listed):
        raise ConfigError(f"{path}: not_covered must be a list of operations (\"METHOD /path\")")
    return Reviewed(entries, set(listed), unpaired)


def load_accepted(path: Path) -> list[Accepted]:
    """The reviewed differences of an accepted-drift file; a broken file or entry is a ConfigError that says where."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the accepted-drift file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a TOML file: {exc}") from None
    entries = data.get("accepted", [])
    if set(data) - {"accepted", "not_covered", "unpaired"} or not isinstance(entries, list):
        raise ConfigError(f"{path}: expected only [[accepted]] and [[unpaired]] entries and a not_covered list")
    found: list[Accepted] = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: [[accepted]] entry {number}"
        if not isinstance(entry, dict) or (unknown := set(entry) - set(_FIELDS)):
            raise ConfigError(f"{where}: unknown keys {sorted(unknown) if isinstance(entry, dict) else entry!r}")
        if not all(isinstance(entry.get(k, ""), str) for k in _FIELDS):
            raise ConfigError(f"{where}: every value must be a string")
        if "kind" not in entry:  # an entry that accepted any kind would absorb any change upstream
            raise ConfigError(f"{where}: needs a kind: an entry names the kind of difference it accepts")
        if entry["kind"] not in KINDS:
            raise ConfigError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
        if not entry.get("object") or not str(entry.get("reason", "")).strip():
            raise ConfigError(f"{where}: needs an object and a reason")
        difference = Difference(entry["object"], entry.get("at", ""), entry["kind"], entry.get("detail", "*"))
        accepted = Accepted(difference, entry["reason"].strip(), any_detail="detail" not in entry)
        if entry.get("kind") in EXACT_ONLY and not accepted.names_exactly:
            detail = " and its detail" if entry["kind"] in _DETAIL_NAMED else ""
            raise ConfigError(
                f"{where}: a {entry['kind']} difference is accepted only by an entry that names its path without `*`"
                + detail
            )
        found.append(accepted)
    return found


@dataclass
class DriftReport:
    upstream: str
    coverage: Coverage
    new: list[Difference]
    accepted: list[tuple[Difference, str]]  # current differences with the reason that accepts them
    stale: list[Accepted]
    pairs: dict[str, list[str]]
    uncompared: list[str]  # our schemas that met no upstream counterpart
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    groups: list[Accepted] = field(default_factory=list)  # the pattern entries that cover current differences
    matched: dict[tuple[str, str, str, str], Accepted] = field(default_factory=dict)  # difference key -> its entry
    digest: str = ""  # sha256 of the upstream document as read: which version a night compared against
    version: str = ""  # the upstream document's info.version
    new_operations: list[str] = field(default_factory=list)  # upstream operations nobody reviewed as not covered
    new_unpaired: list[str] = field(default_factory=list)  # our schemas that lost (or never had) a counterpart
    stale_unpaired: list[str] = field(default_factory=list)  # reviewed as unpaired, but paired now
    # reviewed as not covered, but covered now (or gone upstream): the list must say what is true
    stale_not_covered: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """1 when there is news for a reviewer: a new difference, a stale entry (the upstream changed under it),
        an upstream operation that nobody reviewed, one of our schemas left without its upstream counterpart."""
        news = (self.new or self.stale or self.new_operations or self.new_unpaired or self.stale_unpaired
                or self.stale_not_covered)  # fmt: skip
        return 1 if news else 0


def build_report(
    upstream: str,
    coverage: Coverage,
    differences: list[Difference],
    accepted: list[Accepted],
    pairs: dict[str, set[str]],
    uncompared: list[str],
) -> DriftReport:
    exact = {a.difference.key: a for a in accepted if not a.is_pattern}
    patterns = [a for a in accepted if a.is_pattern]
    used: set[int] = set()
    reviewed: list[tuple[Difference, str]] = []
    new: list[Difference] = []
    matched: dict[tuple[str, str, str, str], Accepted] = {}
    for d in differences:  # an exact entry first, then the first pattern that covers the difference
        entry = exact.get(d.key) or next((a for a in patterns if a.matches(d)), None)
        if entry is None:
            new.append(d)
        else:
            used.add(id(entry))
            reviewed.append((d, entry.reason))
            matched[d.key] = entry
    return DriftReport(
        upstream=upstream,
        coverage=coverage,
        new=new,
        accepted=reviewed,
        stale=[a for a in accepted if id(a) not in used],
        groups=[a for a in patterns if id(a) in used],
        matched=matched,
        pairs={k: sorted(v) for k, v in sorted(pairs.items())},
        uncompared=uncompared,
    )


def _row(d: Difference) -> dict[str, str]:
    return {"object": d.object, "at": d.at, "kind": d.kind, "detail": d.detail, "upstream": d.upstream}


def _entry(entry: Accepted | None) -> dict[str, str | None] | None:
    """The accepted entry as the file spells it (`detail` None: it matches any)."""
    if entry is None:
        return None
    mine = entry.difference
    return {"at": mine.at, "kind": mine.kind, "detail": None if entry.any_detail else mine.detail}


def render_json(report: DriftReport) -> str:
    coverage = report.coverage
    data = {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "upstream": report.upstream,
        "upstream_sha256": report.digest,
        "upstream_version": report.version,
        "exit_code": report.exit_code,
        "seconds": round(report.seconds, 3),
        "coverage": {
            "upstream_operations": len(coverage.upstream),
            "covered": len(coverage.covered),
            "share": round(coverage.share, 4),
            "covered_operations": coverage.covered,
            "missing_operations": coverage.missing,
            "new_operations": report.new_operations,
            "stale_not_covered": report.stale_not_covered,
        },
        "objects": report.pairs,
        "uncompared": report.uncompared,
        "new_unpaired": report.new_unpaired,
        "stale_unpaired": report.stale_unpaired,
        "new": [_row(d) for d in report.new],
        "accepted": [
            {**_row(d), "reason": reason, "entry": _entry(report.matched.get(d.key))} for d, reason in report.accepted
        ],
        "stale": [{**_row(a.difference), "reason": a.reason} for a in report.stale],
        "notes": report.notes,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _table(rows: list[tuple[Difference, str]], last: str) -> list[str]:
    lines = [f"| object | at | change | upstream | {last} |", "| --- | --- | --- | --- | --- |"]
    for d, extra in rows:
        change = f"{d.kind}" + (f": {d.detail}" if d.detail else "")
        lines.append(f"| `{d.object}` | `{d.at or '.'}` | {change} | `{d.upstream}` | {extra} |".replace("\n", " "))
    return lines


def render_markdown(report: DriftReport) -> str:
    """The night's news first: new differences, stale entries, new upstream operations. What was reviewed before
    (the reviewed table, the objects compared, every uncovered operation) is in `--format json` only, so a clean
    night is a few lines."""
    coverage = report.coverage
    unpaired = report.new_unpaired + report.stale_unpaired
    news = len(report.new) + len(report.stale) + len(report.new_operations) + len(unpaired)
    news += len(report.stale_not_covered)
    verdict = f"**{news} item(s) to review**" if news else "No news"
    lines = [
        "# Schema drift against the upstream OpenAPI document",
        "",
        f"Upstream: `{report.upstream}` (version {report.version or '?'}, sha256 `{report.digest[:16] or '?'}`).",
        f"{verdict}: {len(report.new)} new difference(s), {len(report.stale)} stale accepted "
        f"entr{'y' if len(report.stale) == 1 else 'ies'}, {len(report.new_operations)} new upstream operation(s); "
        f"{len(report.accepted)} reviewed differences.",
        "",
        f"Coverage: {len(coverage.covered)} of {len(coverage.upstream)} upstream operations ({coverage.share:.1%}).",
    ]
    lines += [f"- Note: {note}" for note in report.notes]
    if report.new:
        lines += ["", f"## New differences ({len(report.new)})", ""]
        lines += _table([(d, KINDS[d.kind]) for d in report.new], "meaning")
    if report.stale:
        lines += ["", f"## Stale accepted entries ({len(report.stale)})", "", "They match no current difference."]
        lines += ["", *_table([(a.difference, a.reason) for a in report.stale], "reason")]
    if report.new_operations:
        lines += ["", f"## New upstream operations ({len(report.new_operations)})", ""]
        lines += ["Not covered, and not in the reviewed `not_covered` list:", ""]
        lines += [f"- `{key}`" for key in report.new_operations]
    if report.stale_not_covered:
        lines += ["", f"## Stale `not_covered` entries ({len(report.stale_not_covered)})", ""]
        lines += ["Reviewed as not covered, but covered now or gone upstream (drop them from the list):", ""]
        lines += [f"- `{key}`" for key in report.stale_not_covered]
    if report.new_unpaired:
        lines += ["", f"## Schemas without an upstream counterpart ({len(report.new_unpaired)})", ""]
        lines += ["Not compared at all, and not reviewed as such (`[[unpaired]]`):", ""]
        lines += [f"- `{name}`" for name in report.new_unpaired]
    if report.stale_unpaired:
        lines += ["", f"Reviewed as unpaired but compared now (drop their `[[unpaired]]` entries): "
                  f"{', '.join(f'`{n}`' for n in report.stale_unpaired)}."]  # fmt: skip
    lines += ["", "The reviewed differences, the objects compared and every uncovered operation: `--format json`."]
    return "\n".join(lines) + "\n"


def render(report: DriftReport, fmt: str) -> str:
    return render_json(report) if fmt == "json" else render_markdown(report)


def accepted_toml(report: DriftReport, reasons: dict[tuple[str, str, str, str], str] | None = None) -> str:
    """An accepted-drift file holding every current difference: the group entries that still cover some, as they
    were, then one entry per other difference; `reasons` by key (new ones get none: review them)."""
    reasons = reasons or {}
    out: list[str] = []
    for group in report.groups:
        fields = {"object": group.difference.object, "at": group.difference.at, "kind": group.difference.kind}
        if not group.any_detail:
            fields["detail"] = group.difference.detail
        out += ["[[accepted]]", *(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in fields.items())]
        out += [f"reason = {json.dumps(group.reason, ensure_ascii=False)}", ""]
    grouped = {id(d) for d, _ in report.accepted if any(g.matches(d) for g in report.groups)}
    for d in sorted([*report.new, *(d for d, _ in report.accepted if id(d) not in grouped)]):
        out += ["[[accepted]]"] + [
            f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in _row(d).items() if k != "upstream"
        ]
        out += [f"reason = {json.dumps(reasons.get(d.key, ''), ensure_ascii=False)}", ""]
    return "\n".join(out)
