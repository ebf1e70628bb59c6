"""Which of the features a server was not certified for it does not serve at all, with the answer that shows it.

After the run, while the server is still up, each feature the recipe does not claim gets one request per route of
its own that names no object (`schemas/openapi.json`, x-oai-feature; `GET /files`, `POST /images/generations`),
and the WebSocket features a handshake. A feature is *not served* when every such route answers 404, 405 or 501
(no route there); the answer is kept as the evidence. A POST is sent a JSON array, which no operation takes, so a
route that is there refuses it (400, 415, 422) and never creates anything. A feature without a route of its own
(`chat.stream`) is not served when its parent is not; one whose routes all name objects, or that a server cannot be
asked about (webhooks), stays unknown. The matrix shows `not served` for these cells instead of `—` (not claimed).
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from websockets.exceptions import InvalidStatus, WebSocketException
from websockets.sync.client import connect

from conformance.exchange import excerpt
from conformance.generation import operations
from conformance.requirements import feature_claimed, features

NOT_THERE = frozenset({404, 405, 501})
TIMEOUT_S = 10.0
# The WebSocket features and the URL (below the API root) a client opens for each.
WEBSOCKETS = {"responses.websocket": "/responses", "realtime.websocket": "/realtime?model=gpt-realtime"}


def not_served(base_url: str, key: str, claimed: Iterable[str]) -> dict[str, str]:
    """feature -> why it is not served (`GET /v1/files: 404 {...}`), for the features `claimed` leaves out."""
    claim = frozenset(claimed)
    routes: dict[str, list[tuple[str, str]]] = {}
    for op in operations():
        if not op.path_parameters:
            routes.setdefault(op.feature, []).append((op.method, op.path))
    found: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=TIMEOUT_S) as client:
        for name, feature in features().items():  # parents come before their children in the catalogue
            if feature_claimed(name, claim):
                continue
            if name in WEBSOCKETS:
                evidence = _handshake(base_url, headers, WEBSOCKETS[name])
            elif name in routes:
                evidence = _asked(client, base_url, routes[name])
            else:
                evidence = f"as `{feature.parent}`" if feature.parent in found else None
            if evidence is not None:
                found[name] = evidence
    return found


def _asked(client: httpx.Client, base_url: str, routes: list[tuple[str, str]]) -> str | None:
    """The answers when every route answered that it is not there, else None."""
    answers = []
    for method, path in routes:
        try:
            response = client.request(method, path, json=[] if method == "POST" else None)
        except httpx.HTTPError:
            return None  # no answer proves nothing
        if response.status_code not in NOT_THERE:
            return None
        answers.append(f"{method} {_root(base_url)}{path}: {response.status_code} {excerpt(response.text, 120)}")
    return "; ".join(answers)


def _handshake(base_url: str, headers: dict[str, str], path: str) -> str | None:
    url = base_url.rstrip("/").replace("http", "ws", 1) + path
    try:
        with connect(url, additional_headers=headers, open_timeout=TIMEOUT_S):
            return None
    except InvalidStatus as refused:
        status = refused.response.status_code
        if status not in NOT_THERE:
            return None
        body = refused.response.body.decode("utf-8", "replace") if refused.response.body else ""
        return f"WebSocket {_root(base_url)}{path}: {status} {excerpt(body, 120)}".rstrip()
    except (WebSocketException, OSError, TimeoutError):
        return None


def _root(base_url: str) -> str:
    """`/v1` of `http://127.0.0.1:8000/v1`: the evidence names paths as the API documents them."""
    return httpx.URL(base_url).path.rstrip("/")
