"""A WebSocket session with a server, bounded and recorded: the Realtime API's `wss://…/v1/realtime` and the
Responses API's WebSocket mode.

`open_session(client, path, params)` connects with the client's key (or another credential: an ephemeral client
secret), and gives a `WebSocketSession`: `send(event)` sends one JSON text frame, `receive_until(types)` reads
server events until one of `types` arrives. Every wait is bounded (the client's read timeout for one frame, a
total for the session, a count of frames, a size per frame), so a dropped connection, a silent or trickling
server or a malformed frame ends the wait with a reason instead of a hang. `close()` records the whole session as
one `Exchange` in the client's log (request: the frames sent, as JSON Lines; response: status 101 and the frames
received), so the reports cite it like any answer, with every credential removed. The checks read a `Transcript`,
plain data.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from conformance.client import Client
from conformance.exchange import Exchange, excerpt

MAX_FRAME = 4 * 1024 * 1024  # bytes: an audio delta is a few kB; a frame beyond this ends the session
MAX_FRAMES = 5_000  # received in one session: a server that never stops sending is cut here
SESSION_SECONDS = 120.0  # the whole session, whatever the server does


@dataclass(frozen=True)
class Frame:
    """One frame: `sent` by the client or received; `text` as it travelled (a binary frame is shown as hex);
    `event` the JSON object it holds, None when it holds none."""

    sent: bool
    text: str
    event: dict[str, Any] | None
    binary: bool = False


@dataclass(frozen=True)
class Transcript:
    """A whole session: its frames in order, and how it ended (`ending` is empty when the client closed it
    with every wait answered)."""

    exchange: Exchange | None
    frames: tuple[Frame, ...]
    ending: str = ""
    status: int | None = 101  # the handshake's HTTP status: 101, or the refusal's

    @property
    def received(self) -> list[tuple[int, Frame]]:
        """The server's frames, each with its number among them."""
        return list(enumerate(f for f in self.frames if not f.sent))

    def events(self) -> list[tuple[int, dict[str, Any]]]:
        """The server's events (frames that hold a JSON object), each with its frame number."""
        return [(n, f.event) for n, f in self.received if f.event is not None]

    def sent_events(self) -> list[dict[str, Any]]:
        return [f.event for f in self.frames if f.sent and f.event is not None]


def ws_url(base_url: str, path: str, params: Mapping[str, str] | None = None) -> str:
    """`https://host/v1` + `/realtime` -> `wss://host/v1/realtime?…` (http -> ws)."""
    parts = urlsplit(f"{base_url.rstrip('/')}/{path.lstrip('/')}")
    scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(dict(params or {})), ""))


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class WebSocketSession:
    """An open session: send events, receive them until one of some types, then `close()`."""

    client: Client
    url: str
    headers: dict[str, str]
    secrets: tuple[str, ...]
    frame_timeout: float
    connection: ClientConnection | None = None
    frames: list[Frame] = field(default_factory=list)
    ending: str = ""
    status: int | None = None
    refusal: bytes = b""
    started: float = field(default_factory=time.time)
    _stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def open(self) -> bool:
        return self.connection is not None and not self.ending

    def send(self, event: dict[str, Any]) -> None:
        text = json.dumps(event)
        self.frames.append(Frame(True, text, event))
        if not self.open:
            return
        assert self.connection is not None
        try:
            self.connection.send(text)
        except ConnectionClosed as closed:
            self._end(f"the server closed the connection ({_closed(closed)}) before this event was sent")

    def receive(self) -> Frame | None:
        """The next frame, or None when the session has ended (and `ending` says why)."""
        if not self.open:
            return None
        assert self.connection is not None
        left = SESSION_SECONDS - (time.time() - self.started)
        if left <= 0 or sum(1 for f in self.frames if not f.sent) >= MAX_FRAMES:
            self._end(f"the session reached its bound ({SESSION_SECONDS:g} s or {MAX_FRAMES} frames)")
            return None
        try:
            data = self.connection.recv(timeout=min(self.frame_timeout, left))
        except TimeoutError:
            self._end(f"no frame within {min(self.frame_timeout, left):g} s")
            return None
        except ConnectionClosed as closed:
            self._end(f"the server closed the connection ({_closed(closed)})")
            return None
        if isinstance(data, bytes):
            frame = Frame(False, data[:256].hex(), None, binary=True)
        else:
            frame = Frame(False, data, _parsed(data))
        self.frames.append(frame)
        return frame

    def receive_until(self, types: Iterable[str]) -> list[dict[str, Any]]:
        """The events received until one whose type is in `types` (included), or until the session ended."""
        wanted, got = set(types), []
        while (frame := self.receive()) is not None:
            if frame.event is not None:
                got.append(frame.event)
                if frame.event.get("type") in wanted:
                    break
        return got

    def _end(self, why: str) -> None:
        self.ending = self.ending or why

    def close(self) -> Transcript:
        """Close the connection (if it is open) and record the session in the client's log."""
        self._shut()
        sent = "\n".join(f.text for f in self.frames if f.sent).encode()
        received = "\n".join(("[binary] " if f.binary else "") + f.text for f in self.frames if not f.sent)
        exchange = self.client.log(
            method="GET", url=self.url, request_headers=self.headers, request_body=sent, status=self.status,
            response_headers={"content-type": "application/json"} if self.status == 101 else {},
            response_body=received.encode() if self.status == 101 else self.refusal,
            elapsed=time.time() - self.started, error=self.ending, secrets=self.secrets, started=self.started,
        )  # fmt: skip
        return Transcript(exchange, tuple(self.frames), self.ending, self.status)

    def __enter__(self) -> WebSocketSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self._shut()

    def _shut(self) -> None:
        self.connection = None
        self._stack.close()


def _closed(closed: ConnectionClosed) -> str:
    frame = closed.rcvd
    return f"code {frame.code}{': ' + excerpt(frame.reason, 80) if frame.reason else ''}" if frame else "no close frame"


def open_session(
    client: Client,
    path: str,
    params: Mapping[str, str] | None = None,
    *,
    api_key: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> WebSocketSession:
    """Connect to `path` below the client's base URL: with the client's key, or `api_key` instead (an ephemeral
    client secret). A refused handshake gives a session that is not open, with the refusal's status and body."""
    settings = client.settings
    key = api_key if api_key is not None else settings.api_key()
    sent = {**dict(settings.headers), **dict(headers or {})}
    if key:
        sent["Authorization"] = f"Bearer {key}"
    secrets = tuple(s for s in (settings.api_key(), api_key) if s)
    session = WebSocketSession(client, ws_url(settings.base_url, path, params), sent, secrets, settings.read_timeout)
    try:
        session.connection = session._stack.enter_context(connect(
            session.url, additional_headers=sent, open_timeout=settings.connect_timeout, close_timeout=2,
            max_size=MAX_FRAME, user_agent_header="oai-conformance/0.1", proxy=None,
        ))  # fmt: skip
        session.status = 101
    except InvalidStatus as refused:
        session.status = refused.response.status_code
        session.refusal = bytes(refused.response.body or b"")
        session.ending = f"the handshake was refused with status {session.status}"
    except (InvalidHandshake, OSError, TimeoutError) as failed:
        session.ending = f"no WebSocket connection: {excerpt(str(failed), 200)}"
    return session
