"""The human certificate, in Markdown and in self-contained HTML, rendered from a results document.

Both formats share one view model (`certificate_context`): the target, the verdict, the per-feature table, the
departures from the OpenAI API with their evidence, and the full requirement table. The templates live in
`templates/`; HTML is autoescaped, Markdown text goes through the `md` filter.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from conformance.exchange import curl_line, excerpt
from conformance.judgement import departs, failing
from conformance.reports.results import clean_text

TITLE = "OpenAI API conformance certificate"
TEMPLATES = Path(__file__).parent / "templates"
REQUEST_LIMIT = 1024  # bytes of a request body shown as evidence
RESPONSE_LIMIT = 2048  # bytes of a response body shown as evidence
SHOWN_FAILURES = 5  # failures shown per requirement
SHOWN_EXCHANGES = 5  # exchanges shown per requirement


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _value(value: Any) -> str:
    """A target value in one line: lists joined, mappings as `key: value` pairs."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_value(v) for v in value) or "—"
    return str(value)


def _evidence(index: str, record: dict[str, Any]) -> dict[str, Any]:
    request = record.get("request") or {}
    response = record.get("response")
    return {
        "index": index,
        "method": request.get("method", ""),
        "url": request.get("url", ""),
        "request_body": clean_text(excerpt(request.get("body") or "", REQUEST_LIMIT)),
        "status": None if response is None else response.get("status"),
        "response_body": clean_text(excerpt((response or {}).get("body") or "", RESPONSE_LIMIT)),
        "error": record.get("error", ""),
        "curl": clean_text(curl_line(record)),
    }


def _departure(entry: dict[str, Any], exchanges: dict[str, Any]) -> dict[str, Any]:
    failures = entry.get("failures", [])
    shown = failures[:SHOWN_FAILURES]
    indices = [str(f["exchange"]) for f in shown if f.get("exchange") is not None]
    if not indices:
        indices = [str(i) for i in entry.get("exchanges", [])]
    evidence = [_evidence(i, exchanges[i]) for i in dict.fromkeys(indices) if i in exchanges]
    return {
        **entry,
        # Reasons explain skips; beside a failure they would only echo other cases' skips of the same rule.
        "reasons": entry.get("reasons", []) if entry.get("status") == "error" else [],
        "failures": shown,
        "violations": len(failures),
        "hidden": len(failures) - len(shown),
        "evidence": evidence[:SHOWN_EXCHANGES],
    }


def certificate_context(results: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates show, computed once."""
    summary = results["summary"]
    target = dict(results.get("target") or {})
    conformant = results["verdict"] == "conformant"
    failed = summary.get("must_failed", 0)
    failed_text = _plural(failed, "MUST requirement")
    if summary.get("should_failed"):
        failed_text += f" and {_plural(summary['should_failed'], 'SHOULD requirement')} (strict mode)"
    verdict = "conformant" if conformant else f"not conformant: {failed_text} failed"
    not_run = summary.get("must_not_run", 0)
    partial = f"{_plural(not_run, 'MUST requirement')} of claimed features not run" if not_run else ""
    claimed = [f["name"] for f in results.get("features", []) if f.get("claimed")]

    known = {"name": "Name", "base_url": "Base URL", "mode": "Mode", "models": "Models"}
    target_rows = [(label, _value(target.get(key))) for key, label in known.items()]
    target_rows.append(("Claimed features", _value(claimed) if claimed else "none"))
    target_rows += [(str(k), _value(v)) for k, v in target.items() if k not in known]

    exchanges = results.get("exchanges", {})
    requirements = results.get("requirements", [])
    must = [e for e in requirements if e["level"] == "MUST" and failing(e["status"])]
    should = [e for e in requirements if e not in must and departs(e["status"])]
    usage = results.get("usage", {})
    return {
        "title": TITLE,
        "tool": results.get("tool", {}),
        "target_name": _value(target.get("name")) if target.get("name") else "",
        "target_rows": target_rows,
        "started": results.get("started", ""),
        "finished": results.get("finished", ""),
        "duration": _duration(results.get("duration_s", 0.0)),
        "usage": usage,
        "resources": results.get("resources"),
        "conformant": conformant,
        "verdict": verdict,
        "failed_text": failed_text,
        "partial": partial,
        "summary": summary,
        "features": results.get("features", []),
        "departures": [_departure(e, exchanges) for e in must + should],
        "must_departures": len(must),
        "should_departures": len(should),
        "requirements": requirements,
        "plural": _plural,
        "expectations": results.get("expectations"),
    }


_MD_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|"}


def _md(text: Any) -> str:
    """Inline Markdown text: one line, no raw HTML, no table breaks."""
    text = clean_text(str(text))
    text = re.sub(r"\s*\n\s*", " ", text)
    return "".join(_MD_ESCAPES.get(c, c) for c in text)


def _fence(text: Any) -> str:
    """A code fence longer than any run of backticks in `text`."""
    runs = [len(r) for r in re.findall(r"`+", str(text))]
    return "`" * max(3, max(runs, default=0) + 1)


def _clean(text: Any) -> str:
    """Text without control characters; markup stays markup, so nothing is escaped twice."""
    if isinstance(text, markupsafe.Markup):
        return markupsafe.Markup(clean_text(str(text)))
    return clean_text(str(text))


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(("https://", "http://"))


@cache
def _environment(html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["fence"] = _fence
    env.filters["clean"] = _clean
    env.tests["url"] = _is_url
    return env


def render_markdown(results: dict[str, Any]) -> str:
    return _environment(False).get_template("certificate.md.j2").render(certificate_context(results))


def render_html(results: dict[str, Any]) -> str:
    return _environment(True).get_template("certificate.html.j2").render(certificate_context(results))
