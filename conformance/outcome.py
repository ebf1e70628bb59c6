"""Outcomes: what a run concludes about each requirement, and the evidence.

This module is the leaf of the flow: plain data, no imports from the rest of the package.

- A `Failure` is one violation of one requirement, with its evidence.
- An `Observation` is one judgement of one requirement by one check in one case.
- An `Outcome` folds every observation of a requirement in a run into one status.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    NOT_CLAIMED = "not-claimed"
    ERROR = "error"


# When several observations of one requirement disagree, the worst wins.
_SEVERITY = [Status.NOT_CLAIMED, Status.SKIP, Status.PASS, Status.WARN, Status.FAIL, Status.ERROR]


@dataclass(frozen=True)
class Failure:
    """One violation: the rule's id, what was received against what was expected, and where.

    `at` is a JSON path (`$.choices[0].delta`) or a stream position (`event 3`); `exchange` is the index of the
    exchange in the run's log, so a report can link the failure to the redacted request and response.
    """

    requirement: str
    message: str
    at: str = ""
    exchange: int | None = None

    def __str__(self) -> str:
        where = f" at {self.at}" if self.at else ""
        return f"{self.requirement}{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"requirement": self.requirement, "message": self.message, "at": self.at, "exchange": self.exchange}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Failure:
        return cls(data["requirement"], data["message"], data.get("at", ""), data.get("exchange"))


@dataclass(frozen=True)
class Observation:
    """One judgement of one requirement: PASS, FAIL, WARN (a SHOULD missed), SKIP or NOT_CLAIMED."""

    requirement: str
    status: Status
    failures: tuple[Failure, ...] = ()
    reason: str = ""
    case: str = ""
    exchanges: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "status": self.status.value,
            "failures": [f.to_json() for f in self.failures],
            "reason": self.reason,
            "case": self.case,
            "exchanges": list(self.exchanges),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Observation:
        return cls(
            requirement=data["requirement"],
            status=Status(data["status"]),
            failures=tuple(Failure.from_json(f) for f in data.get("failures", [])),
            reason=data.get("reason", ""),
            case=data.get("case", ""),
            exchanges=tuple(data.get("exchanges", [])),
        )


@dataclass(frozen=True)
class Outcome:
    """Every observation of one requirement in a run, folded into one status."""

    requirement: str
    status: Status
    observations: tuple[Observation, ...] = field(default=())

    @property
    def failures(self) -> tuple[Failure, ...]:
        return tuple(f for o in self.observations for f in o.failures)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.reason for o in self.observations if o.reason))


def fold(requirement: str, observations: Iterable[Observation]) -> Outcome:
    """The outcome of a requirement: the worst status observed; SKIP when it was never observed."""
    seen = tuple(observations)
    if not seen:
        return Outcome(requirement, Status.SKIP)
    worst = max((o.status for o in seen), key=_SEVERITY.index)
    return Outcome(requirement, worst, seen)
