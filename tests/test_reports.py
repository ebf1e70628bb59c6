"""The reports: the results document, JUnit XML, the certificates and the atomic writer.

Every test builds its own requirements, features and outcomes: nothing here depends on the real catalogue.
"""

from __future__ import annotations

import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.exceptions import ConfigError
from conformance.exchange import Exchange, curl_line
from conformance.judgement import Failure, Observation, Status, fold, violated
from conformance.reports import (
    build_results,
    load_results,
    render_html,
    render_junit,
    render_markdown,
    write_reports,
)
from conformance.reports import writer as writer_module
from conformance.reports.certificate import must_share, must_tally
from conformance.reports.results import RESULTS_FORMAT, RESULTS_VERSION
from conformance.requirements import Feature, Level, Requirement

SECRET = "sk-test-very-secret-0123456789"
BASE = "http://127.0.0.1:9/v1"

FEATURES = {
    "chat": Feature("chat", "Chat completions"),
    "embeddings": Feature("embeddings", "Embeddings"),
    "models": Feature("models", "Models"),
}


def _req(rid: str, level: Level, feature: str, description: str) -> Requirement:
    return Requirement(rid, level, feature, description, f"https://platform.openai.com/docs/{feature}")


REQUIREMENTS = {
    r.id: r
    for r in [
        _req("chat.response.object", Level.MUST, "chat", "object is chat.completion"),
        _req("chat.response.id-field", Level.MUST, "chat", "id is a string"),
        _req("chat.response.usage-total", Level.SHOULD, "chat", "usage.total_tokens is the sum"),
        _req("chat.response.fingerprint", Level.SHOULD, "chat", "system_fingerprint is present"),
        _req("chat.request.stop-four", Level.MUST, "chat", "stop accepts up to four strings"),
        _req("chat.response.never-run", Level.MUST, "chat", "a requirement no check observed"),
        _req("embeddings.response.order", Level.MUST, "embeddings", "data is in input order"),
        _req("embeddings.response.dims", Level.MUST, "embeddings", "dimensions are honoured"),
        _req("models.list.object", Level.MUST, "models", "object is list"),
    ]
}


def _exchange(index: int, body: dict[str, Any], status: int, response: str) -> Exchange:
    return Exchange.build(
        method="post",
        url=f"{BASE}/chat/completions?key={SECRET}",
        request_headers={
            "Authorization": f"Bearer {SECRET}",
            "Content-Type": "application/json",
            "X-Debug": f"token={SECRET}",
        },
        request_body=json.dumps({**body, "user": SECRET}).encode(),
        status=status,
        response_headers={"content-type": "application/json", "x-echo": SECRET},
        response_body=response.replace("SECRET", SECRET).encode(),
        secrets=[SECRET],
        index=index,
    )


EXCHANGES = [
    _exchange(0, {"model": "m", "messages": []}, 200, '{"object": "chat.completion", "id": "x"}'),
    _exchange(1, {"model": "m", "stop": ["a", "b"]}, 200, '{"object": "chat.completions", "echo": "SECRET"}'),
    _exchange(2, {"model": "m", "stop": ["a", "b", "c", "d"]}, 400, '{"error": {"message": "bad stop"}}'),
    _exchange(3, {"model": "m"}, 200, '{"usage": {"prompt_tokens": 1, "total_tokens": 5}}'),
    _exchange(4, {"model": "m", "n": 1}, 200, '{"object": "chat.completion", "id": 7}'),
    _exchange(5, {"model": "unused"}, 200, "{}"),
]
XSS = "<script>alert(1)</script> in content"


def _obs(
    rid: str,
    status: Status,
    *failures: tuple[str, str, int | None],
    case: str = "",
    reason: str = "",
    exchanges: tuple[int, ...] = (),
) -> Observation:
    return Observation(
        rid,
        status,
        tuple(Failure(rid, message, at, ex) for message, at, ex in failures),
        reason=reason,
        case=case or f"tests/test_chat.py::test_{rid.rsplit('.', 1)[-1]}",
        exchanges=exchanges,
    )


