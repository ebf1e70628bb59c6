"""JUnit XML from a results document: one testsuite per feature, one testcase per requirement.

fail -> <failure>, error -> <error>, warn -> a pass with a WARN line in <system-out>, skip and not-claimed ->
<skipped>. Text is stripped of the control characters XML 1.0 cannot carry, so the file always parses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from conformance.exchange import curl_line, excerpt, printable

_REQUEST_LIMIT = 1024
_RESPONSE_LIMIT = 2048


def _evidence(record: dict[str, Any], index: str) -> str:
    request = record.get("request") or {}
    lines = [f"--- exchange {index}", f"request: {request.get('method')} {request.get('url')}"]
    if request.get("body"):
        lines.append("request body: " + excerpt(request["body"], _REQUEST_LIMIT))
    response = record.get("response")
    if response is not None:
        lines.append(f"response: {response.get('status')}")
        if response.get("body"):
            lines.append("response body: " + excerpt(response["body"], _RESPONSE_LIMIT))
    if record.get("error"):
        lines.append(f"error: {record['error']}")
    lines.append("reproduce: " + curl_line(record))
    return "\n".join(lines)


def _details(entry: dict[str, Any], exchanges: dict[str, Any]) -> str:
    """Every failure of a requirement, then the evidence of each exchange they (or it) point to."""
    lines = [f"{entry['level']} {entry['id']}: {entry['description']}", f"source: {entry['source']}"]
    lines += [f"reason: {r}" for r in entry.get("reasons", [])]
    indices: list[str] = []
    for failure in entry.get("failures", []):
        where = f" at {failure['at']}" if failure.get("at") else ""
        case = f" [{failure['case']}]" if failure.get("case") else ""
        ref = f" (exchange {failure['exchange']})" if failure.get("exchange") is not None else ""
        hint = f" ({failure['hint']})" if failure.get("hint") else ""
        lines.append(f"- {failure['message']}{hint}{where}{case}{ref}")
        if failure.get("exchange") is not None:
            indices.append(str(failure["exchange"]))
    indices += [str(i) for i in entry.get("exchanges", [])]
    for index in dict.fromkeys(indices):
        if index in exchanges:
            lines.append(_evidence(exchanges[index], index))
    return "\n".join(lines)


def _first_message(entry: dict[str, Any], default: str) -> str:
    if entry.get("failures"):
        return str(entry["failures"][0]["message"])
    if entry.get("reasons"):
        return str(entry["reasons"][0])
    return default


def _set(element: ET.Element, **attributes: Any) -> None:
    for name, value in attributes.items():
        element.set(name, printable(str(value)))


def render_junit(results: dict[str, Any]) -> str:
    exchanges = results.get("exchanges", {})
    order = [f["name"] for f in results.get("features", [])]
    groups: dict[str, list[dict[str, Any]]] = {name: [] for name in order}
    for entry in results.get("requirements", []):
        groups.setdefault(entry["feature"], []).append(entry)

    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for feature, entries in groups.items():
        suite = ET.SubElement(root, "testsuite")
        counts = {"tests": len(entries), "failures": 0, "errors": 0, "skipped": 0}
        for entry in entries:
            case = ET.SubElement(suite, "testcase")
            _set(case, classname=f"oai-conformance.{feature}", name=entry["id"], time="0")
            status = entry["status"]
            if status == "fail":
                counts["failures"] += 1
                element = ET.SubElement(case, "failure")
                _set(element, message=_first_message(entry, "failed"), type=entry["level"])
                element.text = printable(_details(entry, exchanges))
            elif status == "error":
                counts["errors"] += 1
                element = ET.SubElement(case, "error")
                _set(element, message=_first_message(entry, "error"), type="error")
                element.text = printable(_details(entry, exchanges))
            elif status in ("skip", "not-claimed"):
                counts["skipped"] += 1
                element = ET.SubElement(case, "skipped")
                _set(element, message=_first_message(entry, status))
            elif status == "warn":
                out = ET.SubElement(case, "system-out")
                out.text = printable("WARN " + _details(entry, exchanges))
        _set(suite, name=feature, **counts, time="0")
        for key in totals:
            totals[key] += counts[key]
    _set(root, name="oai-conformance", **totals, time=results.get("duration_s", 0))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
