"""The evals faults of the reference server, each as (request, what the fault breaks in its answer), for
tests/test_reference_server.py's FAULT_CASES: every fault must change what it says, and a clean server must not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tests._fine_tuning_faults import as_answer, call

CHECK = {"type": "string_check", "name": "same", "input": "{{item.a}}", "reference": "{{item.b}}", "operation": "eq"}
ITEMS = [{"item": {"a": "x", "b": "x"}}, {"item": {"a": "x", "b": "y"}}]

Faults = frozenset[str]
Request = Callable[[Faults], httpx.Response]
Violation = Callable[[httpx.Response], bool]


def an_eval(faults: Faults) -> str:
    body = {"name": "t", "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
            "testing_criteria": [CHECK]}  # fmt: skip
    return str(call(faults, "POST", "/evals", json=body).json()["id"])


def a_run(faults: Faults, data_source: dict[str, Any] | None = None) -> tuple[str, str]:
    ident = an_eval(faults)
    source = data_source or {"type": "jsonl", "source": {"type": "file_content", "content": ITEMS}}
    run = call(faults, "POST", f"/evals/{ident}/runs", json={"data_source": source}).json()["id"]
    return f"/evals/{ident}/runs", str(run)


def read(faults: Faults, times: int, data_source: dict[str, Any] | None = None) -> tuple[str, httpx.Response]:
    path, run = a_run(faults, data_source)
    got = [call(faults, "GET", f"{path}/{run}") for _ in range(times)]
    return f"{path}/{run}", got[-1]


def updated(faults: Faults) -> httpx.Response:
    return call(faults, "POST", f"/evals/{an_eval(faults)}", json={"name": "renamed"})


def listed(faults: Faults) -> httpx.Response:
    ident = an_eval(faults)
    return as_answer({"listed": ident in [e["id"] for e in call(faults, "GET", "/evals").json()["data"]]})


def deleted(faults: Faults, path: str) -> httpx.Response:
    call(faults, "DELETE", path)
    return call(faults, "GET", path)


def second_page(faults: Faults) -> httpx.Response:
    run, _ = read(faults, 2)
    first = call(faults, "GET", f"{run}/output_items", params={"limit": 1}).json()["data"][0]["id"]
    return call(faults, "GET", f"{run}/output_items", params={"limit": 1, "after": first})


SAMPLED = {"type": "completions", "model": "gpt-4o-mini", "source": {"type": "file_content", "content": ITEMS},
           "input_messages": {"type": "template",
                              "template": [{"role": "user", "content": "Say {{item.a}}."}]}}  # fmt: skip

EVALS_FAULT_CASES: dict[str, tuple[Request, Violation]] = {
    "evals-update-ignored": (updated, lambda r: r.json()["name"] != "renamed"),
    "evals-not-listed": (listed, lambda r: not r.json()["listed"]),
    "evals-delete-kept": (lambda f: deleted(f, f"/evals/{an_eval(f)}"), lambda r: r.status_code == 200),
    "evals-run-status-regresses": (lambda f: read(f, 2)[1], lambda r: r.json()["status"] == "queued"),
    "evals-result-counts-off": (lambda f: read(f, 2)[1], lambda r: r.json()["result_counts"]["errored"] != 0),
    "evals-criteria-results-off": (lambda f: read(f, 2)[1],
                                   lambda r: r.json()["per_testing_criteria_results"][0]["passed"] != 1),
    "evals-output-items-page-repeats": (second_page,
                                        lambda r: r.json()["data"][0]["id"] == r.request.url.params["after"]),
    "evals-cancel-ignored": (lambda f: call(f, "POST", "/".join(a_run(f))), lambda r: r.json()["status"] != "canceled"),
    "evals-run-delete-kept": (lambda f: deleted(f, "/".join(a_run(f))), lambda r: r.status_code == 200),
    "evals-sample-missing": (
        lambda f: call(f, "GET", f"{read(f, 2, SAMPLED)[0]}/output_items"),
        lambda r: r.json()["data"][0]["sample"] is None,
    ),
}
