"""Hostile servers: each answers like the bundled reference server, except where it misbehaves on purpose, to show
that a broken or hostile server cannot hang, exhaust or crash a run (tests/test_hostile.py).

Every server is the reference app (conformance.reference) wrapped in a raw ASGI middleware, served by uvicorn on
127.0.0.1 on a free port in a background thread. GET /v1/models and every other route answer as the reference
does; the behaviour takes over POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/moderations and
/v1/responses (their streams included), usually by mangling the reference's own answer, so the run gets that far
before it meets the trouble:

    endless          streams send a valid chunk every 0.2 s forever: no finish_reason, no [DONE], no terminal event
    trickle          the reference's answer (status and headers at once), then its body one byte a second
    trickle-headers  the status line and headers one byte a second, forever (written to the socket directly)
    gigabyte         a body of 1 GB (10**9 bytes, declared in Content-Length), made lazily; streams of 1 GB of chunks
    invalid-utf8     every JSON string value starts with bytes that are not UTF-8
    deep             a JSON member nested 5000 arrays deep in every answer (and every stream event)
    nan              `NaN`, `Infinity` and `-Infinity` for numbers (created, token counts, embedding values)
    huge-number      1e999 and -1e999 (beyond a double) in the same places
    duplicate-keys   `object` and `id` twice in every JSON object at the top: first a wrong value, then the right one
    html             an HTML error page, with Content-Type application/json and status 200
    lying-length     Content-Length 10000, 100 bytes of the body, then the connection closes
    reset            half the body (streams: the first two events), then the connection is reset (RST)
    huge-headers     the reference's answer with a response header of 2 MiB
    markup           every `object` (and `model`) is `<script>…</script>` with ANSI escapes and control characters
    redirect         307 to `location` (another origin) on POST /v1/chat/completions
    plain            nothing: the reference server, recording what it is sent (the other origin of `redirect`)

Every server records the requests it receives (`seen`: method, path, headers), for tests about what a run sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from conformance.reference import ServerConfig
from conformance.reference.app import create_app
from conformance.reference.runner import _bind

# Where the behaviours answer; every other route answers as the reference does (GET /v1/models first of all).
HOSTILE_ROUTES = frozenset(
    {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/moderations", "/v1/responses"}
)
STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0

ENDLESS_EVERY = 0.2  # seconds between the chunks of an endless stream
TRICKLE_EVERY = 1.0  # seconds between the bytes of a trickle
GIGABYTE = 10**9
DEPTH = 5000
LIE_DECLARED, LIE_SENT = 10_000, 100
HEADER_SIZE = 2 * 1024 * 1024
# What a hostile server may put in text that ends in a terminal or a report.
MARKUP = "<script>alert(1)</script>\x1b[31mHOSTILE-RED\x1b[0m\x07\x08\r\x00\x1b]0;title\x07\x9b2J"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server is not answering.</p></body></html>\n"
)


@dataclass(frozen=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def without(self, *names: bytes) -> list[tuple[bytes, bytes]]:
        return [(k, v) for k, v in self.headers if k.lower() not in names]


@dataclass
class Call:
    """A POST to a hostile route: its body, read once, and the ways to answer it."""

    app: ASGIApp
    scope: Scope
    body: bytes
    send: Send
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def stream(self) -> bool:
        body = self.json
        return isinstance(body, dict) and body.get("stream") is True

    @property
    def chat(self) -> bool:
        return self.scope["path"] == "/v1/chat/completions"

    @property
    def responses(self) -> bool:
        """A Responses API call: its stream is typed events, not chunks ending with `data: [DONE]`."""
        return self.scope["path"] == "/v1/responses"

    # uvicorn's request cycle (`send` is its bound method): the connection itself, for what ASGI cannot say.
    @property
    def _cycle(self) -> Any:
        cycle = getattr(self.send, "__self__", None)
        if cycle is None or not hasattr(cycle, "transport"):
            raise RuntimeError("a hostile server needs uvicorn's h11 request cycle (send.__self__)")
        return cycle

    @property
    def gone(self) -> bool:
        """The client closed the connection (or it was closed here)."""
        cycle = self._cycle
        return bool(cycle.disconnected) or cycle.transport.is_closing()

    def abort(self) -> None:
        """Reset the connection: RST, no orderly close."""
        self._cycle.transport.abort()

    def close(self) -> None:
        """Close the connection: FIN after what was written, whatever the framing promised."""
        self._cycle.transport.close()

    def write_raw(self, data: bytes) -> None:
        """Bytes straight to the socket, past h11: for a status line no HTTP library would send this way."""
        self._cycle.transport.write(data)

    def _receive(self) -> Receive:
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            while not self.gone:  # the app waits for a disconnect (a StreamingResponse does): tell it when
                await asyncio.sleep(0.1)
            return {"type": "http.disconnect"}

        return receive

    async def pass_through(self) -> None:
        """The reference's answer, as it is."""
        await self.app(self.scope, self._receive(), self.send)

    async def reference(self) -> Answer:
        """The reference's whole answer, kept here to be mangled (its streams are finite and fast)."""
        answer = Answer(0, [], b"")
        parts: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer.status = message["status"]
                answer.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                parts.append(bytes(message.get("body", b"")))

        await self.app(self.scope, self._receive(), capture)
        answer.body = b"".join(parts)
        return answer

    async def start(self, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def part(self, body: bytes, more: bool = True) -> None:
        await self.send({"type": "http.response.body", "body": body, "more_body": more})

    async def answer(self, answer: Answer) -> None:
        """An answer, its Content-Length made to fit its body (unless it was streamed: then none)."""
        headers = answer.without(b"content-length")
        if answer.header(b"content-length") is not None:
            headers.append((b"content-length", str(len(answer.body)).encode()))
        await self.start(answer.status, headers)
        await self.part(answer.body, more=False)


Behaviour = Callable[[Call], Awaitable[None]]


# --- helpers: the reference's answers, mangled ---------------------------------------------------------------------


def _events(body: bytes) -> list[bytes]:
    """A stream's events (each without its blank-line end)."""
    return [event for event in body.split(b"\n\n") if event.strip()]


def _data(event: bytes) -> Any:
    for line in event.split(b"\n"):
        if line.startswith(b"data:"):
            try:
                return json.loads(line[5:])
            except ValueError:
                return None
    return None


def _sse(data: Any, name: str | None = None) -> bytes:
    head = f"event: {name}\n".encode() if name else b""
    return head + b"data: " + json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def each_json(body: bytes, mangle: Callable[[bytes], bytes]) -> bytes:
    """`mangle` applied to a JSON object body, or to each `data: {...}` line of a stream."""
    if body.lstrip().startswith(b"{"):
        return mangle(body.strip())
    lines = body.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"data: {"):
            lines[i] = b"data: " + mangle(line[6:].strip())
    return b"\n".join(lines)


