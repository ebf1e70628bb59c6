"""The subject of rules about a stored object over several requests, and what those rules read of it.

Several families follow an object they created (a batch, a fine-tuning job, an eval run, an Assistants run): the
answers that show it, the statuses it went through, whether each move was one its status machine allows, and the
lists that should hold what the case created. Those readings are written once, here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.checks.evidence import cited, cited_answer, received, schema_violations
from conformance.checks.rule import Violation
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange, excerpt

Observed = list[tuple[Exchange, dict[str, Any]]]


@dataclass(frozen=True)
class Lifecycle:
    """What a case did with one stored object: created it, then each later step as (what, exchange).

    Steps are named by the case ("retrieve", "delete", "retrieve-deleted", "continue", "poll", ...). A rule
    reads the steps it needs and is not applicable when the case made none.
    """

    created: Exchange
    steps: tuple[tuple[str, Exchange], ...] = ()
    exchanges: tuple[Exchange, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "exchanges", (self.created, *(e for _, e in self.steps)))

    def step(self, name: str) -> Exchange:
        found = [e for what, e in self.steps if what == name]
        if not found:
            raise NotApplicable(f"the case made no {name!r} step")
        return found[-1]

    def all(self, name: str) -> list[Exchange]:
        return [e for what, e in self.steps if what == name]


def created_object(life: Lifecycle, kind: str, name: str = "") -> dict[str, Any]:
    """The object of `kind` (its `object` field) as the create's answer gave it; not applicable, naming it `name`
    (else its kind), when creating it failed."""
    body = life.created.ok_json
    if not isinstance(body, dict) or body.get("object") != kind or not isinstance(body.get("id"), str):
        raise NotApplicable(f"creating the {name or kind} failed ({received(life.created)[10:90]})")
    return body


def observed(life: Lifecycle, kind: str, name: str = "", *, listed: bool = False) -> Observed:
    """Every answer that shows the object the case created (its create, retrieves, polls, cancel, ...; with
    `listed`, the items of list answers too), in the order they were received."""
    ident = created_object(life, kind, name)["id"]
    seen = []
    for exchange in life.exchanges:
        body = exchange.ok_json
        items = body.get("data") if listed and isinstance(body, dict) and body.get("object") == "list" else [body]
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("object") == kind and item.get("id") == ident:
                seen.append((exchange, item))
    return seen


def statuses_seen(answers: Observed) -> str:
    """The statuses the answers showed, repeats folded: `queued → in_progress → completed`."""
    folded: list[str] = []
    for _, body in answers:
        status = str(body.get("status"))
        if not folded or folded[-1] != status:
            folded.append(status)
    return " → ".join(folded) or "nothing"


def reachable(following: dict[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """For each status of a machine (`following`: where each may go next), every status that can come after it:
    a poll can miss states, so a rule allows any of them."""

    def reach(status: str) -> frozenset[str]:
        seen: set[str] = set()
        todo = [status]
        while todo:
            for after in following.get(todo.pop(), frozenset()):
                if after not in seen:
                    seen.add(after)
                    todo.append(after)
        return frozenset(seen)

    return {status: reach(status) for status in following}


def transition_violations(
    answers: Observed, reach: dict[str, frozenset[str]], unknown: str = ""
) -> Iterator[Violation]:
    """The first answer whose status the one before it cannot lead to (`reach`), or that is no status at all
    (`unknown`: what is expected instead; else the statuses of `reach`)."""
    previous: str | None = None
    for exchange, body in answers:
        status = body.get("status")
        if status not in reach:
            yield Violation(f"Received: status {status!r}\nExpected: {unknown or 'one of ' + ', '.join(sorted(reach))}",
                            "$.status", exchange.index)  # fmt: skip
            return
        if previous is not None and status != previous and status not in reach[previous]:
            allowed = sorted(reach[previous]) or ["none: it has ended"]
            yield Violation(
                f"Received: status {status!r} after {previous!r} (seen: {statuses_seen(answers)})\n"
                f"Expected: {previous!r} again or a status it leads to ({', '.join(allowed)})",
                "$.status",
                exchange.index,
            )
            return
        previous = status


def page_items(exchange: Exchange) -> list[Any]:
    """The `data` of a list answer (empty for anything else)."""
    body = exchange.ok_json
    data = body.get("data") if isinstance(body, dict) else None
    return data if isinstance(data, list) else []


def item_ids(items: list[Any]) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else None for item in items]


def made_objects(life: Lifecycle, what: str) -> list[dict[str, Any]]:
    """The objects a list case created (its created exchange and "created" steps); not applicable when none was."""
    found = [b for e in (life.created, *life.all("created")) if isinstance(b := e.ok_json, dict)
             and isinstance(b.get("id"), str)]  # fmt: skip
    if not found:
        raise NotApplicable(f"creating the {what} failed ({received(life.created)[10:90]})")
    return found


def listed_violations(listing: Exchange, schema: str, wanted: list[Any], what: str) -> Iterator[Violation]:
    """A page's schema, and the ids `wanted` (what the case just created) among its items."""
    yield from cited(listing, schema_violations(schema, cited_answer(listing)))
    ids = item_ids(page_items(listing))
    if missing := [i for i in wanted if i not in ids]:
        yield Violation(f"Received: a list of {len(ids)} {what} {excerpt(ids, 160)}\nExpected: the {what} just "
                        f"created {excerpt(missing, 120)} among them", "$.data", listing.index)  # fmt: skip
