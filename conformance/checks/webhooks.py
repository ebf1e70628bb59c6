"""Webhooks, judged over what the suite's receiver got (`WebhookDeliveries`): each delivery's signature,
timestamp and envelope, the events the objects the case saw end must have caused, and a refused delivery sent
again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from conformance import schemas
from conformance.checks.evidence import excerpt, schema_violations
from conformance.checks.rule import Context, Violation, check, first
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.webhooks import TOLERANCE, Delivery, WebhookVerificationError, verify_webhook

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass(frozen=True)
class Ended:
    """An object the case saw end (its answer `shown` says so): kind (response, batch), id and status."""

    kind: str
    id: str
    status: str
    shown: Exchange


@dataclass(frozen=True)
class WebhookDeliveries:
    """What the receiver got while the case ran: each delivery beside its record in the client's log."""

    deliveries: tuple[Delivery, ...]
    records: tuple[Exchange, ...]
    secrets: tuple[str, ...] = ()
    ended: tuple[Ended, ...] = ()
    refused_first: bool = False  # the receiver answered the first delivery of each webhook-id with 500

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return self.records + tuple(e.shown for e in self.ended)

    def each(self) -> Iterator[tuple[Delivery, int | None]]:
        if not self.deliveries:
            raise NotApplicable("no delivery arrived (the rules on what ended say what was missed)")
        for delivery, record in zip(self.deliveries, self.records, strict=True):
            yield delivery, record.index


def _type(delivery: Delivery) -> str:
    event = delivery.event
    return str(event.get("type")) if isinstance(event, dict) else "?"


@check("webhooks.signature.headers")
def signature_headers(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for delivery, index in subject.each():
            if missing := [h for h in HEADERS if not delivery.headers.get(h)]:
                yield Violation(f"Received: a {_type(delivery)} delivery without {', '.join(missing)}\n"
                                "Expected: webhook-id, webhook-timestamp and webhook-signature",
                                exchange=index)  # fmt: skip

    yield from first(problems(), limit=5)


@check("webhooks.signature.valid")
def signature_valid(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    if not subject.secrets:
        raise NotApplicable("no webhook secret was given (--webhook-secret-env): signatures cannot be verified")

    def problems() -> Iterator[Violation]:
        for delivery, index in subject.each():
            if not all(delivery.headers.get(h) for h in HEADERS):
                continue  # webhooks.signature.headers' failure
            try:
                verify_webhook(delivery.headers, delivery.body, subject.secrets, tolerance=float("inf"))
            except WebhookVerificationError as refused:
                yield Violation(f"Received: webhook-signature {excerpt(delivery.headers['webhook-signature'], 120)} "
                                f"on a {_type(delivery)} delivery: {refused}\n"
                                "Expected: a v1 signature that verifies with the endpoint's secret",
                                "webhook-signature", index)  # fmt: skip

    yield from first(problems(), limit=5)


@check("webhooks.timestamp.fresh")
def timestamp_fresh(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for delivery, index in subject.each():
            given = delivery.headers.get("webhook-timestamp", "")
            if not given.lstrip("-").isdigit():
                if given:
                    yield Violation(f"Received: webhook-timestamp {given!r}\nExpected: Unix seconds",
                                    "webhook-timestamp", index)  # fmt: skip
                continue
            off = delivery.received_at - int(given)
            if abs(off) > TOLERANCE:
                yield Violation(f"Received: webhook-timestamp {given}, {int(off)} s before it arrived\n"
                                f"Expected: within {TOLERANCE} s of its arrival", "webhook-timestamp",
                                index)  # fmt: skip

    yield from first(problems(), limit=5)


@check("webhooks.envelope.schema")
def envelope_schema(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    def problems() -> Iterator[Violation]:
        for delivery, index in subject.each():
            for violation in schema_violations("webhook.event", delivery.event, limit=3):
                yield violation._replace(exchange=index)

    yield from first(problems(), limit=8)


@check("webhooks.types.known")
def types_known(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    known = set(schemas.document("webhook.event")["$defs"]["types"]["enum"])
    for delivery, index in subject.each():
        if _type(delivery) not in known:
            yield Violation(f"Received: event type {_type(delivery)!r}\nExpected: a type the docs list", "$.type",
                            index)  # fmt: skip


def _announced(subject: WebhookDeliveries, kind: str) -> Iterator[Violation]:
    ended = [e for e in subject.ended if e.kind == kind]
    if not ended:
        raise NotApplicable(f"no {kind} ended while the case waited")
    got = [(d.event.get("type"), (d.event.get("data") or {}).get("id")) for d in subject.deliveries
           if isinstance(d.event, dict) and isinstance(d.event.get("data"), dict)]  # fmt: skip
    for end in ended:
        wanted = f"{kind}.{end.status}"
        if (wanted, end.id) not in got:
            seen = [f"{t} {i}" for t, i in got if str(t).startswith(f"{kind}.")] or "none"
            yield Violation(f"Received: {kind} events {excerpt(seen, 200)} after {end.id} became {end.status}\n"
                            f"Expected: {wanted} with data.id {end.id}", exchange=end.shown.index)  # fmt: skip


@check("webhooks.response.delivered")
def response_delivered(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    yield from _announced(subject, "response")


@check("webhooks.batch.delivered")
def batch_delivered(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    yield from _announced(subject, "batch")


@check("webhooks.retry.redelivered")
def retry_redelivered(subject: WebhookDeliveries, ctx: Context) -> Iterator[Violation]:
    if not subject.refused_first:
        raise NotApplicable("the receiver refused no delivery")
    # Only the announcements of what the case ended: another case's object may end (and its first delivery be
    # refused) just before the wait is over, and its retry is not late for that.
    own = {e.id for e in subject.ended}
    by_id: dict[str, list[tuple[Delivery, int | None]]] = {}
    for delivery, index in subject.each():
        data = delivery.event.get("data") if isinstance(delivery.event, dict) else None
        if own and not (isinstance(data, dict) and data.get("id") in own):
            continue
        by_id.setdefault(delivery.headers.get("webhook-id", ""), []).append((delivery, index))
    for ident, tries in by_id.items():
        refused = [(d, i) for d, i in tries if not 200 <= d.status < 300]
        if refused and len(tries) == len(refused):
            delivery, index = refused[-1]
            yield Violation(f"Received: {len(tries)} delivery of {_type(delivery)} (webhook-id {ident!r}), answered "
                            f"{delivery.status}, and no other\nExpected: the delivery sent again",
                            exchange=index)  # fmt: skip
        elif refused and any(d.body != refused[0][0].body for d, _ in tries):
            yield Violation(f"Received: a retry of webhook-id {ident!r} with another body\n"
                            "Expected: the same event again", exchange=tries[-1][1])  # fmt: skip