def _mangled(mangle: Callable[[bytes], bytes]) -> Behaviour:
    async def behaviour(call: Call) -> None:
        answer = await call.reference()
        answer.body = each_json(answer.body, mangle)
        await call.answer(answer)

    return behaviour


def _numbers(nan: bytes, inf: bytes, minus_inf: bytes) -> Callable[[bytes], bytes]:
    def mangle(body: bytes) -> bytes:
        body = re.sub(rb'("(?:created|created_at)":)-?\d+', rb"\g<1>" + nan, body)
        body = re.sub(rb'("(?:prompt_tokens|input_tokens|total_tokens)":)\d+', rb"\g<1>" + inf, body)
        body = re.sub(rb'("(?:completion_tokens|output_tokens)":)\d+', rb"\g<1>" + minus_inf, body)
        return body.replace(b'"embedding":[', b'"embedding":[' + nan + b"," + inf + b"," + minus_inf + b",")

    return mangle


def _duplicate_keys(body: bytes) -> bytes:
    # Python keeps the last of a duplicated name; another parser may keep the first (a wrong value).
    obj = _loads(body)
    if not isinstance(obj, dict):
        return body
    first = b'{"object":"duplicate.first","id":"duplicate-first",'
    last = {k: obj[k] for k in ("object", "id") if k in obj}
    return first + body[1:-1] + (b"," + json.dumps(last).encode()[1:] if last else b"}")


def _deep(body: bytes) -> bytes:
    return body[:-1] + b',"deep":' + b"[" * DEPTH + b"]" * DEPTH + b"}"


