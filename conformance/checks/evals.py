"""Evals: an eval over its life (create, retrieve, update, delete), the list, a run followed over polling (its
status, result counts, per-criterion results, output items), cancel and delete.

Subjects: an `Exchange` for one answer (the create answers, an error), a `Lifecycle` for an eval (created: the POST;
steps "retrieve", "update", "retrieve-updated", "delete", "retrieve-deleted") and for the list ("created" steps,
"list"), and a `RunLife` for a run (created: the POST; steps "poll", "cancel", "outputs" (the output items in pages,
each `after` the last), "output" (one retrieved), "runs" (the eval's runs), "delete", "retrieve-deleted"), which
knows the eval's testing criteria and how many items the data source gave.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from conformance.checks._lifecycle import (
    Lifecycle,
    Observed,
    created_object,
    item_ids,
    listed_violations,
    made_objects,
    observed,
    page_items,
    reachable,
    statuses_seen,
    transition_violations,
)
from conformance.checks.evidence import (
    answer,
    asked,
    created_violations,
    excerpt,
    received,
    schema_violations,
    status_violations,
)
from conformance.checks.evidence import cited as _on
from conformance.checks.evidence import cited_answer as _body
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

TERMINAL = frozenset({"completed", "failed", "canceled"})
REACHABLE = reachable({
    "queued": frozenset({"in_progress", "completed", "failed", "canceled"}),
    "in_progress": frozenset({"completed", "failed", "canceled"}),
    "completed": frozenset(), "failed": frozenset(), "canceled": frozenset(),
})  # fmt: skip
COUNTS = ("total", "errored", "failed", "passed")


@dataclass(frozen=True)
class RunLife(Lifecycle):
    """A run followed over time: `criteria` the eval's testing criteria (names), `items` how many items the data
    source gave (None: not known), `waited` how long the case polled at most (seconds)."""

    criteria: tuple[str, ...] = ()
    items: int | None = None
    waited: float = 0.0


# --- an eval ---------------------------------------------------------------------------------------------------


@check("evals.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("eval", body)
    if isinstance(body, dict):
        yield from created_violations(body.get("created_at"), ctx, "$.created_at")


@check("evals.create.echoes")
def create_echoes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    sent = asked(exchange)
    if not isinstance(body, dict) or not sent:
        raise NotApplicable("the request or the answer is not a JSON object")
    if "name" in sent and body.get("name") != sent["name"]:
        yield Violation(f"Received: name {excerpt(body.get('name'), 80)}\nExpected: {sent['name']!r}, as sent",
                        "$.name")  # fmt: skip
    if (body.get("metadata") or None) != (sent.get("metadata") or None):
        yield Violation(f"Received: metadata {excerpt(body.get('metadata'), 120)}\nExpected: "
                        f"{excerpt(sent.get('metadata'), 120)}, as sent", "$.metadata")  # fmt: skip
    config, got = sent.get("data_source_config") or {}, body.get("data_source_config") or {}
    if isinstance(config, dict) and isinstance(got, dict) and got.get("type") != config.get("type"):
        yield Violation(f"Received: data_source_config.type {got.get('type')!r}\nExpected: {config.get('type')!r}, "
                        "as sent", "$.data_source_config.type")  # fmt: skip
    wanted = [(c.get("name"), c.get("type")) for c in sent.get("testing_criteria") or [] if isinstance(c, dict)]
    found = [(c.get("name"), c.get("type")) for c in body.get("testing_criteria") or [] if isinstance(c, dict)]
    if found != wanted:
        yield Violation(f"Received: testing criteria {excerpt(found, 160)}\nExpected: {excerpt(wanted, 160)}, as sent "
                        "(name, type)", "$.testing_criteria")  # fmt: skip


@check("evals.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = created_object(life, "eval")
    got = life.step("retrieve")
    body = _body(got)
    yield from _on(got, schema_violations("eval", body))
    for key in ("id", "name", "created_at", "metadata", "testing_criteria", "data_source_config"):
        if isinstance(body, dict) and key in made and body.get(key) != made[key]:
            yield Violation(f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(made[key], 120)}, "
                            "as created", f"$.{key}", got.index)  # fmt: skip


@check("evals.update.applied")
def update_applied(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = created_object(life, "eval")
    update = life.step("update")
    sent = asked(update)
    for step in ("update", "retrieve-updated"):
        got = life.step(step)
        body = _body(got)
        yield from _on(got, schema_violations("eval", body))
        if not isinstance(body, dict):
            continue
        for key, value in sent.items():
            if body.get(key) != value:
                yield Violation(f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(value, 120)}, as "
                                "updated", f"$.{key}", got.index)  # fmt: skip
        if body.get("testing_criteria") != made.get("testing_criteria"):
            yield Violation(f"Received: testing_criteria {excerpt(body.get('testing_criteria'), 120)}\nExpected: "
                            "unchanged by an update of name and metadata", "$.testing_criteria", got.index)  # fmt: skip


def _deleted(life: Lifecycle, kind: str, key: str) -> Iterator[Violation]:
    """The deletion's answer names the object (`key`), and the object is then not found."""
    made = created_object(life, kind)
    deleted = life.step("delete")
    body = _body(deleted)
    yield from _on(deleted, schema_violations(f"{kind}.deleted", body))
    if isinstance(body, dict) and body.get(key) != made["id"]:
        yield Violation(f"Received: {key} {body.get(key)!r}\nExpected: {made['id']!r}, the {kind} deleted", f"$.{key}",
                        deleted.index)  # fmt: skip
    after = life.step("retrieve-deleted")
    if after.response is None or after.response.status != 404:
        yield Violation(f"{received(after)}\nExpected: 404 for the {kind} once deleted", "", after.index)


