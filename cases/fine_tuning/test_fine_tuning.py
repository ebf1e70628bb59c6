"""Fine-tuning: a supervised job followed over polling to its end (its events whole and in pages, its checkpoints),
dpo and reinforcement jobs cancelled at once, pause and resume, the list with its metadata filter and pages, the
create errors, training files that hold no training examples, sharing a checkpoint of the run's own job, and the
alpha graders.

Every job is created from `.jsonl` files the case uploads (POST /files, purpose `fine-tune`, ten examples: the API's
least). A real job trains for minutes to hours: the cases poll within `JOB_WAIT` seconds, the rules that need an
end the job did not reach in that time skip, saying what was seen, and the ledger cancels every job the run made
(its files deleted). The chat model of the target is the model fine-tuned.
"""

import json
import secrets
import time

import pytest

from conformance.case import Lifecycle, requirement, walk
from conformance.checks.evidence import is_error_answer
from conformance.checks.fine_tuning import JobLife
from conformance.pagination import walk_pages

JOB_WAIT = 60.0
FIRST_POLL, LONGEST_POLL = 0.05, 5.0
RUNNING = ("validating_files", "queued", "running", "paused")
CREATED = ("fine-tuning.create.schema", "fine-tuning.create.echoes", "fine-tuning.create.method")
LIFE = (
    "fine-tuning.retrieve.same",
    "fine-tuning.status.transitions",
    "fine-tuning.status.finished",
    "fine-tuning.events.schema",
    "fine-tuning.events.order",
    "fine-tuning.checkpoints.schema",
)
ENDED = ("fine-tuning.cancel.cancelled", "fine-tuning.status.transitions", "fine-tuning.status.finished")
PAGES = (
    "fine-tuning.pages.limit",
    "fine-tuning.pages.has-more",
    "fine-tuning.pages.after-continues",
    "fine-tuning.pages.walk-once",
    "fine-tuning.pages.invalid-limit",
)
METADATA = {"oai_conformance": "fine-tuning"}
CHAT = {"messages": [{"role": "system", "content": "Answer in one word."}, {"role": "user", "content": "Say OK."},
                     {"role": "assistant", "content": "OK."}]}  # fmt: skip
PREFERENCE = {"input": {"messages": [{"role": "user", "content": "Say OK."}]},
              "preferred_output": [{"role": "assistant", "content": "OK."}],
              "non_preferred_output": [{"role": "assistant", "content": "No."}]}  # fmt: skip
REINFORCEMENT = {"messages": [{"role": "user", "content": "Say OK."}], "answer": "OK."}
EXAMPLES = 10
GRADER = {"type": "string_check", "name": "same", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
          "operation": "eq"}  # fmt: skip


def upload(oai_client, lines, purpose: str = "fine-tune", raw: bytes | None = None):
    """The exchange of uploading `lines` as JSON Lines (or `raw` bytes)."""
    data = raw if raw is not None else b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    files = [("purpose", (None, purpose)), ("file", ("oai-conformance-fine-tune.jsonl", data, "application/jsonl"))]
    return oai_client.request("POST", "/files", files=files)


def uploaded(oai_client, lines, purpose: str = "fine-tune") -> str:
    exchange = upload(oai_client, lines, purpose)
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    if not isinstance(found, dict) or not isinstance(found.get("id"), str):
        pytest.skip(f"uploading a {purpose} file failed, so no job can be made of it: {exchange.response}")
    return found["id"]


def create(oai_client, oai_target, training_file: str, **extra):
    body = {"model": oai_target.model("chat"), "training_file": training_file, "metadata": METADATA, **extra}
    return oai_client.request("POST", "/fine_tuning/jobs", json=body)


def job_id(exchange) -> str | None:
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = found.get("id") if isinstance(found, dict) else None
    return ident if isinstance(ident, str) else None