def _outcomes() -> list:
    groups = {
        "chat.response.object": [
            _obs("chat.response.object", Status.PASS, exchanges=(0,)),
            _obs(
                "chat.response.object",
                Status.FAIL,
                ("'chat.completions' is not 'chat.completion'", "$.object", 1),
                case="tests/test_chat.py::test_object[b]",
            ),
        ],
        "chat.response.id-field": [
            _obs(
                "chat.response.id-field",
                Status.FAIL,
                *[(f"id {n}: 7 is not of type 'string'", "$.id", 4) for n in range(7)],
            ),
        ],
        "chat.response.usage-total": [
            # A SHOULD violation in compatible mode: the judgement made it a warning.
            _obs("chat.response.usage-total", Status.WARN, ("total_tokens 5 != 1 + 0", "$.usage", 3)),
        ],
        "chat.response.fingerprint": [
            _obs("chat.response.fingerprint", Status.WARN, (XSS, "$.system_fingerprint", None), exchanges=(0,)),
        ],
        "chat.request.stop-four": [
            _obs("chat.request.stop-four", Status.SKIP, reason="the target has no stop support"),
        ],
        "embeddings.response.order": [
            _obs("embeddings.response.order", Status.FAIL, ("out of order", "$.data[1]", 5)),
        ],
        "models.list.object": [
            _obs("models.list.object", Status.PASS, exchanges=(0,)),
        ],
    }
    outcomes = [fold(rid, obs) for rid, obs in groups.items()]
    # An outcome for an id outside the catalogue is ignored.
    outcomes.append(fold("unknown.req.id", [_obs("unknown.req.id", Status.FAIL, ("x", "", 5))]))
    return outcomes


