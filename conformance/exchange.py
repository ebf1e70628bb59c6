"""Exchanges: one request and what came back, as frozen plain data, redacted when built.

Checks judge exchanges without ever seeing an HTTP library. Redaction happens here, once, at construction:
an `Exchange` that exists holds no secret, so nothing downstream (reports, allure attachments, reprs,
exception messages) can leak one.
"""

from __future__ import annotations

import functools
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from conformance import jsonvalue

REDACTED = "[REDACTED]"
# Headers whose whole value is a credential, whatever the key looks like.
SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "openai-api-key", "proxy-authorization"})
# A header is a secret when a word of its name is one of these: X-Gateway-Token, X-Api-Key, Set-Cookie.
# Whole words, so that x-ratelimit-remaining-tokens (evidence worth keeping) is not one.
_SECRET_WORDS = frozenset({"key", "apikey", "token", "secret", "password", "auth", "authorization", "cookie"})


@functools.lru_cache(maxsize=4096)  # asked of every header of every exchange; the names repeat
def is_sensitive_header(name: str) -> bool:
    """Whether a header's value is a secret: redacted in every record and report, refused in config files."""
    lowered = name.lower()
    return lowered in SECRET_HEADERS or bool(_SECRET_WORDS & set(lowered.replace("_", "-").split("-")))


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The secret values a request's headers carry (the credential after a scheme such as `Bearer`)."""
    out = []
    for name, value in headers.items():
        if is_sensitive_header(name) and value.strip():
            out.append(value.split(" ", 1)[1].strip() if " " in value.strip() else value.strip())
    return [s for s in out if len(s) >= 4]  # a secret of a few characters would blank out ordinary text


def redact_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """The headers with every credential replaced (a scheme such as `Bearer` is kept) and `secrets` removed."""
    secrets = tuple(secrets)
    return {name: _redacted(name, value, secrets) for name, value in headers.items()}


def _redacted(name: str, value: str, secrets: tuple[str, ...]) -> str:
    if is_sensitive_header(name):
        scheme = value.split(" ", 1)[0] if " " in value else ""
        value = f"{scheme} {REDACTED}".strip()
    return redact_text(value, secrets)


def _redacted_pairs(headers: Mapping[str, str], secrets: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The headers as lower-cased (name, value) pairs, redacted (`redact_headers`)."""
    return tuple((name, _redacted(name, value, secrets)) for name, value in
                 ((name.lower(), value) for name, value in headers.items()))  # fmt: skip


def _redact_bytes(body: bytes, secrets: Iterable[str]) -> bytes:
    for secret in secrets:
        if secret:
            body = body.replace(secret.encode(), REDACTED.encode())
    return body


def _json_or_none(body: bytes) -> Any:
    try:
        return jsonvalue.parse(body)
    except ValueError:  # UnicodeDecodeError is one
        return None


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, or None when the body is empty or not JSON."""
        return _json_or_none(self.body)

    def header(self, name: str) -> str | None:
        return _lookup(self.headers, name)

    def __repr__(self) -> str:
        return f"Request({self.method} {self.url}, body {_shown(self.body)})"


# What a report shows as text even when it is not valid UTF-8: a server's JSON or stream with a broken byte is
# evidence, kept as it is (the broken bytes replaced).
_TEXT_TYPES = ("application/json", "text/", "application/x-ndjson")


def without_media(raw: bytes, content_type: str) -> bytes:
    """`raw` with the bytes of media (audio, images, video: anything not UTF-8 that is no JSON or text) named by
    their size instead of spelled out: in a report they are unreadable, and a 64 kB WAV spelled out with
    replacement characters is 300 kB of JSON. The parts of a multipart upload are judged one by one, so its text
    fields (`model`, `purpose`) stay."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "multipart/form-data" and (boundary := _boundary(content_type)):
        delimiter = b"--" + boundary
        return delimiter.join(_part_without_media(part) for part in raw.split(delimiter))
    if not raw or media_type.startswith(_TEXT_TYPES) or _is_utf8(raw):
        return raw
    return f"[{len(raw):,} bytes of {media_type or 'an unnamed type'}, not text]".encode()


def _part_without_media(part: bytes) -> bytes:
    head, separator, payload = part.partition(b"\r\n\r\n")
    if not separator or _is_utf8(payload):
        return part
    ending = b"\r\n" if payload.endswith(b"\r\n") else b""
    size = len(payload) - len(ending)
    return head + separator + f"[{size:,} bytes, not text]".encode() + ending


def _boundary(content_type: str) -> bytes | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"').encode("latin-1", "replace")
    return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _lookup(headers: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The value of header `name` (any case) among lower-cased pairs, or None."""
    name = name.lower()
    for key, value in headers:
        if key == name:
            return value
    return None


def _shown(body: bytes, limit: int = 200) -> str:
    """A body in a repr or a message: its size and its start (a server may send megabytes)."""
    if not body:
        return "empty"
    start = body[:limit].decode("utf-8", "replace")
    return f"{len(body)} bytes: {start}" + ("..." if len(body) > limit else "")


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    elapsed: float = 0.0

    @cached_property
    def json(self) -> Any:
        """The parsed JSON body, or None when the body is empty or not JSON."""
        return _json_or_none(self.body)

    def header(self, name: str) -> str | None:
        return _lookup(self.headers, name)

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";", 1)[0].strip().lower()

    def __repr__(self) -> str:
        return f"Response({self.status}, {self.content_type or 'no content-type'}, body {_shown(self.body)})"