def _markup(body: bytes) -> bytes:
    obj = _loads(body)
    if not isinstance(obj, dict):
        return body
    obj["object"] = MARKUP
    if "model" in obj:
        obj["model"] = MARKUP
    if isinstance(obj.get("response"), dict):
        obj["response"]["object"] = MARKUP
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def _loads(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


# --- the behaviours ------------------------------------------------------------------------------------------------


async def endless(call: Call) -> None:
    if not call.stream:
        await call.pass_through()
        return
    answer = await call.reference()
    events = _events(answer.body)
    if answer.status != 200 or not events:
        await call.answer(answer)
        return
    if not call.responses:  # chunks (chat, completions): the first again and again, never finished
        head = events[:1]
        chunk = _data(events[1] if len(events) > 2 else events[0])
        chunk.pop("usage", None)
        for choice in chunk.get("choices") or []:
            choice["finish_reason"] = None

        def again(n: int) -> bytes:
            return _sse(chunk)
    else:
        at = next((i for i, e in enumerate(events) if (_data(e) or {}).get("type", "").endswith(".delta")), None)
        if at is None:
            await call.answer(answer)
            return
        head, delta = events[:at], _data(events[at])

        def again(n: int) -> bytes:
            return _sse({**delta, "sequence_number": at + n}, delta["type"])

    await call.start(200, answer.without(b"content-length"))
    await call.part(b"".join(e + b"\n\n" for e in head))
    n = 0
    while not call.gone:
        await call.part(again(n))
        n += 1
        await asyncio.sleep(ENDLESS_EVERY)


async def trickle(call: Call) -> None:
    answer = await call.reference()
    await call.start(answer.status, answer.headers)
    for i in range(len(answer.body)):
        if call.gone:
            return
        await call.part(answer.body[i : i + 1])
        await asyncio.sleep(TRICKLE_EVERY)
    await call.part(b"", more=False)


async def trickle_headers(call: Call) -> None:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nx-trickle: "
    for i in range(len(head)):
        if call.gone:
            return
        call.write_raw(head[i : i + 1])
        await asyncio.sleep(TRICKLE_EVERY)
    while not call.gone:  # a header that never ends
        call.write_raw(b"a")
        await asyncio.sleep(TRICKLE_EVERY)


def _block(stream: bool, responses: bool) -> bytes:
    if not stream:
        return b'"padding-padding-padding-padding",' * (1024 * 1024 // 34)
    if not responses:
        choice = {"index": 0, "delta": {"content": "and on "}, "finish_reason": None}
        chunk = {"id": "chatcmpl-gigabyte", "object": "chat.completion.chunk", "created": 1700000000,
                 "model": "gpt-4o-mini", "choices": [choice]}  # fmt: skip
        event = _sse(chunk)
    else:
        event = _sse({"type": "response.output_text.delta", "item_id": "msg_gigabyte", "output_index": 0,
                      "content_index": 0, "delta": "and on ", "logprobs": [], "sequence_number": 2},
                     "response.output_text.delta")  # fmt: skip
    return event * (1024 * 1024 // len(event))


async def gigabyte(call: Call) -> None:
    stream = call.stream
    block = _block(stream, call.responses)
    if stream:
        await call.start(200, [(b"content-type", b"text/event-stream")])
        head = b""
    else:
        head = b'{"id":"chatcmpl-gigabyte","object":"chat.completion","padding":['
        await call.start(200, [(b"content-type", b"application/json"), (b"content-length", str(GIGABYTE).encode())])
    tail = b'"end"]}' if not stream else b""
    await call.part(head)
    sent = len(head)
    while sent + len(block) + len(tail) <= GIGABYTE:
        if call.gone:
            return
        await call.part(block)  # waits while the client does not read (uvicorn's flow control): memory stays flat
        sent += len(block)
    rest = GIGABYTE - sent - len(tail)
    await call.part((block * 2)[:rest] if stream else b" " * rest)
    await call.part(tail, more=False)


async def html(call: Call) -> None:
    answer = await call.reference()
    headers = answer.without(b"content-type", b"content-length")
    headers += [(b"content-type", b"application/json"), (b"content-length", str(len(HTML_PAGE)).encode())]
    await call.start(200, headers)
    await call.part(HTML_PAGE, more=False)


async def lying_length(call: Call) -> None:
    answer = await call.reference()
    headers = answer.without(b"content-length", b"transfer-encoding")
    headers.append((b"content-length", str(LIE_DECLARED).encode()))
    await call.start(answer.status, headers)
    await call.part(answer.body[:LIE_SENT].ljust(LIE_SENT))
    await asyncio.sleep(0.1)
    call.close()


async def reset(call: Call) -> None:
    answer = await call.reference()
    events = _events(answer.body) if call.stream else []
    sent = b"".join(e + b"\n\n" for e in events[:2]) if events else answer.body[: len(answer.body) // 2]
    await call.start(answer.status, answer.without(b"content-length") if events else answer.headers)
    await call.part(sent)
    await asyncio.sleep(0.2)  # let the client read what was sent: an RST can discard data not yet read
    call.abort()


async def huge_headers(call: Call) -> None:
    answer = await call.reference()
    answer.headers.append((b"x-hostile-padding", b"a" * HEADER_SIZE))
    await call.answer(answer)


async def markup(call: Call) -> None:
    """The markup inside JSON strings (escaped there, as JSON must), and in streams also raw, in an event that
    is not JSON at all."""
    answer = await call.reference()
    answer.body = each_json(answer.body, _markup)
    if call.stream:
        answer.body = b"data: " + MARKUP.encode() + b"\n\n" + answer.body
    await call.answer(answer)


async def redirect(call: Call) -> None:
    if not call.chat:
        await call.pass_through()
        return
    location = call.options["location"]
    body = json.dumps({"moved": location}).encode()
    headers = [(b"location", location.encode()), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await call.start(307, headers)
    await call.part(body, more=False)


async def plain(call: Call) -> None:
    await call.pass_through()


BEHAVIOURS: dict[str, Behaviour] = {
    "endless": endless,
    "trickle": trickle,
    "trickle-headers": trickle_headers,
    "gigabyte": gigabyte,
    "invalid-utf8": _mangled(lambda body: body.replace(b'":"', b'":"\xff\xfe\xc3\x28')),
    "deep": _mangled(_deep),
    "nan": _mangled(_numbers(b"NaN", b"Infinity", b"-Infinity")),
    "huge-number": _mangled(_numbers(b"1e999", b"1e999", b"-1e999")),
    "duplicate-keys": _mangled(_duplicate_keys),
    "html": html,
    "lying-length": lying_length,
    "reset": reset,
    "huge-headers": huge_headers,
    "markup": markup,
    "redirect": redirect,
    "plain": plain,
}


# --- the middleware and the server ---------------------------------------------------------------------------------


class Hostile:
    """The reference app, with `behaviour` answering the POSTs to HOSTILE_ROUTES."""

    def __init__(self, app: ASGIApp, behaviour: Behaviour, options: dict[str, Any]) -> None:
        self.app = app
        self.behaviour = behaviour
        self.options = options
        self.seen: list[Seen] = []
        self.in_flight: dict[int, Seen] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = Seen(scope["method"], scope["path"], {k.decode("latin-1"): v.decode("latin-1")
                                                      for k, v in scope["headers"]})  # fmt: skip
        self.seen.append(seen)
        self.in_flight[id(seen)] = seen
        try:
            if scope["method"] != "POST" or scope["path"] not in HOSTILE_ROUTES:
                await self.app(scope, receive, send)
                return
            body = bytearray()
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            call = Call(self.app, scope, bytes(body), send, self.options)
            try:
                await self.behaviour(call)
            except asyncio.CancelledError:  # the server stops while an answer is still being withheld: no noise
                call.abort()
        finally:
            del self.in_flight[id(seen)]


class _Quiet:
    """uvicorn's complaints about answers cut short on purpose are the point here, not news."""

    NOISE = ("returned without completing response", "returned without starting response")

    def filter(self, record: Any) -> bool:
        return not any(noise in record.getMessage() for noise in self.NOISE)


class HostileServer:
    def __init__(self, name: str, app: Hostile, server: uvicorn.Server, thread: threading.Thread, port: int) -> None:
        self.name = name
        self.app = app
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.base_url = f"{self.origin}/v1"
        self._server = server
        self._thread = thread

    def __repr__(self) -> str:
        return f"HostileServer({self.name!r}, {self.base_url!r})"

    @property
    def seen(self) -> list[Seen]:
        return list(self.app.seen)

    @property
    def in_flight(self) -> list[Seen]:
        """The requests whose answers are still being given (or withheld) now."""
        return list(self.app.in_flight.values())

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(SHUTDOWN_TIMEOUT)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(SHUTDOWN_TIMEOUT)


@contextmanager
def serve_hostile(behaviour: str, api_key: str | None = None, **options: Any) -> Iterator[HostileServer]:
    """Start the hostile server `behaviour` (a name of BEHAVIOURS), yield it once it answers, stop it on exit."""
    import logging

    app = Hostile(create_app(ServerConfig(api_key=api_key)), BEHAVIOURS[behaviour], options)
    sock = _bind("127.0.0.1", 0)
    config = uvicorn.Config(app, log_level="warning", log_config=None, access_log=False, lifespan="off",
                            timeout_graceful_shutdown=1, http="h11")  # fmt: skip
    quiet = _Quiet()
    logging.getLogger("uvicorn.error").addFilter(quiet)  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"hostile-{behaviour}", daemon=True)
    running = HostileServer(behaviour, app, server, thread, sock.getsockname()[1])
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the hostile server {behaviour!r} did not start")
            time.sleep(0.005)
        yield running
    finally:
        running.stop()
        sock.close()
        with contextlib.suppress(Exception):
            logging.getLogger("uvicorn.error").removeFilter(quiet)  # type: ignore[arg-type]
