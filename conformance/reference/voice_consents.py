"""Voice consents of the reference server: the few the server holds from its start, read only.

    GET /v1/audio/voice_consents               the consents, newest first (`limit` 1..100 default 20, `after`)
    GET /v1/audio/voice_consents/{consent_id}  one of them; 404 with the error envelope for any other id

The API makes a consent from a person's recorded statement, which a run cannot give, so the server holds fixed
ones (fixed ids and times, like the ChatKit threads chatkit.py holds) for the rules and the SDK to read.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ._config import ServerConfig
from ._errors import ApiError
from ._routing import Served
from .vector_stores import page

DEMO_CREATED = 1_734_220_800
# Oldest first; the list answers newest first.
CONSENTS: tuple[dict[str, Any], ...] = tuple(
    {"object": "audio.voice_consent", "id": f"cons_demo_{n}", "name": name, "language": language,
     "created_at": DEMO_CREATED + 100 * n}
    for n, (name, language) in enumerate([("Jane Doe", "en-US"), ("Marie Dupont", "fr-FR")], start=1)
)  # fmt: skip


def not_found(ident: str) -> ApiError:
    return ApiError(404, f"No voice consent found with id '{ident[:100]}'.", param="consent_id", validation=False)


class VoiceConsents:
    """The consents a server holds, read only (so no lock: nothing changes them)."""

    def __init__(self, config: ServerConfig) -> None:
        self._config = config
        self._held = {consent["id"]: consent for consent in CONSENTS}

    def list(self, query: dict[str, str]) -> dict[str, Any]:
        return page([dict(c) for c in self._held.values()], {k: v for k, v in query.items() if k in ("limit", "after")})

    def retrieve(self, ident: str) -> dict[str, Any]:
        held = self._held.get(ident)
        if held is None:
            if not self._config.has("audio-voice-consent-unknown-200"):
                raise not_found(ident)
            held = {**CONSENTS[-1], "id": ident}
        elif self._config.has("audio-voice-consent-other-id"):
            held = next(c for c in CONSENTS if c["id"] != ident)
        consent = dict(held)
        if self._config.has("audio-voice-consent-object-wrong"):
            consent["object"] = "voice_consent"
        return consent


# --- routes -------------------------------------------------------------------------------------------------


class Server(Served, Protocol):
    """What the routes need of the reference server (app.py's `_Server`)."""

    voice_consents: VoiceConsents


def routes(server: Server) -> list[Route]:
    """The /v1/audio/voice_consents routes, bound to `server`."""
    consents = server.voice_consents

    def answer(read: Callable[[Request], Any]) -> Callable[[Request], Awaitable[Response]]:
        async def run(request: Request) -> Response:
            return Response(json.dumps(read(request), ensure_ascii=False), media_type="application/json")

        return server.guarded(run)

    return [
        Route("/v1/audio/voice_consents", answer(lambda r: consents.list(dict(r.query_params))), methods=["GET"]),
        Route(
            "/v1/audio/voice_consents/{consent_id}",
            answer(lambda r: consents.retrieve(r.path_params["consent_id"])),
            methods=["GET"],
        ),
    ]
