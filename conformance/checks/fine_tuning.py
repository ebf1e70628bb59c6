"""Fine-tuning: a job created from uploaded training files, its status machine as observed over polling, cancel,
pause and resume, its events and checkpoints, the list and its metadata filter, a malformed training file,
checkpoint permissions, and the alpha graders (run, validate).

Subjects: an `Exchange` for one answer (the create answer, an error, a grader run), a `JobLife` for a job followed
over time (the create exchange, then named steps in the order they were made: "retrieve", "poll", "cancel",
"pause", "resume", and the reads at the end: "events" (the whole list), "events-page" (pages of one event, each
`after` the previous), "checkpoints"), and a `Lifecycle` for the list ("created" steps, "list", "filtered"), a
malformed training file (created: its upload; "create", then "poll"s) and checkpoint permissions (created: the
POST; "list", "delete", "list-after"). The list's page invariants are `checks.pagination`'s, under
`fine-tuning.pages.*` (newest first, no `order`, no first_id/last_id).

A real job may train for hours: a case polls within a time budget (`JobLife.waited`), and a rule that needs a
state the job did not reach in that time is not applicable, with what was seen as the reason.
"""

from __future__ import annotations

import ast
import itertools
import math
import operator
import re
from collections.abc import Callable, Iterator
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
    is_error_answer,
    received,
    schema_violations,
    status_violations,
)
from conformance.checks.evidence import cited as _on
from conformance.checks.evidence import cited_answer as _body
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

RUNNING = frozenset({"validating_files", "queued", "running", "paused"})
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
# Where a status may go next; a poll can miss states, so a rule allows any status reachable from the last one.
NEXT: dict[str, frozenset[str]] = {
    "validating_files": frozenset({"queued", "running", "failed", "cancelled"}),
    "queued": frozenset({"running", "paused", "failed", "cancelled"}),
    "running": frozenset({"succeeded", "paused", "failed", "cancelled"}),
    "paused": frozenset({"queued", "running", "failed", "cancelled"}),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}


REACHABLE = reachable(NEXT)
METHODS = ("supervised", "dpo", "reinforcement")


@dataclass(frozen=True)
class JobLife(Lifecycle):
    """A fine-tuning job followed over time; `waited`: how long the case polled at most (seconds)."""

    waited: float = 0.0


# --- reading a life --------------------------------------------------------------------------------------------


def _created(life: Lifecycle) -> dict[str, Any]:
    return created_object(life, "fine_tuning.job", "job")


def _observed(life: Lifecycle) -> Observed:
    """Every answer that shows the job (create, retrieve, polls, cancel, pause, resume), in the order received."""
    return observed(life, "fine_tuning.job", "job")


def _seen(life: Lifecycle) -> str:
    return statuses_seen(_observed(life))


def _last(life: Lifecycle) -> tuple[Exchange, dict[str, Any]]:
    return _observed(life)[-1]


def _before(life: Lifecycle, step: Exchange) -> str | None:
    """The job's status in the last answer received before `step`."""
    status = None
    for exchange, body in _observed(life):
        if exchange is step:
            break
        status = body.get("status")
    return status


def _waited(life: Lifecycle) -> float:
    return life.waited if isinstance(life, JobLife) else 0.0


# --- the create answer -----------------------------------------------------------------------------------------


@check("fine-tuning.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("fine_tuning.job", body)
    if isinstance(body, dict):
        yield from created_violations(body.get("created_at"), ctx, "$.created_at")


def _same_model(sent: Any, got: Any) -> bool:
    """The model sent, or a dated snapshot of it (`gpt-4o-mini` → `gpt-4o-mini-2024-07-18`)."""
    return isinstance(sent, str) and isinstance(got, str) and (got == sent or got.startswith(f"{sent}-"))


@check("fine-tuning.create.echoes")
def create_echoes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    sent = asked(exchange)
    if not isinstance(body, dict) or not sent:
        raise NotApplicable("the request or the answer is not a JSON object")
    if "model" in sent and not _same_model(sent["model"], body.get("model")):
        yield Violation(f"Received: model {excerpt(body.get('model'), 100)}\nExpected: {sent['model']!r} or a "
                        "snapshot of it, as sent", "$.model")  # fmt: skip
    for key in ("training_file", "validation_file", "seed"):
        if sent.get(key) is not None and key in body and body.get(key) != sent[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 100)}\nExpected: {sent[key]!r}, as sent", f"$.{key}"
            )
    wanted = sent.get("metadata") or None
    if (body.get("metadata") or None) != wanted:
        yield Violation(
            f"Received: metadata {excerpt(body.get('metadata'), 160)}\nExpected: {excerpt(wanted, 160)}, as sent",
            "$.metadata",
        )


