"""The GitHub workflows (nightly drift checks, the example a server's repository copies) pass actionlint, and
actionlint does catch a broken workflow."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted([*REPO.glob(".github/workflows/*.yml"), *REPO.glob("docs/examples/*.yml")])
ACTIONLINT = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))

pytestmark = pytest.mark.skipif(ACTIONLINT is None, reason="actionlint is not installed (the test extra ships it)")


def lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert ACTIONLINT is not None
    return subprocess.run(
        [ACTIONLINT, "-no-color", *map(str, paths)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_workflows_exist():
    names = {path.name for path in WORKFLOWS}
    assert {"nightly.yml", "certify-on-pull-request.yml"} <= names


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(workflow):
    proc = lint(workflow)
    assert proc.returncode == 0, proc.stdout + proc.stderr


BROKEN = """
name: broken
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ steps.nothing.outputs.value }}"
        if: ${{ github.event.no_such_context_function() }}
      - uses: actions/setup-python@v5
        with:
          python-versoin: "3.11"
"""


def test_actionlint_catches_a_broken_workflow(tmp_path):
    path = tmp_path / "broken.yml"
    path.write_text(BROKEN, encoding="utf-8")
    proc = lint(path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "broken.yml" in proc.stdout


def test_nightly_fails_on_regression_or_drift_only():
    text = (REPO / ".github/workflows/nightly.yml").read_text(encoding="utf-8")
    assert "cron:" in text and "workflow_dispatch:" in text
    assert "secrets.OPENAI_API_KEY" in text and "--baseline" in text and "oai-conformance drift" in text
    assert 'if [ "$regressions" != "0" ] || [ "$DRIFT_CODE" = "1" ]; then exit 1; fi' in text