def status_of(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    return body.get("status") if isinstance(body, dict) else None


def poll(oai_client, ident: str, steps: list, until=lambda status: status not in RUNNING) -> None:
    """GET the job while `until` does not hold, JOB_WAIT at most; each answer is a "poll" step."""
    deadline = time.monotonic() + JOB_WAIT
    wait = FIRST_POLL
    while time.monotonic() < deadline:
        got = oai_client.request("GET", f"/fine_tuning/jobs/{ident}")
        steps.append(("poll", got))
        if until(status_of(got)) or status_of(got) is None:
            return
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        wait = min(wait * 2, LONGEST_POLL)


@requirement(*CREATED, *LIFE)
def test_a_supervised_job(oai_client, oai_target, oai_judge):
    training = uploaded(oai_client, [CHAT] * EXAMPLES)
    validation = uploaded(oai_client, [CHAT] * EXAMPLES)
    method = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2, "batch_size": 1}}}
    made = create(oai_client, oai_target, training, validation_file=validation, method=method, seed=7,
                  suffix="oai-conformance")  # fmt: skip
    oai_judge(made, *CREATED)
    ident = job_id(made)
    if ident is None:
        pytest.skip(f"creating a job failed, so its life cannot be judged: {made.response}")
    path = f"/fine_tuning/jobs/{ident}"
    steps = [("retrieve", oai_client.request("GET", path))]
    poll(oai_client, ident, steps)
    steps.append(("events", oai_client.request("GET", f"{path}/events", params={"limit": 100})))
    steps += [("events-page", page) for page in walk_pages(oai_client, f"{path}/events", 1, order=None, most=10)]
    steps.append(("checkpoints", oai_client.request("GET", f"{path}/checkpoints", params={"limit": 10})))
    oai_judge(JobLife(made, tuple(steps), waited=JOB_WAIT), *LIFE)


@requirement(*CREATED, *ENDED)
def test_dpo_and_reinforcement_jobs_cancelled(oai_client, oai_target, oai_judge):
    grader = {**GRADER}
    methods = {
        "dpo": ([PREFERENCE] * EXAMPLES, {"hyperparameters": {"beta": 0.2, "n_epochs": 1}}),
        "reinforcement": ([REINFORCEMENT] * EXAMPLES, {"grader": grader, "hyperparameters": {"eval_interval": 2}}),
    }
    judged = []
    for kind, (lines, inner) in methods.items():
        made = create(oai_client, oai_target, uploaded(oai_client, lines), method={"type": kind, kind: inner})
        if is_error_answer(made):  # a server may not offer every method: what it does offer is judged
            judged.append(f"{kind} declined: {made.response.status}")
            continue
        oai_judge(made, *CREATED)
        ident = job_id(made)
        if ident is None:
            continue
        steps = [("cancel", oai_client.request("POST", f"/fine_tuning/jobs/{ident}/cancel"))]
        steps.append(("retrieve", oai_client.request("GET", f"/fine_tuning/jobs/{ident}")))
        oai_judge(JobLife(made, tuple(steps), waited=0.0), *ENDED)
        judged.append(kind)
    if all("declined" in what for what in judged):
        pytest.skip(f"the server declined both methods ({'; '.join(judged)})")


@requirement("fine-tuning.pause.resume", "fine-tuning.status.transitions", "fine-tuning.status.finished")
def test_pause_and_resume(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, uploaded(oai_client, [CHAT] * EXAMPLES))
    ident = job_id(made)
    if ident is None:
        pytest.skip(f"creating a job failed, so it cannot be paused: {made.response}")
    path = f"/fine_tuning/jobs/{ident}"
    steps: list = []
    poll(oai_client, ident, steps, until=lambda status: status != "validating_files" and status != "queued")
    steps.append(("pause", oai_client.request("POST", f"{path}/pause")))
    steps.append(("retrieve", oai_client.request("GET", path)))
    steps.append(("resume", oai_client.request("POST", f"{path}/resume")))
    steps.append(("cancel", oai_client.request("POST", f"{path}/cancel")))
    life = JobLife(made, tuple(steps), waited=JOB_WAIT)
    oai_judge(life, "fine-tuning.pause.resume", "fine-tuning.status.transitions", "fine-tuning.status.finished")