def _build(
    outcomes: list | None = None, claimed: frozenset[str] = frozenset({"chat", "models"}), mode: str = "compatible"
) -> dict[str, Any]:
    return build_results(
        outcomes=_outcomes() if outcomes is None else outcomes,
        requirements=REQUIREMENTS,
        features=FEATURES,
        claimed=lambda f: f.split(".")[0] in claimed,
        target={"name": "local-server", "base_url": BASE, "mode": mode, "models": {"chat": "m"}},
        usage={
            **{"requests": 6, "prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
            "endpoints": {"POST /chat/completions": {"requests": 6, "total_tokens": 30}},
            "units": {"images": 2.0, "audio_seconds": 1.23456},
        },
        exchanges=EXCHANGES,
        started=1_700_000_000.0,
        finished=1_700_000_012.5,
        tool_version="0.1.0",
    )


@pytest.fixture
def results() -> dict[str, Any]:
    return _build()


def _by_id(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in results["requirements"]}


# --- the results document ---


def test_results_shape(results):
    assert list(results) == [
        "format",
        "version",
        "tool",
        "target",
        "started",
        "finished",
        "duration_s",
        "verdict",
        "exit_code",
        "summary",
        "features",
        "requirements",
        "usage",
        "exchanges",
    ]
    assert results["format"] == RESULTS_FORMAT and results["version"] == RESULTS_VERSION == 1
    assert results["tool"] == {"name": "oai-conformance", "version": "0.1.0"}
    assert results["started"] == "2023-11-14T22:13:20Z"
    assert results["finished"] == "2023-11-14T22:13:32Z"
    assert results["duration_s"] == 12.5
    assert results["usage"] == {
        "requests": 6,
        "prompt_tokens": 10,
        "completion_tokens": 20,
        "total_tokens": 30,
        "units": {"images": 2.0, "audio_seconds": 1.235},
        "by_feature": {"chat": {"requests": 6, "total_tokens": 30}},
    }
    assert [r["id"] for r in results["requirements"]] == list(REQUIREMENTS)
    json.dumps(results)  # JSON-ready


def test_requirement_statuses(results):
    by_id = _by_id(results)
    assert {rid: r["status"] for rid, r in by_id.items()} == {
        "chat.response.object": "fail",
        "chat.response.id-field": "fail",
        "chat.response.usage-total": "warn",
        "chat.response.fingerprint": "warn",
        "chat.request.stop-four": "skip",
        "chat.response.never-run": "skip",
        "embeddings.response.order": "not-claimed",  # observed FAIL, but the feature is not claimed
        "embeddings.response.dims": "not-claimed",
        "models.list.object": "pass",
    }
    assert by_id["chat.response.never-run"]["reasons"] == ["not run"]
    assert by_id["chat.request.stop-four"]["reasons"] == ["the target has no stop support"]
    assert by_id["embeddings.response.order"]["failures"] == []
    assert "not claimed" in by_id["embeddings.response.order"]["reasons"][0]
    obj = by_id["chat.response.object"]
    assert obj["cases"] == ["tests/test_chat.py::test_object", "tests/test_chat.py::test_object[b]"]
    assert obj["failures"] == [
        {
            "message": "'chat.completions' is not 'chat.completion'",
            "at": "$.object",
            "case": "tests/test_chat.py::test_object[b]",
            "exchange": 1,
        }
    ]
    assert list(obj) == [
        "id",
        "level",
        "feature",
        "description",
        "source",
        "status",
        "reasons",
        "cases",
        "failures",
        "exchanges",
    ]
    assert obj["level"] == "MUST" and obj["source"] == "https://platform.openai.com/docs/chat"


def test_summary_and_features(results):
    assert results["summary"] == {
        "requirements": 9,
        "pass": 1,
        "fail": 2,
        "warn": 2,
        "skip": 2,
        "not-claimed": 2,
        "error": 0,
        "must": 7,
        "must_passed": 1,
        "must_failed": 2,
        "should_failed": 0,
        "must_not_run": 1,
    }
    chat, embeddings, models = results["features"]
    assert chat == {
        "name": "chat",
        "description": "Chat completions",
        "claimed": True,
        "pass": 0,
        "fail": 2,
        "warn": 2,
        "skip": 2,
        "not-claimed": 0,
        "error": 0,
        "must": 4,
        "must_passed": 0,
    }
    assert embeddings["claimed"] is False and embeddings["not-claimed"] == 2 and embeddings["must"] == 2
    assert models["claimed"] is True and models["pass"] == 1 and models["must_passed"] == 1


def test_verdict(results):
    assert results["verdict"] == "not conformant" and results["exit_code"] == 1
    # Only SHOULD problems, skips and passes: conformant.
    passing = [
        o
        for o in _outcomes()
        if o.requirement
        in {
            "chat.response.usage-total",
            "chat.response.fingerprint",
            "chat.request.stop-four",
            "models.list.object",
        }
    ]
    ok = _build(passing)
    assert ok["verdict"] == "conformant" and ok["exit_code"] == 0
    assert ok["summary"]["must_failed"] == 0


def test_error_on_must_is_not_conformant():
    errored = fold("models.list.object", [Observation("models.list.object", Status.ERROR, reason="boom")])
    results = _build([errored])
    assert results["verdict"] == "not conformant" and results["summary"]["must_failed"] == 1
    assert results["summary"]["error"] == 1


def test_outcomes_of_one_requirement_fold_together():
    a = fold("models.list.object", [_obs("models.list.object", Status.PASS)])
    b = fold("models.list.object", [_obs("models.list.object", Status.FAIL, ("bad", "$", 0))])
    entry = _by_id(_build([a, b]))["models.list.object"]
    assert entry["status"] == "fail" and len(entry["failures"]) == 1


def test_only_evidence_exchanges(results):
    # 1, 3, 4: named by failures; 0: an exchange of the WARN observation (its PASS observations don't count).
    # Not 5 (a not-claimed feature and an unknown id) and not 2 (never referenced).
    assert list(results["exchanges"]) == ["0", "1", "3", "4"]
    assert results["exchanges"]["4"] == EXCHANGES[4].to_json()
    assert _by_id(results)["chat.response.fingerprint"]["exchanges"] == [0]
    assert _by_id(results)["models.list.object"]["exchanges"] == []


def test_exchange_found_by_position_when_unindexed():
    plain = Exchange.build(method="GET", url=f"{BASE}/models", request_headers={}, request_body=b"", status=500)
    outcome = fold("models.list.object", [_obs("models.list.object", Status.FAIL, ("500", "", 0))])
    results = build_results(
        outcomes=[outcome],
        requirements=REQUIREMENTS,
        features=FEATURES,
        claimed=lambda f: True,
        target={},
        usage={},
        exchanges=[plain],
        started=0.0,
        finished=1.0,
        tool_version="x",
    )
    assert results["exchanges"]["0"]["request"]["url"] == f"{BASE}/models"
    assert results["usage"] == {"requests": 1, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0,
                                "units": {}, "by_feature": {}}


# --- load_results ---


def test_load_results_roundtrip(tmp_path, results):
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    assert load_results(path) == results


@pytest.mark.parametrize(
    "content, problem",
    [
        (json.dumps({"format": "something-else", "version": 1}), "not an oai-conformance/results document"),
        (json.dumps({"format": RESULTS_FORMAT, "version": 2}), "version 2 is not supported"),
        (json.dumps([1, 2]), "not an oai-conformance/results document"),
        ("{not json", "not a JSON results file"),
    ],
)
def test_load_results_rejects(tmp_path, content, problem):
    path = tmp_path / "old.json"
    path.write_text(content)
    with pytest.raises(ConfigError) as info:
        load_results(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and problem in message


def test_load_results_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_results(tmp_path / "nope.json")


# --- JUnit ---


def test_junit_parses_with_counts(results):
    root = ET.fromstring(render_junit(results))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == (
        "9",
        "2",
        "0",
        "4",
    )
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["chat", "embeddings", "models"]
    chat = suites["chat"]
    assert (chat.get("tests"), chat.get("failures"), chat.get("errors"), chat.get("skipped")) == (
        "6",
        "2",
        "0",
        "2",
    )
    assert suites["embeddings"].get("skipped") == "2"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["models.list.object"].get("classname") == "oai-conformance.models"
    failure = cases["chat.response.object"].find("failure")
    assert failure is not None
    assert failure.get("message") == "'chat.completions' is not 'chat.completion'" and failure.get("type") == "MUST"
    assert "exchange 1" in failure.text and "curl" in failure.text and "chat.completions" in failure.text
    assert len(cases["chat.response.id-field"].find("failure").text.split("7 is not of type")) == 8
    warn = cases["chat.response.usage-total"]
    assert warn.find("failure") is None and warn.find("system-out").text.startswith("WARN")
    assert cases["chat.response.never-run"].find("skipped").get("message") == "not run"
    assert "not claimed" in cases["embeddings.response.dims"].find("skipped").get("message")
    assert list(cases["models.list.object"]) == []


def test_junit_error_and_control_characters():
    bad = "bad \x00byte\x1b[31m and \x07bell"
    outcome = fold("models.list.object", [_obs("models.list.object", Status.ERROR, (bad, "$", 0), reason="crash")])
    root = ET.fromstring(render_junit(_build([outcome])))
    error = next(root.iter("error"))
    assert error.get("message") == "bad \\x00byte\\x1b[31m and \\x07bell"  # escaped, shown: never raw
    assert root.get("errors") == "1"


# --- certificates ---


def test_markdown(results):
    md = render_markdown(results)
    assert md.startswith("# OpenAI API conformance certificate")
    assert "NOT CONFORMANT: 2 MUST requirements failed" in md
    assert "| chat | yes | 0/4, 2 skipped | 2 | 2 | 2 |" in md
    assert "| embeddings | no | — | — | — | — |" in md
    assert "| models | yes | 1/1 (100%) | 0 | 0 | 0 |" in md
    assert "'chat.completions' is not 'chat.completion' — at $.object" in md
    assert "local-server" in md and BASE in md and "0.1.0" in md and "12.5 s" in md
    assert "6 requests, 10 prompt + 20 completion = 30 tokens" in md
    assert "| Also spent | 2 images, 1.235 s of audio |" in md
    # Evidence: request, response status and body, and a curl line with the key from the environment.
    assert "Request: POST http://127.0.0.1:9/v1/chat/completions" in md
    assert '"echo": "[REDACTED]"' in md and "Response: 200" in md
    assert "curl -sS -X POST" in md and '-H "Authorization: Bearer $OPENAI_API_KEY"' in md
    # Several violations: grouped, at most five shown.
    assert "(7 violations)" in md and "… and 2 more" in md
    assert "id 4: 7 is not of type" in md and "id 5: 7 is not of type" not in md
    # MUST departures before SHOULD ones; the HTML in a message is neutralised.
    assert md.index('### <a id="chat.response.id-field"></a>') < md.index('### <a id="chat.response.usage-total"></a>')
    assert "<script>" not in md and "&lt;script&gt;" in md
    row = (
        "| chat.response.never-run | MUST | chat | [skip](#chat.response.never-run) | a requirement no check observed |"
    )
    assert row in md


def test_markdown_conformant():
    passing = [fold("models.list.object", [_obs("models.list.object", Status.PASS)])]
    built = _build(passing)
    md = render_markdown(built)
    assert "**Verdict: CONFORMANT**" in md and "None: no requirement failed or warned." in md
    built["usage"]["units"] = {"images": 0.0}
    assert "Also spent" not in render_markdown(built), "a run that spent no media units says nothing of them"


def test_html(results):
    html = render_html(results)
    assert html.startswith("<!DOCTYPE html>")
    assert "NOT CONFORMANT: 2 MUST requirements failed" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#39;chat.completions&#39; is not &#39;chat.completion&#39;" in html
    assert "(7 violations)" in html and "… and 2 more" in html
    assert "<code>chat</code>" in html and '<td class="n">0/4, 2 skipped</td>' in html
    assert "Response <strong>200</strong>" in html and "curl -sS -X POST" in html
    assert "Bearer $OPENAI_API_KEY" in html
    assert "<tr><th>Also spent</th><td>2 images, 1.235 s of audio</td></tr>" in html
    assert 'href="https://platform.openai.com/docs/chat"' in html
    # Self-contained: no external stylesheet, script or image.
    assert "<link" not in html and "<script" not in html and "<img" not in html and "<style>" in html


def test_body_excerpts_are_bounded():
    big = Exchange.build(
        method="POST",
        url=f"{BASE}/chat/completions",
        request_headers={},
        request_body=b"q" * 5000,
        status=500,
        response_body=b"r" * 9000,
        index=0,
    )
    outcome = fold("models.list.object", [_obs("models.list.object", Status.FAIL, ("big", "", 0))])
    results = build_results(
        outcomes=[outcome],
        requirements=REQUIREMENTS,
        features=FEATURES,
        claimed=lambda f: True,
        target={},
        usage={},
        exchanges=[big],
        started=0.0,
        finished=1.0,
        tool_version="x",
    )
    md = render_markdown(results)
    assert "q" * 1024 + "... (5000 chars)" in md and "q" * 1025 not in md.split("curl")[0]
    assert "r" * 2048 + "... (9000 chars)" in md and "r" * 2049 not in md


def test_curl_line_quotes_and_keeps_the_key_out():
    record = EXCHANGES[1].to_json()
    line = curl_line(record)
    assert line.startswith(f"curl -sS -X POST '{BASE}/chat/completions?key=[REDACTED]'")
    assert '-H "Authorization: Bearer $OPENAI_API_KEY"' in line
    assert "-H 'content-type: application/json'" in line and "x-debug" not in line
    assert SECRET not in line
    quoted = curl_line({"request": {"method": "POST", "url": "u", "headers": {}, "body": "it's"}})
    assert quoted.endswith("""-d 'it'"'"'s'""")
    no_auth = curl_line({"request": {"method": "GET", "url": "u", "headers": {"accept": "*/*"}, "body": ""}})
    assert no_auth == "curl -sS -X GET u -H 'accept: */*'"


# --- the writer ---


def test_write_reports(tmp_path, results):
    out = tmp_path / "new" / "dir"
    paths = write_reports(results, out, EXCHANGES)
    assert set(paths) == {"results", "junit", "markdown", "html", "exchanges"}
    assert sorted(p.name for p in out.iterdir()) == [
        "certificate.html",
        "certificate.md",
        "exchanges.jsonl",
        "junit.xml",
        "results.json",
    ]
    assert load_results(paths["results"]) == results
    assert paths["results"].read_text().startswith('{\n  "format"')
    ET.parse(paths["junit"])
    assert paths["html"].read_text().rstrip().endswith("</html>")
    lines = paths["exchanges"].read_text().splitlines()
    assert [json.loads(line) for line in lines] == [e.to_json() for e in EXCHANGES]


def test_one_exchange_is_one_line_whatever_its_strings_hold(tmp_path, results):
    breaks = "a\x85b\u2028c\u2029d\ne"  # str.splitlines breaks at each; JSON escapes only the last by itself
    exchange = _exchange(0, {"model": "m", "metadata": {breaks: breaks}}, 200, "{}")
    paths = write_reports(results, tmp_path, [exchange])
    lines = paths["exchanges"].read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [exchange.to_json()]


def test_write_reports_leaves_no_secret(tmp_path, results):
    write_reports(results, tmp_path, EXCHANGES)
    for path in tmp_path.iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text, path.name
        assert "[REDACTED]" in text or path.suffix in {".xml"}, path.name


def test_write_reports_is_atomic(tmp_path, results, monkeypatch):
    write_reports(results, tmp_path, EXCHANGES)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    # A crash while writing the third file: the files already there are whole, and no temp file is left.
    calls = {"n": 0}
    real_replace = os.replace

    def crashing_replace(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(writer_module.os, "replace", crashing_replace)
    changed = {**results, "verdict": "conformant", "exit_code": 0}
    with pytest.raises(OSError, match="disk full"):
        write_reports(changed, tmp_path, EXCHANGES)
    monkeypatch.undo()
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(after) == set(before)  # no .tmp leftovers
    assert after["certificate.md"] == before["certificate.md"]  # the interrupted file is the old, whole one
    json.loads(after["results.json"])
    ET.fromstring(after["junit.xml"])


def test_render_error_writes_nothing(tmp_path, results):
    broken = {**results, "summary": {}}
    with pytest.raises(Exception):  # noqa: B017 - any rendering error
        write_reports(broken, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_written_files_are_complete_after_rewrite(tmp_path, results):
    write_reports(results, tmp_path, EXCHANGES)
    paths = write_reports(results, tmp_path)  # no exchanges this time: the log is emptied
    assert paths["exchanges"].read_text() == ""
    assert not [p for p in Path(tmp_path).iterdir() if p.name.startswith(".")]


def test_strict_mode_makes_a_should_violation_a_failure():
    # The judgement decides a violation's status; the results count what it decided.
    assert violated(Level.SHOULD, "compatible") is Status.WARN and violated(Level.SHOULD, "strict") is Status.FAIL
    assert violated(Level.MUST, "compatible") is Status.FAIL
    only_should = [o for o in _outcomes() if o.requirement == "chat.response.usage-total"]
    compatible = _build(only_should, mode="compatible")
    assert compatible["verdict"] == "conformant" and compatible["summary"]["should_failed"] == 0
    failed = _obs("chat.response.usage-total", Status.FAIL, ("total_tokens 5 != 1 + 0", "$.usage", 3))
    strict_only_should = _build([fold("chat.response.usage-total", [failed])], mode="strict")
    assert strict_only_should["summary"]["should_failed"] == 1
    assert strict_only_should["verdict"] == "not conformant" and strict_only_should["exit_code"] == 1
    assert "SHOULD requirement (strict mode) failed" in render_markdown(strict_only_should)


def test_a_partial_run_says_so():
    only_models = [o for o in _outcomes() if o.requirement == "models.list.object"]
    partial = _build(only_models)
    assert partial["verdict"] == "conformant"
    assert partial["summary"]["must_not_run"] > _build()["summary"]["must_not_run"]
    not_run = f"{partial['summary']['must_not_run']} MUST requirements of claimed features not run"
    assert "partial run" in render_markdown(partial) and not_run in render_markdown(partial)
    assert "Partial run" in render_html(partial) and not_run in render_html(partial)


def test_a_failure_does_not_show_the_skip_reasons_of_other_cases():
    mixed = fold(
        "chat.response.object",
        [
            _obs("chat.response.object", Status.SKIP, reason="no stream in this case"),
            _obs("chat.response.object", Status.FAIL, ("'x' is not 'chat.completion'", "$.object", 1)),
        ],
    )
    markdown = render_markdown(_build([mixed]))
    assert "'x' is not 'chat.completion'" in markdown
    assert "no stream in this case" not in markdown


# --- certificates: the verdict first, what to look at, and every number accounted for ---


def _errored() -> dict[str, Any]:
    """The fixture's run, with a check that crashed on models.list.object (an error)."""
    crashed = _obs("models.list.object", Status.ERROR, reason="the check crashed: KeyError: 'data'")
    return _build(
        [o for o in _outcomes() if o.requirement != "models.list.object"] + [fold("models.list.object", [crashed])]
    )


def test_the_index_at_the_top_links_each_failed_warned_errored_and_skipped_requirement():
    results = _errored()
    md, html = render_markdown(results), render_html(results)
    groups = {
        "Failed (2)": ["chat.response.object", "chat.response.id-field"],
        "Errors (1)": ["models.list.object"],
        "Warned (2)": ["chat.response.usage-total", "chat.response.fingerprint"],
        "Skipped (2)": ["chat.request.stop-four", "chat.response.never-run"],
    }
    # Right after the verdict, before the target table.
    index = md[md.index("## To look at") : md.index("| Target | |")]
    assert md.index("**Verdict: NOT CONFORMANT") < md.index("## To look at")
    for title, ids in groups.items():
        line = next(line for line in index.splitlines() if line.startswith(f"- **{title}**"))
        assert re.findall(r"\]\(#([^)]+)\)", line) == ids
        for rid in ids:
            assert md.count(f'<a id="{rid}"></a>') == 1, rid  # one section (or skip row) per link
            assert html.count(f'id="{rid}"') == 1 and f'href="#{rid}"' in html, rid
    assert "embeddings.response.order" not in index  # not claimed: nothing to look at
    assert html.index("NOT CONFORMANT") < html.index('<nav class="index">') < html.index('<table class="meta">')


def test_skip_reasons_are_shown_beside_each_skip():
    md, html = render_markdown(_build()), render_html(_build())
    assert (
        '| <a id="chat.request.stop-four"></a>chat.request.stop-four | MUST | chat | the target has no stop support |'
        in md
    )
    assert (
        "chat.response.never-run</code></td><td>MUST</td><td>chat</td><td>not run: no case of this run judged it"
        in html
    )
    assert "<td>the target has no stop support</td>" in html


def test_the_must_numbers_add_up_to_the_must_total():
    results = _build()
    must = [r for r in results["requirements"] if r["level"] == "MUST"]
    tally = must_tally(results["requirements"])
    assert (tally.passed, tally.failed, tally.skipped, tally.not_run, tally.not_claimed) == (1, 2, 1, 1, 2)
    assert tally.passed + tally.failed + tally.skipped + tally.not_run == tally.claimed == 5
    assert tally.claimed + tally.not_claimed == tally.total == len(must) == results["summary"]["must"]
    sentence = (
        "1 of the 5 MUST requirements of the claimed features passed, 2 failed, 1 skipped with a reason and 1 not "
        "run; 2 more belong to features not claimed (7 MUST in all)."
    )
    assert sentence in render_markdown(results) and sentence in render_html(results)
    assert "(1 of 7 MUST requirements passed)" not in render_markdown(results)  # the old denominator


def test_a_feature_cell_shows_the_skipped_apart_from_the_share():
    assert must_share(must_tally([_must("a", "fail")] + [_must(f"s{i}", "skip") for i in range(6)])) == "0/7, 6 skipped"
    assert must_share(must_tally([_must("a", "pass"), _must("b", "fail")])) == "1/2 (50%)"
    assert must_share(must_tally([_must("a", "not-claimed")])) == "—"


def _must(rid: str, status: str, reasons: list[str] | None = None) -> dict[str, Any]:
    return {"id": rid, "level": "MUST", "feature": "chat", "status": status, "reasons": reasons or ["why"]}


def _one_failure(
    message: str, source: str = "https://platform.openai.com/docs/x", description: str = "d", **exchange: Any
) -> dict[str, Any]:
    requirement = Requirement("chat.response.object", Level.MUST, "chat", description, source)
    failure = Failure("chat.response.object", message, "$.object", 0 if exchange else None)
    records = [Exchange.build(method="POST", url=f"{BASE}/chat/completions", index=0, **exchange)] if exchange else []
    return build_results(
        outcomes=[fold(requirement.id, [Observation(requirement.id, Status.FAIL, (failure,), case="c")])],
        requirements={requirement.id: requirement},
        features=FEATURES,
        claimed=lambda f: True,
        target={},
        usage={},
        exchanges=records,
        started=0.0,
        finished=1.0,
        tool_version="x",
    )


def test_escaped_unicode_in_json_bodies_shows_as_text():
    body = '{"content": "caf\\u00e9 \\ud83d\\ude00", "nul": "\\u0000", "quote": "\\u0022", "literal": "\\\\u00e9"}'
    results = _one_failure(
        "Received: 'x'", request_headers={}, request_body=body.encode(), status=200, response_body=body.encode()
    )
    for text in (render_markdown(results), render_html(results)):
        assert "café 😀" in text and "\\u00e9\\u00e9" not in text
        assert "\\u0000" in text and "\\u0022" in text  # a control character and a quote stay escaped
        assert "\\\\u00e9" in text  # an escaped backslash is not an escape
    plain = _one_failure("m", request_headers={}, request_body=b"caf\\u00e9", status=500, response_body=b"x")
    assert "caf\\u00e9" in render_markdown(plain).split("Reproduce")[0]  # not JSON: shown as it was sent


def test_long_bodies_wrap_or_fold_in_html():
    results = _one_failure(
        "Received: " + "z" * 3000, request_headers={}, request_body=b"{}", status=200, response_body=b"{}"
    )
    html = render_html(results)
    style = html[html.index("<style>") : html.index("</style>")]
    assert "overflow-wrap: anywhere" in style.split("main {")[1].split("}")[0]  # any long word breaks
    assert "white-space: pre-wrap" in style.split("\n  pre {")[1].split("}")[0]  # bodies wrap
    assert '<details class="evidence" open>' in html  # and each exchange folds
    assert "<details open><summary>Evidence, exchange 0: POST" in render_markdown(results)


@pytest.mark.parametrize(
    ("source", "text", "url"),
    [
        (
            "seeds/001_ba73c77052365818.txt#create-chat-completion",
            "OpenAI API reference: Chat Completions › Create chat completion",
            "https://platform.openai.com/docs/api-reference/chat/create",
        ),
        (
            "seeds/000_9bed5940f43c9069.txt#responseoutput_textdelta",
            "OpenAI API reference: Responses streaming events › response.output_text.delta",
            "https://platform.openai.com/docs/api-reference/responses-streaming/response/output_text/delta",
        ),
        (
            "seeds/001_ba73c77052365818.txt#error-handling",
            "OpenAI Error codes guide",
            "https://platform.openai.com/docs/guides/error-codes",
        ),
        (  # a section not mapped yet: the API reference, named by its heading
            "seeds/003_464f4ddc75d6527e.txt#batch-api",
            "OpenAI API reference (batch api)",
            "https://platform.openai.com/docs/api-reference",
        ),
    ],
    ids=["chat-create", "stream-event", "guide", "unmapped-section"],
)
def test_sources_link_to_public_documentation(source, text, url):
    results = _one_failure("m", source=source)
    md, html = render_markdown(results), render_html(results)
    assert f"Source: [{text}]({url})" in md
    assert f'Source: <a href="{url}">{text}</a>' in html
    assert "seeds/" not in md and "seeds/" not in html


def test_every_source_of_the_catalogue_has_its_public_page():
    from conformance.reports.certificate import PUBLIC_SOURCES, public_source
    from conformance.requirements import catalogue

    sources = {r.source for r in catalogue().values()}
    for source in sources:
        _text, url = public_source(source)
        assert url.startswith("https://platform.openai.com/docs/"), source
        assert url != "https://platform.openai.com/docs/api-reference", f"{source} is not in PUBLIC_SOURCES"
    assert sum(len(sections) for sections in PUBLIC_SOURCES.values()) >= len(sources)


def test_target_rows_are_words_not_field_names():
    target = {
        "name": "t",
        "base_url": BASE,
        "api_key_env": "OAI_KEY",
        "api_key_present": True,
        "headers": {},
        "models": {"chat": "m"},
        "features": ["-conversations", "chat"],
        "mode": "compatible",
        "connect_timeout": 10.0,
        "read_timeout": 60.0,
        "retries": 2,
    }
    results = _build() | {"target": target}
    md = render_markdown(results)
    assert "| API key | present (read from $OAI_KEY) |" in md
    assert "| Extra headers | none |" in md
    assert "| Feature selection | chat, leaving out conversations |" in md
    assert "| Timeouts | connect 10 s, read 60 s |" in md and "| Retries | up to 2 of a failed request |" in md
    for field in ("api_key_present", "api_key_env", "connect_timeout", "read_timeout", "| retries", "| headers"):
        assert field not in md and field not in render_html(results), field
    keyless = render_markdown(_build() | {"target": {**target, "api_key_env": None, "api_key_present": False}})
    assert "| API key | none (sent without a key) |" in keyless


def test_backticks_in_text_are_code_in_html():
    results = _one_failure("Received: 5\nExpected: a valid `error`", description="`created` is a Unix time")
    html = render_html(results)
    assert "<p><code>created</code> is a Unix time</p>" in html
    assert "Received: 5<br>Expected: a valid <code>error</code>" in html
    assert "`" not in html.split("<main>")[1]
    assert "`created` is a Unix time" in render_markdown(results)  # Markdown renders its own backticks


def test_a_stale_drift_hint_for_a_wrong_type_is_not_repeated():
    """Older runs wrote the hint into the message; the integer error `code` one is the server's mistake."""
    stale = "Possibly our schema is behind the API: a value of a new type (400) at $.error.code"
    kept = "Possibly our schema is behind the API: a value of a new type (null) at $.usage.reasoning_tokens"
    results = _one_failure(f"Received: 400\nExpected: a string or null\n{stale}\nReceived: null\n{kept}")
    for text in (render_markdown(results), render_html(results)):
        assert stale not in text and kept in text
