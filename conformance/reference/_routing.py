"""What a family's routes may ask of the reference server (app.py's `_Server`), written once: each family's
`Server` protocol extends it with the stores it reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response

from ._config import ServerConfig
from ._errors import ApiError
from ._ids import Ids


class Served(Protocol):
    config: ServerConfig
    ids: Ids

    def guarded(
        self, handler: Callable[[Request], Awaitable[Response]]
    ) -> Callable[[Request], Awaitable[Response]]: ...
    def authenticate(self, request: Request) -> None: ...
    def error(self, error: ApiError) -> Response: ...
    def _json(self, body: Any) -> Response: ...
    async def json_body(self, request: Request) -> Any: ...
