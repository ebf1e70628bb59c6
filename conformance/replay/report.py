"""The replay's reports: replay.json (the `replay` results document), replay.md and replay-junit.xml.

Differences are grouped: one group per (kind, path, recorded value, answered value), with how many recordings
show it and a few of them side by side. The share of recordings answered alike counts those alike under a
tolerance too, and says how many those are.
"""

from __future__ import annotations

import json
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.exchange import excerpt, printable
from conformance.replay.compare import KINDS
from conformance.replay.run import ALIKE, DIFFERENT, TOLERATED, Outcome, Plan, features_of, share
from conformance.replay.tolerate import TOLERANCES
from conformance.reports.writer import write_atomic

REPLAY_FORMAT = "oai-conformance/replay"
REPLAY_VERSION = 1
FILES = {"results": "replay.json", "markdown": "replay.md", "junit": "replay-junit.xml"}
EXAMPLES = 3  # recordings shown side by side per group
_EXCERPT = 400


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 100.0


def build(
    *,
    outcomes: Sequence[Outcome],
    plan: Plan,
    files: Sequence[str],
    target: Mapping[str, Any],
    models: list[dict[str, Any]],
    started: float,
    finished: float,
    tool_version: str,
) -> dict[str, Any]:
    """The replay document (JSON-ready)."""
    sent, alike, tolerated, different = share(outcomes)
    groups: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    kinds: dict[str, set[str]] = {}
    evidence: dict[str, Any] = {}
    for outcome in outcomes:
        for difference in outcome.differences:
            group = groups.setdefault(
                difference.group,
                {**difference.to_json(), "title": title(difference.kind, difference.path, difference.recorded,
                                                        difference.answered), "recordings": 0, "examples": []},
            )  # fmt: skip
            group["recordings"] += 1
            if len(group["examples"]) < EXAMPLES:
                group["examples"].append(outcome.recording.id)
            kinds.setdefault(difference.kind, set()).add(outcome.recording.id)
        if outcome.status == DIFFERENT and outcome.exchange is not None:
            evidence[outcome.recording.id] = outcome.exchange.to_json(body_limit=4000)
    covered: dict[str, set[str]] = {t.id: set() for t in TOLERANCES}
    for outcome in outcomes:
        for _, tolerance in outcome.tolerated:
            covered[tolerance.id].add(outcome.recording.id)
    skipped: dict[str, int] = {}
    for _, reason in plan.skipped:
        key = reason if not reason.startswith("not drawn") else "not drawn by --sample"
        skipped[key] = skipped.get(key, 0) + 1
    return {
        "format": REPLAY_FORMAT,
        "version": REPLAY_VERSION,
        "tool": {"name": "oai-conformance", "version": tool_version},
        "target": dict(target),
        "started": _iso(started),
        "finished": _iso(finished),
        "duration_s": round(max(finished - started, 0.0), 3),
        "replay": {
            "recordings": {"files": list(files), "total": plan.total, "sample": plan.sample, "seed": plan.seed},
            "summary": {
                "recordings": plan.total,
                "skipped": len(plan.skipped),
                "sent": sent,
                "alike": alike + tolerated,
                "alike_exactly": alike,
                "alike_tolerated": tolerated,
                "different": different,
                "share_alike": percent(alike + tolerated, sent),
                "share_alike_exactly": percent(alike, sent),
            },
            "exit_code": 1 if different else 0,
            "kinds": [
                {"kind": kind, "description": KINDS[kind], "recordings": len(kinds.get(kind, ()))}
                for kind in KINDS
            ],
            "groups": sorted(groups.values(), key=lambda g: (-g["recordings"], g["kind"], g["path"])),
            "tolerances": [
                {"id": t.id, "reason": t.reason, "recordings": len(covered[t.id])} for t in TOLERANCES if covered[t.id]
            ],
            "skipped": [{"reason": r, "recordings": n} for r, n in sorted(skipped.items(), key=lambda x: -x[1])],
            "models": models,
            "results": [_result(o) for o in outcomes],
        },
        "exchanges": evidence,
    }


