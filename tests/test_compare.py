"""`oai-conformance compare` and `run --baseline`: crafted results files in, the changes and the exit code out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_cli import assert_one_line_error, cli

from conformance.reports.compare import compare, compare_files, render_markdown


def _results(statuses: dict[str, str], *, failures: dict[str, str] | None = None, base_url: str = "http://x/v1"):
    failures = failures or {}
    return {
        "format": "oai-conformance/results",
        "version": 1,
        "target": {"base_url": base_url, "mode": "compatible"},
        "requirements": [
            {
                "id": rid,
                "level": "MUST",
                "feature": rid.split(".")[0],
                "status": status,
                "failures": [{"message": failures[rid][0], "at": "$.x", "hint": failures[rid][1]}]
                if rid in failures
                else [],
            }
            for rid, status in statuses.items()
        ],
    }


BASELINE = {
    "chat.a.stays": "pass",
    "chat.b.breaks": "pass",
    "chat.c.mended": "fail",
    "chat.d.gone": "pass",
    "chat.e.warns": "pass",
    "chat.f.stops-warning": "warn",
    "chat.g.skipped": "pass",
}
CURRENT = {
    "chat.a.stays": "pass",
    "chat.b.breaks": "fail",
    "chat.c.mended": "pass",
    "chat.e.warns": "warn",
    "chat.f.stops-warning": "pass",
    "chat.g.skipped": "skip",
    "chat.h.new": "fail",
}
HINT = ("Received: 'x'\nExpected: y", "Possibly our schema is behind the API: new enum value 'x' at $.x")


def _ids(changes) -> list[str]:
    return [c.id for c in changes]


def test_compare_sorts_every_change():
    result = compare(_results(BASELINE), _results(CURRENT, failures={"chat.b.breaks": HINT}))
    assert _ids(result.regressions) == ["chat.b.breaks"]
    assert _ids(result.fixes) == ["chat.c.mended"]
    assert _ids(result.new) == ["chat.h.new"]
    assert _ids(result.removed) == ["chat.d.gone"]
    assert _ids(result.new_warnings) == ["chat.e.warns"]
    assert _ids(result.resolved_warnings) == ["chat.f.stops-warning"]
    assert _ids(result.other) == ["chat.g.skipped"]
    assert result.exit_code == 1
    # the regression keeps its evidence, with the drift hint of the check
    assert "Possibly our schema is behind the API" in result.regressions[0].messages[0]


def test_no_regression_exits_0_and_a_new_failure_is_not_a_regression():
    result = compare(_results({"chat.a.x": "fail"}), _results({"chat.a.x": "fail", "chat.b.y": "fail"}))
    assert result.exit_code == 0
    assert _ids(result.new) == ["chat.b.y"]
    assert "Every requirement" not in render_markdown(result)
    same = compare(_results({"chat.a.x": "pass"}), _results({"chat.a.x": "pass"}))
    assert "Every requirement has the status it had" in render_markdown(same)


def test_target_change_is_noted():
    result = compare(_results({}), _results({}, base_url="http://other/v1"))
    assert any("base_url" in note for note in result.notes)


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


def test_cli_markdown_and_json(tmp_path):
    base, cur = _write(tmp_path, "base.json", _results(BASELINE)), _write(tmp_path, "cur.json", _results(CURRENT))
    proc = cli(tmp_path, "compare", str(base), str(cur))
    assert proc.returncode == 1, proc.stderr
    assert "## Regressions (pass → fail) (1)" in proc.stdout and "`chat.b.breaks`" in proc.stdout
    assert "## Fixes (fail → pass) (1)" in proc.stdout and "## Removed requirements (1)" in proc.stdout
    proc = cli(tmp_path, "compare", str(base), str(cur), "--format", "json")
    data = json.loads(proc.stdout)
    assert proc.returncode == 1 and data["exit_code"] == 1
    assert data["format"] == "oai-conformance/comparison"
    assert [c["id"] for c in data["new_warnings"]] == ["chat.e.warns"]
    assert data["removed"][0] == {
        "id": "chat.d.gone",
        "level": "MUST",
        "feature": "chat",
        "before": "pass",
        "after": None,
        "messages": [],
    }
    proc = cli(tmp_path, "compare", str(base), str(base))
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("content", "named"),
    [
        (None, "missing.json"),
        ("{not json", "bad.json"),
        ({"format": "something-else"}, "bad.json"),
        ({"format": "oai-conformance/results", "version": 99}, "bad.json"),
    ],
)
def test_cli_bad_input_is_one_line(tmp_path, content, named):
    good = _write(tmp_path, "good.json", _results({}))
    if content is not None:
        _write(tmp_path, named, content)
    assert_one_line_error(cli(tmp_path, "compare", str(good), str(tmp_path / named)), named)
    assert_one_line_error(cli(tmp_path, "compare", str(tmp_path / named), str(good)), named)


def test_compare_files_names_both(tmp_path):
    base, cur = _write(tmp_path, "a.json", _results({})), _write(tmp_path, "b.json", _results({}))
    result = compare_files(base, cur)
    assert result.baseline.endswith("a.json") and result.current.endswith("b.json")


@pytest.mark.slow
def test_run_with_a_baseline_writes_the_comparison(tmp_path):
    """The bundled reference server passes `models.*`; a baseline where a case failed is a fix, not a regression;
    one that holds a requirement the run does not is a removal; a bad baseline stops the run before it starts."""
    reports = tmp_path / "reports"
    baseline = _results({"models.list.shape": "fail", "retired.req.id": "pass"})
    base = _write(tmp_path, "baseline.json", baseline)
    proc = cli(
        tmp_path, "run", "--report-dir", str(reports), "--features", "models", "-k", "models", "--baseline", str(base)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((reports / "comparison.json").read_text(encoding="utf-8"))
    assert "models.list.shape" in [c["id"] for c in data["fixes"]]
    assert [c["id"] for c in data["removed"]] == ["retired.req.id"]
    assert (reports / "comparison.md").read_text(encoding="utf-8").startswith("# Comparison with the baseline")
    bad = _write(tmp_path, "bad.json", "{}")
    proc = cli(tmp_path, "run", "--report-dir", str(tmp_path / "r2"), "--baseline", str(bad))
    assert_one_line_error(proc, "bad.json")
    assert not (tmp_path / "r2" / "results.json").exists()


def test_baseline_regression_fails_the_run(tmp_path):
    from conformance.cli import _compare_with_baseline

    code = _compare_with_baseline(_results(BASELINE), _results(CURRENT), "base.json", tmp_path)
    assert code == 1
    assert json.loads((tmp_path / "comparison.json").read_text())["regressions"][0]["id"] == "chat.b.breaks"
    assert "chat.b.breaks" in (tmp_path / "comparison.md").read_text()


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ({"finish_reason": "paused"}, 'new enum value "paused" at $.choices[0].finish_reason'),
        ({"model": None}, "a value of a new type (null) at $.model"),  # the API may have made it nullable
        ({"object": "chat.completion.v2"}, 'unknown discriminator value "chat.completion.v2" at $.object'),
        ({"created": -1}, None),  # a bad format is the server's
        ({"choices": "none"}, None),  # so is a structure of the wrong type
        ({"system_fingerprint": 12}, None),  # and a number where the schema wants a string or null
    ],
)
def test_schema_violations_say_when_our_schema_may_be_behind(body, hint):
    from conformance.checks.evidence import DRIFT_HINT, schema_violations

    answer = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
    }
    if "finish_reason" in body:
        answer["choices"][0]["finish_reason"] = body["finish_reason"]
    else:
        answer.update(body)
    violations = list(schema_violations("chat.completion", answer))
    assert violations, "expected a violation"
    hints = [v.hint for v in violations]
    if hint is None:
        assert not any(hints), hints
    else:
        assert f"{DRIFT_HINT}: {hint}" in hints, hints


def test_an_integer_error_code_is_the_servers_mistake_not_drift():
    """vLLM sends the HTTP status as `code`: the schema wants a string or null, and no API change explains it."""
    from conformance.checks.evidence import schema_violations

    envelope = {"error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": 400}}
    violations = list(schema_violations("error", envelope))
    assert [v.at for v in violations] == ["$.error.code"]
    assert [v.hint for v in violations] == [""]
