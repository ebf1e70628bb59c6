"""Usage and costs, read only: each usage endpoint and the costs over five days before today, in pages of two
daily buckets followed by `next_page`, grouped by project (costs: also by line item); completions also by the
hour grouped by model, and once not grouped at all (the grouping fields are then null or absent)."""

import time

import pytest

from conformance.case import requirement
from conformance.checks.admin import UsagePages

RULES = (
    "admin.usage.shape",
    "admin.usage.buckets-ordered",
    "admin.usage.buckets-contiguous",
    "admin.usage.in-range",
    "admin.usage.result-in-bucket",
    "admin.usage.group-by",
    "admin.usage.non-negative",
    "admin.usage.limit",
    "admin.usage.next-page",
)
KINDS = (
    "completions",
    "embeddings",
    "moderations",
    "images",
    "audio_speeches",
    "audio_transcriptions",
    "vector_stores",
    "code_interpreter_sessions",
)
DAY = 86_400
MOST_PAGES = 4


def follow(oai_client, path, params):
    """The first page and the pages its `next_page` cursor leads to (at most MOST_PAGES)."""
    pages = [oai_client.request("GET", path, params=params)]
    while len(pages) < MOST_PAGES:
        body = pages[-1].response.json if pages[-1].response is not None else None
        cursor = body.get("next_page") if isinstance(body, dict) and body.get("has_more") is True else None
        if not isinstance(cursor, str) or not cursor:
            break
        pages.append(oai_client.request("GET", path, params={**params, "page": cursor}))
    return UsagePages(tuple(pages))


def window(days=5):
    today = int(time.time()) // DAY * DAY
    return {"start_time": today - days * DAY, "end_time": today}


@requirement(*RULES)
@pytest.mark.parametrize("kind", [*KINDS, "costs"])
def test_usage_pages(kind, oai_client, oai_judge):
    path = "/organization/costs" if kind == "costs" else f"/organization/usage/{kind}"
    groups = ["project_id", "line_item"] if kind == "costs" else ["project_id"]
    params = {**window(), "bucket_width": "1d", "limit": 2, "group_by": groups}
    oai_judge(follow(oai_client, path, params), *RULES)


@requirement(*RULES)
def test_usage_by_the_hour_and_ungrouped(oai_client, oai_judge):
    start = window()["start_time"]
    hourly = {
        "start_time": start,
        "end_time": start + 6 * 3600,
        "bucket_width": "1h",
        "limit": 3,
        "group_by": ["model"],
    }
    oai_judge(follow(oai_client, "/organization/usage/completions", hourly), *RULES)
    oai_judge(follow(oai_client, "/organization/usage/completions", {**window(3), "limit": 3}), *RULES)
