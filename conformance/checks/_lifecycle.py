"""The subject of rules about a stored object over several requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from conformance.exceptions import NotApplicable
from conformance.exchange import Exchange


@dataclass(frozen=True)
class Lifecycle:
    """What a case did with one stored object: created it, then each later step as (what, exchange).

    Steps are named by the case ("retrieve", "delete", "retrieve-deleted", "continue", "poll", ...). A rule
    reads the steps it needs and is not applicable when the case made none.
    """

    created: Exchange
    steps: tuple[tuple[str, Exchange], ...] = ()
    exchanges: tuple[Exchange, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "exchanges", (self.created, *(e for _, e in self.steps)))

    def step(self, name: str) -> Exchange:
        found = [e for what, e in self.steps if what == name]
        if not found:
            raise NotApplicable(f"the case made no {name!r} step")
        return found[-1]

    def all(self, name: str) -> list[Exchange]:
        return [e for what, e in self.steps if what == name]
