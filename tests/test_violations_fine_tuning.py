"""Every fine-tuning rule can fail, and says why: one violating subject per rule, and its valid twin.

As in test_violations_batches.py: each row names a requirement, the violation, a factory of a VALID subject (a
supervised job followed from `validating_files` to `succeeded` with its events and checkpoints, a cancelled job, a
paused one, the list, a refused training file, a shared checkpoint, grader runs) and one mutation that breaks the
rule. The seeds' example answers (000 Fine-tuning Job Object, 002 Create and List fine-tuning jobs) are accepted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.checks.fine_tuning import JobLife, formula, render, string_check
from conformance.judgement import Status, judge
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests.test_violations import Http
from tests.test_violations_responses import Life, V, fails_with_evidence, page_rows, param, passes

MODEL = "gpt-4o-mini"
T = 1_738_960_610
JOB = "ftjob-abc123"
NAME = "ft:gpt-4o-mini-2024-07-18:org:oai-conformance:abc123"
HYPER = {"n_epochs": 2, "batch_size": 1, "learning_rate_multiplier": "auto"}
REQUEST = {"model": MODEL, "training_file": "file-train", "validation_file": "file-valid", "seed": 7,
           "suffix": "oai-conformance", "metadata": {"oai_conformance": "fine-tuning"},
           "method": {"type": "supervised",
                      "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 1}}}}  # fmt: skip
REFUSED = {"error": {"message": "File file-x has purpose 'user_data'.", "type": "invalid_request_error",
                     "param": "training_file", "code": "invalid_file_purpose"}}  # fmt: skip
GRADERS = "/fine_tuning/alpha/graders"


def job(status: str, **over: Any) -> dict[str, Any]:
    """The job in `status`, as the API answers it."""
    body: dict[str, Any] = {
        "object": "fine_tuning.job", "id": JOB, "model": "gpt-4o-mini-2024-07-18", "created_at": T, "error": None,
        "fine_tuned_model": None, "finished_at": None, "hyperparameters": dict(HYPER),
        "organization_id": "org-abc", "result_files": [], "status": status, "trained_tokens": None,
        "training_file": "file-train", "validation_file": "file-valid", "integrations": None, "seed": 7,
        "estimated_finish": None, "method": {"type": "supervised", "supervised": {"hyperparameters": dict(HYPER)}},
        "metadata": {"oai_conformance": "fine-tuning"},
    }  # fmt: skip
    if status == "succeeded":
        body.update(fine_tuned_model=NAME, finished_at=T + 6, trained_tokens=200)
    if status in ("failed", "cancelled"):
        body["finished_at"] = T + 2
    body.update(over)
    return body


def get(body: Any, path: str = f"/fine_tuning/jobs/{JOB}") -> Http:
    return Http(None, body, path=path, method="GET")


def post(body: Any, path: str, request: Any = None, status: int = 200) -> Http:
    return Http(request, body, status, path=path)


def event(n: int, message: str) -> dict[str, Any]:
    return {"object": "fine_tuning.job.event", "id": f"ftevent-{n}", "created_at": T + n, "level": "info",
            "message": message, "type": "message", "data": {}}  # fmt: skip


EVENTS = [event(n, m) for n, m in enumerate(("Created fine-tuning job", "Validating training file",
                                              "Fine-tuning job started", "The job has successfully completed"))][::-1]


def events_page(items: list[dict[str, Any]], has_more: bool, after: str | None = None) -> Http:
    path = f"/fine_tuning/jobs/{JOB}/events?limit={1 if after or has_more else 100}"
    return get({"object": "list", "data": items, "has_more": has_more}, path + (f"&after={after}" if after else ""))


def checkpoint(step: int) -> dict[str, Any]:
    return {"object": "fine_tuning.job.checkpoint", "id": f"ftckpt-{step}", "created_at": T + 4 + step,
            "fine_tuned_model_checkpoint": NAME if step == 2 else f"{NAME}:ckpt-step-{step}", "step_number": step,
            "metrics": {"step": float(step), "train_loss": 0.5}, "fine_tuning_job_id": JOB}  # fmt: skip


@dataclass
class JLife(Life):
    """A job followed over time, to build (steps: [name, Http])."""

    waited: float = 60.0

    def subject(self) -> JobLife:  # type: ignore[override]
        return JobLife(self.created.subject(), tuple((n, h.subject()) for n, h in self.steps), waited=self.waited)

    def last(self, name: str) -> Http:
        return [http for what, http in self.steps if what == name][-1]


def created() -> Http:
    return post(job("validating_files"), "/fine_tuning/jobs", copy.deepcopy(REQUEST))


def succeeded() -> JLife:
    pages = [events_page([e], n < len(EVENTS) - 1, EVENTS[n - 1]["id"] if n else None) for n, e in enumerate(EVENTS)]
    return JLife(created(), [
        ["retrieve", get(job("validating_files"))],
        ["poll", get(job("queued"))],
        ["poll", get(job("running"))],
        ["poll", get(job("succeeded"))],
        ["events", events_page(copy.deepcopy(EVENTS), False)],
        *[["events-page", page] for page in pages],
        ["checkpoints", get({"object": "list", "data": [checkpoint(2), checkpoint(1)], "has_more": False,
                             "first_id": "ftckpt-2", "last_id": "ftckpt-1"}, f"/fine_tuning/jobs/{JOB}/checkpoints")],
    ])  # fmt: skip


def cancelled() -> JLife:
    return JLife(created(), [
        ["cancel", post(job("cancelled"), f"/fine_tuning/jobs/{JOB}/cancel")],
        ["retrieve", get(job("cancelled"))],
    ], waited=0.0)  # fmt: skip


def paused() -> JLife:
    path = f"/fine_tuning/jobs/{JOB}"
    return JLife(created(), [
        ["poll", get(job("queued"))],
        ["poll", get(job("running"))],
        ["pause", post(job("paused"), f"{path}/pause")],
        ["retrieve", get(job("paused"))],
        ["resume", post(job("running"), f"{path}/resume")],
        ["cancel", post(job("cancelled"), f"{path}/cancel")],
    ])  # fmt: skip


INVALID = {"code": "invalid_training_file", "param": "training_file",
           "message": "The training file is invalid: line 1 has no `messages`."}  # fmt: skip


def failed() -> JLife:
    return JLife(created(), [["poll", get(job("failed", error=dict(INVALID)))]])


TAG = "metadata%5Boai_conformance%5D=fine-tuning-list-1"


def listed() -> Life:
    tagged = {"oai_conformance": "fine-tuning-list-1"}
    made = [post(job("validating_files", id=f"ftjob-{n}", metadata=tagged), "/fine_tuning/jobs", REQUEST)
            for n in range(3)]  # fmt: skip
    untagged = post(job("validating_files", id="ftjob-3"), "/fine_tuning/jobs", REQUEST)
    every = [untagged.body, *(m.body for m in made[::-1])]
    return Life(made[0], [
        ["created", made[1]], ["created", made[2]], ["created", untagged],
        ["list", get({"object": "list", "data": copy.deepcopy(every), "has_more": False},
                     "/fine_tuning/jobs?limit=100")],
        ["filtered", get({"object": "list", "data": copy.deepcopy(every[1:]), "has_more": False},
                         f"/fine_tuning/jobs?{TAG}&limit=100")],
    ])  # fmt: skip


def bad_file() -> Life:
    upload = post({"id": "file-bad", "object": "file", "bytes": 300, "created_at": T, "filename": "t.jsonl",
                   "purpose": "fine-tune", "status": "processed"}, "/files")  # fmt: skip
    return Life(upload, [
        ["create", post(job("validating_files"), "/fine_tuning/jobs", {"model": MODEL, "training_file": "file-bad"})],
        ["poll", get(job("failed", error=dict(INVALID)))],
    ])  # fmt: skip


CKPT = f"/fine_tuning/checkpoints/{NAME}/permissions"


def permission(ident: str, project: str) -> dict[str, Any]:
    return {"object": "checkpoint.permission", "id": ident, "created_at": T, "project_id": project}


def shared() -> Life:
    made = {"object": "list", "data": [permission("cp_1", "proj_a")], "first_id": "cp_1", "last_id": "cp_1",
            "has_more": False}  # fmt: skip
    return Life(post(made, CKPT, {"project_ids": ["proj_a"]}), [
        ["list", get(copy.deepcopy(made), f"{CKPT}?project_id=proj_a")],
        ["delete", Http(None, {"object": "checkpoint.permission", "id": "cp_1", "deleted": True}, path=f"{CKPT}/cp_1",
                        method="DELETE")],
        ["list-after", get({"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False},
                           f"{CKPT}?project_id=proj_a")],
    ])  # fmt: skip


def ran(grader: dict[str, Any], reward: float, sample: str = "Paris", subs: dict[str, float] | None = None) -> Http:
    answer = {"reward": reward, "metadata": {"name": grader["name"], "type": grader["type"], "errors": {},
                                             "execution_time": 0.1}, "sub_rewards": subs or {},
              "model_grader_token_usage_per_model": {}}  # fmt: skip
    request = {"grader": grader, "model_sample": sample, "item": {"answer": "Paris"}}
    return post(answer, f"{GRADERS}/run", request)


CHECK = {"type": "string_check", "name": "same", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
         "operation": "eq"}  # fmt: skip
SIMILAR = {"type": "text_similarity", "name": "similar", "input": "{{sample.output_text}}",
           "reference": "{{item.answer}}", "evaluation_metric": "fuzzy_match"}  # fmt: skip
SCORE = {"type": "score_model", "name": "score", "model": MODEL, "range": [0, 10],
         "input": [{"role": "user", "content": "Score {{sample.output_text}}."}]}  # fmt: skip
MULTI = {"type": "multi", "name": "both", "calculate_output": "(same + close) / 2",
         "graders": {"same": CHECK, "close": {**CHECK, "name": "close", "operation": "ilike"}}}  # fmt: skip


def refusal(path: str, request: Any = None, status: int = 400) -> Http:
    return Http(request, copy.deepcopy(REFUSED), status, path=path, method="POST" if request is not None else "GET")


def accepted(body: Any) -> Any:
    return lambda s: (setattr(s, "status", 200), setattr(s, "body", copy.deepcopy(body)))


# The jobs list has no `order` and no first_id/last_id (seed 002): the other five invariants.
JOBS_PAGES = ("limit", "has-more", "after-continues", "walk-once", "invalid-limit")


def swap_events(spec: JLife) -> None:
    data = spec.last("events").body["data"]
    data[0], data[-1] = data[-1], data[0]


VIOLATIONS: list[V] = [
    V("fine-tuning.create.schema", "no status", created, lambda s: s.body.pop("status"),
      "'status' is a required property"),
    V("fine-tuning.create.echoes", "another training file", created, lambda s: s.body.update(training_file="file-x"),
      "as sent"),
    V("fine-tuning.create.method", "the epochs sent answered auto", created,
      lambda s: s.body["method"]["supervised"]["hyperparameters"].update(n_epochs="auto"), "as sent"),
    V("fine-tuning.retrieve.same", "another model on retrieve", succeeded,
      lambda s: s.last("retrieve").body.update(model="davinci-002"), "as created"),
    V("fine-tuning.status.transitions", "running again after succeeded", succeeded,
      lambda s: s.steps.insert(4, ["poll", get(job("running"))]), "after 'succeeded'"),
    V("fine-tuning.status.finished", "a succeeded job names no model", succeeded,
      lambda s: s.last("poll").body.update(fine_tuned_model=None), "fine_tuned_model None"),
    V("fine-tuning.failed.error", "a failed job says nothing", failed, lambda s: s.last("poll").body.update(error=None),
      "in a failed job"),
    V("fine-tuning.cancel.cancelled", "the cancel ignored", cancelled,
      lambda s: s.last("cancel").body.update(status="running", finished_at=None), "'cancelled'"),
    V("fine-tuning.pause.resume", "the pause ignored", paused, lambda s: s.last("pause").body.update(status="running"),
      "paused"),
    V("fine-tuning.events.schema", "an event without level", succeeded,
      lambda s: s.last("events").body["data"][0].pop("level"), "'level' is a required property"),
    V("fine-tuning.events.order", "newest and oldest swapped", succeeded, swap_events, "never going backwards"),
    V("fine-tuning.checkpoints.schema", "a checkpoint of another job", succeeded,
      lambda s: s.last("checkpoints").body["data"][0].update(fine_tuning_job_id="ftjob-other"), "the job asked about"),
    V("fine-tuning.list.contains", "a job just created not listed", listed,
      lambda s: s.step("list").body["data"].pop(), "among them"),
    V("fine-tuning.list.metadata-filter", "an untagged job in the filtered list", listed,
      lambda s: s.step("filtered").body["data"].insert(0, job("validating_files", id="ftjob-3")), "only jobs"),
    *[v for v in page_rows("fine-tuning.pages") if v.rid.rsplit(".", 1)[-1] in JOBS_PAGES],
    V("fine-tuning.retrieve.unknown", "an unknown id answered 200",
      lambda: refusal(f"/fine_tuning/jobs/{JOB}", None, 404), accepted(job("running")), "404"),
    V("fine-tuning.create.not-fine-tune-file", "a user_data file accepted",
      lambda: refusal("/fine_tuning/jobs", REQUEST), accepted(job("validating_files")), "400"),
    V("fine-tuning.create.bad-training-file", "a file of no examples succeeds", bad_file,
      lambda s: s.step("poll").body.update(job("succeeded")), "refused, or `failed`"),
    V("fine-tuning.permissions.create", "another project answered", shared,
      lambda s: s.created.body["data"][0].update(project_id="proj_b"), "one per project sent"),
    V("fine-tuning.permissions.list", "another project's permission listed", shared,
      lambda s: s.step("list").body["data"].append(permission("cp_2", "proj_b")), "of other projects"),
    V("fine-tuning.permissions.delete", "still listed once deleted", shared,
      lambda s: s.step("list-after").body["data"].append(permission("cp_1", "proj_a")), "no longer listed"),
    V("fine-tuning.graders.run-schema", "no reward", lambda: ran(CHECK, 1.0), lambda s: s.body.pop("reward"),
      "'reward' is a required property"),
    V("fine-tuning.graders.string-check", "a reward of 2 for eq", lambda: ran(CHECK, 1.0),
      lambda s: s.body.update(reward=2.0), "Expected: 1"),
    V("fine-tuning.graders.text-similarity", "identical texts score 0.9", lambda: ran(SIMILAR, 1.0),
      lambda s: s.body.update(reward=0.9), "Expected: 1"),
    V("fine-tuning.graders.model-range", "a score above the range", lambda: ran(SCORE, 5.0),
      lambda s: s.body.update(reward=11.0), "within the grader's range"),
    V("fine-tuning.graders.multi", "the sum, not the formula",
      lambda: ran(MULTI, 1.0, subs={"same": 1.0, "close": 1.0}), lambda s: s.body.update(reward=2.0), "over them"),
    V("fine-tuning.graders.validate", "the grader renamed", lambda: post({"grader": dict(CHECK)},
      f"{GRADERS}/validate", {"grader": CHECK}), lambda s: s.body["grader"].update(name="other"), "as sent"),
    V("fine-tuning.graders.invalid", "an unknown operation accepted",
      lambda: refusal(f"{GRADERS}/validate", {"grader": {**CHECK, "operation": "contains"}}),
      accepted({"grader": {**CHECK, "operation": "contains"}}), "400"),
]  # fmt: skip


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_violation_fails(v: V) -> None:
    fails_with_evidence(v)


@pytest.mark.parametrize("v", [param(v) for v in VIOLATIONS])
def test_valid_counterpart_passes(v: V) -> None:
    passes(v)


def test_every_fine_tuning_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("fine-tuning.")}


# --- what a rule does not judge, and the other ways to be right ------------------------------------------------


def test_a_job_still_running_skips_what_needs_its_end() -> None:
    spec = succeeded()
    spec.steps = [step for step in spec.steps if step[1].body.get("status") != "succeeded"]
    spec.last("checkpoints").body["data"] = []
    for rid in ("fine-tuning.checkpoints.schema", "fine-tuning.failed.error"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "validating_files → queued → running" in obs.reason, obs


def test_a_job_paused_before_it_ran_is_not_judged() -> None:
    spec = paused()
    spec.steps = spec.steps[:1] + spec.steps[2:]  # queued when paused
    [obs] = judge(spec.subject(), ["fine-tuning.pause.resume"])
    assert obs.status is Status.SKIP and "'queued', not running" in obs.reason, obs


def test_a_cancel_after_the_job_ended_is_not_judged() -> None:
    spec = cancelled()
    spec.steps = [["poll", get(job("succeeded"))], ["cancel", refusal(f"/fine_tuning/jobs/{JOB}/cancel", {})]]
    [obs] = judge(spec.subject(), ["fine-tuning.cancel.cancelled"])
    assert obs.status is Status.SKIP and "ended 'succeeded'" in obs.reason, obs


def test_an_events_page_repeating_an_event_fails() -> None:
    spec = succeeded()
    pages = [step for step in spec.steps if step[0] == "events-page"]
    pages[1][1].body["data"] = copy.deepcopy(pages[0][1].body["data"])
    [obs] = judge(spec.subject(), ["fine-tuning.events.order"])
    assert obs.status is Status.FAIL and "on more than one page" in str(obs.failures), obs


def test_events_oldest_first_are_in_order_too() -> None:
    spec = succeeded()
    spec.last("events").body["data"].reverse()
    spec.steps = [step for step in spec.steps if step[0] != "events-page"]
    [obs] = judge(spec.subject(), ["fine-tuning.events.order"])
    assert obs.status is Status.PASS, obs


@pytest.mark.parametrize("where", ["upload", "create"])
def test_a_bad_training_file_refused_early_passes_with_the_envelope(where: str) -> None:
    spec = bad_file()
    target = spec.created if where == "upload" else spec.step("create")
    target.status, target.body = 400, copy.deepcopy(REFUSED)
    spec.steps = spec.steps[:1] if where == "create" else []
    [obs] = judge(spec.subject(), ["fine-tuning.create.bad-training-file"])
    assert obs.status is Status.PASS, obs
    target.body = {"error": "bad file"}
    [obs] = judge(spec.subject(), ["fine-tuning.create.bad-training-file"])
    assert obs.status is Status.FAIL and "error envelope" in str(obs.failures), obs


def test_a_model_snapshot_echoes_the_model_sent() -> None:
    spec = created()
    for model, status in (("gpt-4o-mini-2024-07-18", Status.PASS), ("gpt-4o", Status.FAIL)):
        spec.body["model"] = model
        [obs] = judge(spec.subject(), ["fine-tuning.create.echoes"])
        assert obs.status is status, (model, obs)


def test_the_grader_helpers() -> None:
    filled = render("{{ sample.output_text }} / {{item.a.b}} / {{item.none}}", "S", {"a": {"b": 2}})
    assert filled == "S / 2 / {{item.none}}"
    item = {"answer": "Paris"}
    cases = [("eq", "Paris", 1.0), ("eq", "paris", 0.0), ("ne", "Rome", 1.0), ("like", "It is Paris.", 1.0),
             ("ilike", "it is PARIS", 1.0), ("like", "paris", 0.0), ("contains", "Paris", None)]  # fmt: skip
    for operation, sample, reward in cases:
        assert string_check({**CHECK, "operation": operation}, sample, item) == reward, operation
    assert formula("(a + b) / 2 - -1 * c", {"a": 1.0, "b": 0.0, "c": 0.5}) == 1.0
    with pytest.raises(ValueError):
        formula("__import__('os')", {})


# The seeds' example answers ----------------------------------------------------------------------------------

SEED_000_JOB = {
    "object": "fine_tuning.job", "id": "ftjob-abc123", "model": "gpt-4o-mini-2024-07-18", "created_at": 1721764800,
    "fine_tuned_model": "ft:gpt-4o-mini:org:suffix:abc123", "status": "succeeded", "training_file": "file-abc123",
    "validation_file": None, "result_files": ["file-xyz789"], "trained_tokens": 5768,
    "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 4, "batch_size": 1,
                                                                        "learning_rate_multiplier": 1.0}}},
}  # fmt: skip
SEED_002_REQUEST = {"training_file": "file-BK7bzQj3FfZFXr7DbL6xJwfo", "model": "gpt-4o-mini-2024-07-18"}
SEED_002_JOB = {
    "object": "fine_tuning.job", "id": "ftjob-abc123", "model": "gpt-4o-mini-2024-07-18", "created_at": 1692661014,
    "finished_at": None, "fine_tuned_model": None, "organization_id": "org-abc123", "result_files": [],
    "status": "validating_files", "validation_file": None, "training_file": "file-BK7bzQj3FfZFXr7DbL6xJwfo",
    "hyperparameters": {"n_epochs": "auto"}, "trained_tokens": None, "error": {},
}  # fmt: skip
SEED_002_LIST = {
    "object": "list",
    "data": [{"object": "fine_tuning.job", "id": "ftjob-abc123", "model": "gpt-4o-mini-2024-07-18",
              "created_at": 1692661014, "finished_at": 1692661190,
              "fine_tuned_model": "ft:gpt-4o-mini-2024-07-18:my-org::7q8XXYZY", "status": "succeeded",
              "trained_tokens": 5768}],
    "has_more": True,
}  # fmt: skip


def test_the_seeds_example_answers_are_accepted() -> None:
    seed_000 = post(SEED_000_JOB, "/fine_tuning/jobs", {"training_file": "file-abc123", "model": MODEL})
    seed_002 = post(SEED_002_JOB, "/fine_tuning/jobs", SEED_002_REQUEST)
    for spec in (seed_000, seed_002):
        for obs in judge(spec.subject(), ["fine-tuning.create.schema", "fine-tuning.create.echoes",
                                          "fine-tuning.create.method"]):  # fmt: skip
            assert obs.status in (Status.PASS, Status.SKIP), obs
    life = JLife(seed_002, [["poll", get(SEED_000_JOB)]])
    for obs in judge(life.subject(), ["fine-tuning.status.transitions", "fine-tuning.status.finished"]):
        assert obs.status is Status.PASS, obs
    assert not validate("fine_tuning.job.list", SEED_002_LIST)
    listing = Life(seed_002, [["list", get(SEED_002_LIST, "/fine_tuning/jobs?limit=2")]])
    [obs] = judge(listing.subject(), ["fine-tuning.list.contains"])
    assert obs.status is Status.PASS, obs
