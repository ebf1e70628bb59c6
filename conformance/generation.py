"""The generated phase's engine: requests drawn from `schemas/openapi.json` by schemathesis and hypothesis.

The OpenAPI document wires each operation to the schema files; this module reads that wiring (`operations()`),
asks schemathesis for a hypothesis strategy per operation and mode, and runs it under a fixed budget and seed.
Sending is the caller's: a case hands in a function that sends one request through the suite's own client, so
generated exchanges are recorded, redacted and counted like every other.

Hypothesis never sees a failure: every example is sent and kept, and the checks judge them afterwards. So there
is nothing to shrink, and the examples of a run depend only on the seed and the budget.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import multiprocessing
import pickle
import re
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from conformance import draw_cache, schemas
from conformance.schemas import SCHEMAS_DIR

R = TypeVar("R")
T = TypeVar("T")
Mode = Literal["positive", "negative"]
MODES: tuple[Mode, ...] = ("positive", "negative")
OPENAPI = "openapi.json"

DEFAULT_EXAMPLES = 10
DEFAULT_SEED = 0
DEFAULT_RESPONSE_TIME_LIMIT = 30.0
# Requests of one operation in flight at once: a slow server's latency overlaps, the real API's rate limits are
# met by the retry policy (a 429 waits and is sent again), and every answer is judged as in a serial run.
DEFAULT_CONCURRENCY = 4
EXTRA = "oai-conformance[generated]"


def missing_engine() -> str | None:
    """Why the generated phase cannot run in this environment (its extra is not installed), or None."""
    missing = [name for name in ("schemathesis", "hypothesis") if importlib.util.find_spec(name) is None]
    if not missing:
        return None
    return f"the generated phase needs {' and '.join(missing)}, which the suite installs apart: pip install '{EXTRA}'"


@dataclass(frozen=True)
class GenerationSettings:
    """The cost and reproducibility knobs: examples per operation and mode, the seed, the response-time bound."""

    examples: int = DEFAULT_EXAMPLES
    seed: int = DEFAULT_SEED
    response_time_limit: float = DEFAULT_RESPONSE_TIME_LIMIT
    concurrency: int = DEFAULT_CONCURRENCY
    upstream: str | None = None  # an upstream OpenAPI document to draw valid requests from too (a path or URL)
    draws: Path | None = None  # the folder of the draws kept (conformance.draw_cache); None: drawn every time


def generation_settings(
    *,
    examples: str | None = None,
    seed: str | None = None,
    response_time_limit: str | None = None,
    concurrency: str | None = None,
    upstream: str | None = None,
    draws: str | None = None,
    prefix: str = "--",
) -> GenerationSettings:
    """The settings from option values (strings, None = not given); a wrong one is a one-line ConfigError."""
    from conformance.exceptions import ConfigError

    def number(name: str, value: str | None, kind: type, default: Any, least: float) -> Any:
        if value is None:
            return default
        try:
            parsed = kind(value)
        except ValueError:
            what = "an integer" if kind is int else "a number"
            raise ConfigError(f"{prefix}{name}: {value!r} is not {what}") from None
        if parsed < least:
            raise ConfigError(f"{prefix}{name}: {value!r} is below {least:g}")
        return parsed

    return GenerationSettings(
        examples=number("examples", examples, int, DEFAULT_EXAMPLES, 1),
        seed=number("seed", seed, int, DEFAULT_SEED, 0),
        response_time_limit=number(
            "response-time-limit", response_time_limit, float, DEFAULT_RESPONSE_TIME_LIMIT, 0.001
        ),
        concurrency=number("concurrency", concurrency, int, DEFAULT_CONCURRENCY, 1),
        upstream=upstream or None,
        draws=None if draws == draw_cache.OFF else Path(draws) if draws else draw_cache.default_folder(),
    )


@dataclass(frozen=True)
class Operation:
    """One operation of the OpenAPI document, with the schema names its requests and answers are judged by."""

    method: str  # "POST"
    path: str  # "/chat/completions", relative to the API root (/v1 included)
    feature: str  # the feature the operation belongs to (x-oai-feature)
    request_schema: str | None  # "chat.completion.request"; None: the operation has no body
    response_schema: str  # the 200 application/json body: "chat.completion"; "" when the answer is not JSON
    event_schema: str | None  # each event of a 200 text/event-stream: "chat.completion.chunk"
    error_schema: str  # the body of every error status: "error"
    path_parameters: tuple[str, ...] = ()
    # The path parameters that name one object, with the kind of object (x-oai-created-by): conformance.provision
    # creates one of each before the operation's requests are drawn.
    created_by: tuple[tuple[str, str], ...] = ()
    # False where no request may be drawn (x-oai-generate): it would destroy what the run did not make.
    generate: bool = True
    multipart: bool = False  # the body is multipart/form-data (an upload), not JSON

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def modes(self) -> tuple[Mode, ...]:
        # Negative mode needs an input that can be wrong. A path parameter cannot (any text is a possible id, and
        # a wrong one is a 404 the errors cases already ask for), and the auth header is the client's.
        return MODES if self.request_schema is not None else ("positive",)


def _schema_name(ref: str) -> str:
    return ref.split("#", 1)[0].removesuffix(".json")


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow one local `#/components/...` ref (the document's shared error response)."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = document
    for part in ref[2:].split("/"):
        target = target[part]
    return target


@functools.cache
def document() -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / OPENAPI).read_text(encoding="utf-8"))


@functools.cache
def operations() -> tuple[Operation, ...]:
    """Every operation of the document, in document order."""
    doc = document()
    out = []
    for path, item in doc["paths"].items():
        for method, spec in item.items():
            responses = {code: _resolve(doc, r) for code, r in spec["responses"].items()}
            ok = next(r for code, r in responses.items() if code.startswith("2")).get("content", {})
            stream = ok.get("text/event-stream", {}).get("x-oai-item-schema")
            media, body = next(
                ((m, c.get("schema")) for m, c in spec.get("requestBody", {}).get("content", {}).items()),
                ("application/json", None),
            )
            error = next(r for code, r in responses.items() if code.startswith("4"))
            path_parameters = [p for p in spec.get("parameters", []) if p["in"] == "path"]
            out.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    feature=spec["x-oai-feature"],
                    request_schema=_schema_name(body["$ref"]) if body else None,
                    response_schema=_schema_name(ok["application/json"]["schema"]["$ref"])
                    if "application/json" in ok
                    else "",  # never JSON (speech: audio bytes)
                    event_schema=_schema_name(stream["$ref"]) if stream else None,
                    error_schema=_schema_name(error["content"]["application/json"]["schema"]["$ref"]),
                    path_parameters=tuple(p["name"] for p in path_parameters),
                    created_by=tuple(
                        (p["name"], p["x-oai-created-by"]) for p in path_parameters if "x-oai-created-by" in p
                    ),
                    generate=spec.get("x-oai-generate", True),
                    multipart=media == "multipart/form-data",
                )
            )
    return tuple(out)


@functools.cache
def _openapi() -> Any:
    import schemathesis

    # An explicit default configuration: a schemathesis.toml in the user's folder must not change what is sent.
    return schemathesis.openapi.from_path(SCHEMAS_DIR / OPENAPI, config=schemathesis.Config())


@functools.cache
def _upstream_openapi(source: str) -> tuple[Any, dict[str, Any]]:
    """schemathesis' view of an upstream document and its paths; a wrong source is a one-line ConfigError."""
    import schemathesis

    from conformance.upstream import load_upstream

    document = load_upstream(source)
    return schemathesis.openapi.from_dict(document, config=schemathesis.Config()), document["paths"]


