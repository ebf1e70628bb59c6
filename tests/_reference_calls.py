"""A request to an in-process reference server with given faults: what the fault tables (tests/_*_faults.py) send
to show that each fault breaks what it says it breaks.

One app per set of faults and key, kept for the test session: a table's requests build on each other's objects as
a client's would, and each family's key keeps its objects apart from another family's.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import httpx

from conformance.reference import ServerConfig, create_app

Faults = frozenset[str]


@functools.cache
def reference_app(faults: Faults, key: str, admin_key: str | None = None) -> Any:
    return create_app(ServerConfig(api_key=key, admin_key=admin_key, faults=faults))


def call_reference(app: Any, method: str, path: str, headers: dict[str, str], **kwargs: Any) -> httpx.Response:
    """`method path` (below /v1) answered by `app` in this process, through httpx's ASGI transport."""

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reference/v1") as http:
            return await http.request(method, path, headers=headers, **kwargs)

    return asyncio.run(go())
