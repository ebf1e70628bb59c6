"""What a check is: a plain function over plain data that yields the ways its subject breaks one rule.

A check receives a subject (an `Exchange`, a `ChatStream`, or a small dataclass a case builds) and a `Context`,
and yields a `Violation` for each way the subject breaks its rule. It yields nothing when the rule holds, and
raises `NotApplicable` when the subject gives it nothing to judge. `@check("id")` registers it; the judgement
(`conformance.judgement.judge`) runs it and decides what its violations mean. Checks never see pytest or
httpx, so they work on captured traffic as well as inside a run.

Every requirement id is written literally in the module of the check that decides it (`@check("a.b.c")`), so
that grep finds a rule's code; `oai-conformance requirements --format json` names each id's check too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple


class Violation(NamedTuple):
    """One way a subject breaks a rule: what was received against what was expected, and where.

    `exchange` names the exchange that shows it when the subject holds several (a walk, a set of probes);
    `hint` says when the evidence fits an API that moved on rather than a broken server (see `drift_hint`).
    """

    message: str
    at: str = ""
    exchange: int | None = None
    hint: str = ""


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


def check(*requirement_ids: str, case_bound: bool = False) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check of each of `requirement_ids` (one check per requirement;
    one function may decide the same rule for several endpoints, as the pagination invariants do)."""

    def register(func: CheckFunction) -> CheckFunction:
        for requirement_id in requirement_ids:
            known = CHECKS.get(requirement_id)
            # The same function imported twice (a module re-imported after sys.modules was restored, as
            # pytester's in-process runs do) replaces itself; a second function for one requirement is a mistake.
            if known is not None and (known.__module__, known.__qualname__) != (func.__module__, func.__qualname__):
                raise ValueError(f"a check for {requirement_id!r} is already registered ({known})")
            CHECKS[requirement_id] = func
            if case_bound:
                CASE_BOUND.add(requirement_id)
        return func

    return register


def check_name(requirement_id: str) -> str:
    """`module.function` of the check that decides `requirement_id` (empty when none is registered)."""
    func = CHECKS.get(requirement_id)
    return f"{func.__module__}.{func.__qualname__}" if func is not None else ""


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