def check_upstream(source: str) -> None:
    """Read the upstream document now, so that a wrong path or URL stops the run before any request."""
    _upstream_openapi(source)


_PARAMETER = re.compile(r"\{([^}]+)\}")


def _upstream_operation(operation: Operation, source: str) -> tuple[Any, dict[str, str]] | None:
    """Upstream's operation of the same method and path (its parameters may be named otherwise), and the name
    upstream gives each of ours; None when upstream has no such operation."""
    schema, paths = _upstream_openapi(source)
    shape = _PARAMETER.sub("{}", operation.path)
    for path, item in paths.items():
        if _PARAMETER.sub("{}", path) == shape and isinstance(item, dict) and operation.method.lower() in item:
            names = dict(zip(_PARAMETER.findall(operation.path), _PARAMETER.findall(path), strict=True))
            return schema[path][operation.method.lower()], names
    return None


def upstream_has(operation: Operation, source: str) -> bool:
    return _upstream_operation(operation, source) is not None


# Query parameters that name an object (a page's cursor): like a path id, a drawn one names nothing, and the API
# answers it 400, so an upstream request goes without them.
CURSORS = frozenset({"after", "before"})


def _upstream_query(operation: Operation, query: dict[str, Any]) -> dict[str, Any] | None:
    """An upstream-drawn query as sent: without cursors; None when a value breaks a bound our schema documents
    for that parameter (upstream leaves out what the docs say, e.g. `limit` 1..100, and the API enforces it)."""
    import jsonschema

    ours = {p["name"]: p.get("schema", {}) for p in document()["paths"][operation.path][operation.method.lower()]
            .get("parameters", []) if p["in"] == "query"}  # fmt: skip
    kept = {name: value for name, value in query.items() if name not in CURSORS}
    for name, value in kept.items():
        if name in ours and not jsonschema.Draft202012Validator(ours[name]).is_valid(value):
            return None
    return kept


