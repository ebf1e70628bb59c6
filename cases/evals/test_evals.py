"""Evals: an eval over its life (create, retrieve, update, delete) with each data source config, the list, runs over
given items graded by string_check (status, result counts, per-criterion results, output items, cancel, delete),
and runs whose items are sampled from the chat model (completions and responses data sources).

A run may take minutes: the cases poll within `RUN_WAIT` seconds, and the rules that need a completed run skip,
saying what was seen. What a case creates it deletes (an eval's deletion ends its runs); the ledger deletes the rest.
"""

import time

import pytest

from conformance.case import Lifecycle, requirement, walk
from conformance.checks.evals import RunLife
from conformance.pagination import walk_pages

RUN_WAIT = 60.0
FIRST_POLL, LONGEST_POLL = 0.05, 5.0
METADATA = {"oai_conformance": "evals"}
ITEM_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}, "expected": {"type": "string"}},
               "required": ["answer", "expected"]}  # fmt: skip
SAME = {"type": "string_check", "name": "same", "input": "{{item.answer}}", "reference": "{{item.expected}}",
        "operation": "eq"}  # fmt: skip
CLOSE = {"type": "string_check", "name": "close", "input": "{{item.answer}}", "reference": "{{item.expected}}",
         "operation": "ilike"}  # fmt: skip
CRITERIA = [SAME, CLOSE]
# Two items pass both criteria, one only `close`, one neither.
ITEMS = [{"item": {"answer": answer, "expected": expected}}
         for answer, expected in (("Paris", "Paris"), ("Rome", "Rome"), ("paris", "Paris"), ("Lyon", "Paris"))]
CREATED = ("evals.create.schema", "evals.create.echoes")
PAGES = (
    "evals.runs.output-items.pages.limit",
    "evals.runs.output-items.pages.has-more",
    "evals.runs.output-items.pages.first-last-ids",
    "evals.runs.output-items.pages.after-continues",
    "evals.runs.output-items.pages.walk-once",
    "evals.runs.output-items.pages.order-reverses",
    "evals.runs.output-items.pages.invalid-limit",
)
RUN = (
    "evals.runs.status.transitions",
    "evals.runs.result-counts",
    "evals.runs.criteria-results",
    "evals.runs.output-items",
    "evals.runs.output-item-same",
    "evals.runs.list.contains",
    "evals.runs.delete.deleted",
)


def body_of(exchange):
    return exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None


def made_id(exchange):
    body = body_of(exchange)
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) else None


def create_eval(oai_client, config=None, criteria=CRITERIA, **extra):
    config = config or {"type": "custom", "item_schema": ITEM_SCHEMA, "include_sample_schema": False}
    body = {"name": "oai-conformance", "metadata": METADATA, "data_source_config": config,
            "testing_criteria": criteria, **extra}  # fmt: skip
    return oai_client.request("POST", "/evals", json=body)


def an_eval(oai_client, **extra) -> str:
    made = create_eval(oai_client, **extra)
    if (ident := made_id(made)) is None:
        pytest.skip(f"creating an eval failed, so its runs cannot be judged: {made.response}")
    return ident


def poll(oai_client, path: str, steps: list) -> None:
    deadline = time.monotonic() + RUN_WAIT
    wait = FIRST_POLL
    while time.monotonic() < deadline:
        got = oai_client.request("GET", path)
        steps.append(("poll", got))
        status = (body_of(got) or {}).get("status")
        if status not in ("queued", "in_progress"):
            return
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        wait = min(wait * 2, LONGEST_POLL)


def followed(oai_client, path: str, made) -> list:
    """A run polled to its end, its output items read in pages of one and the first retrieved, the eval's runs."""
    ident = made_id(made)
    run = f"{path}/{ident}"
    steps: list = []
    poll(oai_client, run, steps)
    pages = walk_pages(oai_client, f"{run}/output_items", 1, order="asc", most=20)
    steps += [("outputs", page) for page in pages]
    first = next((item.get("id") for page in pages for item in (body_of(page) or {}).get("data", [])), None)
    if first:
        steps.append(("output", oai_client.request("GET", f"{run}/output_items/{first}")))
    steps.append(("runs", oai_client.request("GET", path, params={"limit": 100})))
    return steps


@requirement(*CREATED, "evals.retrieve.same", "evals.update.applied", "evals.delete.deleted")
def test_eval_life(oai_client, oai_judge):
    made = create_eval(oai_client)
    oai_judge(made, *CREATED)
    ident = made_id(made)
    if ident is None:
        pytest.skip(f"creating an eval failed, so its life cannot be judged: {made.response}")
    path = f"/evals/{ident}"
    steps = [("retrieve", oai_client.request("GET", path))]
    update = {"name": "oai-conformance-renamed", "metadata": {"oai_conformance": "evals-updated"}}
    steps.append(("update", oai_client.request("POST", path, json=update)))
    steps.append(("retrieve-updated", oai_client.request("GET", path)))
    steps.append(("delete", oai_client.request("DELETE", path)))
    steps.append(("retrieve-deleted", oai_client.request("GET", path)))
    oai_judge(Lifecycle(made, tuple(steps)), "evals.retrieve.same", "evals.update.applied", "evals.delete.deleted")


