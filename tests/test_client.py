from __future__ import annotations

import email.utils
import json
import logging
import os
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import spend
from conformance.client import Client, TokenUsage
from conformance.exceptions import TargetUnreachable
from conformance.exchange import REDACTED, Exchange
from conformance.reports.results import usage_by_feature
from conformance.retry import QuotaExhausted, RetryPolicy, StillTransient

KEY_ENV = "OAI_CONFORMANCE_TEST_KEY"
KEY = "sk-test-9f8e7d6c5b4a39281706f5e4d3c2b1a0"
WRONG_KEY = "sk-wrong-0123456789abcdef"


@dataclass
class Settings:
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    connect_timeout: float = 2.0
    read_timeout: float = 5.0
    retries: int = 2
    answer_time_limit: float = 120.0

    def api_key(self) -> str | None:
        return os.environ.get(KEY_ENV)


# --- a real HTTP server ---------------------------------------------------------------------------------

SSE_CHAT = [
    b'data: {"choices":[{"delta":{"content":"h\xc3',  # "é" split across two writes
    b'\xa9"}}],"usage":null}\r',
    b'\n\r\ndata: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":4,"total_tokens":15}}\n\n',
    b": keep-alive\n\ndata: [DONE]\n\n",
]
SSE_RESPONSES = [
    b'event: response.created\ndata: {"type":"response.created","response":{"usage":null}}\n\n',
    b'event: response.completed\ndata: {"type":"response.completed",',
    b'"response":{"usage":{"input_tokens":20,"output_tokens":6,"total_tokens":26}}}\n\n',
]


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        self.counts: Counter[str] = Counter()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.route()

    def do_POST(self) -> None:
        self.route()

    def route(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        path = self.path.split("?", 1)[0]
        self.server.seen.append(
            (self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.server.counts[path] += 1
        count = self.server.counts[path]
        auth = self.headers.get("authorization", "")
        if path == "/v1/models":
            self.send_json(200, {"object": "list", "data": []})
        elif path == "/v1/chat/completions":
            usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
            self.send_json(200, {"object": "chat.completion", "usage": usage})
        elif path == "/v1/responses":
            self.send_json(200, {"object": "response", "usage": {"input_tokens": 7, "output_tokens": 3}})
        elif path == "/v1/flaky":
            self.send_json(503 if count == 1 else 200, {"count": count})
        elif path == "/v1/busy":
            self.send_json(503, {"error": {"message": "overloaded"}})
        elif path == "/v1/limited":
            self.send_json(429, {"error": {"message": "slow down"}}, {"retry-after": "3"})
        elif path == "/v1/echo-key":
            # Like a careless server that quotes the key it was given, in the body and a header.
            message = {"error": {"message": f"Incorrect API key provided: {auth}"}}
            self.send_json(401, message, {"x-seen-authorization": auth})
        elif path == "/v1/stream":
            self.send_chunked(SSE_CHAT)
        elif path == "/v1/responses-stream":
            self.send_chunked(SSE_RESPONSES)
        elif path == "/v1/cut":
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", "1000")
            self.end_headers()
            self.wfile.write(b"data: partial\n\n")
            self.close_connection = True
        else:
            self.send_json(404, {"error": {"message": f"no route {path}"}})

    def send_json(self, status: int, body: Any, headers: Mapping[str, str] | None = None) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def send_chunked(self, pieces: list[bytes]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for piece in pieces:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(KEY_ENV, KEY)
    return KEY


Make = Callable[..., tuple[Client, list[float]]]


@pytest.fixture
def make() -> Iterator[Make]:
    """Builds clients that record their sleeps instead of sleeping."""
    clients: list[Client] = []

    def build(
        base_url: str, *, transport: httpx.BaseTransport | None = None, **options: Any
    ) -> tuple[Client, list[float]]:
        sleeps: list[float] = []
        settings = Settings(base_url, **options)
        # No jitter: each back-off is its ceiling (0.5, 1, 2, ... s), so the sleeps can be compared.
        policy = RetryPolicy(retries=settings.retries, jitter=lambda: 1.0)
        client = Client(settings, transport=transport, sleep=sleeps.append, policy=policy)
        clients.append(client)
        return client, sleeps

    yield build
    for client in clients:
        client.close()


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


def assert_no_key(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert WRONG_KEY not in text


# --- requests and records -------------------------------------------------------------------------------


def test_json_request_is_sent_and_recorded(server: Server) -> None:
    seen: list[Exchange] = []
    with Client(Settings(server.base_url), on_exchange=seen.append) as client:
        first = client.request("POST", "/chat/completions", json={"model": "m", "messages": []})
        second = client.request("GET", "models", params={"limit": 2})
    assert first.response is not None and first.response.status == 200
    assert first.response.json["object"] == "chat.completion"
    assert first.request.json == {"model": "m", "messages": []}
    assert first.request.url == server.base_url + "/chat/completions"
    assert (first.index, second.index, first.attempts, first.error) == (0, 1, 1, "")
    assert second.request.url == server.base_url + "/models?limit=2"
    assert client.exchanges == seen == [first, second]
    assert server.seen[0][3] == first.request.body


@pytest.mark.parametrize("base", ["http://h/v1", "http://h/v1/"])
@pytest.mark.parametrize("path", ["/models", "models"])
def test_path_is_joined_to_base_url(make: Make, base: str, path: str) -> None:
    client, _ = make(base, transport=mock(lambda r: httpx.Response(200, request=r)))
    assert client.request("GET", path).request.url == "http://h/v1/models"
    assert client.url(path) == "http://h/v1/models"


def test_extra_headers_and_user_agent_are_sent_and_a_check_can_override_them(
    server: Server, make: Make
) -> None:
    extra = {"OpenAI-Organization": "org-1", "OpenAI-Project": "proj-1"}
    client, _ = make(server.base_url, headers=extra)
    client.request("GET", "/models")
    client.request("GET", "/models", headers={"User-Agent": "other", "OpenAI-Project": "proj-2"})
    first, second = (headers for _, _, headers, _ in server.seen)
    assert (first["openai-organization"], first["openai-project"]) == ("org-1", "proj-1")
    assert first["user-agent"] == "oai-conformance/0.1"
    assert (second["user-agent"], second["openai-project"]) == ("other", "proj-2")


def test_raw_content_is_sent_as_json_content_type(server: Server, make: Make) -> None:
    client, _ = make(server.base_url)
    exchange = client.request("POST", "/chat/completions", content=b'{"model": ')
    assert server.seen[0][2]["content-type"] == "application/json"
    assert server.seen[0][3] == exchange.request.body == b'{"model": '
    assert exchange.request.json is None


def test_a_cookie_one_answer_sets_is_not_sent_with_the_next_request(make: Make) -> None:
    """Each request goes as its case built it: no state carried over from an earlier answer."""
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"set-cookie": "__cf_bm=abc123; Path=/"}, json={}, request=request)

    client, _ = make("http://h/v1", transport=mock(answer))
    client.request("GET", "/models")
    second = client.request("GET", "/models")
    assert "cookie" not in sent[1].headers and second.request.header("cookie") is None


def test_a_proxy_the_environment_names_carries_the_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is honoured as httpx honours it (a run from behind a company proxy reaches the API)."""
    seen: list[str] = []

    class Proxy(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = b'{"object": "list", "data": []}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    try:
        with Client(Settings("http://api.example.invalid/v1")) as client:
            exchange = client.request("GET", "/models")
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert exchange.response is not None and exchange.response.status == 200, exchange.error
    assert seen == ["http://api.example.invalid/v1/models"]


def test_json_and_content_together_are_refused(make: Make) -> None:
    client, _ = make("http://h/v1", transport=mock(lambda r: httpx.Response(200)))
    with pytest.raises(TypeError):
        client.request("POST", "/x", json={}, content=b"{}")


# --- the key --------------------------------------------------------------------------------------------


def test_configured_key_is_sent_as_bearer_and_recorded_redacted(server: Server, make: Make) -> None:
    client, _ = make(server.base_url)
    exchange = client.request("GET", "/models")
    assert server.seen[0][2]["authorization"] == f"Bearer {KEY}"
    assert exchange.request.header("authorization") == f"Bearer {REDACTED}"


def test_api_key_none_sends_no_authorization(server: Server, make: Make) -> None:
    client, _ = make(server.base_url)
    exchange = client.request("GET", "/models", api_key=None)
    assert "authorization" not in server.seen[0][2]
    assert exchange.request.header("authorization") is None


def test_no_configured_key_sends_no_authorization(
    server: Server, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV)
    client, _ = make(server.base_url)
    client.request("GET", "/models")
    assert "authorization" not in server.seen[0][2]


def test_key_is_read_from_the_environment_at_each_request(
    server: Server, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = make(server.base_url)
    monkeypatch.setenv(KEY_ENV, "sk-later")
    client.request("GET", "/models")
    assert server.seen[0][2]["authorization"] == "Bearer sk-later"


def test_key_echoed_by_the_server_never_reaches_records_reprs_or_logs(
    server: Server, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, _ = make(server.base_url, retries=1)
    exchanges = [client.request("GET", "/echo-key"), client.request("GET", "/echo-key", api_key=WRONG_KEY)]
    with pytest.raises(StillTransient) as still:
        client.request("POST", "/busy", json={"key": KEY})
    exchanges.append(client.exchanges[-1])
    assert_no_key(str(still.value))
    assert server.seen[1][2]["authorization"] == f"Bearer {WRONG_KEY}"
    for exchange in exchanges:
        assert exchange.response is not None
        assert_no_key(json.dumps(exchange.to_json()), repr(exchange), exchange.curl())
    assert REDACTED in exchanges[1].response.body.decode()  # type: ignore[union-attr]
    assert exchanges[1].response.header("x-seen-authorization") == f"Bearer {REDACTED}"  # type: ignore[union-attr]
    assert_no_key(repr(client), caplog.text)
    assert repr(client) == f"Client(base_url={server.base_url!r})"


def test_key_in_the_url_is_redacted_from_connection_errors(make: Make, closed_port: int) -> None:
    client, _ = make(f"http://127.0.0.1:{closed_port}/v1", retries=0)
    exchange = client.request("GET", f"/models?key={KEY}")
    assert_no_key(json.dumps(exchange.to_json()), exchange.error)


# --- retries --------------------------------------------------------------------------------------------


def test_503_then_200_is_retried_once(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url)
    exchange = client.request("POST", "/flaky", json={})
    assert exchange.response is not None and exchange.response.status == 200
    assert (exchange.attempts, sleeps, len(server.seen)) == (2, [0.5], 2)
    assert client.usage.requests == 2
    assert len(client.exchanges) == 1


def test_retries_are_bounded_and_a_last_transient_answer_is_not_judged(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url, retries=2)
    with pytest.raises(StillTransient, match=r"kept answering 503 to POST .*/busy \(3 attempts\)"):
        client.request("POST", "/busy", json={})
    exchange = client.exchanges[-1]  # recorded all the same: the certificate shows the attempts
    assert exchange.response is not None and exchange.response.status == 503
    assert (exchange.attempts, sleeps, len(server.seen)) == (3, [0.5, 1.0], 3)


def test_zero_retries_send_once(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url, retries=0)
    with pytest.raises(StillTransient):
        client.request("POST", "/busy")
    assert client.exchanges[-1].attempts == 1
    assert sleeps == [] and len(server.seen) == 1


def test_backoff_doubles_and_is_capped(make: Make) -> None:
    client, sleeps = make("http://h/v1", retries=7, transport=mock(lambda r: httpx.Response(503)))
    with pytest.raises(StillTransient):
        client.request("GET", "/x")
    assert client.exchanges[-1].attempts == 8
    assert sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]


def test_backoff_is_jittered_within_its_upper_half() -> None:
    draws = iter([0.0, 0.999, 0.5])
    policy = RetryPolicy(retries=3, jitter=lambda: next(draws))
    waits = [policy.delay(method="GET", retry_number=1, status=503) for _ in range(3)]
    assert waits == [0.5, pytest.approx(0.9995), 0.75]  # the ceiling is 1 s at the second retry


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_other_than_503_are_answers_not_retried(make: Make, status: int) -> None:
    client, sleeps = make("http://h/v1", retries=3, transport=mock(lambda r: httpx.Response(status)))
    assert (client.request("GET", "/x").attempts, sleeps) == (1, [])


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(make: Make, status: int) -> None:
    client, sleeps = make("http://h/v1", retries=3, transport=mock(lambda r: httpx.Response(status)))
    exchange = client.request("GET", "/x")
    assert (exchange.attempts, sleeps) == (1, [])


def test_404_from_a_real_server_is_not_retried(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url)
    exchange = client.request("GET", "/nowhere")
    assert exchange.response is not None and exchange.response.status == 404
    assert (exchange.attempts, sleeps, len(server.seen)) == (1, [], 1)


def test_retry_after_seconds_from_a_real_server(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url, retries=2)
    with pytest.raises(StillTransient, match="kept answering 429"):
        client.request("POST", "/limited", json={})
    assert sleeps == [3.0, 3.0]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "2.5"}, 2.5),
        ({"retry-after": "120"}, 30.0),
        ({"retry-after-ms": "90000"}, 30.0),
        ({"retry-after": "soon"}, 0.5),
        ({"retry-after": "-3"}, 0.5),
        ({"retry-after-ms": "x", "retry-after": "4"}, 4.0),
    ],
)
def test_retry_after_headers(make: Make, headers: dict[str, str], expected: float) -> None:
    client, sleeps = make(
        "http://h/v1", retries=1, transport=mock(lambda r: httpx.Response(429, headers=headers))
    )
    with pytest.raises(StillTransient):
        client.request("GET", "/x")
    assert sleeps == [expected]


def test_retry_after_http_date(make: Make) -> None:
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    client, sleeps = make(
        "http://h/v1", retries=1, transport=mock(lambda r: httpx.Response(503, headers={"retry-after": when}))
    )
    with pytest.raises(StillTransient):
        client.request("GET", "/x")
    assert len(sleeps) == 1 and 8.5 <= sleeps[0] <= 10.0


def test_retry_after_http_date_in_the_past_means_now(make: Make) -> None:
    when = "Wed, 21 Oct 2015 07:28:00 GMT"
    client, sleeps = make(
        "http://h/v1", retries=1, transport=mock(lambda r: httpx.Response(503, headers={"retry-after": when}))
    )
    with pytest.raises(StillTransient):
        client.request("GET", "/x")
    assert sleeps == [0.0]


# --- transport failures ---------------------------------------------------------------------------------


def test_connection_refused_gives_an_exchange_not_an_exception(make: Make, closed_port: int) -> None:
    seen: list[Exchange] = []
    client, sleeps = make(f"http://127.0.0.1:{closed_port}/v1", retries=2)
    client._on_exchange = seen.append
    exchange = client.request("POST", "/chat/completions", json={"model": "m"})
    assert exchange.response is None
    assert exchange.error.startswith("ConnectError: ") and "\n" not in exchange.error
    assert (exchange.attempts, sleeps) == (3, [0.5, 1.0])
    assert seen == client.exchanges == [exchange]
    assert exchange.to_json()["response"] is None


@pytest.mark.parametrize(
    "error",
    [httpx.ReadTimeout("timed out"), httpx.ConnectTimeout("timed out"), httpx.RemoteProtocolError("closed")],
)
def test_timeouts_and_dropped_connections_are_retried(make: Make, error: httpx.TransportError) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise error
        return httpx.Response(200, json={})

    client, sleeps = make("http://h/v1", transport=mock(handler))
    exchange = client.request("GET", "/x")
    assert exchange.response is not None and (exchange.attempts, sleeps) == (2, [0.5])


@pytest.mark.parametrize(
    ("error", "attempts"),
    [
        (httpx.ConnectError("refused"), 2),  # never sent: safe to send again
        (httpx.RemoteProtocolError("Server disconnected without sending a response."), 2),  # no answer at all
        (httpx.ReadTimeout("timed out"), 1),  # the server had it and may have created something: not resent
    ],
    ids=["not sent", "no answer", "timeout"],
)
def test_a_post_is_resent_only_when_the_server_cannot_have_processed_it(
    make: Make, error: httpx.TransportError, attempts: int
) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) == 1:
            raise error
        return httpx.Response(200, json={"id": "resp_1", "object": "response"})

    client, _ = make("http://h/v1", retries=2, transport=mock(handler))
    exchange = client.request("POST", "/responses", json={"model": "m", "input": "hi"})
    assert exchange.attempts == attempts == len(calls)
    if attempts == 1:
        assert exchange.response is None and "ReadTimeout" in exchange.error  # the case says so


def test_no_quota_stops_without_a_retry(make: Make) -> None:
    body = {"error": {"message": "You exceeded your current quota", "type": "insufficient_quota",
                      "code": "insufficient_quota"}}  # fmt: skip
    client, sleeps = make("http://h/v1", retries=3, transport=mock(lambda r: httpx.Response(429, json=body)))
    with pytest.raises(QuotaExhausted, match="insufficient_quota"):
        client.request("POST", "/chat/completions", json={})
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"retry-after": "7"}, 7.0),
        (503, {"retry-after-ms": "120000"}, 30.0),  # capped
        (429, {}, 0.5),  # no wait asked: the back-off
        (500, {"retry-after": "1"}, None),  # an answer, not a transient one
        (404, {}, None),
    ],
)
def test_the_policy_alone(status: int, headers: dict[str, str], expected: float | None) -> None:
    policy = RetryPolicy(retries=1, jitter=lambda: 1.0)
    assert policy.delay(method="POST", retry_number=0, status=status, headers=headers) == expected
    assert policy.delay(method="POST", retry_number=1, status=status, headers=headers) is None  # out of retries


def test_unretryable_transport_error_is_recorded_once(make: Make) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("Request URL has an unsupported protocol\n'ftp://'")

    client, sleeps = make("http://h/v1", transport=mock(handler))
    exchange = client.request("GET", "/x")
    assert exchange.error == "UnsupportedProtocol: Request URL has an unsupported protocol 'ftp://'"
    assert (exchange.attempts, sleeps) == (1, [])


def test_body_cut_after_the_status_keeps_what_arrived_and_is_not_retried(server: Server, make: Make) -> None:
    client, sleeps = make(server.base_url)
    exchange = client.request("POST", "/cut", json={})
    assert exchange.response is not None and exchange.response.status == 200
    assert exchange.response.body == b"data: partial\n\n"
    assert exchange.error.startswith("RemoteProtocolError: ")
    assert (exchange.attempts, sleeps) == (1, [])


def test_check_reachable_raises_one_line(make: Make, closed_port: int) -> None:
    client, _ = make(f"http://127.0.0.1:{closed_port}/v1")
    with pytest.raises(TargetUnreachable) as caught:
        client.check_reachable()
    message = str(caught.value)
    assert message == f"cannot reach http://127.0.0.1:{closed_port}/v1/models: connection refused"
    assert client.exchanges == []


def test_check_reachable_timeout_names_the_timeout(make: Make) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out")

    client, _ = make("http://h/v1", transport=mock(handler), connect_timeout=1.5)
    with pytest.raises(
        TargetUnreachable, match=r"^cannot reach http://h/v1/models: no connection within 1.5s$"
    ):
        client.check_reachable()


@pytest.mark.parametrize("base", ["/v1", "/elsewhere"])
def test_any_http_status_means_reachable(server: Server, make: Make, base: str) -> None:
    client, _ = make(server.base_url.removesuffix("/v1") + base)
    client.check_reachable()
    assert client.exchanges == []
    assert "authorization" not in server.seen[0][2]


# --- usage ----------------------------------------------------------------------------------------------


def test_usage_is_summed_from_json_bodies(server: Server, make: Make) -> None:
    client, _ = make(server.base_url)
    client.request("POST", "/chat/completions", json={})
    client.request("POST", "/responses", json={})
    client.request("GET", "/models")
    assert client.usage.to_json() == {
        "requests": 3,
        "prompt_tokens": 17,
        "completion_tokens": 8,
        "total_tokens": 25,
        # each endpoint's share, by the path below the API root: the reports sum them by feature
        "endpoints": {
            "POST /chat/completions": {"requests": 1, "prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            "POST /responses": {"requests": 1, "prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
            "GET /models": {"requests": 1, "prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
        },
        "units": {},
    }


def test_stream_body_is_kept_raw_and_its_usage_counted(server: Server, make: Make) -> None:
    client, _ = make(server.base_url)
    chat = client.request("POST", "/stream", json={"stream": True})
    responses = client.request("POST", "/responses-stream", json={"stream": True})
    assert chat.response is not None and chat.response.body == b"".join(SSE_CHAT)
    assert responses.response is not None and responses.response.body == b"".join(SSE_RESPONSES)
    assert {k: v for k, v in client.usage.to_json().items() if k != "endpoints"} == {
        "requests": 2, "prompt_tokens": 31, "completion_tokens": 10, "total_tokens": 41, "units": {}}  # fmt: skip


def test_stream_with_a_running_total_counts_the_last_usage_only(make: Make) -> None:
    body = b"".join(
        b'data: {"usage":{"prompt_tokens":5,"completion_tokens":%d,"total_tokens":%d}}\n\n' % (n, 5 + n)
        for n in (1, 2, 3)
    )
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
    client, _ = make("http://h/v1", transport=mock(lambda r: response))
    client.request("POST", "/x")
    assert {k: v for k, v in client.usage.to_json().items() if k != "endpoints"} == {
        "requests": 1,
        "prompt_tokens": 5,
        "completion_tokens": 3,
        "total_tokens": 8,
        "units": {},
    }


def test_usage_add_handles_every_shape() -> None:
    usage = TokenUsage()
    usage.add({"prompt_tokens": 3, "total_tokens": 3})  # embeddings
    usage.add({"input_tokens": 2, "output_tokens": 1})  # no total: computed
    usage.add({"prompt_tokens": "5", "completion_tokens": True, "total_tokens": -1, "input_tokens": None})
    assert usage.to_json() == {"requests": 0, "prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6,
                               "endpoints": {}, "units": {}}  # fmt: skip


def test_usage_by_feature_sums_endpoints_by_their_operation() -> None:
    endpoints = {
        "POST /chat/completions": {"requests": 2, "total_tokens": 30},
        "GET /chat/completions/chatcmpl-1": {"requests": 1, "total_tokens": 0},  # chat.store counts as chat
        "POST /responses": {"requests": 1, "total_tokens": 12},
        "DELETE /responses/resp_1": {"requests": 1, "total_tokens": 0},
        "GET /no-such-route": {"requests": 1, "total_tokens": 0},
    }
    assert usage_by_feature(endpoints) == {
        "chat": {"requests": 3, "total_tokens": 30},
        "other": {"requests": 1, "total_tokens": 0},
        "responses": {"requests": 2, "total_tokens": 12},
    }


def test_media_units_are_counted_from_successful_answers(make: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """What an image or audio answer spent (conformance.spend) is summed beside the tokens, by endpoint."""
    monkeypatch.setitem(spend.COUNTERS, "POST /images/{kind}", lambda e: {"images": len(e.response.json["data"])})
    monkeypatch.setitem(spend.COUNTERS, "POST /audio/transcriptions", lambda e: {"audio_seconds": -1, "bogus": 9})

    def answer(request: httpx.Request) -> httpx.Response:
        status = 400 if b"refuse" in request.content else 200
        return httpx.Response(status, json={"data": [{"b64_json": "x"}, {"b64_json": "y"}]})

    client, _ = make("http://h/v1", transport=mock(answer))
    client.request("POST", "/images/generations", json={})
    client.request("POST", "/images/edits", json={})
    client.request("POST", "/images/edits", json={"refuse": True})  # a 4xx is not billed
    client.request("POST", "/audio/transcriptions", json={})  # a negative or unknown unit is the server's junk
    usage = client.usage.to_json()
    assert usage["units"] == {"images": 4.0}
    assert usage["endpoints"]["POST /images/edits"]["images"] == 2.0
    assert "audio_seconds" not in usage["endpoints"]["POST /audio/transcriptions"]
    assert spend.describe({"audio_seconds": 3.5, "images": 4.0, "video_seconds": 0}) == "4 images, 3.5 s of audio"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
usage_keys = st.sampled_from(
    ["prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens", "other"]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(usage_keys, json_values))
def test_usage_add_never_fails_and_never_goes_negative(raw: dict[str, Any]) -> None:
    usage = TokenUsage()
    usage.add(raw)
    usage.add(raw, "POST /chat/completions")
    counts = [usage.to_json(), *usage.to_json()["endpoints"].values()]
    assert all(isinstance(v, int) and v >= 0 for c in counts for k, v in c.items() if k not in ("endpoints", "units"))


def test_usage_changed_names_only_the_endpoints_counted_since_the_last_call():
    usage = TokenUsage()
    usage.sent("POST /chat/completions", 1)
    usage.add({"prompt_tokens": 3, "completion_tokens": 2}, "POST /chat/completions")
    usage.sent("GET /models", 2)
    first = usage.changed()
    assert first == usage.to_json()  # everything was counted since the start
    usage.sent("GET /models", 1)
    second = usage.changed()
    assert second["endpoints"] == {"GET /models": {**usage.to_json()["endpoints"]["GET /models"]}}
    assert {k: v for k, v in second.items() if k != "endpoints"} == {
        k: v for k, v in usage.to_json().items() if k != "endpoints"}  # fmt: skip
    assert usage.changed()["endpoints"] == {}


def test_clients_share_one_tls_context_and_it_verifies():
    """The roots are loaded once per process (~15 ms a client otherwise), and the one context still verifies
    the server's certificate and its name, as httpx's default does."""
    import ssl

    from conformance.target import Target

    first, second = (Client(Target(base_url="https://127.0.0.1:9/v1")) for _ in range(2))
    contexts = [client._http._transport._pool._ssl_context for client in (first, second)]  # type: ignore[attr-defined]
    assert contexts[0] is contexts[1]
    assert contexts[0].verify_mode == ssl.CERT_REQUIRED and contexts[0].check_hostname