def _result(outcome: Outcome) -> dict[str, Any]:
    recording = outcome.recording
    out: dict[str, Any] = {
        "id": recording.id,
        "name": recording.name,
        "path": recording.path,
        "features": list(features_of(recording)),
        "outcome": outcome.status,
        "recorded_status": recording.answer.status,
        "answered_status": outcome.answer.status,
    }
    if outcome.differences:
        out["differences"] = [d.to_json() for d in outcome.differences]
    if outcome.tolerated:
        out["tolerated"] = [{**d.to_json(), "tolerance": t.id} for d, t in outcome.tolerated]
    if outcome.status == DIFFERENT:
        out["request"] = outcome.sent
        out["recorded"] = recording.answer.to_json()
        out["answered"] = outcome.answer.to_json()
    return out


def title(kind: str, path: str, recorded: str, answered: str) -> str:
    """A group's one-line title: "answers 200 where the API answers 400 (...)"."""
    where = f" `{path}`" if path and not path.startswith("error.") else ""
    if kind in ("status", "answer", "body", "error.envelope"):
        return f"answers {answered} where the API answers {recorded}"
    if kind.startswith("error."):
        return f"{kind.split('.', 1)[1]} {answered} where the API says {recorded}"
    if kind == "key":
        return f"{'has' if answered == 'present' else 'lacks'}{where}, which the API's answer {'lacks' if answered == 'present' else 'has'}"  # noqa: E501
    if kind.startswith("stream."):
        part = {"stream.role": "role", "stream.finish": "finish_reason", "stream.usage": "usage",
                "stream.done": "[DONE]"}[kind]  # fmt: skip
        on = f" ({path})" if path else ""
        return f"{part}{on}: {answered}, where the API's stream has it {recorded}"
    return f"{kind}{where}: {answered} where the API has {recorded}"


# --- Markdown --------------------------------------------------------------------------------------------------------


def _cell(text: Any, limit: int = _EXCERPT) -> str:
    shown = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)
    return "`" + printable(excerpt(shown, limit)).replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def _answer_cell(answer: Mapping[str, Any]) -> str:
    if answer.get("status") is None:
        return _cell(f"no answer: {answer.get('error', '')}")
    if "stream" in answer:
        chunks = answer.get("stream") or []
        shown = {"status": answer["status"], "chunks": len(chunks), "first": chunks[:1], "last": chunks[-1:],
                 "done": answer.get("done")}  # fmt: skip
        return _cell(shown)
    return _cell({"status": answer["status"], "body": answer.get("body", answer.get("text"))})


def _sampled(replay: Mapping[str, Any]) -> str:
    drawn = replay["recordings"]
    return f"; a sample of {drawn['sample']} (seed {drawn['seed']})." if drawn["sample"] is not None else "."


