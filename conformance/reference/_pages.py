"""What every cursor-paged list of the reference server shares: reading `limit` and building a page's body.

Each list keeps what is its own (its order, its cursors, its faults); the API words a bad `limit` the same way
for all of them, and a page always carries `first_id`, `last_id` and `has_more` of the same meaning.
"""

from __future__ import annotations

from typing import Any

from ._errors import invalid


def limit_of(query: dict[str, str], default: int, most: int) -> int:
    """The `limit` asked for (`default` when none was): an integer from 1 to `most`, else a 400 as the API says."""
    raw = query.get("limit", str(default))
    try:
        limit = int(raw)
    except ValueError:
        raise invalid(f"Invalid 'limit': expected an integer, but got '{raw[:100]}' instead.", "limit") from None
    if not 1 <= limit <= most:
        which, bound = ("below minimum", ">= 1") if limit < 1 else ("above maximum", f"<= {most}")
        raise invalid(
            f"Invalid 'limit': integer {which} value. Expected a value {bound}, but got {limit} instead.",
            "limit",
            f"integer_{which.split()[0]}_{'min' if limit < 1 else 'max'}_value",
        )
    return limit


def cursor_page(items: list[dict[str, Any]], limit: int, *, more: bool = True) -> dict[str, Any]:
    """The first `limit` of `items` (those left after the cursor) as a list page; `more`: False when a fault
    hides that more follow."""
    data = items[:limit]
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": len(items) > limit and more,
    }
