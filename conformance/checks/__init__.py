"""Checks: plain functions over plain data, each deciding one requirement.

A check receives a subject (an `Exchange`, a `ChatStream`, or a small dataclass a case builds) and a `Context`,
and yields a `Violation` for each way the subject breaks its rule. It yields nothing when the rule holds, and
raises `NotApplicable` when the subject gives it nothing to judge. `judge` runs the checks for a list of
requirement ids and turns what they yield into `Observation`s; the requirement's level decides whether a
violation is a FAIL (MUST) or a WARN (SHOULD). Checks never see pytest or httpx, so they work on captured
traffic as well as inside a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange
from conformance.outcome import Failure, Observation, Status
from conformance.requirements import Level, requirement


class Violation(NamedTuple):
    """One way a subject breaks a rule: what was received against what was expected, and where.

    `exchange` names the exchange that shows it when the subject holds several (a walk, a set of probes).
    """

    message: str
    at: str = ""
    exchange: int | None = None


class Broken(Exception):
    """Raised inside a check when the answer is unusable for the rule (wrong status, no JSON): a violation."""

    def __init__(self, message: str, at: str = "") -> None:
        super().__init__(message)
        self.violation = Violation(message, at)


@dataclass(frozen=True)
class Context:
    """What a check may know besides its subject.

    `live` is true when the subject was just received (so timestamps can be compared with the clock);
    `expect` carries what the case asked for when the rule depends on it (e.g. the offending parameter).
    """

    mode: str = "compatible"
    live: bool = False
    now: float | None = None
    expect: Mapping[str, Any] = field(default_factory=dict)


CheckFunction = Callable[[Any, Context], Iterable[Violation]]
CHECKS: dict[str, CheckFunction] = {}
# Rules whose subject only its case can make (e.g. "this request has a wrong key, so 401"): run over captured
# traffic they would judge exchanges that never held the mistake.
CASE_BOUND: set[str] = set()


def check(requirement_id: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register `func` as the check that decides `requirement_id` (one check per requirement)."""

    def register(func: CheckFunction) -> CheckFunction:
        known = CHECKS.get(requirement_id)
        # The same function imported twice (a module re-imported after sys.modules was restored, as pytester's
        # in-process runs do) replaces itself; a second function for one requirement is a mistake.
        if known is not None and (known.__module__, known.__qualname__) != (func.__module__, func.__qualname__):
            raise ValueError(f"a check for {requirement_id!r} is already registered ({CHECKS[requirement_id]})")
        CHECKS[requirement_id] = func
        return func

    return register


def exchange_index(subject: Any) -> int | None:
    """The log index of the exchange a subject comes from: the subject itself, or its `exchange`."""
    exchange = subject if isinstance(subject, Exchange) else getattr(subject, "exchange", None)
    return exchange.index if isinstance(exchange, Exchange) else None


def exchange_indices(subject: Any) -> tuple[int, ...]:
    """The log indices of every exchange a subject holds: its own, or each of its `exchanges` (a batch)."""
    index = exchange_index(subject)
    if index is not None:
        return (index,)
    held = getattr(subject, "exchanges", ())
    return tuple(e.index for e in held if isinstance(e, Exchange) and e.index is not None)


def judge(
    subject: Any, requirement_ids: Sequence[str], ctx: Context | None = None, *, case: str = ""
) -> list[Observation]:
    """Run the check of each requirement over `subject`, one observation per requirement."""
    load_check_modules()
    ctx = ctx or Context()
    index = exchange_index(subject)
    exchanges = exchange_indices(subject)
    observations = []
    for rid in requirement_ids:
        req = requirement(rid)
        func = CHECKS.get(rid)
        if func is None:
            raise LookupError(f"no check is registered for requirement {rid!r}")
        try:
            violations = list(func(subject, ctx))
        except NotApplicable as exc:
            observations.append(Observation(rid, Status.SKIP, reason=str(exc), case=case))
            continue
        except Broken as exc:
            violations = [exc.violation]
        failures = tuple(
            Failure(rid, v.message, v.at, v.exchange if v.exchange is not None else index) for v in violations
        )
        # In strict mode a SHOULD violation fails like a MUST one (the `--mode strict` contract).
        failing = req.level is Level.MUST or ctx.mode == "strict"
        status = Status.PASS if not failures else Status.FAIL if failing else Status.WARN
        observations.append(Observation(rid, status, failures, case=case, exchanges=exchanges))
    return observations


def load_check_modules() -> None:
    # The check modules register themselves on import; importing them here keeps `judge` usable on its own.
    from conformance.checks import (  # noqa: F401
        chat,
        chat_stream,
        conversations,
        embeddings,
        errors,
        generated,
        models,
        pagination,
        responses,
        responses_stream,
    )


def first(items: Iterable[Violation], limit: int = 20) -> Iterator[Violation]:
    """At most `limit` violations, then one that counts the rest (a broken stream breaks a rule thousands of times)."""
    rest = 0
    for n, item in enumerate(items):
        if n < limit:
            yield item
        else:
            rest += 1
    if rest:
        yield Violation(f"Received: {rest} more violations of this rule (the first {limit} are shown)\nExpected: none")
