"""Transient failures never change a verdict: a run against a server that answers every Nth request with 429 or 503
(Retry-After: 0), or resets its connection before any byte of an answer, concludes what it concludes against the
same server without them, and leaves nothing behind. The runs send the cases that read every kind of answer
(tests/_runs.EVERY_KIND_OF_ANSWER: streams, uploads, downloads, polled jobs, what the ledger deletes, the generated
phase): every request of any case goes through the one retry policy these exercise. The policy itself is unit-tested
in tests/test_client.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.reference import ServerConfig, serve
from tests._runs import EVERY_KIND_OF_ANSWER, after, shared_run

KEY_ENV = "OAI_TRANSIENT_TEST_KEY"
KEY = "sk-transient-" + os.urandom(12).hex()


def certify(config: ServerConfig, out: Path, *extra: str) -> dict[str, Any]:
    with serve(config) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_"))}
        proc = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--base-url", server.base_url, "--api-key-env",
             KEY_ENV, "--report-dir", str(out), *EVERY_KIND_OF_ANSWER, *extra],
            env={**env, KEY_ENV: KEY}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
        results = json.loads((out / "results.json").read_text(encoding="utf-8"))
        results["left on the server"] = len(server.store.responses) + len(server.store.conversations)
        results["exit"] = proc.returncode
        return results


def _read_transparent(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "transparent.json").read_text(encoding="utf-8"))


@shared_run(read=_read_transparent)
def transparent(folder: Path) -> None:
    """The same run against the same server without trouble: made once per session, also under pytest-xdist; after
    the default run, whose kept draws it reads (and so do the troubled runs, which wait for this one)."""
    after("default_run")
    results = certify(ServerConfig(api_key=KEY), folder / "out")
    (folder / "transparent.json").write_text(json.dumps(results), encoding="utf-8")


def statuses(results: dict[str, Any]) -> dict[str, str]:
    return {entry["id"]: entry["status"] for entry in results["requirements"]}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("kind", "every", "workers"),
    [("429", 3, ()), ("503", 5, ()), ("reset", 13, ()), ("429", 5, ("-n", "2"))],
    ids=["429 every 3rd", "503 every 5th", "reset every 13th", "429 every 5th, two workers"],
)
def test_transient_trouble_changes_no_verdict(
    tmp_path: Path, transparent: dict[str, Any], kind: str, every: int, workers: tuple[str, ...]
) -> None:
    troubled = certify(ServerConfig(api_key=KEY, transient_every=every, transient=kind), tmp_path, *workers)
    assert statuses(troubled) == statuses(transparent)
    assert (troubled["verdict"], troubled["exit"]) == (transparent["verdict"], transparent["exit"]) == ("conformant", 0)
    assert troubled["resources"]["left"] == [] and troubled["left on the server"] == 0
    assert troubled["usage"]["requests"] > transparent["usage"]["requests"]  # the retries happened, and count
    exchanges = [json.loads(line) for line in (tmp_path / "exchanges.jsonl").read_text().splitlines()]
    assert any(e["attempts"] > 1 for e in exchanges)  # the log shows the attempts


def test_a_server_that_keeps_answering_429_is_an_error_not_a_failure(tmp_path: Path) -> None:
    """Every 2nd request with retries 0: the answers that were 429 cannot be judged; their cases are ERROR,
    and no requirement FAILs because of them."""
    results = certify(ServerConfig(api_key=KEY, transient_every=2, transient="429"), tmp_path, "--retries", "0",
                      "-k", "test_models")  # fmt: skip
    found = {e["id"]: e for e in results["requirements"] if e["status"] in ("error", "fail")}
    assert found and all(e["status"] == "error" for e in found.values()), found
    assert all("kept answering 429" in reason for e in found.values() for reason in e["reasons"]), found
    assert results["exit"] == 1


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["serial", "two workers"])
def test_no_quota_stops_the_run_with_one_line(tmp_path: Path, workers: tuple[str, ...]) -> None:
    with serve(ServerConfig(api_key=KEY, transient_every=4, transient="quota")) as server:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OAI_CONFORMANCE_", "PYTEST_"))}
        proc = subprocess.run(
            [sys.executable, "-m", "conformance.cli", "run", "--base-url", server.base_url, "--api-key-env",
             KEY_ENV, "--report-dir", str(tmp_path / "out"), *workers],
            env={**env, KEY_ENV: KEY}, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "oai-conformance: error: the target answered 429 insufficient_quota: the account has no quota left "
        "(no request was retried; add credit or use another key)"
    ]
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in proc.stdout