@requirement(*CREATED)
def test_logs_and_stored_completions_configs(oai_client, oai_judge):
    criteria = [{**SAME, "input": "{{sample.output_text}}", "reference": "{{item.input}}"}]
    for kind in ("logs", "stored_completions"):
        made = create_eval(oai_client, {"type": kind, "metadata": {"usecase": "oai-conformance"}}, criteria)
        oai_judge(made, *CREATED)
        if ident := made_id(made):
            oai_client.request("DELETE", f"/evals/{ident}")


@requirement("evals.list.contains", "evals.retrieve.unknown", "errors.envelope.schema")
def test_evals_list(oai_client, oai_judge):
    made = [create_eval(oai_client) for _ in range(2)]
    listing = oai_client.request("GET", "/evals", params={"limit": 100, "order": "desc", "order_by": "created_at"})
    oai_judge(Lifecycle(made[0], (("created", made[1]), ("list", listing))), "evals.list.contains")
    for exchange in made:
        if ident := made_id(exchange):
            oai_client.request("DELETE", f"/evals/{ident}")
    unknown = oai_client.request("GET", "/evals/eval_00000000000000000000000000000000")
    oai_judge(unknown, "evals.retrieve.unknown", "errors.envelope.schema")


@requirement("evals.runs.create.schema", *RUN, *PAGES)
def test_a_run_over_given_items(oai_client, oai_judge):
    path = f"/evals/{an_eval(oai_client)}/runs"
    source = {"type": "jsonl", "source": {"type": "file_content", "content": ITEMS}}
    made = oai_client.request("POST", path, json={"name": "oai-conformance", "metadata": METADATA,
                                                  "data_source": source})  # fmt: skip
    oai_judge(made, "evals.runs.create.schema")
    if (ident := made_id(made)) is None:
        pytest.skip(f"creating a run failed, so it cannot be judged: {made.response}")
    steps = followed(oai_client, path, made)
    oai_judge(walk(oai_client, f"{path}/{ident}/output_items", limit=1), *PAGES)
    steps.append(("delete", oai_client.request("DELETE", f"{path}/{ident}")))
    steps.append(("retrieve-deleted", oai_client.request("GET", f"{path}/{ident}")))
    criteria = tuple(c["name"] for c in CRITERIA)
    oai_judge(RunLife(made, tuple(steps), criteria=criteria, items=len(ITEMS), waited=RUN_WAIT), *RUN)
    oai_client.request("DELETE", path.removesuffix("/runs"))


@requirement("evals.runs.cancel.canceled", "evals.runs.status.transitions")
def test_cancel_a_run(oai_client, oai_judge):
    path = f"/evals/{an_eval(oai_client)}/runs"
    source = {"type": "jsonl", "source": {"type": "file_content", "content": ITEMS}}
    made = oai_client.request("POST", path, json={"data_source": source})
    if (ident := made_id(made)) is None:
        pytest.skip(f"creating a run failed, so it cannot be cancelled: {made.response}")
    steps = [("cancel", oai_client.request("POST", f"{path}/{ident}"))]
    poll(oai_client, f"{path}/{ident}", steps)
    life = RunLife(made, tuple(steps), waited=RUN_WAIT)
    oai_judge(life, "evals.runs.cancel.canceled", "evals.runs.status.transitions")
    oai_client.request("DELETE", path.removesuffix("/runs"))


@requirement("evals.runs.sampled", "evals.runs.create.schema", "evals.runs.result-counts", "evals.runs.output-items")
def test_runs_that_sample_the_model(oai_client, oai_target, oai_judge):
    config = {"type": "custom", "item_schema": {"type": "object", "properties": {"word": {"type": "string"}}},
              "include_sample_schema": True}  # fmt: skip
    criterion = {"type": "string_check", "name": "said", "input": "{{sample.output_text}}",
                 "reference": "{{item.word}}", "operation": "ilike"}  # fmt: skip
    path = f"/evals/{an_eval(oai_client, config=config, criteria=[criterion])}/runs"
    items = [{"item": {"word": "OK"}}, {"item": {"word": "Yes"}}]
    template = [{"role": "developer", "content": "Answer with the one word asked for."},
                {"role": "user", "content": "Say {{item.word}}."}]  # fmt: skip
    for kind in ("completions", "responses"):
        source = {"type": kind, "model": oai_target.model("chat"), "source": {"type": "file_content", "content": items},
                  "input_messages": {"type": "template", "template": template},
                  "sampling_params": {"max_completion_tokens": 8, "temperature": 0}}  # fmt: skip
        made = oai_client.request("POST", path, json={"data_source": source})
        oai_judge(made, "evals.runs.create.schema")
        if made_id(made) is None:
            continue
        steps = followed(oai_client, path, made)
        life = RunLife(made, tuple(steps), criteria=("said",), items=len(items), waited=RUN_WAIT)
        oai_judge(life, "evals.runs.sampled", "evals.runs.result-counts", "evals.runs.output-items")
    oai_client.request("DELETE", path.removesuffix("/runs"))