def _unique(requests: list[Request]) -> list[Request]:
    """The requests without repeats: an operation with nothing to draw is drawn the same each time, and a repeated
    DELETE or cancel would be refused for what the first one did."""
    seen: set[str] = set()
    out = []
    for request in requests:
        key = repr((request.method, request.path, request.body, sorted(request.query.items()), request.files))
        if key not in seen:
            seen.add(key)
            out.append(request)
    return out


@dataclass(frozen=True)
class Request:
    """What to send for one generated case: the path with its parameters filled in, and the body's bytes."""

    method: str
    path: str
    body: bytes | None
    query: dict[str, Any]
    # A multipart body instead: (field, value) pairs as httpx sends them (see `multipart_fields`).
    files: list[tuple[str, Any]] | None = None


def multipart_fields(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """A drawn (and shaped) multipart body as httpx's `files`: a file is drawn as bytes (schemathesis wraps them
    in a `str` subclass with `.data`) or shaped into a (filename, bytes, content type) tuple; a list repeats its
    field; any other value is sent as text (JSON for what is not a string)."""
    fields: list[tuple[str, Any]] = []
    for name, value in body.items():
        for one in value if isinstance(value, list) else [value]:
            data = getattr(one, "data", one)
            if isinstance(one, tuple):
                fields.append((name, one))
            elif isinstance(data, bytes):
                fields.append((name, (name, data, "application/octet-stream")))
            else:
                fields.append((name, (None, one if isinstance(one, str) else json.dumps(one))))
    return fields


# One draw at a time: cases that run ahead (conformance/readahead.py) draw from threads, and hypothesis' state,
# and the literals left out while drawing (_without_local_constants), are the process's.
_DRAWING = threading.Lock()


def draw_requests(
    operation: Operation,
    mode: Mode,
    settings: GenerationSettings,
    *,
    shape: Callable[[Any], Any],
    path_parameters: dict[str, str] | None = None,
    upstream: str | None = None,
    shaped_by: Any = None,
    ids: dict[str, str] | None = None,
) -> list[Request]:
    """Run schemathesis' strategy for `operation` in `mode`: up to `settings.examples` requests, in draw order.

    `shape(body)` makes a generated body cheap and within the API's cross-parameter rules; it returns the body
    to send, or `REJECT` when the shaped body no longer is what the mode asks for (hypothesis then draws again).
    Nothing is sent while drawing (`send_all` does): what is drawn depends only on the seed and the budget.
    With `upstream`, the requests are drawn from that document's operation of the same method and path instead
    of ours (none when it has no such operation).

    `shaped_by` (JSON-able) is everything `shape` depends on besides the body: given it, the draw is kept in
    `settings.draws` and read from there by a run that draws the same (conformance.draw_cache). `ids` maps the
    stand-ins that `path_parameters` and `shape` were given for the objects the run made to their ids, put in the
    requests after drawing (or later: `with_ids`).
    """
    kept = draw_cache.DrawCache(settings.draws) if settings.draws and shaped_by is not None and not upstream else None
    digest = _digest(operation, mode, settings, path_parameters, shaped_by) if kept else ""
    records = kept.get(digest) if kept else None
    if records is not None:
        drawn = [Request(**record) for record in records]
    else:
        # Started ahead, else started now in a drawing process (when the shape pickles), else drawn here.
        started = _AHEAD.pop(digest, None) if digest else None
        if started is None and not upstream:
            started = _start_apart(operation, mode, settings, shape, path_parameters)
        apart = _result(started) if started is not None else None
        if apart is not None:
            drawn = apart
        else:
            with _DRAWING:
                drawn = _draw(operation, mode, settings, shape, path_parameters, upstream)
        if kept:
            kept.put(digest, [vars(request) for request in drawn])
    return with_ids(drawn, ids) if ids else drawn


# Drawing apart. Hypothesis' engine is most of a first run's CPU (~15 of ~25 s against the reference server), and in
# the run's process it holds the interpreter lock that judging needs. A shape that pickles (a functools.partial of a
# module-level function, as the generated case gives) is drawn in processes of their own, started at the first draw
# that is not kept and kept for the next; the same function with the same seed draws the same there (the literals
# of loaded modules are left out in every process: _without_local_constants). Any other shape, or a pool that
# cannot start, draws here, one draw at a time. A run starts its generated phase's draws as it starts
# (`draw_ahead`, called by the plugin once the session's cases are collected): the hand-written cases, which come
# first, take the run's process while the drawing processes take the other cores (a first run: 12.6 s against 14.7).
DRAWING_PROCESSES = 2
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _start_apart(
    operation: Operation,
    mode: Mode,
    settings: GenerationSettings,
    shape: Callable[[Any], Any],
    path_parameters: dict[str, str] | None,
) -> Future[list[Request]] | None:
    """The draw, started in a drawing process; None when it cannot be (a lambda or a closure is drawn here)."""
    pool = _drawing_pool() if _pickles(shape) else None
    if pool is None:
        return None
    return pool.submit(_draw_in_a_drawing_process, operation, mode, settings, shape, path_parameters, None)


def _pickles(shape: Callable[[Any], Any]) -> bool:
    try:
        pickle.dumps(shape)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


def _drawing_pool() -> ProcessPoolExecutor | None:
    """The drawing processes, started now unless they are already; None when they cannot be."""
    global _pool
    with _pool_lock:
        if _pool is None:
            try:
                # The run's process checks the schema files; its drawing processes only read them.
                _pool = ProcessPoolExecutor(DRAWING_PROCESSES, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=schemas.checked_elsewhere)  # fmt: skip
            except (OSError, ValueError):
                return None
        return _pool


def _draw_in_a_drawing_process(*args: Any) -> list[Request]:
    """`_draw`, looked up in the drawing process (a test's stand-in for `_draw` in this one stays in this one)."""
    return _draw(*args)


def stop_drawing_apart() -> None:
    """End the drawing processes (a session's end; the next draw that needs one starts them again)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
        _AHEAD.clear()
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _digest(operation: Operation, mode: Mode, settings: GenerationSettings, path_parameters: dict[str, str] | None,
            shaped_by: Any) -> str:  # fmt: skip
    return draw_cache.key(operation=operation.label, mode=mode, seed=settings.seed, examples=settings.examples,
                          path_parameters=path_parameters, shaped_by=shaped_by)  # fmt: skip


# Draws started ahead (`draw_ahead`), by digest, until their case takes them.
_AHEAD: dict[str, Future[list[Request]]] = {}


def draw_ahead(
    operation: Operation,
    mode: Mode,
    settings: GenerationSettings,
    *,
    shape: Callable[[Any], Any],
    path_parameters: dict[str, str] | None,
    shaped_by: Any,
) -> None:
    """Start in the drawing processes the draw that `draw_requests` with the same arguments will ask for, unless it
    is kept: the run's first cases then overlap the drawing of its last ones."""
    if not settings.draws or shaped_by is None:
        return
    digest = _digest(operation, mode, settings, path_parameters, shaped_by)
    if digest in _AHEAD or draw_cache.DrawCache(settings.draws).has(digest):
        return
    started = _start_apart(operation, mode, settings, shape, path_parameters)
    if started is not None:
        _AHEAD[digest] = started


def _result(future: Future[list[Request]]) -> list[Request] | None:
    try:
        return future.result()
    except BrokenProcessPool:
        stop_drawing_apart()
        return None


def with_ids(requests: list[Request], ids: dict[str, str]) -> list[Request]:
    """The requests with each stand-in of `ids` replaced by the id of the object it stands for."""
    return [Request(r.method, *(draw_cache.put_ids(part, ids) for part in (r.path, r.body, r.query, r.files)))
            for r in requests]  # fmt: skip


def _draw(
    operation: Operation,
    mode: Mode,
    settings: GenerationSettings,
    shape: Callable[[Any], Any],
    path_parameters: dict[str, str] | None,
    upstream: str | None,
) -> list[Request]:
    import hypothesis
    from hypothesis import HealthCheck, Phase, given, seed
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.core import NOT_SET

    source = _openapi()[operation.path][operation.method.lower()]
    if upstream is not None:
        found = _upstream_operation(operation, upstream)
        if found is None:
            return []
        source, names = found
        path_parameters = {names.get(k, k): v for k, v in path_parameters.items()} if path_parameters else None
    strategy = source.as_strategy(generation_mode=GenerationMode(mode), path_parameters=path_parameters)

    def run(draw_seed: int, examples: int) -> None:
        seed(draw_seed)(hypothesis.settings(one_settings, max_examples=examples)(given(case=strategy)(one)))()

    one_settings = hypothesis.settings(
        max_examples=settings.examples,
        database=None,
        deadline=None,
        derandomize=False,  # the seed decides, and stays the user's to change
        phases=(Phase.generate,),  # nothing fails inside hypothesis, so nothing to shrink or replay
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )

    def one(case: Any) -> None:
        body, files = None, None
        query = dict(case.query or {})
        if upstream is not None:
            # The API reads a body where ours requires one, whatever upstream says of it.
            hypothesis.assume(operation.request_schema is None or case.body is not NOT_SET)
            kept = _upstream_query(operation, query)
            hypothesis.assume(kept is not None)
            query = kept or {}
        if operation.request_schema is not None and case.body is not NOT_SET:
            shaped = shape(case.body)
            hypothesis.assume(shaped is not REJECT)
            if operation.multipart and isinstance(shaped, dict):
                files = multipart_fields(shaped)
            else:
                body = shaped if isinstance(shaped, bytes) else json.dumps(shaped).encode()
        drawn.append(Request(case.method.upper(), case.formatted_path, body, query, files))

    drawn: list[Request] = []
    with _without_local_constants(), contextlib.suppress(Unsatisfiable):
        # Unsatisfiable: no example fitted the mode; the checks see none
        on_a_roomy_stack(run, settings.seed, settings.examples)
    return drawn if upstream is None else _unique(drawn)


def _call(function: Callable[..., T], args: tuple[Any, ...]) -> T:
    return function(*args)


# CPython 3.11 and 3.12 (and 3.13 before its fix) keep no spare chunk of the frame stack (python/cpython#142183):
# when the frame that opened a chunk returns, the chunk goes back to the system, and the next call past that depth
# maps a new one. Hypothesis' deep recursion goes back and forth across such an edge tens of thousands of times a
# draw: ~18% of a draw's CPU (benchmarks/drawing.py), all its system time (mmap, munmap, their page faults). A frame
# with room for 40,000 locals opens a chunk whose rest holds any draw's frames.
_ROOMY_FRAME = types.FunctionType(
    _call.__code__.replace(
        co_varnames=_call.__code__.co_varnames + tuple(f"_{i}" for i in range(40_000)),
        co_nlocals=_call.__code__.co_nlocals + 40_000,
    ),
    {},
    "on_a_roomy_stack",
)


def on_a_roomy_stack(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)`, called from a frame that leaves it a chunk of the frame stack to itself."""
    return cast(T, _ROOMY_FRAME(function, args))


def send_all(requests: list[R], send: Callable[[R], T], concurrency: int) -> list[T]:
    """`send` each request, up to `concurrency` at once; the results in the requests' order, as a serial run
    would give them (the requests of one operation do not depend on each other)."""
    if concurrency <= 1 or len(requests) <= 1:
        return [send(r) for r in requests]
    from concurrent.futures import ThreadPoolExecutor

    from conformance.retry import StillTransient

    def attempt(request: R) -> tuple[T | None, StillTransient | None]:
        try:
            return send(request), None
        except StillTransient as still:
            return None, still

    with ThreadPoolExecutor(max_workers=min(concurrency, len(requests)), thread_name_prefix="oai-send") as pool:
        attempts = list(pool.map(attempt, requests))
    # A request the server kept answering 429/503 while others were in flight is sent once more, alone: a rate
    # limit met by several requests at once is no reason to lose the example (alone again, the case is an ERROR).
    out: list[T] = []
    for request, (value, still) in zip(requests, attempts, strict=True):
        out.append(send(request) if still is not None else cast(T, value))
    return out


@contextlib.contextmanager
def _without_local_constants() -> Iterator[None]:
    """Draw without the literals of the local modules loaded so far.

    Hypothesis (6.13x and later) mixes string and number literals found in the user's loaded modules into what it
    draws. Which modules are loaded differs between a serial run and an xdist worker, so the same seed would send
    different requests. That pool is internal to hypothesis; if it moves, this does nothing and the test that
    compares serial and parallel runs says so.
    """
    try:
        from hypothesis.internal.conjecture import providers

        original = providers._get_local_constants
        cache = providers.CONSTANTS_CACHE.cache
        empty = providers.Constants()
    except (ImportError, AttributeError):  # pragma: no cover - a hypothesis without the pool
        yield
        return
    providers._get_local_constants = lambda: empty
    cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.clear()


REJECT: Any = object()
