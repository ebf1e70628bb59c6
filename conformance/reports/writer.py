"""Write a run's reports into a directory, each file atomically.

Every file is rendered first, then written to a temporary file in the report directory and moved into place
with os.replace, so a crash (or a rendering error) never leaves a half-written report behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.exchange import Exchange
from conformance.reports.certificate import render_html, render_markdown
from conformance.reports.junit import render_junit
from conformance.reports.results import exchange_records

FILES = {
    "results": "results.json",
    "junit": "junit.xml",
    "markdown": "certificate.md",
    "html": "certificate.html",
    "exchanges": "exchanges.jsonl",
}


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write `content` (text is written as UTF-8) to `path` through a temporary file in the same directory and
    os.replace."""
    data = content.encode("utf-8", "replace") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Line breaks to Unicode (and to `str.splitlines`) that JSON leaves unescaped: escaped, so that one exchange is
# always one line of exchanges.jsonl (a generated string may hold U+0085).
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def _json_line(record: Any) -> str:
    return json.dumps(record, ensure_ascii=False).translate(_LINE_BREAKS) + "\n"


def write_reports(
    results: dict[str, Any], report_dir: Path, exchanges: Sequence[Exchange | Mapping[str, Any]] = ()
) -> dict[str, Path]:
    """Write results.json, junit.xml, certificate.md, certificate.html and exchanges.jsonl (every exchange).

    Returns name -> path, the names being the keys of FILES (results, junit, markdown, html, exchanges).
    """
    report_dir = Path(report_dir)
    texts = {
        "results": json.dumps(results, indent=2, ensure_ascii=False) + "\n",
        "junit": render_junit(results),
        "markdown": render_markdown(results),
        "html": render_html(results),
        "exchanges": "".join(_json_line(r) for r in exchange_records(exchanges)),
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, text in texts.items():
        path = report_dir / FILES[name]
        write_atomic(path, text)
        paths[name] = path
    return paths