@dataclass(frozen=True)
class Exchange:
    """A redacted request and its response (None when the connection failed: `error` says how)."""

    request: Request
    response: Response | None
    error: str = ""
    index: int | None = None
    attempts: int = 1
    started: float = 0.0
    notes: tuple[str, ...] = field(default=())
    bound: str = ""  # the bound at which the client stopped reading the answer (an endless stream, a huge body)

    @classmethod
    def build(
        cls,
        *,
        method: str,
        url: str,
        request_headers: Mapping[str, str],
        request_body: bytes,
        status: int | None,
        response_headers: Mapping[str, str] | None = None,
        response_body: bytes = b"",
        elapsed: float = 0.0,
        error: str = "",
        secrets: Iterable[str] = (),
        index: int | None = None,
        attempts: int = 1,
        started: float = 0.0,
        notes: tuple[str, ...] = (),
        bound: str = "",
    ) -> Exchange:
        """Build an exchange, removing every secret from headers, bodies, the URL and the error text."""
        # The values of the request's secret headers are secrets too: a server may echo them anywhere.
        secrets = tuple(s for s in (*secrets, *header_secrets(request_headers)) if s)
        request = Request(
            method=method.upper(),
            url=redact_text(url, secrets),
            headers=_redacted_pairs(request_headers, secrets),
            body=_redact_bytes(request_body, secrets),
        )
        response = None
        if status is not None:
            response = Response(
                status=status,
                headers=_redacted_pairs(response_headers or {}, secrets),
                body=_redact_bytes(response_body, secrets),
                elapsed=elapsed,
            )
        return cls(request, response, redact_text(error, secrets), index, attempts, started, notes, bound)

    @property
    def ok_json(self) -> Any:
        """The parsed body of a 200 answer; None for any other answer, no answer, or a body that is not JSON."""
        return self.response.json if self.response is not None and self.response.status == 200 else None

    def to_json(self, body_limit: int = 64_000) -> dict[str, Any]:
        """A JSON-ready record for reports; bodies longer than `body_limit` bytes are cut, and say so."""

        def body(raw: bytes, headers: tuple[tuple[str, str], ...]) -> str:
            raw = without_media(raw, (_lookup(headers, "content-type") or ""))
            text = raw[:body_limit].decode("utf-8", "replace")
            return text + (f"... [{len(raw) - body_limit} more bytes]" if len(raw) > body_limit else "")

        record: dict[str, Any] = {
            "index": self.index,
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": dict(self.request.headers),
                "body": body(self.request.body, self.request.headers),
            },
            "response": None,
            "error": self.error,
            "attempts": self.attempts,
        }
        if self.notes:
            record["notes"] = list(self.notes)
        if self.bound:
            record["bound"] = self.bound
        if self.response is not None:
            record["response"] = {
                "status": self.response.status,
                "headers": dict(self.response.headers),
                "body": body(self.response.body, self.response.headers),
                "elapsed": round(self.response.elapsed, 4),
            }
        return record

    def trimmed(self, limit: int) -> Exchange:
        """The same exchange with each body cut to `limit` bytes (what a report can show of it), saying so."""
        cut = [part for part in (self.request.body, self.response.body if self.response else b"") if len(part) > limit]
        if not cut:
            return self
        response = self.response
        if response is not None and len(response.body) > limit:
            response = replace(response, body=response.body[:limit])
        note = f"bodies of over {limit} bytes are kept cut to {limit} in the run's log"
        return replace(
            self, request=replace(self.request, body=self.request.body[:limit]), response=response,
            notes=(*self.notes, note),
        )  # fmt: skip

    def curl(self) -> str:
        """A shell line that reproduces the request; the key is read from the environment, never written."""
        return curl_line(self.to_json())


_CURL_HEADERS = frozenset({"content-type", "accept", "openai-organization", "openai-project", "openai-beta"})


def curl_line(record: Mapping[str, Any]) -> str:
    """A shell line that reproduces the request of an exchange record; the key comes from the environment."""
    request = record.get("request") or {}
    method, url = str(request.get("method") or "GET"), str(request.get("url") or "")
    parts = ["curl", "-sS", "-X", shlex.quote(method), shlex.quote(url)]
    for name, value in (request.get("headers") or {}).items():
        name = str(name).lower()
        if is_sensitive_header(name):
            parts.append(
                '-H "Authorization: Bearer $OPENAI_API_KEY"'
                if name == "authorization"
                else f'-H "{name}: $OPENAI_API_KEY"'
            )
        elif name in _CURL_HEADERS:
            parts.append("-H " + shlex.quote(f"{name}: {value}"))
    body = request.get("body") or ""
    if body:
        multipart = str((request.get("headers") or {}).get("content-type", "")).startswith("multipart/")
        # --data-binary sends a multipart body byte for byte (its CR LF line ends included)
        parts.append(("--data-binary " if multipart else "-d ") + shlex.quote(str(body)))
    return " ".join(parts)


# What a terminal, XML 1.0 or a Markdown viewer must not get raw from a server: C0 controls (ESC starts ANSI
# sequences) but tab and newline, DEL and C1 controls, lone surrogates, and the two non-characters XML refuses.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Server-controlled text made safe to show: every unprintable character written as its escape (`\x1b`)."""
    return _UNPRINTABLE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def excerpt(data: Any, limit: int = 300) -> str:
    """At most `limit` characters of `data` (as compact JSON when it is not text), saying how long it was."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"
