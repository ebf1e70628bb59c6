"""The official `openai` SDK drives every fine-tuning operation against the reference server: jobs (create with each
method, list with its metadata filter and pages, retrieve, cancel, pause, resume, events, checkpoints), checkpoint
permissions (create, list, delete) and the alpha graders (run, validate), each without an exception."""

from __future__ import annotations

import json
import os

import pytest

from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

KEY = "sk-fine-tuning-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
CHAT = {"messages": [{"role": "user", "content": "Say OK."}, {"role": "assistant", "content": "OK."}]}
PREFERENCE = {"input": {"messages": [{"role": "user", "content": "Say OK."}]},
              "preferred_output": [{"role": "assistant", "content": "OK."}],
              "non_preferred_output": [{"role": "assistant", "content": "No."}]}  # fmt: skip
CHECK = {"type": "string_check", "name": "same", "input": "{{sample.output_text}}", "reference": "{{item.answer}}",
         "operation": "eq"}  # fmt: skip


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def training(client, line: dict = CHAT) -> str:
    data = b"".join(json.dumps(line).encode() + b"\n" for _ in range(10))
    return client.files.create(file=("train.jsonl", data), purpose="fine-tune").id


def test_the_sdk_follows_a_job_to_its_end(client) -> None:
    job = client.fine_tuning.jobs.create(
        model=MODEL, training_file=training(client), validation_file=training(client), seed=7, suffix="sdk",
        metadata={"run": "sdk"}, method={"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 2}}},
    )  # fmt: skip
    assert job.status == "validating_files" and job.metadata == {"run": "sdk"} and job.seed == 7
    assert job.method is not None and job.method.supervised is not None
    statuses = [client.fine_tuning.jobs.retrieve(job.id).status for _ in range(3)]
    assert statuses == ["queued", "running", "succeeded"]
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model and done.finished_at and done.finished_at >= done.created_at
    events = list(client.fine_tuning.jobs.list_events(job.id, limit=1))  # the SDK follows `after` page by page
    times = [e.created_at for e in events]
    assert len(events) == len({e.id for e in events}) > 3 and times == sorted(times, reverse=True)
    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert [c.step_number for c in checkpoints] == [2, 1]
    assert checkpoints[0].fine_tuned_model_checkpoint == done.fine_tuned_model
    assert all(c.fine_tuning_job_id == job.id for c in checkpoints)


def test_the_sdk_creates_dpo_and_reinforcement_jobs_and_cancels(client) -> None:
    dpo = client.fine_tuning.jobs.create(model=MODEL, training_file=training(client, PREFERENCE),
                                         method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2}}})  # fmt: skip
    assert dpo.method is not None and dpo.method.dpo is not None and dpo.method.dpo.hyperparameters is not None
    assert dpo.method.dpo.hyperparameters.beta == 0.2
    reinforcement = client.fine_tuning.jobs.create(
        model=MODEL, training_file=training(client),
        method={"type": "reinforcement", "reinforcement": {"grader": CHECK, "hyperparameters": {"eval_interval": 2}}},
    )  # fmt: skip
    assert reinforcement.method is not None and reinforcement.method.type == "reinforcement"
    for job in (dpo, reinforcement):
        assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
        assert client.fine_tuning.jobs.retrieve(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already ended"):
        client.fine_tuning.jobs.cancel(dpo.id)


def test_the_sdk_pauses_and_resumes(client) -> None:
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=training(client))
    with pytest.raises(openai.BadRequestError, match="Cannot pause"):
        client.fine_tuning.jobs.pause(job.id)
    client.fine_tuning.jobs.retrieve(job.id)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused", "a paused job does not move"
    assert client.fine_tuning.jobs.resume(job.id).status == "running"
    assert client.fine_tuning.jobs.retrieve(job.id).status == "succeeded"


def test_the_sdk_lists_jobs_by_metadata(client) -> None:
    file_id = training(client)
    tagged = [client.fine_tuning.jobs.create(model=MODEL, training_file=file_id, metadata={"list": "mine"})
              for _ in range(3)]  # fmt: skip
    client.fine_tuning.jobs.create(model=MODEL, training_file=file_id)
    walked = [j.id for j in client.fine_tuning.jobs.list(limit=1, metadata={"list": "mine"})]
    assert walked == [j.id for j in tagged[::-1]], "newest first, the filter kept, page by page"


def test_the_sdk_shares_a_checkpoint(client) -> None:
    job = client.fine_tuning.jobs.create(model=MODEL, training_file=training(client))
    for _ in range(3):
        client.fine_tuning.jobs.retrieve(job.id)
    name = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert name
    made = client.fine_tuning.checkpoints.permissions.create(name, project_ids=["proj_a", "proj_b"])
    assert [p.project_id for p in made] == ["proj_a", "proj_b"]
    listed = client.fine_tuning.checkpoints.permissions.list(name, project_id="proj_a")
    assert [p.id for p in listed] == [made.data[0].id]
    gone = client.fine_tuning.checkpoints.permissions.delete(made.data[0].id, fine_tuned_model_checkpoint=name)
    assert gone.deleted and gone.id == made.data[0].id
    assert [p.project_id for p in client.fine_tuning.checkpoints.permissions.list(name)] == ["proj_b"]
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.checkpoints.permissions.list("ft:unknown")


def test_the_sdk_runs_and_validates_graders(client) -> None:
    graders = client.fine_tuning.alpha.graders
    assert graders.run(grader=CHECK, model_sample="Paris", item={"answer": "Paris"}).reward == 1.0
    ilike = {**CHECK, "operation": "ilike"}
    assert graders.run(grader=ilike, model_sample="in PARIS", item={"answer": "Paris"}).reward == 1.0
    similar = {"type": "text_similarity", "name": "similar", "input": "{{sample.output_text}}",
               "reference": "{{item.answer}}", "evaluation_metric": "fuzzy_match"}  # fmt: skip
    assert 0 < graders.run(grader=similar, model_sample="Pariss", item={"answer": "Paris"}).reward < 1
    score = {"type": "score_model", "name": "score", "model": MODEL, "range": [0, 10],
             "input": [{"role": "user", "content": "Score {{sample.output_text}}."}]}  # fmt: skip
    assert graders.run(grader=score, model_sample="Paris").reward == 5.0
    python = {"type": "python", "name": "py", "source": "def grade(sample, item):\n    return 1.0\n"}
    assert graders.run(grader=python, model_sample="Paris").reward == 0.5
    multi = {"type": "multi", "name": "both", "calculate_output": "(a + b) / 2",
             "graders": {"a": CHECK, "b": {**CHECK, "operation": "ne"}}}  # fmt: skip
    ran = graders.run(grader=multi, model_sample="Paris", item={"answer": "Paris"})
    assert ran.reward == 0.5 and ran.sub_rewards == {"a": 1.0, "b": 0.0}
    validated = graders.validate(grader=python)
    assert validated.grader is not None and validated.grader.name == "py"
    with pytest.raises(openai.BadRequestError) as refused:
        graders.validate(grader={**CHECK, "operation": "contains"})  # type: ignore[typeddict-item]
    assert refused.value.param == "grader.operation"
