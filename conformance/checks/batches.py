"""Batches: a batch created from an uploaded file, its status machine as observed over polling, its request counts
and timestamps, the output and error files line by line, cancel, the list and its pages, and the create errors.

Subjects: an `Exchange` for one answer (the create answer, an error), a `BatchLife` for a batch followed over
time (the create exchange, then named steps in the order they were made: "retrieve", "poll", "cancel", and the
files read at the end: "output" and "errors" (GET /files/{id}/content), "output-file" and "error-file" (GET
/files/{id})), and a `Lifecycle` for the list ("created" steps, "list"). The list's page invariants are
`checks.pagination`'s, under `batches.pages.*` (no `order`: the list is newest first).

A real batch may take up to its 24 h window: a case polls within a time budget (`BatchLife.waited`), and a rule
that needs a state the batch did not reach in that time is not applicable, with what was seen as the reason.
A line of the output file is judged as the live endpoint's answer: its body goes through the endpoint's own rules
(`BODY_RULES`: `chat.completion.schema`, `chat.usage.adds-up`, ...), as an answer to the input line's request.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from conformance import jsonvalue
from conformance.checks import chat, completions, embeddings, moderations, responses  # noqa: F401 (BODY_RULES)
from conformance.checks._lifecycle import (
    Lifecycle,
    Observed,
    created_object,
    listed_violations,
    made_objects,
    observed,
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
from conformance.checks.rule import CHECKS, Broken, Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange

TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
# Where a status may go next; a poll can miss states, so a rule allows any status reachable from the last one.
NEXT: dict[str, frozenset[str]] = {
    "validating": frozenset({"in_progress", "failed", "cancelling", "expired"}),
    "in_progress": frozenset({"finalizing", "cancelling", "expired"}),
    "finalizing": frozenset({"completed", "cancelling", "expired"}),
    "cancelling": frozenset({"cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "expired": frozenset(),
    "cancelled": frozenset(),
}


REACHABLE = reachable(NEXT)
# The times a batch in a status has set: the states it necessarily passed, in the order they happen.
TIMES_SET: dict[str, tuple[str, ...]] = {
    "validating": (),
    "in_progress": ("in_progress_at",),
    "finalizing": ("in_progress_at", "finalizing_at"),
    "completed": ("in_progress_at", "finalizing_at", "completed_at"),
    "failed": ("failed_at",),
    "expired": ("expired_at",),
    "cancelling": ("cancelling_at",),
    "cancelled": ("cancelling_at", "cancelled_at"),
}
ENDINGS = ("completed_at", "failed_at", "expired_at", "cancelled_at")
ORDERS = (
    ("created_at", "in_progress_at", "finalizing_at", "completed_at"),
    ("created_at", "failed_at"),
    ("created_at", "cancelling_at", "cancelled_at"),
)
# What an output line's body is judged by, per endpoint: the rules of the live endpoint's answer.
BODY_RULES: dict[str, tuple[str, ...]] = {
    "/v1/chat/completions": (
        "chat.completion.schema", "chat.completion.created-seconds", "chat.completion.model-present",
        "chat.completion.choice-indices", "chat.completion.finish-reason", "chat.usage.adds-up",
        "chat.max-tokens.length",
    ),
    "/v1/embeddings": ("embeddings.list.schema", "embeddings.data.order"),
    "/v1/responses": (
        "responses.create.schema", "responses.create.core-keys", "responses.create.created-at",
        "responses.create.usage-adds-up", "responses.create.max-output-tokens",
    ),
    "/v1/completions": ("completions.create.schema", "completions.usage.adds-up", "completions.max-tokens.length"),
    "/v1/moderations": (
        "moderations.create.schema", "moderations.results.per-input", "moderations.flagged.consistent",
        "moderations.scores.range",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class BatchLife(Lifecycle):
    """A batch followed over time. `lines`: the input lines the case uploaded (parsed); `bad`: the custom_ids of
    lines the case made to fail; `waited`: how long the case polled at most (seconds)."""

    lines: tuple[dict[str, Any], ...] = ()
    bad: tuple[str, ...] = ()
    waited: float = 0.0


# --- reading a life --------------------------------------------------------------------------------------------


def _created(life: Lifecycle) -> dict[str, Any]:
    return created_object(life, "batch")


def _observed(life: Lifecycle) -> Observed:
    """Every answer that shows the batch (create, retrieve, polls, cancel), in the order they were received."""
    return observed(life, "batch")


def _seen(life: Lifecycle) -> str:
    return statuses_seen(_observed(life))


def _last(life: Lifecycle) -> dict[str, Any]:
    return _observed(life)[-1][1]


def _ended(life: Lifecycle, wanted: Sequence[str] = tuple(TERMINAL)) -> dict[str, Any]:
    """The batch's last answer when it reached one of `wanted`; not applicable (with what was seen) otherwise."""
    last = _last(life)
    status = last.get("status")
    if status in wanted:
        return last
    waited = life.waited if isinstance(life, BatchLife) else 0.0
    if status not in TERMINAL:
        raise NotApplicable(
            f"the batch was still {status!r} when the case stopped polling after {waited:.0f} s (seen: {_seen(life)})"
        )
    raise NotApplicable(f"the batch ended {status!r}, not {' or '.join(map(repr, wanted))} (seen: {_seen(life)})")


