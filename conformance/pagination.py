"""`walk`: read one cursor-paginated list the four ways its invariants need (`checks.pagination.Walk`).

Every list endpoint of the API pages the same way: `limit`, `order` (asc|desc), `after` (an item id), and an
answer `{data, first_id, last_id, has_more}`. The walk follows `has_more` with `after` set to the page's last
id, and stops after `MAX_PAGES` so that a server whose `has_more` never turns false cannot hold the run.
"""

from __future__ import annotations

from typing import Any, Protocol

from conformance.checks.pagination import Walk
from conformance.exchange import Exchange

MAX_PAGES = 50
WHOLE = 100  # the API's largest page


class Requester(Protocol):
    def request(self, method: str, path: str, *, params: Any = None) -> Exchange: ...


def walk_pages(
    client: Requester,
    path: str,
    limit: int,
    order: str | None = "asc",
    params: dict[str, Any] | None = None,
    most: int | None = None,
) -> tuple[Exchange, ...]:
    """The pages of `path` in `order`, `limit` items each, from the first until `has_more` is false.

    `params` are sent with every page: the filter that makes a shared list the case's own (`metadata[k]=v`).
    `order` None: the list has no order to ask for (batches). `most`: stop once the pages hold that many items.
    """
    pages: list[Exchange] = []
    after: str | None = None
    seen = 0
    while len(pages) < MAX_PAGES and (most is None or seen < most):
        query: dict[str, Any] = {**(params or {}), "limit": limit, **({"order": order} if order else {})}
        query.update({"after": after} if after else {})
        exchange = client.request("GET", path, params=query)
        pages.append(exchange)
        body = exchange.ok_json
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not data or body.get("has_more") is not True:
            break
        seen += len(data)
        last = body.get("last_id") or (data[-1].get("id") if isinstance(data[-1], dict) else None)
        if not isinstance(last, str) or last == after:
            break  # no cursor to go on with, or the same page again
        after = last
    return tuple(pages)


def walk(
    client: Requester,
    path: str,
    limit: int = 2,
    params: dict[str, Any] | None = None,
    *,
    ordered: bool = True,
    window: int | None = None,
) -> Walk:
    """The list whole, in pages of `limit`, reversed, and asked for with a limit out of range.

    `params` (a filter) go with every request, so a list shared with other cases can be walked over the items one
    case made. `ordered=False`: the list has no `order` (batches): no reversed read. `window`: read only the first
    `window` items (a list shared with the whole account may be long; `params` can start it after an id).
    """
    extra = params or {}
    order = {"order": "asc"} if ordered else {}
    return Walk(
        whole=client.request("GET", path, params={**extra, "limit": window or WHOLE, **order}),
        pages=walk_pages(client, path, limit, "asc" if ordered else None, params=extra, most=window),
        reverse=client.request("GET", path, params={**extra, "limit": WHOLE, "order": "desc"}) if ordered else None,
        invalid=client.request("GET", path, params={**extra, "limit": 0}),
        limit=limit,
        window=window,
    )