def _given(sent: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The method type a create request asked for and the hyperparameters it gave (the deprecated top-level
    `hyperparameters` are supervised's)."""
    method = _dict(sent.get("method"))
    kind = str(method.get("type") or "supervised")
    inner = _dict(method.get(kind))
    if isinstance(inner.get("hyperparameters"), dict):
        return kind, inner["hyperparameters"]
    return kind, _dict(sent.get("hyperparameters"))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@check("fine-tuning.create.method")
def create_method(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    sent = asked(exchange)
    if not isinstance(body, dict) or not isinstance(body.get("method"), dict):
        raise NotApplicable("the job carries no `method` (seed 002's job has none)")
    kind, given = _given(sent)
    method = body["method"]
    if method.get("type") != kind:
        yield Violation(f"Received: method.type {method.get('type')!r}\nExpected: {kind!r}, the method asked for",
                        "$.method.type")  # fmt: skip
        return
    inner = method.get(kind)
    got = inner.get("hyperparameters") if isinstance(inner, dict) else None
    for key, value in given.items():
        if value == "auto":
            continue
        found = got.get(key) if isinstance(got, dict) else None
        if found != value:
            yield Violation(
                f"Received: method.{kind}.hyperparameters.{key} {found!r}\nExpected: {value!r}, as sent",
                f"$.method.{kind}.hyperparameters.{key}",
            )


# --- a job over time -------------------------------------------------------------------------------------------


@check("fine-tuning.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = _created(life)
    got = life.step("retrieve")
    body = _body(got)
    yield from _on(got, schema_violations("fine_tuning.job", body))
    if not isinstance(body, dict):
        return
    for key in ("id", "object", "model", "training_file", "validation_file", "created_at", "seed", "metadata"):
        if key in created and body.get(key) != created[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(created[key], 120)}, as created",
                f"$.{key}",
                got.index,
            )


@check("fine-tuning.status.transitions")
def status_transitions(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from transition_violations(_observed(life), REACHABLE)


@check("fine-tuning.status.finished")
def status_finished(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    for exchange, body in _observed(life):
        status = body.get("status")
        if status in RUNNING:
            for key in ("fine_tuned_model", "finished_at"):
                if body.get(key) is not None:
                    yield Violation(f"Received: {key} {excerpt(body.get(key), 80)} in status {status!r}\n"
                                    "Expected: null while the job runs", f"$.{key}", exchange.index)  # fmt: skip
        elif status == "succeeded":
            model, finished, created = body.get("fine_tuned_model"), body.get("finished_at"), body.get("created_at")
            if not isinstance(model, str) or not model:
                yield Violation(f"Received: fine_tuned_model {model!r} in a succeeded job\nExpected: the name of "
                                "the model it made", "$.fine_tuned_model", exchange.index)  # fmt: skip
            # Seed 000's succeeded job leaves finished_at out: an abbreviated example, judged when it is given.
            early = isinstance(finished, int) and isinstance(created, int) and finished < created
            if "finished_at" in body and (not isinstance(finished, int) or early):
                yield Violation(f"Received: finished_at {finished!r} (created_at {created!r})\nExpected: the time "
                                "it finished, not before it was created", "$.finished_at", exchange.index)  # fmt: skip


@check("fine-tuning.failed.error")
def failed_error(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    judged = False
    for exchange, body in _observed(life):
        if body.get("status") != "failed":
            continue
        judged = True
        error = body.get("error")
        if not isinstance(error, dict) or not error.get("message") or not error.get("code"):
            yield Violation(f"Received: error {excerpt(error, 160)} in a failed job\nExpected: an error with a "
                            "message and a code", "$.error", exchange.index)  # fmt: skip
            return
    if not judged:
        raise NotApplicable(f"the job did not fail (seen: {_seen(life)})")


@check("fine-tuning.cancel.cancelled")
def cancel_cancelled(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    before = _before(life, cancel)
    body = cancel.ok_json
    if before in TERMINAL:
        raise NotApplicable(f"the job had ended {before!r} before the cancel arrived (seen: {_seen(life)})")
    if not isinstance(body, dict):
        yield Violation(f"{received(cancel)}\nExpected: 200 with the job, cancelled", "", cancel.index)
        return
    if body.get("status") != "cancelled":
        if body.get("status") in ("succeeded", "failed"):
            raise NotApplicable(f"the job had ended before the cancel arrived (seen: {_seen(life)})")
        yield Violation(f"Received: status {body.get('status')!r} answering the cancel\nExpected: 'cancelled'",
                        "$.status", cancel.index)  # fmt: skip
        return
    after = False
    for exchange, seen in _observed(life):
        after = after or exchange is cancel
        if after and seen.get("status") != "cancelled":
            yield Violation(f"Received: status {seen.get('status')!r} after the cancel (seen: {_seen(life)})\n"
                            "Expected: 'cancelled' from then on", "$.status", exchange.index)  # fmt: skip
            return


@check("fine-tuning.pause.resume")
def pause_resume(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    pause = life.step("pause")
    before = _before(life, pause)
    if before != "running":
        raise NotApplicable(f"the job was {before!r}, not running, when the case could pause it "
                            f"(seen: {_seen(life)}, after {_waited(life):.0f} s)")  # fmt: skip
    paused = pause.ok_json
    if not isinstance(paused, dict) or paused.get("status") != "paused":
        yield Violation(f"{received(pause)}\nExpected: 200 with the job, paused", "$.status", pause.index)
        return
    resume = life.step("resume")
    resumed = resume.ok_json
    if not isinstance(resumed, dict) or resumed.get("status") not in ("queued", "running"):
        yield Violation(f"{received(resume)}\nExpected: 200 with the job, running (or queued) again", "$.status",
                        resume.index)  # fmt: skip


# --- events and checkpoints ------------------------------------------------------------------------------------


@check("fine-tuning.events.schema")
def events_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    for exchange in (life.step("events"), *life.all("events-page")):
        yield from _on(exchange, schema_violations("fine_tuning.job.event.list", _body(exchange)))


@check("fine-tuning.events.order")
def events_order(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    whole = life.step("events")
    events = [e for e in page_items(whole) if isinstance(e, dict)]
    times = [t for e in events if isinstance(t := e.get("created_at"), int)]
    if len(times) == len(events):
        direction = next((1 if b > a else -1 for a, b in itertools.pairwise(times) if a != b), 0)
        for n, (a, b) in enumerate(itertools.pairwise(times)):
            if direction and (b - a) * direction < 0:
                yield Violation(
                    f"Received: event {events[n + 1].get('id')!r} created_at {b} after {events[n].get('id')!r} "
                    f"created_at {a}, in a list that runs {'oldest' if direction > 0 else 'newest'} first\n"
                    "Expected: created_at never going backwards in the list's order",
                    f"$.data[{n + 1}].created_at",
                    whole.index,
                )
                break
    pages = life.all("events-page")
    if not pages:
        return
    walked = [i for page in pages for i in item_ids(page_items(page))]
    repeated = sorted({str(i) for i in walked if walked.count(i) > 1})
    if repeated:
        yield Violation(f"Received: {excerpt(repeated, 120)} on more than one page\nExpected: each event once",
                        "$.data", pages[-1].index)  # fmt: skip
    wanted = item_ids(events)
    body = whole.ok_json
    if isinstance(body, dict) and body.get("has_more") is False and walked != wanted:
        yield Violation(
            f"Received: the pages {excerpt(walked, 160)}\nExpected: the whole list {excerpt(wanted, 160)}, in order",
            "$.data",
            pages[-1].index,
        )


@check("fine-tuning.checkpoints.schema")
def checkpoints_schema(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    ident = _created(life).get("id")
    listing = life.step("checkpoints")
    body = _body(listing)
    yield from _on(listing, schema_violations("fine_tuning.job.checkpoint.list", body))
    items = page_items(listing)
    if not items and _last(life)[1].get("status") != "succeeded":
        raise NotApplicable(f"the job made no checkpoint yet (seen: {_seen(life)})")
    for n, item in enumerate(items):
        if isinstance(item, dict) and item.get("fine_tuning_job_id") != ident:
            yield Violation(f"Received: fine_tuning_job_id {item.get('fine_tuning_job_id')!r}\nExpected: {ident!r}, "
                            "the job asked about", f"$.data[{n}].fine_tuning_job_id", listing.index)  # fmt: skip


# --- the list --------------------------------------------------------------------------------------------------


@check("fine-tuning.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = [j["id"] for j in made_objects(life, "jobs")]
    yield from listed_violations(life.step("list"), "fine_tuning.job.list", wanted, "jobs")


def _metadata_filter(exchange: Exchange) -> dict[str, str]:
    query = parse_qsl(urlsplit(exchange.request.url).query)
    return {k[len("metadata[") : -1]: v for k, v in query if k.startswith("metadata[") and k.endswith("]")}


@check("fine-tuning.list.metadata-filter")
def list_metadata_filter(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = made_objects(life, "jobs")
    listing = life.step("filtered")
    wanted_pairs = _metadata_filter(listing)
    body = _body(listing)
    yield from _on(listing, schema_violations("fine_tuning.job.list", body))
    items = [i for i in page_items(listing) if isinstance(i, dict)]
    for n, item in enumerate(items):
        metadata: dict[str, Any] = item["metadata"] if isinstance(item.get("metadata"), dict) else {}
        if any(metadata.get(k) != v for k, v in wanted_pairs.items()):
            yield Violation(f"Received: job {item.get('id')!r} with metadata {excerpt(item.get('metadata'), 120)}\n"
                            f"Expected: only jobs with metadata {wanted_pairs}", f"$.data[{n}].metadata",
                            listing.index)  # fmt: skip
            return
    matching = [j.get("id") for j in made if all(
        isinstance(j.get("metadata"), dict) and j["metadata"].get(k) == v for k, v in wanted_pairs.items())]
    ids = item_ids(items)
    if missing := [i for i in matching if i not in ids]:
        yield Violation(f"Received: {excerpt(ids, 160)}\nExpected: the jobs just created with that metadata "
                        f"{excerpt(missing, 120)} among them", "$.data", listing.index)  # fmt: skip


# --- errors ----------------------------------------------------------------------------------------------------


@check("fine-tuning.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "retrieving a job id the server never issued")


@check("fine-tuning.create.not-fine-tune-file", case_bound=True)
def not_fine_tune_file(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a training file uploaded with a purpose other than `fine-tune`")


def _envelope_violations(exchange: Exchange, what: str) -> Iterator[Violation]:
    body = exchange.response.json if exchange.response is not None else None
    for violation in schema_violations("error", body, limit=2):
        yield Violation(f"{violation.message}\n(refusing {what}: the API's error envelope)", violation.at,
                        exchange.index)  # fmt: skip


@check("fine-tuning.create.bad-training-file")
def bad_training_file(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    upload = life.created
    if is_error_answer(upload):
        yield from _envelope_violations(upload, "the file at upload")
        return
    create = life.step("create")
    if is_error_answer(create):
        yield from _envelope_violations(create, "the job at creation")
        return
    job = create.ok_json
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        yield Violation(f"{received(create)}\nExpected: a 4xx refusal, or a job that then fails", "", create.index)
        return
    shown = [(e, b) for e in (create, *(e for _, e in life.steps)) if isinstance(b := e.ok_json, dict)
             and b.get("id") == job["id"]]  # fmt: skip
    exchange, last = shown[-1]
    status = last.get("status")
    if status in ("succeeded", "running") or (status == "paused"):
        yield Violation(f"Received: status {status!r} for a training file of no training examples\n"
                        "Expected: refused, or `failed` with an error", "$.status", exchange.index)  # fmt: skip
    elif status == "failed":
        error = last.get("error")
        if not isinstance(error, dict) or not error.get("message"):
            yield Violation(f"Received: error {excerpt(error, 120)} in the failed job\nExpected: an error with a "
                            "message saying what is wrong with the file", "$.error", exchange.index)  # fmt: skip
    elif status != "cancelled":
        raise NotApplicable(f"the job was still {status!r} when the case stopped polling")
    else:
        raise NotApplicable("the job was cancelled before it was judged")


# --- checkpoint permissions ------------------------------------------------------------------------------------


@check("fine-tuning.permissions.create")
def permissions_create(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = life.created
    body = answer(made)
    yield from _on(made, schema_violations("fine_tuning.checkpoint.permission.list", body))
    sent = asked(made).get("project_ids") or []
    got = [i.get("project_id") for i in page_items(made) if isinstance(i, dict)]
    if sorted(map(str, got)) != sorted(map(str, sent)):
        yield Violation(f"Received: permissions for {excerpt(got, 120)}\nExpected: one per project sent "
                        f"{excerpt(sent, 120)}", "$.data", made.index)  # fmt: skip


@check("fine-tuning.permissions.list")
def permissions_list(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = item_ids(page_items(life.created))
    if not wanted:
        raise NotApplicable(f"sharing the checkpoint failed ({received(life.created)[10:90]})")
    listing = life.step("list")
    body = _body(listing)
    yield from _on(listing, schema_violations("fine_tuning.checkpoint.permission.list", body))
    project = dict(parse_qsl(urlsplit(listing.request.url).query)).get("project_id")
    items = [i for i in page_items(listing) if isinstance(i, dict)]
    if project is not None and (other := [i.get("id") for i in items if i.get("project_id") != project]):
        yield Violation(f"Received: permissions {excerpt(other, 120)} of other projects\nExpected: only "
                        f"{project!r}'s (project_id filter)", "$.data", listing.index)  # fmt: skip
    ids = item_ids(items)
    if missing := [i for i in wanted if i not in ids]:
        yield Violation(f"Received: {excerpt(ids, 160)}\nExpected: the permissions just created {excerpt(missing, 80)} "
                        "among them", "$.data", listing.index)  # fmt: skip


@check("fine-tuning.permissions.delete")
def permissions_delete(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = item_ids(page_items(life.created))
    if not wanted:
        raise NotApplicable(f"sharing the checkpoint failed ({received(life.created)[10:90]})")
    deleted = life.step("delete")
    body = _body(deleted)
    yield from _on(deleted, schema_violations("fine_tuning.checkpoint.permission.deleted", body))
    gone = urlsplit(deleted.request.url).path.rstrip("/").rsplit("/", 1)[-1]
    if isinstance(body, dict) and body.get("id") != gone:
        yield Violation(f"Received: id {body.get('id')!r}\nExpected: {gone!r}, the permission deleted", "$.id",
                        deleted.index)  # fmt: skip
    after = life.step("list-after")
    if gone in (ids := item_ids(page_items(after))):
        yield Violation(f"Received: {excerpt(ids, 160)}\nExpected: {gone!r} no longer listed once deleted", "$.data",
                        after.index)  # fmt: skip


# --- graders ---------------------------------------------------------------------------------------------------

TEMPLATE = re.compile(r"\{\{\s*(sample|item)\.([A-Za-z0-9_.]+)\s*\}\}")


def render(text: str, sample: str, item: dict[str, Any]) -> str:
    """A grader's template filled as the docs say: `{{sample.output_text}}` the model sample, `{{item.x}}` the
    dataset item's `x` (a name not found stays as written)."""

    def one(match: re.Match[str]) -> str:
        space, path = match.groups()
        if space == "sample":
            return sample if path == "output_text" else match.group(0)
        value: Any = item
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                return match.group(0)
            value = value[part]
        return value if isinstance(value, str) else str(value)

    return TEMPLATE.sub(one, text)


def string_check(grader: dict[str, Any], sample: str, item: dict[str, Any]) -> float | None:
    """The reward a string_check grader gives (None for an operation the docs do not name)."""
    given = render(str(grader.get("input", "")), sample, item)
    reference = render(str(grader.get("reference", "")), sample, item)
    holds: dict[str, Callable[[], bool]] = {
        "eq": lambda: given == reference,
        "ne": lambda: given != reference,
        "like": lambda: reference in given,
        "ilike": lambda: reference.lower() in given.lower(),
    }
    test = holds.get(str(grader.get("operation")))
    return None if test is None else float(test())


OPERATORS: dict[type, Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}  # fmt: skip


def formula(text: str, names: dict[str, float]) -> float:
    """A multi grader's `calculate_output` over the sub-rewards `names`: + - * / and parentheses only."""

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return float(node.value)
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        raise ValueError(f"not a formula of + - * / over {sorted(names)}: {ast.dump(node)[:80]}")

    return value(ast.parse(text, mode="eval"))


def _run(exchange: Exchange, kind: str) -> tuple[dict[str, Any], dict[str, Any], float]:
    """(the grader sent, the answer, its reward) of a grader run of `kind`; not applicable for another kind."""
    grader = asked(exchange).get("grader")
    if not isinstance(grader, dict) or grader.get("type") != kind:
        raise NotApplicable(f"the request ran no {kind} grader")
    body = answer(exchange)
    reward = body.get("reward") if isinstance(body, dict) else None
    if not isinstance(reward, int | float) or isinstance(reward, bool) or not math.isfinite(reward):
        raise NotApplicable("the answer has no reward (fine-tuning.graders.run-schema reports it)")
    return grader, body, float(reward)


def _sample(exchange: Exchange) -> tuple[str, dict[str, Any]]:
    sent = asked(exchange)
    item = sent.get("item")
    return str(sent.get("model_sample", "")), item if isinstance(item, dict) else {}


@check("fine-tuning.graders.run-schema")
def run_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("grader.run", body)
    reward = body.get("reward") if isinstance(body, dict) else None
    if isinstance(reward, float) and not math.isfinite(reward):
        yield Violation(f"Received: reward {reward!r}\nExpected: a finite number", "$.reward")


@check("fine-tuning.graders.string-check")
def graders_string_check(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    grader, _, reward = _run(exchange, "string_check")
    expected = string_check(grader, *_sample(exchange))
    if expected is None:
        raise NotApplicable(f"the operation {grader.get('operation')!r} is not one the docs name")
    if not 0.0 <= reward <= 1.0 or abs(reward - expected) > 1e-9:
        yield Violation(
            f"Received: reward {reward!r} for {grader.get('operation')!r} of {excerpt(grader.get('input'), 60)} and "
            f"{excerpt(grader.get('reference'), 60)}\nExpected: {expected:g} (1 when the operation holds, else 0)",
            "$.reward",
        )


@check("fine-tuning.graders.text-similarity")
def graders_text_similarity(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    grader, _, reward = _run(exchange, "text_similarity")
    sample, item = _sample(exchange)
    given = render(str(grader.get("input", "")), sample, item)
    reference = render(str(grader.get("reference", "")), sample, item)
    if not 0.0 <= reward <= 1.0:
        yield Violation(f"Received: reward {reward!r}\nExpected: a similarity in [0, 1]", "$.reward")
    elif given == reference and given and abs(reward - 1.0) > 1e-6:
        yield Violation(f"Received: reward {reward!r} for a text identical to its reference ({excerpt(given, 60)})\n"
                        "Expected: 1", "$.reward")  # fmt: skip


@check("fine-tuning.graders.model-range")
def graders_model_range(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    grader, _, reward = _run(exchange, "score_model")
    given = grader.get("range")
    bounds: list[Any] = given if isinstance(given, list) and len(given) == 2 else [0, 1]
    low, high = (float(b) for b in bounds)
    if not low <= reward <= high:
        yield Violation(f"Received: reward {reward!r}\nExpected: within the grader's range [{low:g}, {high:g}]",
                        "$.reward")  # fmt: skip


@check("fine-tuning.graders.multi")
def graders_multi(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    grader, body, reward = _run(exchange, "multi")
    graders: dict[str, Any] = grader["graders"] if isinstance(grader.get("graders"), dict) else {}
    if "type" in graders:  # one grader, as seed 003's table types it: its name is its own
        graders = {str(graders.get("name")): graders}
    subs = body.get("sub_rewards")
    if not isinstance(subs, dict) or any(not isinstance(subs.get(name), int | float) for name in graders):
        yield Violation(f"Received: sub_rewards {excerpt(subs, 160)}\nExpected: a reward for each grader "
                        f"{sorted(graders)}", "$.sub_rewards")  # fmt: skip
        return
    try:
        expected = formula(str(grader.get("calculate_output")), {k: float(subs[k]) for k in graders})
    except (ValueError, SyntaxError, ZeroDivisionError) as exc:
        raise NotApplicable(f"the case's calculate_output cannot be computed here ({exc})") from None
    if abs(reward - expected) > 1e-6:
        yield Violation(f"Received: reward {reward!r} with sub_rewards {excerpt(subs, 120)}\nExpected: "
                        f"{expected:g}, {grader.get('calculate_output')!r} over them", "$.reward")  # fmt: skip


@check("fine-tuning.graders.validate")
def graders_validate(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("grader.validate", body)
    sent = asked(exchange).get("grader")
    got = body.get("grader") if isinstance(body, dict) else None
    if isinstance(sent, dict) and isinstance(got, dict):
        for key in ("type", "name"):
            if got.get(key) != sent.get(key):
                yield Violation(f"Received: grader.{key} {got.get(key)!r}\nExpected: {sent.get(key)!r}, as sent",
                                f"$.grader.{key}")  # fmt: skip


@check("fine-tuning.graders.invalid", case_bound=True)
def graders_invalid(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a grader whose operation the docs do not name")
