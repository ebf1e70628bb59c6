"""Graders (seed 000's /v1/graders): a grader over its life (create, retrieve, update, delete), the list, a grade,
and the requests the API refuses.

Seed 000 shows the requests and no answer, so the rules read what the requests imply: what was created is given
back (as far as the answer says it), an update is applied, a deletion removes, the list holds what was made, and a
grade says a score. Subjects: an `Exchange` for one answer (create, grade, a refusal), a `Lifecycle` for a grader
(created: the POST; steps "retrieve", "update", "retrieve-updated", "delete", "retrieve-deleted") and for the list
("created" steps, "list").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from conformance.checks._lifecycle import Lifecycle, listed_violations, made_objects
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
from conformance.checks.files import refused_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

# What a grader is made of (seed 000's create request): the keys an answer gives back as they were sent.
KEYS = ("name", "instructions", "grading_model")
# What a retrieve must agree on with the creation's answer, when the creation said it.
SAME_KEYS = ("id", "object", "created_at", *KEYS)
# The names a grade's score goes by: seed 000 shows none; the fine-tuning graders (seed 003) say `reward`.
SCORES = ("score", "reward")


def _made(life: Lifecycle) -> dict[str, Any]:
    response = life.created.response
    body = response.json if response is not None and response.status == 200 else None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str):
        raise NotApplicable(f"creating the grader failed ({received(life.created)[10:90]})")
    return body


def _differs(key: str, got: Any, want: Any, why: str, exchange: Exchange | None = None) -> Violation:
    return Violation(f"Received: {key} {excerpt(got, 120)}\nExpected: {excerpt(want, 120)}, {why}", f"$.{key}",
                     exchange.index if exchange is not None else None)  # fmt: skip


@check("graders.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("graders.grader", body)
    if isinstance(body, dict) and "created_at" in body:
        yield from created_violations(body["created_at"], ctx, "$.created_at")


@check("graders.create.echoes")
def create_echoes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    sent = asked(exchange)
    if not isinstance(body, dict) or not sent:
        raise NotApplicable("the request or the answer is not a JSON object")
    for key in KEYS:
        if key in sent and key in body and body[key] != sent[key]:
            yield _differs(key, body[key], sent[key], "as sent")


@check("graders.object.keys")
def object_keys(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    sent = asked(life.created)
    for exchange, body in ((life.created, made), *((e, _body(e)) for e in life.all("retrieve"))):
        if missing := [key for key in KEYS if key in sent and isinstance(body, dict) and key not in body]:
            yield Violation(f"Received: a grader without {', '.join(missing)} (keys {excerpt(sorted(body), 160)})\n"
                            f"Expected: the {', '.join(missing)} it was created with", "$", exchange.index)  # fmt: skip


@check("graders.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    got = life.step("retrieve")
    body = _body(got)
    yield from _on(got, schema_violations("graders.grader", body))
    for key in SAME_KEYS:
        if isinstance(body, dict) and key in made and key in body and body[key] != made[key]:
            yield _differs(key, body[key], made[key], "as created", got)


@check("graders.update.applied")
def update_applied(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    sent = asked(life.step("update"))
    shown = False  # whether any answer says one of the keys updated: one that says none shows no update
    for step in ("update", "retrieve-updated"):
        got = life.step(step)
        body = _body(got)
        yield from _on(got, schema_violations("graders.grader", body))
        if not isinstance(body, dict):
            continue
        if body.get("id") != made["id"]:
            yield _differs("id", body.get("id"), made["id"], "the grader updated", got)
        for key in sent.keys() & body.keys():
            shown = True
            if body[key] != sent[key]:
                yield _differs(key, body[key], sent[key], "as updated", got)
    if not shown:
        raise NotApplicable(f"no answer holds the keys updated, {sorted(sent)} (graders.object.keys reports it)")


@check("graders.delete.deleted")
def delete_deleted(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    made = _made(life)
    deleted = life.step("delete")
    body = _body(deleted)
    yield from _on(deleted, schema_violations("graders.deleted", body))
    named = {key: body[key] for key in ("id", "grader_id") if isinstance(body, dict) and key in body}
    for key, value in named.items():
        if value != made["id"]:
            yield _differs(key, value, made["id"], "the grader deleted", deleted)
    after = life.step("retrieve-deleted")
    if after.response is None or after.response.status != 404:
        yield Violation(f"{received(after)}\nExpected: 404 for the grader once deleted", "", after.index)


@check("graders.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = [g["id"] for g in made_objects(life, "graders")]
    yield from listed_violations(life.step("list"), "graders.list", wanted, "graders")


@check("graders.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "a grader id the server never issued")
    if exchange.response is not None and exchange.response.status == 404:
        yield from schema_violations("error", exchange.response.json)


@check("graders.create.invalid", case_bound=True)
def create_invalid(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from refused_violations(exchange, "a grader whose grading_model is not a string", status=None)


@check("graders.grade.schema")
def grade_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from schema_violations("graders.grade", answer(exchange))


@check("graders.grade.score")
def grade_score(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    if not isinstance(body, dict):
        raise NotApplicable("the grade is not a JSON object (graders.grade.schema reports it)")
    scores = [key for key in SCORES if isinstance(body.get(key), int | float) and not isinstance(body[key], bool)]
    if not scores:
        yield Violation(f"Received: a grade of keys {excerpt(sorted(body), 160)}\nExpected: a numeric score "
                        f"({' or '.join(SCORES)})", "$")  # fmt: skip
