"""The judgement: what a result means, decided in one place, and how checks are run to reach it.

- A check (`conformance.checks.*`, registered with `@check`) yields `Violation`s; `judge` runs the checks of the
  requirements a case decides and makes one `Observation` per requirement, with a `Failure` per violation.
- What an observation's status is: a violation of a MUST rule is FAIL, of a SHOULD rule WARN (FAIL in strict
  mode); a check that finds nothing to judge is SKIP; a check that crashes is ERROR (never a quiet skip); a
  requirement of a feature the target does not claim is NOT_CLAIMED, with one reason text.
- An `Outcome` folds every observation of a requirement in a run into one status: the worst.
- Which statuses fail a run (`FAILING`) and which depart from the API (`DEPARTING`) are named here and only here;
  the reports, comparisons and expectations ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

# Importing the check modules registers their checks: the registry is complete once this module is loaded.
from conformance.checks import (  # noqa: F401
    admin,
    assistants,
    audio,
    batches,
    chat,
    chat_store,
    chat_stream,
    chatkit,
    completions,
    containers,
    conversations,
    embeddings,
    errors,
    evals,
    files,
    fine_tuning,
    generated,
    graders,  # graders (seed 000's /v1/graders)
    images,
    models,
    moderations,
    pagination,
    realtime,  # transports
    realtime_session,  # transports
    responses,
    responses_socket,  # transports
    responses_stream,
    uploads,
    vector_stores,
    videos,
    voice_consents,  # audio: voice consents
    webhooks,  # transports
)
from conformance.checks.rule import CHECKS, Broken, Context
from conformance.exceptions import NotApplicable, one_line
from conformance.exchange import Exchange
from conformance.requirements import Level, feature_claimed, features, requirement


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    NOT_CLAIMED = "not-claimed"
    ERROR = "error"


STATUSES = tuple(s.value for s in Status)
# When several observations of one requirement disagree, the worst wins.
SEVERITY = (Status.NOT_CLAIMED, Status.SKIP, Status.PASS, Status.WARN, Status.FAIL, Status.ERROR)
# What makes a run not conformant: a requirement that failed, or that could not be judged because a case or a
# check crashed. (A SHOULD violation is WARN unless the mode is strict, where `violated` makes it FAIL.)
FAILING = frozenset({Status.FAIL, Status.ERROR})
# Where a server departs from the API (what expectations list, what a comparison calls a failure or warning).
DEPARTING = frozenset({Status.FAIL, Status.WARN, Status.ERROR})
# The reason of a claimed requirement that no case judged (a `-k` selection, a case that skipped before it).
NOT_RUN = "not run"


def failing(status: str) -> bool:
    """Whether a requirement with this status (a `Status` or its value, as in results.json) fails the run."""
    return status in FAILING  # a StrEnum member equals its value


def departs(status: str) -> bool:
    """Whether this status departs from the API: a failure, a warning or an error."""
    return status in DEPARTING


def worst(statuses: Iterable[str]) -> Status:
    """The most severe of `statuses` (SKIP when there are none)."""
    return max((Status(s) for s in statuses), key=SEVERITY.index, default=Status.SKIP)


def violated(level: Level, mode: str) -> Status:
    """The status of a requirement its check found violated: FAIL for MUST (and for SHOULD in strict mode)."""
    return Status.FAIL if level is Level.MUST or mode == "strict" else Status.WARN


def not_claimed_reason(feature: str) -> str:
    known = features().get(feature)
    if known is not None and known.cost == "costly":
        return f"feature {feature!r} is not claimed (costly: name it in --features, or pass --allow-costly)"
    return f"feature {feature!r} is not claimed"


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
    hint: str = ""  # the evidence may fit an API that moved on (a new enum value, say): see checks.evidence

    def __str__(self) -> str:
        where = f" at {self.at}" if self.at else ""
        return f"{self.requirement}{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        record = {"requirement": self.requirement, "message": self.message, "at": self.at, "exchange": self.exchange}
        return record | ({"hint": self.hint} if self.hint else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Failure:
        return cls(data["requirement"], data["message"], data.get("at", ""), data.get("exchange"), data.get("hint", ""))


@dataclass(frozen=True)
class Observation:
    """One judgement of one requirement: PASS, FAIL, WARN (a SHOULD missed), SKIP, NOT_CLAIMED or ERROR."""

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
    return Outcome(requirement, worst(o.status for o in seen), seen)


def nothing_judged(observations: Sequence[Observation]) -> str:
    """Why a run judged nothing (every requirement it reached was not claimed or skipped), or "" when it did."""
    if any(o.status not in (Status.SKIP, Status.NOT_CLAIMED) for o in observations):
        return ""
    unclaimed = len({o.requirement for o in observations if o.status is Status.NOT_CLAIMED})
    skipped = len({o.requirement for o in observations if o.status is Status.SKIP})
    return (
        f"of the requirements its cases decide, {unclaimed} belong to features not claimed and {skipped} were "
        "skipped; claim their features (--features) or select other cases (-k)"
    )


def not_claimed(requirement_id: str, case: str = "", reason: str | None = None) -> Observation:
    """The observation of a requirement whose feature the target does not claim (no request was sent for it);
    `reason` replaces the usual one (an administration feature without its admin key names the variable)."""
    return Observation(
        requirement_id,
        Status.NOT_CLAIMED,
        reason=reason or not_claimed_reason(requirement(requirement_id).feature),
        case=case,
    )


# Running the checks ---------------------------------------------------------------------------------------------


def judge(
    subject: Any,
    requirement_ids: Sequence[str],
    ctx: Context | None = None,
    *,
    case: str = "",
    claims: frozenset[str] | None = None,
) -> list[Observation]:
    """Run the check of each requirement over `subject`: one observation per requirement.

    `claims` are the target's claimed features (None: all); a requirement of an unclaimed feature is
    NOT_CLAIMED and its check does not run.
    """
    ctx = ctx or Context()
    index = _exchange_index(subject)
    exchanges = _exchange_indices(subject)
    observations = []
    for rid in requirement_ids:
        req = requirement(rid)
        if not feature_claimed(req.feature, claims):
            observations.append(not_claimed(rid, case))
            continue
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
        except Exception as exc:  # a check that crashes on an answer judges nothing: an error, never a pass
            reason = f"the check crashed: {one_line(exc, kind=True)}"
            observations.append(Observation(rid, Status.ERROR, reason=reason, case=case, exchanges=exchanges))
            continue
        failures = tuple(
            Failure(rid, v.message, v.at, v.exchange if v.exchange is not None else index, v.hint) for v in violations
        )
        status = violated(req.level, ctx.mode) if failures else Status.PASS
        observations.append(Observation(rid, status, failures, case=case, exchanges=exchanges))
    return observations


def _exchange_index(subject: Any) -> int | None:
    """The log index of the exchange a subject comes from: the subject itself, or its `exchange`."""
    exchange = subject if isinstance(subject, Exchange) else getattr(subject, "exchange", None)
    return exchange.index if isinstance(exchange, Exchange) else None


def _exchange_indices(subject: Any) -> tuple[int, ...]:
    """The log indices of every exchange a subject holds: its own, or each of its `exchanges` (a batch)."""
    index = _exchange_index(subject)
    if index is not None:
        return (index,)
    held = getattr(subject, "exchanges", ())
    return tuple(e.index for e in held if isinstance(e, Exchange) and e.index is not None)
