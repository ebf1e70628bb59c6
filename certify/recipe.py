"""What every server module provides: how to install it, and how to start it on a port.

A server module (`certify/servers/<name>.py`) holds its `Recipe`s: name, pinned version, the features and model
ids it is certified with, an `install()` that fills its cache folder once, and a `launch()` that says how to start
it from that folder on a given port (for a proxy, routed to an upstream server started first).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

KEY_ENV = "OAI_CONFORMANCE_SERVER_KEY"  # the variable that holds the key the server is started with


@dataclass(frozen=True)
class Launch:
    """How to start an installed server: command, environment, where to ask whether it is ready."""

    command: list[str]
    env: Mapping[str, str]
    base_url: str  # the API root handed to `oai-conformance run --base-url`
    ready_url: str  # answers 200 once the server can take requests
    ready_timeout: float = 120.0
    cwd: Path | None = None
    ready_headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Upstream:
    """A server started first, for a proxy to route to: where it listens, its key, its model ids."""

    base_url: str
    key: str
    models: Mapping[str, str]


@dataclass(frozen=True)
class Recipe:
    name: str  # the folder docs/compatibility/<name>/ and the --name of the run
    version: str  # the pinned version: the cache key and the matrix row
    features: tuple[str, ...]  # what the server claims (--features)
    models: Mapping[str, str]  # --model ROLE=ID
    install: Callable[[], Path]  # builds the cache folder once; returns it
    launch: Callable[[Path, int, str, Upstream | None], Launch]  # (cache folder, port, key, upstream) -> Launch
    notes: str = ""  # one line for the matrix: how the server was configured
    upstream: Recipe | None = None  # a server to start first (a proxy's backend), handed to `launch`
    workers: int = 2  # the run's --workers: cases in parallel (1 for a server whose cases would collide)
    run_options: tuple[str, ...] = ()  # more options of the run (a slow model's longer timeouts)

    @property
    def cache_key(self) -> str:
        return f"{self.name}-{self.version}"