@check("evals.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _deleted(life, "eval", "eval_id")


@check("evals.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = [e["id"] for e in made_objects(life, "evals")]
    listing = life.step("list")
    found = list(listed_violations(listing, "eval.list", wanted, "evals"))
    yield from found
    if found:
        return
    # Evals made in the same second may come in either order: the page's created_at must follow `order`.
    query = dict(parse_qsl(urlsplit(listing.request.url).query))
    order = query.get("order", "asc")
    if query.get("order_by", "created_at") != "created_at":
        return
    items = [i for i in page_items(listing) if isinstance(i, dict) and isinstance(i.get("created_at"), int)]
    for before, after in itertools.pairwise(items):
        if (after["created_at"] - before["created_at"]) * (1 if order == "asc" else -1) < 0:
            yield Violation(f"Received: {after.get('id')!r} created_at {after['created_at']} after "
                            f"{before.get('id')!r} created_at {before['created_at']}\nExpected: order {order!r} by "
                            "created_at", "$.data", listing.index)  # fmt: skip
            return


@check("evals.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "retrieving an eval id the server never issued")


# --- a run -----------------------------------------------------------------------------------------------------


@check("evals.runs.create.schema")
def run_create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("eval.run", body)
    if not isinstance(body, dict):
        return
    yield from created_violations(body.get("created_at"), ctx, "$.created_at")
    eval_id = urlsplit(exchange.request.url).path.rstrip("/").split("/")[-2]
    if body.get("eval_id") != eval_id:
        yield Violation(f"Received: eval_id {body.get('eval_id')!r}\nExpected: {eval_id!r}, the eval run",
                        "$.eval_id")  # fmt: skip
    sent = asked(exchange)
    source: dict[str, Any] = sent["data_source"] if isinstance(sent.get("data_source"), dict) else {}
    got: dict[str, Any] = body["data_source"] if isinstance(body.get("data_source"), dict) else {}
    if got.get("type") != source.get("type"):
        yield Violation(f"Received: data_source.type {got.get('type')!r}\nExpected: {source.get('type')!r}, as sent",
                        "$.data_source.type")  # fmt: skip
    if (body.get("metadata") or None) != (sent.get("metadata") or None):
        yield Violation(f"Received: metadata {excerpt(body.get('metadata'), 120)}\nExpected: "
                        f"{excerpt(sent.get('metadata'), 120)}, as sent", "$.metadata")  # fmt: skip


def _observed(life: Lifecycle) -> Observed:
    return observed(life, "eval.run")


def _seen(life: Lifecycle) -> str:
    return statuses_seen(_observed(life))


def _completed(life: Lifecycle) -> tuple[Exchange, dict[str, Any]]:
    exchange, last = _observed(life)[-1]
    if last.get("status") != "completed":
        waited = life.waited if isinstance(life, RunLife) else 0.0
        raise NotApplicable(f"the run was {last.get('status')!r}, not completed, when the case stopped polling after "
                            f"{waited:.0f} s (seen: {_seen(life)})")  # fmt: skip
    return exchange, last


@check("evals.runs.status.transitions")
def run_transitions(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from transition_violations(_observed(life), REACHABLE)


def _counts(body: dict[str, Any]) -> list[int] | None:
    counts = body.get("result_counts")
    numbers = [counts.get(k) if isinstance(counts, dict) else None for k in COUNTS]
    ok = all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers)
    return [int(n) for n in numbers if isinstance(n, int)] if ok else None


@check("evals.runs.result-counts")
def result_counts(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    items = life.items if isinstance(life, RunLife) else None
    for exchange, body in _observed(life):
        numbers = _counts(body)
        if numbers is None:
            yield Violation(f"Received: result_counts {excerpt(body.get('result_counts'), 120)}\nExpected: total, "
                            "errored, failed, passed: counts ≥ 0", "$.result_counts", exchange.index)  # fmt: skip
            continue
        total, errored, failed, passed = numbers
        summed = passed + failed + errored
        done = body.get("status") == "completed"
        if summed > total or (done and summed != total):
            yield Violation(
                f"Received: passed {passed} + failed {failed} + errored {errored} = {summed}, total {total} in a run "
                f"{body.get('status')!r}\nExpected: {'=' if done else '≤'} total",
                "$.result_counts",
                exchange.index,
            )
        if done and items is not None and total != items:
            yield Violation(f"Received: total {total}\nExpected: {items}, the items of the data source",
                            "$.result_counts.total", exchange.index)  # fmt: skip


def _listed(life: Lifecycle) -> list[dict[str, Any]]:
    """The output items of every page read, as listed (a page that repeats an item repeats it here)."""
    return [i for page in life.all("outputs") for i in page_items(page) if isinstance(i, dict)]


def _walked(life: Lifecycle) -> list[dict[str, Any]]:
    """The output items read, each once (the first time it was listed)."""
    return list({str(i.get("id")): i for i in _listed(life)[::-1]}.values())[::-1]


@check("evals.runs.criteria-results")
def criteria_results(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    exchange, last = _completed(life)
    criteria = life.criteria if isinstance(life, RunLife) else ()
    results = last.get("per_testing_criteria_results")
    rows = [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []
    names = [r.get("testing_criteria") for r in rows]
    if criteria and sorted(map(str, names)) != sorted(criteria):
        yield Violation(f"Received: per_testing_criteria_results for {excerpt(names, 120)}\nExpected: each of "
                        f"{list(criteria)} once", "$.per_testing_criteria_results", exchange.index)  # fmt: skip
        return
    numbers = _counts(last)
    total = numbers[0] if numbers else None
    outputs = _walked(life)
    for n, row in enumerate(rows):
        passed, failed = row.get("passed"), row.get("failed")
        if not isinstance(passed, int) or not isinstance(failed, int):
            continue  # the schema rules report it
        if total is not None and passed + failed > total:
            yield Violation(f"Received: {row.get('testing_criteria')!r} passed {passed} + failed {failed}\n"
                            f"Expected: at most {total}, the run's items", f"$.per_testing_criteria_results[{n}]",
                            exchange.index)  # fmt: skip
        if outputs and len(outputs) == total:  # every item read (evals.runs.output-items judges the walk)
            name = row.get("testing_criteria")
            counted = sum(1 for o in outputs for r in o.get("results") or []
                          if isinstance(r, dict) and r.get("name") == name and r.get("passed"))  # fmt: skip
            if counted != passed:
                yield Violation(f"Received: {row.get('testing_criteria')!r} passed {passed}\nExpected: {counted}, the "
                                "output items it passed", f"$.per_testing_criteria_results[{n}].passed",
                                exchange.index)  # fmt: skip


@check("evals.runs.output-items")
def outputpage_items(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    exchange, last = _completed(life)
    pages = life.all("outputs")
    if not pages:
        raise NotApplicable("the case read no output items")
    for page in pages:
        yield from _on(page, schema_violations("eval.run.output_item.list", _body(page), limit=3))
    ids = item_ids(_listed(life))
    outputs = _walked(life)
    if repeated := sorted({str(i) for i in ids if ids.count(i) > 1}):
        yield Violation(f"Received: {excerpt(repeated, 120)} on more than one page\nExpected: each output item once",
                        "$.data", pages[-1].index)  # fmt: skip
    numbers = _counts(last)
    if numbers and len(set(ids)) != numbers[0]:
        yield Violation(f"Received: {len(set(ids))} output items\nExpected: {numbers[0]}, result_counts.total",
                        "$.data", pages[-1].index)  # fmt: skip
    criteria = set(life.criteria if isinstance(life, RunLife) else ())
    for item in outputs:
        results = [r for r in item.get("results") or [] if isinstance(r, dict)]
        named = {r.get("name") for r in results}
        if criteria and named != criteria:
            yield Violation(f"Received: item {item.get('id')!r} graded by {sorted(map(str, named))}\nExpected: every "
                            f"testing criterion {sorted(criteria)}", "$.data[].results", pages[-1].index)  # fmt: skip
        wanted = "pass" if results and all(r.get("passed") is True for r in results) else "fail"
        if item.get("status") not in (wanted, "failed" if wanted == "fail" else wanted):
            yield Violation(f"Received: item {item.get('id')!r} status {item.get('status')!r} with results passed "
                            f"{[r.get('passed') for r in results]}\nExpected: {wanted!r}", "$.data[].status",
                            pages[-1].index)  # fmt: skip
        if item.get("run_id") != last.get("id"):
            yield Violation(f"Received: run_id {item.get('run_id')!r}\nExpected: {last.get('id')!r}", "$.data[].run_id",
                            pages[-1].index)  # fmt: skip
    passing = len({o.get("id") for o in outputs if o.get("status") == "pass"})
    if numbers and passing != numbers[3]:
        yield Violation(f"Received: result_counts.passed {numbers[3]}\nExpected: {passing}, the output items that "
                        "passed", "$.result_counts.passed", exchange.index)  # fmt: skip


@check("evals.runs.output-item-same")
def output_item_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    got = life.step("output")
    body = _body(got)
    yield from _on(got, schema_violations("eval.run.output_item", body))
    ident = urlsplit(got.request.url).path.rstrip("/").rsplit("/", 1)[-1]
    listed = next((o for o in _walked(life) if o.get("id") == ident), None)
    if listed is None:
        raise NotApplicable(f"the output item {ident!r} was not among those listed")
    for key in ("id", "status", "results", "datasource_item_id", "run_id"):
        if isinstance(body, dict) and body.get(key) != listed.get(key):
            yield Violation(f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(listed.get(key), 120)}"
                            ", as listed", f"$.{key}", got.index)  # fmt: skip


@check("evals.runs.cancel.canceled")
def run_cancel(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    before = None
    for exchange, body in _observed(life):
        if exchange is cancel:
            break
        before = body.get("status")
    if before in TERMINAL:
        raise NotApplicable(f"the run had ended {before!r} before the cancel arrived (seen: {_seen(life)})")
    body = cancel.ok_json
    if not isinstance(body, dict) or body.get("status") not in ("canceled", "cancelling"):
        if isinstance(body, dict) and body.get("status") in ("completed", "failed"):
            raise NotApplicable(f"the run had ended before the cancel arrived (seen: {_seen(life)})")
        yield Violation(f"{received(cancel)}\nExpected: 200 with the run, canceled", "$.status", cancel.index)
        return
    after = False
    for exchange, seen in _observed(life):
        after = after or exchange is cancel
        if after and exchange is not cancel and seen.get("status") != "canceled":
            yield Violation(f"Received: status {seen.get('status')!r} after the cancel (seen: {_seen(life)})\n"
                            "Expected: 'canceled' from then on", "$.status", exchange.index)  # fmt: skip
            return


@check("evals.runs.delete.deleted")
def run_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from _deleted(life, "eval.run", "run_id")


@check("evals.runs.list.contains")
def runs_list(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = created_object(life, "eval.run")
    yield from listed_violations(life.step("runs"), "eval.run.list", [made["id"]], "runs")


@check("evals.runs.sampled")
def runs_sampled(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    source = asked(life.created).get("data_source")
    if not isinstance(source, dict) or source.get("type") not in ("completions", "responses"):
        raise NotApplicable("the run samples no model (a jsonl data source)")
    exchange, last = _completed(life)
    if last.get("model") not in (None, source.get("model")) and not str(last.get("model")).startswith(
            f"{source.get('model')}-"):  # fmt: skip
        yield Violation(f"Received: model {last.get('model')!r}\nExpected: {source.get('model')!r}, the model asked "
                        "for", "$.model", exchange.index)  # fmt: skip
    pages = life.all("outputs")
    for item in _walked(life):
        sample = item.get("sample")
        if not isinstance(sample, dict) or not (sample.get("output") or sample.get("output_text")):
            yield Violation(f"Received: item {item.get('id')!r} sample {excerpt(sample, 120)}\nExpected: the sample "
                            "the model made, with its output", "$.data[].sample", pages[-1].index)  # fmt: skip
            return
