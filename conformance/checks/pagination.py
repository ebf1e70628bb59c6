"""Cursor pagination: the invariants of a list endpoint walked page by page.

The subject is a `Walk` of one list (built by `conformance.pagination.walk`): the whole list in one page, the
same list walked in small pages with `after`, the list in the other order, and a request with a `limit` out of
range. Each invariant is one check registered under an id per list endpoint (`<list>.pages.<invariant>`), so
every list gets the same rules under ids of its own; a new list endpoint adds its ids to each `@check`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks.evidence import excerpt, received
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


@dataclass(frozen=True)
class Walk:
    """One list, read four ways. `pages` were fetched with `limit` and `after` = the previous page's last id."""

    whole: Exchange  # limit 100, order asc
    pages: tuple[Exchange, ...]  # limit `limit`, order asc, following has_more
    reverse: Exchange | None  # limit 100, order desc; None for a list without `order` (batches: newest first)
    invalid: Exchange  # limit out of range
    limit: int
    # The first `window` items only (`whole` asked with limit=window, the pages stop once they cover it): a list
    # shared with the whole account (batches) can be too long to walk; when `whole` says has_more, more follow it.
    window: int | None = None

    @property
    def exchanges(self) -> tuple[Exchange, ...]:
        return (self.whole, *self.pages, *((self.reverse,) if self.reverse is not None else ()), self.invalid)

    def beyond(self) -> bool:
        """Whether the list goes on after the items of `whole` (a window of a longer list)."""
        return self.window is not None and page(self.whole).get("has_more") is True


def page(exchange: Exchange) -> dict[str, Any]:
    """The list body of a page; not applicable when the answer is not one (a schema rule reports that)."""
    body = exchange.ok_json
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise NotApplicable(f"a page is not a list ({received(exchange)[10:90]})")
    return body


def ids(exchange: Exchange) -> list[Any]:
    return [item.get("id") if isinstance(item, dict) else None for item in page(exchange)["data"]]


@check(
    "responses.input-items.pages.limit",
    "conversations.items.pages.limit",
    "chat.store.pages.limit",
    "vector-stores.files.pages.limit",
    "vector-stores.batches.files.pages.limit",
    "files.pages.limit",
    "containers.pages.limit",
    "containers.files.pages.limit",
    "chatkit.threads.items.pages.limit",
    "batches.pages.limit",
    "assistants.messages.pages.limit",
    "assistants.pages.limit",
    "vector-stores.pages.limit",
    "videos.pages.limit",
    "fine-tuning.pages.limit",
    "evals.runs.output-items.pages.limit",
)
def limit(walk: Walk, ctx: Context) -> Iterator[Violation]:
    for exchange in walk.pages:
        got = len(page(exchange)["data"])
        if got > walk.limit:
            yield Violation(f"Received: {got} items\nExpected: at most limit {walk.limit}", "$.data", exchange.index)


@check(
    "responses.input-items.pages.has-more",
    "conversations.items.pages.has-more",
    "chat.store.pages.has-more",
    "vector-stores.files.pages.has-more",
    "vector-stores.batches.files.pages.has-more",
    "files.pages.has-more",
    "containers.pages.has-more",
    "containers.files.pages.has-more",
    "chatkit.threads.items.pages.has-more",
    "batches.pages.has-more",
    "assistants.messages.pages.has-more",
    "assistants.pages.has-more",
    "vector-stores.pages.has-more",
    "videos.pages.has-more",
    "fine-tuning.pages.has-more",
    "evals.runs.output-items.pages.has-more",
)
def has_more(walk: Walk, ctx: Context) -> Iterator[Violation]:
    everything = ids(walk.whole)
    for exchange in walk.pages:
        listed = ids(exchange)
        last = everything.index(listed[-1]) if listed and listed[-1] in everything else None
        more = last is not None and (last < len(everything) - 1 or walk.beyond())
        if last is None and listed:
            continue  # an item the whole list lacks: walk-once reports it
        if page(exchange).get("has_more") is not more:
            yield Violation(
                f"Received: has_more {page(exchange).get('has_more')!r} with {len(everything) - (last or 0) - 1} "
                f"items after this page\nExpected: has_more {more}",
                "$.has_more",
                exchange.index,
            )


@check(
    "responses.input-items.pages.first-last-ids",
    "conversations.items.pages.first-last-ids",
    "chat.store.pages.first-last-ids",
    "vector-stores.files.pages.first-last-ids",
    "vector-stores.batches.files.pages.first-last-ids",
    "files.pages.first-last-ids",
    "containers.pages.first-last-ids",
    "containers.files.pages.first-last-ids",
    "chatkit.threads.items.pages.first-last-ids",
    "batches.pages.first-last-ids",
    "assistants.messages.pages.first-last-ids",
    "assistants.pages.first-last-ids",
    "vector-stores.pages.first-last-ids",
    "videos.pages.first-last-ids",
    "evals.runs.output-items.pages.first-last-ids",
)
def first_last(walk: Walk, ctx: Context) -> Iterator[Violation]:
    for exchange in (walk.whole, *walk.pages, *((walk.reverse,) if walk.reverse is not None else ())):
        body, listed = page(exchange), ids(exchange)
        for key, want in (("first_id", listed[0] if listed else None), ("last_id", listed[-1] if listed else None)):
            if body.get(key) != want:
                yield Violation(
                    f"Received: {key} {body.get(key)!r}\nExpected: {want!r}, the page's {key[:-3]} item",
                    f"$.{key}",
                    exchange.index,
                )


