"""The upstream OpenAPI document (openai/openai-openapi), read at run time from a URL or a path, never stored.

Drift compares our schemas with it; the generated phase's upstream mode draws valid requests from it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import time
from pathlib import Path
from typing import Any

from conformance.exceptions import ConfigError
from conformance.retry import RetryPolicy, failure_of


def load_upstream(source: str, timeout: float = 60.0) -> dict[str, Any]:
    """The upstream OpenAPI document (JSON or YAML) from a URL or a path; anything else is a ConfigError."""
    return read_upstream(source, timeout)[0]


def read_upstream(source: str, timeout: float = 60.0) -> tuple[dict[str, Any], str]:
    """The upstream document and the sha256 of its text, which names the version a report compared against."""
    if source.startswith(("http://", "https://")):
        text = fetch(source, timeout)
    else:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"--upstream: cannot read {source}: {getattr(exc, 'strerror', None) or exc}") from None
    document = _parse(source, text)
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        raise ConfigError(f"--upstream: {source} is not an OpenAPI document (no `paths`)")
    return document, hashlib.sha256(text.encode("utf-8")).hexdigest()


def _parse(source: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as not_json:
        import yaml

        try:  # upstream publishes YAML; JSON is YAML too, but the JSON parser is far faster
            return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError as exc:
            raise ConfigError(f"--upstream: {source} is neither JSON ({not_json}) nor YAML ({exc})") from None


def fetch(url: str, timeout: float, policy: RetryPolicy | None = None) -> str:
    """GET a document, retried by the suite's one retry policy (GitHub rate-limits too)."""
    import httpx

    policy = policy or RetryPolicy()
    for retry_number in itertools.count():
        try:
            response = httpx.get(url, timeout=timeout, follow_redirects=True)
        except httpx.TransportError as exc:
            delay = policy.delay(method="GET", retry_number=retry_number, failure=failure_of(exc))
            if delay is None:
                raise ConfigError(f"--upstream: cannot fetch {url}: {type(exc).__name__}: {exc}") from None
        else:
            delay = policy.delay(
                method="GET", retry_number=retry_number, status=response.status_code, headers=response.headers
            )
            if delay is None:
                if response.status_code != 200:
                    raise ConfigError(f"--upstream: {url} answered {response.status_code}")
                return response.text
        time.sleep(delay)
    raise AssertionError("unreachable")