@requirement("fine-tuning.list.contains", "fine-tuning.list.metadata-filter", *PAGES)
def test_jobs_list(oai_client, oai_target, oai_judge):
    # Three jobs of one file, cancelled at once (nothing trains), tagged for this run only: the filtered list and
    # its pages are the run's own whatever else the account holds.
    tag = {"oai_conformance": f"fine-tuning-list-{secrets.token_hex(4)}"}
    training = uploaded(oai_client, [CHAT] * EXAMPLES)
    made = [create(oai_client, oai_target, training, metadata=tag) for _ in range(3)]
    untagged = create(oai_client, oai_target, training)  # newest, so that a filter ignored shows at once
    idents = [ident for exchange in (*made, untagged) if (ident := job_id(exchange))]
    if len(idents) < 4:
        pytest.skip(f"creating the jobs failed, so the list cannot be judged: {made[-1].response}")
    for ident in idents:
        oai_client.request("POST", f"/fine_tuning/jobs/{ident}/cancel")
    listing = oai_client.request("GET", "/fine_tuning/jobs", params={"limit": 100})
    only = {f"metadata[{k}]": v for k, v in tag.items()}
    filtered = oai_client.request("GET", "/fine_tuning/jobs", params={**only, "limit": 100})
    others = tuple(("created", e) for e in (*made[1:], untagged))
    oai_judge(Lifecycle(made[0], (*others, ("list", listing))), "fine-tuning.list.contains")
    oai_judge(Lifecycle(made[0], (*others, ("filtered", filtered))), "fine-tuning.list.metadata-filter")
    oai_judge(walk(oai_client, "/fine_tuning/jobs", limit=1, params=only, ordered=False), *PAGES)


@requirement("fine-tuning.create.not-fine-tune-file", "fine-tuning.retrieve.unknown", "errors.envelope.schema")
def test_job_errors(oai_client, oai_target, oai_judge):
    other = uploaded(oai_client, [CHAT] * EXAMPLES, purpose="user_data")
    oai_judge(create(oai_client, oai_target, other), "fine-tuning.create.not-fine-tune-file", "errors.envelope.schema")
    unknown = oai_client.request("GET", "/fine_tuning/jobs/ftjob-00000000000000000000000000")
    oai_judge(unknown, "fine-tuning.retrieve.unknown", "errors.envelope.schema")


@requirement("fine-tuning.create.bad-training-file", "fine-tuning.failed.error")
def test_training_files_of_no_examples_are_refused(oai_client, oai_target, oai_judge):
    # JSON Lines of objects that are no chat examples, and a file that is not JSON Lines at all.
    for lines, raw in (([{"text": "not a training example"}] * EXAMPLES, None), ([], b'{"messages": [\n{not json\n')):
        sent = upload(oai_client, lines, raw=raw)
        steps: list = []
        if not is_error_answer(sent) and (training := job_id(sent)):
            made = create(oai_client, oai_target, training)
            steps.append(("create", made))
            if ident := job_id(made):
                poll(oai_client, ident, steps)
        oai_judge(Lifecycle(sent, tuple(steps)), "fine-tuning.create.bad-training-file")
        if steps and job_id(steps[0][1]):
            oai_judge(JobLife(steps[0][1], tuple(steps[1:]), waited=JOB_WAIT), "fine-tuning.failed.error")


@requirement("fine-tuning.permissions.create", "fine-tuning.permissions.list", "fine-tuning.permissions.delete")
def test_checkpoint_permissions(oai_client, oai_target, oai_judge):
    # Only a checkpoint of the run's own job is shared: a job that succeeded within the wait.
    made = create(oai_client, oai_target, uploaded(oai_client, [CHAT] * EXAMPLES))
    ident = job_id(made)
    if ident is None:
        pytest.skip(f"creating a job failed, so it has no checkpoint to share: {made.response}")
    steps: list = []
    poll(oai_client, ident, steps)
    listing = oai_client.request("GET", f"/fine_tuning/jobs/{ident}/checkpoints")
    body = listing.response.json if listing.response is not None and listing.response.status == 200 else None
    data = body.get("data") if isinstance(body, dict) else None
    names = [c.get("fine_tuned_model_checkpoint") for c in data or [] if isinstance(c, dict)]
    if not names or not isinstance(names[0], str):
        pytest.skip(f"the run's job made no checkpoint within {JOB_WAIT:.0f} s (last status "
                    f"{status_of(steps[-1][1]) if steps else None!r})")  # fmt: skip
    path = f"/fine_tuning/checkpoints/{names[0]}/permissions"
    # Two projects, one permission each: the list asked for one project must leave out the other's.
    project, other = "proj_oai_conformance", "proj_oai_conformance_other"
    beside = oai_client.request("POST", path, json={"project_ids": [other]})
    shared = oai_client.request("POST", path, json={"project_ids": [project]})
    body = shared.response.json if shared.response is not None and shared.response.status == 200 else None
    created = [p.get("id") for p in (body or {}).get("data", []) if isinstance(p, dict)]
    after: list = [("list", oai_client.request("GET", path, params={"project_id": project}))]
    if created:
        after.append(("delete", oai_client.request("DELETE", f"{path}/{created[0]}")))
        after.append(("list-after", oai_client.request("GET", path, params={"project_id": project})))
    oai_judge(Lifecycle(shared, tuple(after)), "fine-tuning.permissions.create", "fine-tuning.permissions.list",
              "fine-tuning.permissions.delete")  # fmt: skip
    for made in (beside.response.json if beside.response is not None and beside.response.status == 200 else {}).get(
            "data", []):  # fmt: skip
        oai_client.request("DELETE", f"{path}/{made['id']}")


