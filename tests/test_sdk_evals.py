"""The official `openai` SDK drives every evals operation against the reference server: evals (create with each data
source config, list, retrieve, update, delete), runs (create with each data source kind, list, retrieve, cancel,
delete) and their output items (list, retrieve), each without an exception."""

from __future__ import annotations

import json
import os

import pytest

from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

KEY = "sk-evals-" + os.urandom(8).hex()
MODEL = "gpt-4o-mini"
SAME = {"type": "string_check", "name": "same", "input": "{{item.answer}}", "reference": "{{item.expected}}",
        "operation": "eq"}  # fmt: skip
SAID = {"type": "string_check", "name": "said", "input": "{{sample.output_text}}", "reference": "{{item.expected}}",
        "operation": "ilike"}  # fmt: skip
CUSTOM = {"type": "custom", "item_schema": {"type": "object", "properties": {"answer": {"type": "string"}}},
          "include_sample_schema": True}  # fmt: skip
ITEMS = [{"item": {"answer": "OK", "expected": "OK"}}, {"item": {"answer": "no", "expected": "OK"}}]


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_manages_evals(client) -> None:
    made = client.evals.create(name="sdk", data_source_config=CUSTOM, testing_criteria=[SAME], metadata={"run": "sdk"})
    assert made.object == "eval" and made.data_source_config.type == "custom"
    assert made.testing_criteria[0].name == "same"
    for kind in ("logs", "stored_completions"):
        other = client.evals.create(data_source_config={"type": kind, "metadata": {"usecase": "sdk"}},  # type: ignore[misc]
                                    testing_criteria=[SAID])  # fmt: skip
        assert other.data_source_config.type == kind
    assert client.evals.retrieve(made.id).name == "sdk"
    assert client.evals.update(made.id, name="renamed", metadata={"run": "updated"}).name == "renamed"
    listed = [e.id for e in client.evals.list(limit=1, order="asc")]  # the SDK follows `after` page by page
    assert made.id in listed and len(listed) == len(set(listed)) >= 3
    gone = client.evals.delete(made.id)
    assert gone.deleted and gone.eval_id == made.id
    with pytest.raises(openai.NotFoundError):
        client.evals.retrieve(made.id)


def test_the_sdk_runs_an_eval_over_given_items(client) -> None:
    ident = client.evals.create(data_source_config=CUSTOM, testing_criteria=[SAME]).id
    source = {"type": "jsonl", "source": {"type": "file_content", "content": ITEMS}}
    run = client.evals.runs.create(ident, data_source=source, name="given", metadata={"run": "sdk"})
    assert run.status == "queued" and run.eval_id == ident
    statuses = [client.evals.runs.retrieve(run.id, eval_id=ident).status for _ in range(2)]
    assert statuses == ["in_progress", "completed"]
    done = client.evals.runs.retrieve(run.id, eval_id=ident)
    counts = done.result_counts
    assert (counts.total, counts.passed, counts.failed, counts.errored) == (2, 1, 1, 0)
    items = list(client.evals.runs.output_items.list(run.id, eval_id=ident, limit=1))
    assert [i.status for i in items] == ["pass", "fail"] and items[0].results[0].passed  # type: ignore[index]
    failed = list(client.evals.runs.output_items.list(run.id, eval_id=ident, status="fail"))
    assert [i.id for i in failed] == [items[1].id]
    one = client.evals.runs.output_items.retrieve(items[0].id, eval_id=ident, run_id=run.id)
    assert one.datasource_item == {"answer": "OK", "expected": "OK"}
    assert [r.id for r in client.evals.runs.list(ident, status="completed")] == [run.id]
    assert client.evals.runs.delete(run.id, eval_id=ident).deleted
    with pytest.raises(openai.NotFoundError):
        client.evals.runs.retrieve(run.id, eval_id=ident)


def test_the_sdk_cancels_a_run(client) -> None:
    ident = client.evals.create(data_source_config=CUSTOM, testing_criteria=[SAME]).id
    source = {"type": "jsonl", "source": {"type": "file_content", "content": ITEMS}}
    run = client.evals.runs.create(ident, data_source=source)
    assert client.evals.runs.cancel(run.id, eval_id=ident).status == "canceled"
    assert client.evals.runs.retrieve(run.id, eval_id=ident).status == "canceled"
    with pytest.raises(openai.BadRequestError, match="Cannot cancel"):
        client.evals.runs.cancel(run.id, eval_id=ident)


@pytest.mark.parametrize("kind", ["completions", "responses"])
def test_the_sdk_runs_an_eval_that_samples_a_model(client, kind) -> None:
    ident = client.evals.create(data_source_config=CUSTOM, testing_criteria=[SAID]).id
    template = [{"role": "user", "content": "Say {{item.expected}}."}]
    source = {"type": kind, "model": MODEL, "source": {"type": "file_content", "content": ITEMS},
              "input_messages": {"type": "template", "template": template},
              "sampling_params": {"max_completion_tokens": 8}}  # fmt: skip
    run = client.evals.runs.create(ident, data_source=source)  # type: ignore[arg-type]
    for _ in range(2):
        client.evals.runs.retrieve(run.id, eval_id=ident)
    done = client.evals.runs.retrieve(run.id, eval_id=ident)
    assert done.status == "completed" and done.model == MODEL and done.result_counts.passed == 2
    assert done.per_model_usage and done.per_model_usage[0].invocation_count == 2
    item = next(iter(client.evals.runs.output_items.list(run.id, eval_id=ident)))
    assert item.sample is not None and json.dumps(item.sample.model_dump()).count("Say OK.") >= 1