@check(
    "responses.input-items.pages.after-continues",
    "conversations.items.pages.after-continues",
    "chat.store.pages.after-continues",
    "vector-stores.files.pages.after-continues",
    "vector-stores.batches.files.pages.after-continues",
    "files.pages.after-continues",
    "containers.pages.after-continues",
    "containers.files.pages.after-continues",
    "chatkit.threads.items.pages.after-continues",
    "batches.pages.after-continues",
    "assistants.messages.pages.after-continues",
    "assistants.pages.after-continues",
    "vector-stores.pages.after-continues",
    "videos.pages.after-continues",
    "fine-tuning.pages.after-continues",
    "evals.runs.output-items.pages.after-continues",
)
def after(walk: Walk, ctx: Context) -> Iterator[Violation]:
    everything = ids(walk.whole)
    for previous, exchange in zip(walk.pages, walk.pages[1:], strict=False):
        before, listed = ids(previous), ids(exchange)
        if not before or not listed or before[-1] not in everything:
            continue
        want = everything[everything.index(before[-1]) + 1 : everything.index(before[-1]) + 1 + len(listed)]
        if walk.beyond():
            listed = listed[: len(want)]  # a page that reaches past the window: its end is not known here
        if listed != want:
            yield Violation(
                f"Received: {excerpt(listed, 160)} after {before[-1]!r}\nExpected: {excerpt(want, 160)}",
                "$.data",
                exchange.index,
            )


@check(
    "responses.input-items.pages.walk-once",
    "conversations.items.pages.walk-once",
    "chat.store.pages.walk-once",
    "vector-stores.files.pages.walk-once",
    "vector-stores.batches.files.pages.walk-once",
    "files.pages.walk-once",
    "containers.pages.walk-once",
    "containers.files.pages.walk-once",
    "chatkit.threads.items.pages.walk-once",
    "batches.pages.walk-once",
    "assistants.messages.pages.walk-once",
    "assistants.pages.walk-once",
    "vector-stores.pages.walk-once",
    "videos.pages.walk-once",
    "fine-tuning.pages.walk-once",
    "evals.runs.output-items.pages.walk-once",
)
def walk_once(walk: Walk, ctx: Context) -> Iterator[Violation]:
    everything = ids(walk.whole)
    walked = [i for exchange in walk.pages for i in ids(exchange)]
    if walk.beyond():
        walked = walked[: len(everything)]  # the window's items; the walk stopped once it covered them
    repeated = sorted({str(i) for i in walked if walked.count(i) > 1})
    missing = [i for i in everything if i not in walked]
    if repeated or missing or len(walked) != len(everything):
        yield Violation(
            f"Received: {len(walked)} items over {len(walk.pages)} pages, repeated {excerpt(repeated, 80)}, "
            f"missing {excerpt(missing, 80)}\nExpected: the {len(everything)} items of the list, each once",
            "$.data",
            walk.pages[-1].index if walk.pages else None,
        )


@check(
    "responses.input-items.pages.order-reverses",
    "conversations.items.pages.order-reverses",
    "chat.store.pages.order-reverses",
    "vector-stores.files.pages.order-reverses",
    "vector-stores.batches.files.pages.order-reverses",
    "files.pages.order-reverses",
    "containers.pages.order-reverses",
    "containers.files.pages.order-reverses",
    "chatkit.threads.items.pages.order-reverses",
    "assistants.messages.pages.order-reverses",
    "evals.runs.output-items.pages.order-reverses",
)
def order(walk: Walk, ctx: Context) -> Iterator[Violation]:
    if walk.reverse is None:
        raise NotApplicable("the list has no `order`")
    forward, backward = ids(walk.whole), ids(walk.reverse)
    if backward != forward[::-1]:
        yield Violation(
            f"Received: desc {excerpt(backward, 160)}\nExpected: asc reversed, {excerpt(forward[::-1], 160)}",
            "$.data",
            walk.reverse.index,
        )


@check(
    "responses.input-items.pages.invalid-limit",
    "conversations.items.pages.invalid-limit",
    "chat.store.pages.invalid-limit",
    "vector-stores.files.pages.invalid-limit",
    "vector-stores.batches.files.pages.invalid-limit",
    "files.pages.invalid-limit",
    "containers.pages.invalid-limit",
    "containers.files.pages.invalid-limit",
    "batches.pages.invalid-limit",
    "assistants.messages.pages.invalid-limit",
    "assistants.pages.invalid-limit",
    "vector-stores.pages.invalid-limit",
    "videos.pages.invalid-limit",
    "fine-tuning.pages.invalid-limit",
    "evals.runs.output-items.pages.invalid-limit",
)
def invalid_limit(walk: Walk, ctx: Context) -> Iterator[Violation]:
    response = walk.invalid.response
    if response is None or response.status != 400:
        yield Violation(f"{received(walk.invalid)}\nExpected: 400 for a limit out of range", "", walk.invalid.index)


INVARIANTS = ("limit", "has-more", "first-last-ids", "after-continues", "walk-once", "order-reverses", "invalid-limit")