def run_grader(oai_client, grader: dict, sample: str, item: dict | None = None):
    body = {"grader": grader, "model_sample": sample, **({"item": item} if item is not None else {})}
    return oai_client.request("POST", "/fine_tuning/alpha/graders/run", json=body)


@requirement(
    "fine-tuning.graders.run-schema",
    "fine-tuning.graders.string-check",
    "fine-tuning.graders.text-similarity",
    "fine-tuning.graders.model-range",
    "fine-tuning.graders.multi",
)
def test_graders_run(oai_client, oai_target, oai_judge):
    item = {"answer": "Paris"}
    for operation, sample in (("eq", "Paris"), ("eq", "paris"), ("ne", "Rome"), ("like", "It is Paris."),
                              ("ilike", "it is PARIS"), ("like", "Rome")):  # fmt: skip
        grader = {**GRADER, "name": f"check-{operation}", "operation": operation}
        oai_judge(run_grader(oai_client, grader, sample, item), "fine-tuning.graders.run-schema",
                  "fine-tuning.graders.string-check")  # fmt: skip
    for sample in ("Paris", "The capital of France is Paris."):
        grader = {"type": "text_similarity", "name": "similar", "input": "{{sample.output_text}}",
                  "reference": "{{item.answer}}", "evaluation_metric": "fuzzy_match"}  # fmt: skip
        oai_judge(run_grader(oai_client, grader, sample, item), "fine-tuning.graders.run-schema",
                  "fine-tuning.graders.text-similarity")  # fmt: skip
    scorer = {"type": "score_model", "name": "score", "model": oai_target.model("chat"), "range": [0, 10],
              "input": [{"role": "user", "content": "Score from 0 to 10 how close {{sample.output_text}} is to "
                                                    "{{item.answer}}. Answer with the number only."}]}  # fmt: skip
    oai_judge(run_grader(oai_client, scorer, "Paris", item), "fine-tuning.graders.run-schema",
              "fine-tuning.graders.model-range")  # fmt: skip
    multi = {"type": "multi", "name": "both", "calculate_output": "(same + close) / 2",
             "graders": {"same": {**GRADER, "name": "same"},
                         "close": {**GRADER, "name": "close", "operation": "ilike"}}}  # fmt: skip
    oai_judge(run_grader(oai_client, multi, "paris", item), "fine-tuning.graders.run-schema",
              "fine-tuning.graders.multi")  # fmt: skip


@requirement("fine-tuning.graders.validate", "fine-tuning.graders.invalid", "errors.envelope.schema")
def test_graders_validate(oai_client, oai_judge):
    path = "/fine_tuning/alpha/graders/validate"
    python = {"type": "python", "name": "exact", "source": "def grade(sample, item):\n    return 1.0\n"}
    for grader in (GRADER, python):
        oai_judge(oai_client.request("POST", path, json={"grader": grader}), "fine-tuning.graders.validate")
    refused = oai_client.request("POST", path, json={"grader": {**GRADER, "operation": "contains"}})
    oai_judge(refused, "fine-tuning.graders.invalid", "errors.envelope.schema")