def _file_lines(life: Lifecycle, step: str) -> tuple[Exchange, list[tuple[int, Any]]]:
    """The lines of a file the case read (`step`), parsed: (line number, value or the text that is no JSON)."""
    exchange = life.step(step)
    if exchange.response is None or exchange.response.status != 200:
        raise Broken(f"{received(exchange)}\nExpected: 200 with the file's content")
    text = exchange.response.body.decode("utf-8", "replace")
    out: list[tuple[int, Any]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            out.append((number, jsonvalue.parse(raw)))
        except ValueError:
            out.append((number, raw))
    return exchange, out


def _outputs(life: Lifecycle) -> tuple[Exchange, list[tuple[int, Any]]]:
    """The output file's lines of a completed batch; not applicable when it did not complete or has none."""
    last = _ended(life, ("completed",))
    if not last.get("output_file_id"):
        counts = last.get("request_counts") or {}
        raise NotApplicable(f"the completed batch has no output file (request_counts {excerpt(counts, 80)})")
    return _file_lines(life, "output")


def _errors(life: Lifecycle) -> list[tuple[int, Any]]:
    last = _ended(life, ("completed",))
    if not last.get("error_file_id"):
        return []
    return _file_lines(life, "errors")[1]


def _custom_id(line: Any) -> Any:
    return line.get("custom_id") if isinstance(line, dict) else None


# --- the create answer -----------------------------------------------------------------------------------------


@check("batches.create.schema")
def create_schema(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    yield from schema_violations("batch", body)
    if isinstance(body, dict):
        yield from created_violations(body.get("created_at"), ctx, "$.created_at")


@check("batches.create.echoes")
def create_echoes(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    body = answer(exchange)
    sent = asked(exchange)
    if not isinstance(body, dict) or not sent:
        raise NotApplicable("the request or the answer is not a JSON object")
    for key in ("endpoint", "input_file_id", "completion_window"):
        if key in sent and body.get(key) != sent[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 100)}\nExpected: {sent[key]!r}, as sent", f"$.{key}"
            )
    wanted = sent.get("metadata") or None
    if (body.get("metadata") or None) != wanted:
        yield Violation(
            f"Received: metadata {excerpt(body.get('metadata'), 160)}\nExpected: {excerpt(wanted, 160)}, as sent",
            "$.metadata",
        )


# --- a batch over time ----------------------------------------------------------------------------------------


@check("batches.retrieve.same")
def retrieve_same(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    created = _created(life)
    got = life.step("retrieve")
    body = _body(got)
    yield from _on(got, schema_violations("batch", body))
    if not isinstance(body, dict):
        return
    for key in ("id", "object", "endpoint", "input_file_id", "completion_window", "created_at", "metadata"):
        if key in created and body.get(key) != created[key]:
            yield Violation(
                f"Received: {key} {excerpt(body.get(key), 120)}\nExpected: {excerpt(created[key], 120)}, as created",
                f"$.{key}",
                got.index,
            )


@check("batches.status.transitions")
def status_transitions(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    yield from transition_violations(_observed(life), REACHABLE, "a batch status")


@check("batches.status.timestamps")
def status_timestamps(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    earlier: dict[str, Any] = {}
    plain = Context(mode=ctx.mode)  # times of states passed long ago are not compared with the clock
    for exchange, body in _observed(life):
        status = str(body.get("status"))
        for key in TIMES_SET.get(status, ()):
            value = body.get(key)
            if value is None:
                yield Violation(f"Received: {key} null in status {status!r}\nExpected: the time it got there",
                                f"$.{key}", exchange.index)  # fmt: skip
            else:
                yield from _on(exchange, created_violations(value, plain, f"$.{key}"))
        for key in ENDINGS:
            if key not in TIMES_SET.get(status, ()) and body.get(key) is not None:
                yield Violation(
                    f"Received: {key} {body.get(key)!r} in status {status!r}\nExpected: null: it did not end so",
                    f"$.{key}",
                    exchange.index,
                )
        for order in ORDERS:
            times = [(key, int(body[key])) for key in order if isinstance(body.get(key), int)]
            for (first, a), (then, b) in itertools.pairwise(times):
                if b < a:
                    yield Violation(f"Received: {then} {b} before {first} {a}\nExpected: {then} ≥ {first}",
                                    f"$.{then}", exchange.index)  # fmt: skip
        for key in ("created_at", *{k for keys in TIMES_SET.values() for k in keys}):
            if earlier.get(key) is not None and body.get(key) is not None and body.get(key) != earlier[key]:
                yield Violation(
                    f"Received: {key} {body.get(key)!r}, earlier {earlier[key]!r}\nExpected: a time set once stays",
                    f"$.{key}",
                    exchange.index,
                )
        earlier.update({k: v for k, v in body.items() if k.endswith("_at") and v is not None})


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


@check("batches.request-counts.adds-up")
def request_counts(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    lines = len(life.lines) if isinstance(life, BatchLife) else None
    judged = False
    for exchange, body in _observed(life):
        counts = body.get("request_counts")
        if counts is None:
            continue
        judged = True
        numbers = [counts.get(k) if isinstance(counts, dict) else None for k in ("total", "completed", "failed")]
        if not all(_count(n) for n in numbers):
            yield Violation(f"Received: request_counts {excerpt(counts, 120)}\nExpected: three counts ≥ 0",
                            "$.request_counts", exchange.index)  # fmt: skip
            continue
        total, done, failed = (int(n or 0) for n in numbers)
        status = body.get("status")
        if done + failed > total:
            yield Violation(f"Received: completed {done} + failed {failed} > total {total}\nExpected: at most total",
                            "$.request_counts", exchange.index)  # fmt: skip
        if status == "completed" and done + failed != total:
            yield Violation(
                f"Received: completed {done} + failed {failed} = {done + failed} in a completed batch of {total}\n"
                "Expected: every request counted once, completed or failed",
                "$.request_counts",
                exchange.index,
            )
        if lines and status in ("in_progress", "finalizing", "completed") and total != lines:
            yield Violation(
                f"Received: total {total} in status {status!r}\nExpected: {lines}, the lines of the input file",
                "$.request_counts.total",
                exchange.index,
            )
    if not judged:
        raise NotApplicable("no answer about the batch carried request_counts")
    last = _last(life)
    counts = last.get("request_counts")
    if last.get("status") != "completed" or not isinstance(counts, dict):
        return
    for key, file_key, step in (("completed", "output_file_id", "output"), ("failed", "error_file_id", "errors")):
        if not last.get(file_key):
            written: int | None = 0
        else:
            try:
                written = len(_file_lines(life, step)[1]) if life.all(step) else None
            except Broken:
                written = None  # the file could not be read: the output rules report that
        if written is not None and counts.get(key) != written:
            yield Violation(
                f"Received: request_counts.{key} {counts.get(key)!r}\nExpected: {written}, the lines of the "
                f"{step if step == 'errors' else 'output'} file",
                f"$.request_counts.{key}",
                _observed(life)[-1][0].index,
            )


@check("batches.output.line-shape")
def output_line_shape(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    exchange, lines = _outputs(life)
    for number, line in lines:
        if not isinstance(line, dict):
            yield Violation(f"Received: {excerpt(line, 120)!r}\nExpected: a JSON object per line", f"line {number}",
                            exchange.index)  # fmt: skip
            continue
        yield from _on(exchange, schema_violations("batch.output-line", line, limit=3), f"line {number}")


def _as_answer(endpoint: str, request: Any, status: int, body: Any, index: int | None) -> Exchange:
    """An output line as the exchange it stands for: the input line's request, answered `status` with `body`."""
    return Exchange.build(
        method="POST", url=f"batch:{endpoint}", request_headers={"content-type": "application/json"},
        request_body=json.dumps(request).encode(), status=status,
        response_headers={"content-type": "application/json"}, response_body=json.dumps(body).encode(), index=index,
    )  # fmt: skip


@check("batches.output.body-valid")
def output_body_valid(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    exchange, lines = _outputs(life)
    endpoint = str(_created(life).get("endpoint"))
    rules = BODY_RULES.get(endpoint)
    if rules is None:
        raise NotApplicable(f"no rules judge answers of {endpoint!r}")
    sent = {line.get("custom_id"): line.get("body") for line in life.lines} if isinstance(life, BatchLife) else {}
    plain = Context(mode=ctx.mode)
    judged = 0
    for number, line in lines:
        response = line.get("response") if isinstance(line, dict) else None
        if not isinstance(response, dict) or not isinstance(response.get("body"), dict):
            continue  # batches.output.line-shape reports it
        status = int(response["status_code"]) if isinstance(response.get("status_code"), int) else 200
        subject = _as_answer(endpoint, sent.get(_custom_id(line), {}), status, response["body"], exchange.index)
        for rid in rules:
            try:
                found = list(CHECKS[rid](subject, plain))
            except NotApplicable:
                continue
            except Broken as exc:
                found = [exc.violation]
            judged += 1
            for violation in found[:3]:
                yield Violation(
                    f"{violation.message} (`{rid}`, as the live endpoint's answer)",
                    f"line {number} $.response.body{violation.at.removeprefix('$')}",
                    exchange.index,
                    violation.hint,
                )
    if not judged:
        raise NotApplicable("no output line has a response body to judge")


@check("batches.output.custom-ids")
def output_custom_ids(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    exchange, outputs = _outputs(life)
    sent = [line.get("custom_id") for line in life.lines] if isinstance(life, BatchLife) else []
    if not sent:
        raise NotApplicable("the case did not say which lines it uploaded")
    got = [_custom_id(line) for _, line in outputs] + [_custom_id(line) for _, line in _errors(life)]
    repeated = sorted({str(c) for c in got if got.count(c) > 1})
    unknown = [c for c in got if c not in sent]
    missing = [c for c in sent if c not in got]
    if repeated or unknown or missing:
        yield Violation(
            f"Received: custom_ids {excerpt(got, 160)} in the output and error files (repeated {excerpt(repeated, 60)}"
            f", unknown {excerpt(unknown, 60)}, missing {excerpt(missing, 60)})\n"
            f"Expected: each input line's custom_id once: {excerpt(sent, 120)}",
            "$.custom_id",
            exchange.index,
        )


@check("batches.errors.bad-line")
def errors_bad_line(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    bad = life.bad if isinstance(life, BatchLife) else ()
    if not bad:
        raise NotApplicable("the case sent no line made to fail")
    last = _ended(life, ("completed",))
    if not last.get("error_file_id"):
        yield Violation(
            f"Received: error_file_id {last.get('error_file_id')!r} in a completed batch with a failing line "
            f"({excerpt(bad, 80)})\nExpected: an error file holding that line",
            "$.error_file_id",
            _observed(life)[-1][0].index,
        )
        return
    exchange, errors = _file_lines(life, "errors")
    for number, line in errors:
        if not isinstance(line, dict):
            yield Violation(f"Received: {excerpt(line, 120)!r}\nExpected: a JSON object per line", f"line {number}",
                            exchange.index)  # fmt: skip
            continue
        yield from _on(exchange, schema_violations("batch.error-line", line, limit=3), f"line {number}")
    listed = [_custom_id(line) for _, line in errors]
    missing = [c for c in bad if c not in listed]
    if missing:
        yield Violation(f"Received: error file lines for {excerpt(listed, 120)}\nExpected: {excerpt(missing, 80)} "
                        "among them, the lines the endpoint refuses", "", exchange.index)  # fmt: skip
    if life.all("output") and last.get("output_file_id"):
        output, lines = _file_lines(life, "output")
        wrong = [c for c in (_custom_id(line) for _, line in lines) if c in bad]
        if wrong:
            yield Violation(f"Received: {excerpt(wrong, 80)} in the output file\nExpected: failing lines only in the "
                            "error file", "$.custom_id", output.index)  # fmt: skip
    counts = last.get("request_counts") or {}
    if isinstance(counts, dict) and counts.get("failed") != len(bad):
        yield Violation(
            f"Received: request_counts.failed {counts.get('failed')!r}\nExpected: {len(bad)}, the lines made to fail",
            "$.request_counts.failed",
            _observed(life)[-1][0].index,
        )


@check("batches.output.file-object")
def output_file_object(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    last = _ended(life, ("completed",))
    expiry = asked(life.created).get("output_expires_after")
    seconds = expiry.get("seconds") if isinstance(expiry, dict) else None
    judged = False
    for step, key in (("output-file", "output_file_id"), ("error-file", "error_file_id")):
        if not last.get(key) or not life.all(step):
            continue
        judged = True
        got = life.step(step)
        body = _body(got)
        if not isinstance(body, dict):
            continue
        if body.get("id") != last.get(key):
            yield Violation(f"Received: id {body.get('id')!r}\nExpected: {last.get(key)!r}, the batch's {key}",
                            "$.id", got.index)  # fmt: skip
        if body.get("purpose") != "batch_output":
            yield Violation(f"Received: purpose {body.get('purpose')!r}\nExpected: 'batch_output'", "$.purpose",
                            got.index)  # fmt: skip
        created = body.get("created_at")
        if isinstance(seconds, int) and isinstance(created, int) and body.get("expires_at") != created + seconds:
            yield Violation(
                f"Received: expires_at {body.get('expires_at')!r}\nExpected: created_at {created} + {seconds} = "
                f"{created + seconds} (output_expires_after)",
                "$.expires_at",
                got.index,
            )
    if not judged:
        raise NotApplicable("the completed batch names no file the case read")


@check("batches.cancel.cancelling")
def cancel_cancelling(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    cancel = life.step("cancel")
    body = cancel.ok_json
    if not isinstance(body, dict):
        if _last(life).get("status") in ("completed", "failed", "expired") and is_error_answer(cancel):
            raise NotApplicable(f"the batch had ended before the cancel arrived (seen: {_seen(life)})")
        yield Violation(f"{received(cancel)}\nExpected: 200 with the batch, cancelling", "", cancel.index)
        return
    if body.get("status") not in ("cancelling", "cancelled"):
        if body.get("status") in ("completed", "failed", "expired"):
            raise NotApplicable(f"the batch had ended before the cancel arrived (seen: {_seen(life)})")
        yield Violation(f"Received: status {body.get('status')!r} answering the cancel\nExpected: 'cancelling' "
                        "(or 'cancelled')", "$.status", cancel.index)  # fmt: skip
        return
    if not isinstance(body.get("cancelling_at"), int):
        yield Violation(f"Received: cancelling_at {body.get('cancelling_at')!r}\nExpected: the time of the cancel",
                        "$.cancelling_at", cancel.index)  # fmt: skip
    last = _last(life)
    if last.get("status") in TERMINAL and last.get("status") != "cancelled":
        yield Violation(
            f"Received: status {last.get('status')!r} after the cancel (seen: {_seen(life)})\nExpected: 'cancelled'",
            "$.status",
            _observed(life)[-1][0].index,
        )
    elif last.get("status") != "cancelled":
        waited = life.waited if isinstance(life, BatchLife) else 0.0
        raise NotApplicable(
            f"the cancel was answered {body.get('status')!r}, and the batch was still {last.get('status')!r} when "
            f"the case stopped polling after {waited:.0f} s (seen: {_seen(life)})"
        )


@check("batches.failed.invalid-file")
def failed_invalid_file(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    last = _last(life)
    exchange = _observed(life)[-1][0]
    if last.get("status") not in TERMINAL:
        _ended(life)  # not applicable: still running when the case stopped polling
    if last.get("status") != "failed":
        yield Violation(
            f"Received: status {last.get('status')!r} for an input file whose lines are no batch requests "
            f"(seen: {_seen(life)})\nExpected: 'failed', with errors",
            "$.status",
            exchange.index,
        )
        return
    errors = last.get("errors")
    data = errors.get("data") if isinstance(errors, dict) else None
    if not isinstance(data, list) or not data:
        yield Violation(f"Received: errors {excerpt(errors, 120)}\nExpected: a list of the validation errors",
                        "$.errors", exchange.index)  # fmt: skip
        return
    for n, item in enumerate(data):
        if not isinstance(item, dict) or not isinstance(item.get("message"), str) or not item.get("message"):
            yield Violation(f"Received: {excerpt(item, 120)}\nExpected: an error with a message",
                            f"$.errors.data[{n}]", exchange.index)  # fmt: skip


# --- the list ---------------------------------------------------------------------------------------------------


@check("batches.list.contains")
def list_contains(life: Lifecycle, ctx: Context) -> Iterator[Violation]:
    wanted = [b["id"] for b in made_objects(life, "batches")]
    yield from listed_violations(life.step("list"), "batch.list", wanted, "batches")


# --- errors -----------------------------------------------------------------------------------------------------


@check("batches.retrieve.unknown", case_bound=True)
def retrieve_unknown(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 404, "retrieving a batch id the server never issued")


@check("batches.create.not-batch-file", case_bound=True)
def not_batch_file(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "an input file uploaded with a purpose other than `batch`")


@check("batches.create.unknown-endpoint", case_bound=True)
def unknown_endpoint(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "an `endpoint` batches do not serve")


@check("batches.create.wrong-window", case_bound=True)
def wrong_window(exchange: Exchange, ctx: Context) -> Iterator[Violation]:
    yield from status_violations(exchange, 400, "a `completion_window` other than 24h")
