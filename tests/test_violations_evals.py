"""Every evals rule can fail, and says why: one violating subject per rule, and its valid twin.

As in test_violations_fine_tuning.py: an eval over its life, the list, a run of four items under two string_check
criteria followed from `queued` to `completed` with its output items in pages of one, a canceled run and a run that
sampled a model, each with one mutation that breaks the rule. The seeds' example answers: seed 003's eval deletion
is accepted; its guide's eval and run examples (created_at an ISO string, no `object`, `graders`) are not the API's
shape, and are refused for that (DECISIONS.md: evals-seeds).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.evals import RunLife
from conformance.judgement import Status, judge
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

T = 1_738_960_610
EVAL = "eval_abc123"
RUN = "evalrun_abc123"
RUNS = f"/evals/{EVAL}/runs"
SAME = {"type": "string_check", "name": "same", "input": "{{item.answer}}", "reference": "{{item.expected}}",
        "operation": "eq"}  # fmt: skip
CLOSE = {**SAME, "name": "close", "operation": "ilike"}
REQUEST = {"name": "oai-conformance", "metadata": {"oai_conformance": "evals"},
           "data_source_config": {"type": "custom", "item_schema": {"type": "object"}},
           "testing_criteria": [SAME, CLOSE]}  # fmt: skip
ITEMS = [{"answer": "Paris", "expected": "Paris"}, {"answer": "Rome", "expected": "Rome"},
         {"answer": "paris", "expected": "Paris"}, {"answer": "Lyon", "expected": "Paris"}]  # fmt: skip
PASSED = [(True, True), (True, True), (False, True), (False, False)]
NOT_FOUND = {"error": {"message": "Not found.", "type": "invalid_request_error", "param": None, "code": None}}


def an_eval(ident: str = EVAL, **over: Any) -> dict[str, Any]:
    body = {"object": "eval", "id": ident, "name": "oai-conformance", "created_at": T,
            "data_source_config": {"type": "custom", "schema": {"type": "object"}},
            "testing_criteria": [{**SAME, "id": "same-0"}, {**CLOSE, "id": "close-1"}],
            "metadata": {"oai_conformance": "evals"}}  # fmt: skip
    body.update(over)
    return body


def get(body: Any, path: str, status: int = 200) -> Http:
    return Http(None, body, status, path=path, method="GET")


def created() -> Http:
    return Http(copy.deepcopy(REQUEST), an_eval(), path="/evals")


def eval_life() -> Life:
    renamed = {"name": "renamed", "metadata": {"oai_conformance": "updated"}}
    return Life(created(), [
        ["retrieve", get(an_eval(), f"/evals/{EVAL}")],
        ["update", Http(renamed, an_eval(**renamed), path=f"/evals/{EVAL}")],
        ["retrieve-updated", get(an_eval(**renamed), f"/evals/{EVAL}")],
        ["delete", Http(None, {"object": "eval.deleted", "deleted": True, "eval_id": EVAL}, path=f"/evals/{EVAL}",
                        method="DELETE")],
        ["retrieve-deleted", get(copy.deepcopy(NOT_FOUND), f"/evals/{EVAL}", 404)],
    ])  # fmt: skip


def listed() -> Life:
    second = Http(copy.deepcopy(REQUEST), an_eval("eval_2", created_at=T + 1), path="/evals")
    page = {"object": "list", "data": [an_eval("eval_2", created_at=T + 1), an_eval()], "first_id": "eval_2",
            "last_id": EVAL, "has_more": False}  # fmt: skip
    return Life(created(), [["created", second], ["list", get(page, "/evals?limit=100&order=desc")]])


def run(status: str, **over: Any) -> dict[str, Any]:
    counts = {"total": 4 if status != "queued" else 0, "errored": 0, "failed": 0, "passed": 0}
    body: dict[str, Any] = {
        "object": "eval.run", "id": RUN, "eval_id": EVAL, "status": status, "model": None, "name": "oai-conformance",
        "created_at": T, "report_url": None, "result_counts": counts, "per_model_usage": None,
        "per_testing_criteria_results": None, "data_source": {"type": "jsonl"},
        "metadata": {"oai_conformance": "evals"}, "error": None,
    }  # fmt: skip
    if status == "completed":
        body["result_counts"] = {"total": 4, "errored": 0, "failed": 2, "passed": 2}
        body["per_testing_criteria_results"] = [{"testing_criteria": "same", "passed": 2, "failed": 2},
                                                {"testing_criteria": "close", "passed": 3, "failed": 1}]  # fmt: skip
    body.update(over)
    return body


def output(n: int, sample: Any = None) -> dict[str, Any]:
    same, close = PASSED[n]
    return {"object": "eval.run.output_item", "id": f"outputitem_{n}", "run_id": RUN, "eval_id": EVAL,
            "created_at": T + 2, "status": "pass" if same and close else "fail", "datasource_item_id": n,
            "datasource_item": ITEMS[n], "sample": sample,
            "results": [{"name": "same", "type": "string_check", "score": float(same), "passed": same},
                        {"name": "close", "type": "string_check", "score": float(close), "passed": close}]}  # fmt: skip


@dataclass
class RLife(Life):
    items: int = 4

    def subject(self) -> RunLife:  # type: ignore[override]
        return RunLife(self.created.subject(), tuple((n, h.subject()) for n, h in self.steps),
                       criteria=("same", "close"), items=self.items, waited=60.0)  # fmt: skip

    def last(self, name: str) -> Http:
        return [http for what, http in self.steps if what == name][-1]

    def pages(self) -> list[Http]:
        return [http for what, http in self.steps if what == "outputs"]


SOURCE = {"type": "jsonl", "source": {"type": "file_content", "content": [{"item": i} for i in ITEMS]}}


def run_created(source: dict[str, Any] = SOURCE, **over: Any) -> Http:
    request = {"name": "oai-conformance", "metadata": {"oai_conformance": "evals"}, "data_source": source}
    return Http(request, run("queued", data_source={"type": source["type"]}, **over), path=RUNS)


def completed(source: dict[str, Any] = SOURCE, sample: Any = None, model: str | None = None) -> RLife:
    path = f"{RUNS}/{RUN}"
    pages = [get({"object": "list", "data": [output(n, sample)], "first_id": f"outputitem_{n}",
                  "last_id": f"outputitem_{n}", "has_more": n < 3},
                 f"{path}/output_items?limit=1&order=asc" + (f"&after=outputitem_{n - 1}" if n else ""))
             for n in range(4)]  # fmt: skip
    over = {"data_source": {"type": source["type"]}, "model": model}
    return RLife(run_created(source, model=model), [
        ["poll", get(run("in_progress", **over), path)],
        ["poll", get(run("completed", **over), path)],
        *[["outputs", page] for page in pages],
        ["output", get(output(0, sample), f"{path}/output_items/outputitem_0")],
        ["runs", get({"object": "list", "data": [run("completed", **over)], "first_id": RUN, "last_id": RUN,
                      "has_more": False}, f"{RUNS}?limit=100")],
        ["delete", Http(None, {"object": "eval.run.deleted", "deleted": True, "run_id": RUN}, path=path,
                        method="DELETE")],
        ["retrieve-deleted", get(copy.deepcopy(NOT_FOUND), path, 404)],
    ])  # fmt: skip


def canceled() -> RLife:
    path = f"{RUNS}/{RUN}"
    return RLife(run_created(), [["cancel", Http(None, run("canceled"), path=path)],
                                 ["poll", get(run("canceled"), path)]])  # fmt: skip


MODEL = "gpt-4o-mini"
SAMPLING = {"type": "completions", "model": MODEL, "source": SOURCE["source"],
            "input_messages": {"type": "template",
                               "template": [{"role": "user", "content": "Say {{item.answer}}."}]}}  # fmt: skip


def sampled() -> RLife:
    return completed(SAMPLING, {"output": [{"role": "assistant", "content": "Paris"}], "model": MODEL}, MODEL)


def repeat_a_page(spec: RLife) -> None:
    spec.pages()[1].body["data"] = copy.deepcopy(spec.pages()[0].body["data"])


VIOLATIONS: list[V] = [
    V("evals.create.schema", "created_at an ISO string", created,
      lambda s: s.body.update(created_at="2024-01-15T10:30:00Z"), "'2024-01-15T10:30:00Z'"),
    V("evals.create.echoes", "a testing criterion dropped", created, lambda s: s.body["testing_criteria"].pop(),
      "as sent"),
    V("evals.retrieve.same", "another name on retrieve", eval_life,
      lambda s: s.step("retrieve").body.update(name="other"), "as created"),
    V("evals.update.applied", "the update ignored", eval_life,
      lambda s: s.step("retrieve-updated").body.update(name="oai-conformance"), "as updated"),
    V("evals.delete.deleted", "still there once deleted", eval_life,
      lambda s: (setattr(s.step("retrieve-deleted"), "status", 200), setattr(s.step("retrieve-deleted"), "body",
                                                                              an_eval())), "404"),
    V("evals.list.contains", "desc listed oldest first", listed, lambda s: s.step("list").body["data"].reverse(),
      "order 'desc'"),
    V("evals.retrieve.unknown", "an unknown id answered 200", lambda: get(copy.deepcopy(NOT_FOUND), "/evals/x", 404),
      lambda s: (setattr(s, "status", 200), setattr(s, "body", an_eval())), "404"),
    V("evals.runs.create.schema", "the run of another eval", run_created, lambda s: s.body.update(eval_id="eval_x"),
      "the eval run"),
    V("evals.runs.status.transitions", "queued again after completed", completed,
      lambda s: s.steps.insert(2, ["poll", get(run("queued"), f"{RUNS}/{RUN}")]), "after 'completed'"),
    V("evals.runs.result-counts", "one errored more than the items", completed,
      lambda s: s.last("poll").body["result_counts"].update(errored=1), "errored 1"),
    V("evals.runs.criteria-results", "a criterion counts one pass more", completed,
      lambda s: s.last("poll").body["per_testing_criteria_results"][0].update(passed=3, failed=1), "output items"),
    V("evals.runs.output-items", "a page repeating an item", completed, repeat_a_page, "more than one page"),
    V("evals.runs.output-item-same", "another status on retrieve", completed,
      lambda s: s.last("output").body.update(status="fail"), "as listed"),
    V("evals.runs.cancel.canceled", "the cancel ignored", canceled,
      lambda s: s.last("cancel").body.update(status="in_progress"), "canceled"),
    V("evals.runs.delete.deleted", "still there once deleted", completed,
      lambda s: (setattr(s.last("retrieve-deleted"), "status", 200), setattr(s.last("retrieve-deleted"), "body",
                                                                            run("completed"))), "404"),
    V("evals.runs.list.contains", "the run not listed", completed, lambda s: s.last("runs").body["data"].clear(),
      "among them"),
    V("evals.runs.sampled", "no sample in an output item", sampled,
      lambda s: s.pages()[0].body["data"][0].update(sample=None), "the sample"),
    *page_rows("evals.runs.output-items.pages"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_evals_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("evals.")}


def test_a_run_still_going_skips_what_needs_its_end() -> None:
    spec = completed()
    spec.steps = spec.steps[:1]
    for rid in ("evals.runs.criteria-results", "evals.runs.output-items"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "'in_progress', not completed" in obs.reason, obs


def test_a_run_with_errored_items_adds_up() -> None:
    spec = completed()
    last = spec.last("poll").body
    last["result_counts"] = {"total": 4, "errored": 1, "failed": 1, "passed": 2}
    [obs] = judge(spec.subject(), ["evals.runs.result-counts"])
    assert obs.status is Status.PASS, obs


def test_a_jsonl_run_is_not_judged_as_sampled() -> None:
    [obs] = judge(completed().subject(), ["evals.runs.sampled"])
    assert obs.status is Status.SKIP and "samples no model" in obs.reason, obs


# The seeds' example answers ----------------------------------------------------------------------------------

SEED_DELETED = {"object": "eval.deleted", "deleted": True, "eval_id": "eval_abc123"}
SEED_GUIDE_EVAL = {"id": "eval_abc123", "name": "Customer Support Quality", "status": "ready",
                   "created_at": "2024-01-15T10:30:00Z", "updated_at": "2024-01-15T10:30:00Z",
                   "graders": [{"type": "human", "instructions": "Rate responses for helpfulness and accuracy"}],
                   "data_source": {"type": "jsonl",
                                   "location": "gs://my-bucket/customer-support-data.jsonl"}}  # fmt: skip
SEED_GUIDE_RUN = {"id": "run_def456", "eval_id": "eval_abc123", "status": "queued", "model": "gpt-4",
                  "created_at": "2024-01-15T11:00:00Z",
                  "parameters": {"temperature": 0.2, "max_tokens": 1000}}  # fmt: skip


def test_the_seeds_example_answers() -> None:
    assert not validate("eval.deleted", SEED_DELETED)
    refused = {e.path for e in validate("eval", SEED_GUIDE_EVAL)}
    assert "$.created_at" in refused and "$" in refused, refused  # an ISO string; no object, no testing_criteria
    assert "$.created_at" in {e.path for e in validate("eval.run", SEED_GUIDE_RUN)}
