"""The HTTP client: sends requests to the target and records every exchange, redacted, in order.

Connection failures are outcomes, not exceptions: a check that provokes a server into dropping the
connection gets an `Exchange` whose `error` says so. Only `check_reachable` raises, once, before a run,
so a wrong URL ends the run with one line instead of a report full of identical failures.

The API key is read from the settings at each request and handed to `Exchange.build` as a secret; it is
never stored on the client, so no repr, log line or exception message can carry it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpcore
import httpx

from conformance.exceptions import ConfigError, TargetUnreachable, one_line
from conformance.exchange import Exchange, redact_text
from conformance.ledger import Ledger
from conformance.retry import Failure, RetryPolicy, StillTransient, failure_of, transient
from conformance.spend import spent
from conformance.sse import parse_events

log = logging.getLogger(__name__)

# The bounds of one answer, whatever the server sends: past one, the connection is closed and what arrived is
# kept as the evidence (the time bound is the target's `answer_time_limit`, headers included). The suite's own
# requests are small: its answers are kilobytes, so these bounds only ever stop a broken or hostile server.
BODY_LIMIT = 8 * 1024 * 1024  # bytes
EVENT_LIMIT = 10_000  # server-sent events (counted by their blank-line ends)
# The administration API: requests below it carry the admin key, not the API key.
ADMIN_ROOT = "/organization"
# What the run's log keeps of each body once its case has judged it: the reports show at most this much.
LOGGED_BODY = 64_000
# The Assistants API answers only requests that name its version, as the official SDKs do (DECISIONS.md:
# assistants-beta-header): every request to these paths carries it.
BETA_PATHS = ("assistants", "threads")
ASSISTANTS_BETA = "assistants=v2"


# The beta families, by path prefix: the `OpenAI-Beta` header the official SDKs send on each of their requests (the
# API may refuse a request without it), sent by every request of the run, the ledger's clean-up included.
BETA_HEADERS = {"/chatkit/": "chatkit_beta=v1"}


def _beta_header(path: str) -> dict[str, str]:
    path = "/" + path.lstrip("/")
    return next(({"openai-beta": beta} for prefix, beta in BETA_HEADERS.items() if path.startswith(prefix)), {})


# A credential an answer hands out (a ChatKit session's `client_secret`, which authenticates a ChatKit UI): redacted
# from the record like the API key, so that no report shows it.
_CLIENT_SECRET = re.compile(rb'"client_secret"\s*:\s*"([^"\\]{8,})"')


def _answered_secrets(body: bytes) -> tuple[str, ...]:
    if b"client_secret" not in body:  # the answers that carry none, nearly all, are not searched
        return ()
    return tuple(match.decode("utf-8", "replace") for match in _CLIENT_SECRET.findall(body))


class _Deadline(threading.local):
    """When the answer being read must have ended (a monotonic time), per thread; None when no request is."""

    at: float | None = None


class _DeadlineStream:
    """A connection whose reads stop at the deadline: httpx's read timeout restarts at every byte, so a server
    that trickles its headers one byte a second would otherwise hold a request for hours."""

    def __init__(self, stream: Any, deadline: _Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._deadline.at is not None:
            left = self._deadline.at - time.monotonic()
            if left <= 0:
                raise httpcore.ReadTimeout("the answer did not end within the answer time limit")
            timeout = left if timeout is None else min(timeout, left)
        return bytes(self._stream.read(max_bytes, timeout))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _DeadlineBackend(httpcore.SyncBackend):
    def __init__(self, deadline: _Deadline) -> None:
        self._deadline = deadline

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        return _DeadlineStream(super().connect_tcp(*args, **kwargs), self._deadline)


class ClientSettings(Protocol):
    """What the client needs from a target; read-only, so a frozen dataclass satisfies it."""

    @property
    def base_url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def connect_timeout(self) -> float: ...
    @property
    def read_timeout(self) -> float: ...
    @property
    def retries(self) -> int: ...
    @property
    def answer_time_limit(self) -> float: ...
    def api_key(self) -> str | None: ...


COUNTS = ("requests", "prompt_tokens", "completion_tokens", "total_tokens")


@dataclass
class TokenUsage:
    """Tokens billed over a run, so a run against a paid API states its cost; also per endpoint (the method and
    the path below the API root, "POST /chat/completions"), which the reports group by feature."""

    requests: int = 0  # HTTP requests sent, retries included: the client counts them, not `add`
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    endpoints: dict[str, dict[str, int]] = field(default_factory=dict)
    units: dict[str, float] = field(default_factory=dict)  # what media spent besides tokens (conformance.spend)
    # The endpoints counted since the last `changed()`: a run takes what each case spent from a few of ~200.
    _changed: set[str] = field(default_factory=set, init=False, repr=False, compare=False)

    def sent(self, endpoint: str, attempts: int) -> None:
        self.requests += attempts
        self._at(endpoint)["requests"] += attempts

    def _at(self, endpoint: str) -> dict[str, int]:
        self._changed.add(endpoint)
        return self.endpoints.setdefault(endpoint, dict.fromkeys(COUNTS, 0))

    def add(self, usage: Mapping[str, Any], endpoint: str = "") -> None:
        """Add one `usage` object: chat/embeddings names (prompt_tokens) or Responses names (input_tokens).

        Values that are not non-negative integers are ignored: the usage comes from the server under test.
        """
        prompt = _count(usage.get("prompt_tokens"))
        if prompt is None:
            prompt = _count(usage.get("input_tokens"))
        completion = _count(usage.get("completion_tokens"))
        if completion is None:
            completion = _count(usage.get("output_tokens"))
        total = _count(usage.get("total_tokens"))
        if total is None:
            total = (prompt or 0) + (completion or 0)
        self.prompt_tokens += prompt or 0
        self.completion_tokens += completion or 0
        self.total_tokens += total
        if endpoint:
            counts = self._at(endpoint)
            counts["prompt_tokens"] += prompt or 0
            counts["completion_tokens"] += completion or 0
            counts["total_tokens"] += total

    def spend(self, endpoint: str, units: Mapping[str, float]) -> None:
        """Add the non-token units one answer spent (images, seconds of audio or video)."""
        counts: dict[str, Any] = self._at(endpoint)
        for unit, amount in units.items():
            self.units[unit] = self.units.get(unit, 0) + amount
            counts[unit] = counts.get(unit, 0) + amount

    def to_json(self) -> dict[str, Any]:
        return self._json(self.endpoints)

    def changed(self) -> dict[str, Any]:
        """`to_json()` with only the endpoints counted since the last call."""
        changed, self._changed = self._changed, set()
        return self._json(changed)

    def _json(self, endpoints: Iterable[str]) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in COUNTS},
                "endpoints": {e: dict(self.endpoints[e]) for e in endpoints}, "units": dict(self.units)}  # fmt: skip


@functools.cache
def _tls_context() -> Any:
    """httpx's default TLS verification (certifi's roots, or SSL_CERT_FILE/SSL_CERT_DIR), made once per process:
    loading the roots costs ~15 ms, and a run makes a client per target and session (a pytest plugin's in-process
    runs, many). An SSLContext is safe to share between clients and threads."""
    return httpx.create_ssl_context()


def _admin_key(settings: ClientSettings) -> str | None:
    admin = getattr(settings, "admin_key", None)
    return admin() if callable(admin) else None


def _keys(settings: ClientSettings) -> tuple[str, ...]:
    """Every key the settings hold (the API key, and the admin key when the settings have one): each is
    redacted from every record, whichever was sent."""
    return tuple(k for k in (settings.api_key(), _admin_key(settings)) if k)


def _count(value: Any) -> int | None:
    # bool is an int subclass; `true` is junk here, not one token.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


class _RedactLogs(logging.Filter):
    """Removes a client's keys from httpx and httpcore log records.

    At DEBUG, httpcore logs raw response headers: a server that echoes the key it was sent would put the
    key in a log line. A logger's filters do not see its children's records, hence one per logger.
    """

    LOGGERS = ("httpx", "httpcore.connection", "httpcore.http11", "httpcore.http2", "httpcore.proxy")

    def __init__(self, settings: ClientSettings) -> None:
        super().__init__()
        self._settings = settings
        self._local = threading.local()  # requests of one client may be in flight on several threads

    @property
    def literal(self) -> str:
        """The wrong key this thread's request is sending, while it is in flight."""
        return getattr(self._local, "literal", "")

    @literal.setter
    def literal(self, value: str) -> None:
        self._local.literal = value

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message, (*_keys(self._settings), self.literal))
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def remove(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


@dataclass
class _Attempt:
    started: float
    status: int | None = None
    headers: httpx.Headers | None = None
    body: bytes = b""
    elapsed: float = 0.0
    error: str = ""
    failure: Failure | None = None  # how it failed before an answer arrived
    bound: str = ""  # the bound that stopped reading the answer


class Client:
    """Sends requests to one target; every request becomes an `Exchange` in `exchanges`."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = "oai-conformance/0.1",
        policy: RetryPolicy | None = None,
        in_flight: int | None = None,
    ) -> None:
        """`in_flight`: the most requests this client has on the wire at once, whatever number of threads send
        through it (the run's `--concurrency`: cases read ahead and generated examples share it); None: no bound."""
        self._settings = settings
        self._width = in_flight or 0
        self._places = threading.BoundedSemaphore(in_flight) if in_flight else None
        self._taking_all = threading.Lock()  # one request at a time takes every place (a retry: `_every_place`)
        self._policy = policy or RetryPolicy(retries=settings.retries)
        self._base_url = settings.base_url.rstrip("/")
        self._on_exchange = on_exchange
        self._sleep = sleep
        self._user_agent = user_agent
        self.exchanges: list[Exchange] = []
        self.usage = TokenUsage()
        self.ledger = Ledger(urlsplit(self._base_url).path)
        self._http = httpx.Client(
            transport=transport,
            verify=_tls_context(),
            timeout=httpx.Timeout(
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.connect_timeout,
            ),
            follow_redirects=False,
        )
        # What httpx.Client.build_request would add (its default headers, its timeouts): the request is built
        # here, without the client's merging of cookies and parameters, which no request of a run uses.
        self._default_headers = {**dict(self._http.headers.items()), "user-agent": user_agent}
        self._timeouts = self._http.timeout.as_dict()
        self._deadline = _Deadline()
        self._recording = threading.Lock()
        pool = getattr(self._http._transport, "_pool", None)
        if transport is None and isinstance(pool, httpcore.ConnectionPool):
            # httpx has no public hook for the network backend; its pool's is replaced once, here.
            pool._network_backend = _DeadlineBackend(self._deadline)
        self._log_filter = _RedactLogs(settings)
        self._log_filter.install()

    def __repr__(self) -> str:
        return f"Client(base_url={self._base_url!r})"

    def usage_changed(self) -> dict[str, Any]:
        """What the run has spent so far, with only the endpoints counted since the last call (`usage.changed()`),
        read whole while other threads send."""
        with self._recording:
            return self.usage.changed()

    @property
    def settings(self) -> ClientSettings:
        """What the client was configured with (conformance.websocket opens its sessions with it)."""
        return self._settings

    def log(self, *, secrets: tuple[str, ...] = (), **exchange: Any) -> Exchange:
        """Record an exchange the client did not send itself (a WebSocket session, conformance.websocket) in the
        log, numbered and with every secret removed, as `request` records its own."""
        key = self._settings.api_key()
        with self._recording:
            built = Exchange.build(**exchange, secrets=(*secrets, *((key,) if key else ())),
                                   index=len(self.exchanges))  # fmt: skip
            self.exchanges.append(built.trimmed(LOGGED_BODY))
        if self._on_exchange is not None:
            self._on_exchange(built)
        return built

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._log_filter.remove()
        self._http.close()

    def url(self, path: str) -> str:
        """The absolute URL of an API path: "/models" -> base_url + "/models"."""
        return f"{self._base_url}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        api_key: str | Literal[True] | None = True,
        params: Mapping[str, Any] | None = None,
        files: Sequence[tuple[str, Any]] | None = None,
        admin: bool | None = None,
    ) -> Exchange:
        """Send one request (retrying transient answers: `conformance.retry`) and record it; transport failures
        come back as `error`. Raises StillTransient (after recording the exchange) when the last attempt was
        still transient, and QuotaExhausted on 429 insufficient_quota.

        api_key: True sends the configured key (if any), None sends no Authorization header, a string sends
        that literal instead (a wrong key); either way every key involved is redacted from the record.
        `content` sends raw bytes as application/json, to test how a server handles a malformed body.
        `files` sends a multipart/form-data body: (field, value) pairs as httpx takes them, a file being
        (filename, bytes, content type) and a plain field (None, text).
        `admin` sends the admin key (the administration API's) where api_key=True would send the API key; None
        decides by the path: the routes below /organization take the admin key (ADMIN_ROOT).
        """
        if sum(x is not None for x in (json, content, files)) > 1:
            raise TypeError("request() takes one of json, content or files")
        if admin is None:
            admin = f"/{path.lstrip('/')}".startswith(ADMIN_ROOT + "/")
        key = _admin_key(self._settings) if admin else self._settings.api_key()
        secrets = tuple(s for s in (*_keys(self._settings), api_key if isinstance(api_key, str) else None) if s)
        send_key = (key or None) if api_key is True else api_key
        # Names lower-cased as they are merged: "User-Agent" from a check replaces ours, never doubles it.
        merged = dict(self._default_headers)
        merged.update((name.lower(), value) for name, value in self._settings.headers.items())
        merged.update(_beta_header(path))
        if send_key is not None:
            merged["authorization"] = f"Bearer {send_key}"
        if content is not None:
            merged["content-type"] = "application/json"
        if path.lstrip("/").startswith(BETA_PATHS):
            merged["openai-beta"] = ASSISTANTS_BETA
        # Per-request headers win over everything, so a check can send a malformed Authorization itself.
        merged.update((name.lower(), value) for name, value in (headers or {}).items())
        if merged.get("openai-beta") == "":
            del merged["openai-beta"]  # a case that asks for no beta header at all (assistants.beta-header.required)
        request = httpx.Request(method, self.url(path), json=json, content=content, headers=merged, params=params,
                                files=files, extensions={"timeout": self._timeouts})  # fmt: skip
        request.read()  # a multipart body is a stream until read: the record needs its bytes

        attempts = 0
        self._log_filter.literal = api_key if isinstance(api_key, str) else ""
        alone = contextlib.ExitStack()
        try:
            while True:
                attempts += 1
                attempt = self._send_in_place(request) if attempts == 1 else self._send(request)
                delay = self._policy.delay(
                    method=request.method,
                    retry_number=attempts - 1,
                    status=attempt.status,
                    headers=attempt.headers or {},
                    body=attempt.body,
                    failure=attempt.failure,
                )
                if delay is None:
                    break
                log.info(
                    "retrying %s %s after %s in %.2fs",
                    request.method,
                    redact_text(str(request.url), secrets),
                    attempt.status or attempt.error.split(":", 1)[0],
                    delay,
                )
                self._sleep(delay)
                if attempts == 1:
                    # After the first wait the retries go alone, holding every place until the last one ends: a
                    # rate limit (or a reset) met with several requests in flight is not met again because of them.
                    alone.enter_context(self._every_place())
        finally:
            alone.close()
            self._log_filter.literal = ""
        endpoint = f"{method.upper()} {self.ledger.relative(str(request.url))}"
        with self._recording:  # one index per exchange, and the counts, when requests are sent from threads
            return self._record(request, attempt, attempts, endpoint, secrets, method)

    def _record(
        self, request: httpx.Request, attempt: _Attempt, attempts: int, endpoint: str, secrets: tuple[str, ...],
        method: str,
    ) -> Exchange:  # fmt: skip
        self.usage.sent(endpoint, attempts)
        exchange = Exchange.build(
            method=request.method,
            url=str(request.url),
            request_headers=request.headers,
            request_body=request.content,
            status=attempt.status,
            response_headers=attempt.headers,
            response_body=attempt.body,
            elapsed=attempt.elapsed,
            error=attempt.error,
            secrets=(*secrets, *_answered_secrets(attempt.body)),
            index=len(self.exchanges),
            attempts=attempts,
            started=attempt.started,
            bound=attempt.bound,
        )
        # Only a POST generates (and is billed): a retrieved response repeats the usage it was billed for.
        if exchange.response is not None and method.upper() == "POST":
            self._add_usage(exchange, endpoint)
        # The log keeps what the reports can show: a run of many large answers must not hold them all.
        self.exchanges.append(exchange.trimmed(LOGGED_BODY))
        self.ledger.observe(exchange)
        if self._on_exchange is not None:
            self._on_exchange(exchange)
        # A 429 or 503 after the last retry says nothing about the rule the case checks. (A connection that
        # fails on every attempt is returned: dropping it is the server's finding, e.g. connection.intact.)
        if transient(attempt.status, attempt.body):
            raise StillTransient(
                f"the server kept answering {attempt.status} to {request.method} {exchange.request.url} "
                f"({attempts} attempts)"
            )
        return exchange

    def check_reachable(self) -> None:
        """Raise TargetUnreachable (one line) unless the server answers GET /models with any HTTP status, and
        ConfigError when it answers 404 there but the same URL with `/v1` answers: the base URL lacks its /v1
        (every request would 404, and the certificate would blame the server for the user's mistake).

        No key sent, nothing recorded: this asks whether anything listens, not whether it conforms.
        """
        url = self.url("/models")
        if self._probe(url) != 404:
            return
        base = url.removesuffix("/models")
        if base.endswith("/v1"):
            return
        if self._probe(f"{base}/v1/models", quiet=True) not in (None, 404):
            raise ConfigError(f"--base-url: {base} answers 404 on GET /models but {base}/v1 answers: use {base}/v1")

    def _probe(self, url: str, *, quiet: bool = False) -> int | None:
        """The status of GET `url`; None when `quiet` and nothing answers, else TargetUnreachable."""
        try:
            with self._http.stream("GET", url, headers={"user-agent": self._user_agent}) as response:
                return response.status_code
        except httpx.TransportError as exc:
            if quiet:
                return None
            reason = _reason(exc, self._settings)
            raise TargetUnreachable(redact_text(f"cannot reach {url}: {reason}", _keys(self._settings))) from None

    def _send_in_place(self, request: httpx.Request) -> _Attempt:
        """`_send` holding a place on the wire (`in_flight` bounds them): the first attempt of a request."""
        if self._places is None:
            return self._send(request)
        with self._places:
            return self._send(request)

    @contextlib.contextmanager
    def _every_place(self) -> Iterator[None]:
        """Every place on the wire: the retries of a request go alone."""
        if self._places is None:
            yield
            return
        taken = 0
        try:
            with self._taking_all:  # two takers each holding some places would wait for each other
                for _ in range(self._width):
                    self._places.acquire()
                    taken += 1
            yield
        finally:
            for _ in range(taken):
                self._places.release()

    def _send(self, request: httpx.Request) -> _Attempt:
        attempt = _Attempt(started=time.time())
        clock = time.perf_counter()
        limit = self._settings.answer_time_limit
        self._deadline.at = time.monotonic() + limit
        try:
            # Straight to the transport httpx.Client picks for the URL (a proxy's, when the environment names
            # one): the client's layer around it would only keep cookies, and a run sends each request exactly as
            # its case built it (a Set-Cookie answered to one case must not change what the next one sends);
            # it cost ~50 us of each request (issue 23: a judged request within 1.2x of a plain one).
            response = self._http._transport_for_url(request.url).handle_request(request)
        except httpx.TransportError as exc:
            attempt.error = one_line(exc, kind=True)
            attempt.failure = failure_of(exc)
            if time.monotonic() >= self._deadline.at:
                attempt.bound = f"no answer within {limit:g} s (answer time limit)"
            self._deadline.at = None
            return attempt
        attempt.status = response.status_code
        attempt.headers = response.headers
        chunks: list[bytes] = []
        size = events = 0
        try:
            # iter_bytes undoes content-encoding only: the body stays bytes, as the server framed it. Each read
            # waits at most the read timeout; the bounds below hold the whole answer, however it trickles.
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                events += chunk.count(b"\n\n") + chunk.count(b"\r\n\r\n")
                seconds = time.perf_counter() - clock
                if seconds > limit:
                    attempt.bound = f"the answer did not end within {limit:g} s (answer time limit): {events} events"
                elif size > BODY_LIMIT:
                    attempt.bound = f"the answer passed {BODY_LIMIT} bytes (body limit) after {seconds:.1f} s"
                elif events > EVENT_LIMIT:
                    attempt.bound = f"the stream passed {EVENT_LIMIT} events (event limit) after {seconds:.1f} s"
                if attempt.bound:
                    attempt.error = f"stopped reading: {attempt.bound}"
                    break
        except httpx.TransportError as exc:
            # The status already arrived: a stream cut mid-body is a finding about the server, kept with
            # the bytes that did arrive, and not retried (the server may have billed the tokens).
            attempt.error = one_line(exc, kind=True)
            if time.monotonic() >= self._deadline.at:
                seconds = time.perf_counter() - clock
                attempt.bound = f"the answer did not end within {limit:g} s (answer time limit): {events} events"
                attempt.error = f"stopped reading after {seconds:.1f} s: {attempt.bound}"
        finally:
            self._deadline.at = None
            response.close()
        attempt.body = b"".join(chunks)
        attempt.elapsed = time.perf_counter() - clock
        return attempt

    def _add_usage(self, exchange: Exchange, endpoint: str) -> None:
        response = exchange.response
        assert response is not None
        if response.content_type == "text/event-stream":
            usage = _stream_usage(response.body)
        else:
            body = response.json
            usage = body.get("usage") if isinstance(body, dict) else None
        if isinstance(usage, Mapping):
            self.usage.add(usage, endpoint)
        if units := spent(endpoint, exchange):
            self.usage.spend(endpoint, units)


def _stream_usage(body: bytes) -> Any:
    """The last usage object in a stream.

    The last, not the sum: OpenAI sends usage once (chat's final chunk, Responses' response.completed),
    but some servers repeat a running total in every chunk, which a sum would count many times over.
    """
    usage = None
    for event in parse_events(body)[0]:
        try:
            data = event.json()
        except ValueError:
            continue
        if not isinstance(data, dict):
            continue
        response = data.get("response")
        found = data.get("usage")
        if found is None and isinstance(response, dict):
            found = response.get("usage")
        if isinstance(found, dict):
            usage = found
    return usage


def _reason(exc: httpx.TransportError, settings: ClientSettings) -> str:
    """A short human reason: "connection refused", not "ConnectError: [Errno 111] Connection refused"."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"no connection within {settings.connect_timeout:g}s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"no response within {settings.read_timeout:g}s"
    detail = re.sub(r"^\[Errno -?\d+\]\s*", "", " ".join(str(exc).split()))
    return (detail[:1].lower() + detail[1:]) if detail else type(exc).__name__