def render_markdown(document: Mapping[str, Any]) -> str:
    replay = document["replay"]
    s = replay["summary"]
    target = document.get("target") or {}
    lines = [
        f"# Replay: {printable(str(target.get('name') or target.get('base_url') or 'the target'))}",
        "",
        f"Recorded exchanges sent again to `{printable(str(target.get('base_url')))}` and compared with the recorded "
        "answers by shape (status, error type/code/param, key paths, types, nulls, enum values, the lengths the "
        "request fixes, a stream's structure; not text, ids, timestamps or token counts).",
        "",
        "| recordings | sent | answered alike | of which under a tolerance | different | skipped |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {s['recordings']} | {s['sent']} | {s['alike']} ({s['share_alike']}%) | {s['alike_tolerated']} | "
        f"{s['different']} | {s['skipped']} |",
        "",
        f"Exactly alike, without a tolerance: {s['alike_exactly']} ({s['share_alike_exactly']}%). "
        f"Files: {', '.join(f'`{printable(f)}`' for f in replay['recordings']['files'])}{_sampled(replay)}",
        "",
        "## Differences by kind",
        "",
        "| kind | recordings | what is compared |",
        "| --- | ---: | --- |",
    ]
    lines += [f"| `{k['kind']}` | {k['recordings']} | {k['description']} |" for k in replay["kinds"]]
    lines += ["", "## Differences", ""]
    results = {r["id"]: r for r in replay["results"]}
    if not replay["groups"]:
        lines += ["None: every recording sent was answered alike.", ""]
    for number, group in enumerate(replay["groups"], start=1):
        lines += [
            f"### {number}. {printable(group['title'])}",
            "",
            f"Kind `{group['kind']}`; {group['recordings']} recording(s). Recorded: {printable(group['recorded'])}; "
            f"answered: {printable(group['answered'])}.",
            "",
            "| recording | request | the API answered | the server answered |",
            "| --- | --- | --- | --- |",
        ]
        for rid in group["examples"]:
            result = results.get(rid, {})
            lines.append(
                f"| `{printable(rid)}` {printable(result.get('name', ''))} | {_cell(result.get('request'), 300)} | "
                f"{_answer_cell(result.get('recorded', {}))} | {_answer_cell(result.get('answered', {}))} |"
            )
        lines.append("")
    lines += ["## Tolerated", ""]
    if replay["tolerances"]:
        lines += ["| tolerance | recordings | why |", "| --- | ---: | --- |"]
        lines += [f"| `{t['id']}` | {t['recordings']} | {t['reason']} |" for t in replay["tolerances"]]
    else:
        lines.append("No tolerance was needed.")
    lines += ["", "## Models", "", "| role | recorded | sent | recordings | why |", "| --- | --- | --- | ---: | --- |"]
    lines += [
        f"| {m['role']} | `{printable(m['recorded'])}` | `{printable(m['sent'])}` | {m['recordings']} | {m['why']} |"
        for m in replay["models"]
    ]
    if replay["skipped"]:
        lines += ["", "## Not sent", "", "| reason | recordings |", "| --- | ---: |"]
        lines += [f"| {printable(k['reason'])} | {k['recordings']} |" for k in replay["skipped"]]
    lines.append("")
    return "\n".join(lines)


# --- JUnit -----------------------------------------------------------------------------------------------------------


def render_junit(document: Mapping[str, Any]) -> str:
    """One testcase per recording sent: a difference is a <failure>, a tolerated one passes with a note."""
    replay = document["replay"]
    suite = ET.Element("testsuite")
    failures = 0
    for result in replay["results"]:
        case = ET.SubElement(suite, "testcase")
        case.set("classname", f"oai-conformance.replay.{result['path'].strip('/').replace('/', '.')}")
        case.set("name", printable(f"{result['id']} {result.get('name', '')}".strip()))
        case.set("time", "0")
        if result["outcome"] == DIFFERENT:
            failures += 1
            first = result["differences"][0]
            element = ET.SubElement(case, "failure")
            element.set("message", printable(f"{first['kind']}: the API answers {first['recorded']}, "
                                             f"the server {first['answered']}"))  # fmt: skip
            element.set("type", first["kind"])
            element.text = printable("\n".join(
                [*(f"{d['kind']} {d['path']}: recorded {d['recorded']}, answered {d['answered']}"
                   for d in result["differences"]),
                 "request: " + excerpt(result.get("request"), 1000),
                 "recorded: " + excerpt(result.get("recorded"), 2000),
                 "answered: " + excerpt(result.get("answered"), 2000)]))  # fmt: skip
        elif result["outcome"] == TOLERATED:
            out = ET.SubElement(case, "system-out")
            out.text = printable("tolerated: " + ", ".join(sorted({t["tolerance"] for t in result["tolerated"]})))
    suite.set("name", "oai-conformance.replay")
    suite.set("tests", str(len(replay["results"])))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", "0")
    suite.set("time", str(document.get("duration_s", 0)))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(document: Mapping[str, Any], report_dir: Path) -> dict[str, Path]:
    """Render every file first, then write each atomically."""
    texts = {
        "results": json.dumps(document, indent=2, ensure_ascii=False) + "\n",
        "markdown": render_markdown(document),
        "junit": render_junit(document),
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, text in texts.items():
        path = report_dir / FILES[name]
        write_atomic(path, text)
        paths[name] = path
    return paths


def now() -> float:
    return time.time()


__all__ = ["ALIKE", "DIFFERENT", "FILES", "TOLERATED", "build", "render_junit", "render_markdown", "write"]
