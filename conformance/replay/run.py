"""Send recordings to a server through the suite's client, and compare each answer with the recorded one.

What is sent: each recording's request body, with its model mapped (`map_model`), to the recording's path below
the target's base URL, through `conformance.client.Client` (the one retry policy, redaction, the answer bounds).
What is not sent: recordings of features the target does not claim (`features_of`), and what `--sample` leaves out.

The model mapping rule (docs/replay.md): a recording whose recorded answer is `model_not_found`, or whose `model`
is not a non-empty string, keeps its model (it is about the model name itself); otherwise `--model ROLE=ID` (from the
command line, the environment or the file) sends ID for every recording of the role; without it, a recorded model
the server lists (GET /models) is kept, and any other is sent as the role's default model.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.client import Client
from conformance.exchange import Exchange
from conformance.replay.compare import Difference, compare, envelope
from conformance.replay.recording import Answer, Recording, answer_of
from conformance.replay.tolerate import Tolerance, tolerated_difference, tolerated_recording
from conformance.retry import StillTransient
from conformance.target import DEFAULT_MODELS, Target

# The model role of each replayable operation (conformance.target.MODEL_ROLES).
ROLES = {
    "/chat/completions": "chat",
    "/embeddings": "embeddings",
    "/completions": "completions",
    "/moderations": "moderations",
    "/responses": "responses",
}
ALIKE, TOLERATED, DIFFERENT = "alike", "tolerated", "different"


def features_of(recording: Recording) -> tuple[str, ...]:
    """The features a recording exercises: its endpoint's, those its request asks for, and `errors` for an error."""
    body = recording.body if isinstance(recording.body, dict) else {}
    role = ROLES.get(recording.path)
    out = [role] if role else []
    if role in ("chat", "completions", "responses") and body.get("stream") is True:
        out.append(f"{role}.stream")
    if role == "chat":
        asks = {
            "chat.tools": ("tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"),
            "chat.response-format": ("response_format",),
            "chat.logprobs": ("logprobs", "top_logprobs"),
        }
        out += [feature for feature, keys in asks.items() if any(body.get(k) is not None for k in keys)]
        if body.get("store") is True:
            out.append("chat.store")
    if recording.answer.status is not None and recording.answer.status >= 400:
        out.append("errors")
    return tuple(out)


@dataclass(frozen=True)
class Plan:
    """What a replay sends: the chosen recordings, and those left out with the reason."""

    send: tuple[Recording, ...]
    skipped: tuple[tuple[Recording, str], ...]
    total: int
    sample: int | None = None
    seed: int = 0


def plan(recordings: Sequence[Recording], target: Target, sample: int | None = None, seed: int = 0) -> Plan:
    """Leave out unclaimed features, then draw `sample` of the rest (the same ones for the same seed)."""
    eligible: list[Recording] = []
    skipped: list[tuple[Recording, str]] = []
    for recording in recordings:
        unclaimed = [f for f in features_of(recording) if not target.claims(f)]
        if recording.path not in ROLES:
            skipped.append((recording, f"POST {recording.path} is not an operation the replay sends"))
        elif recording.method != "POST":
            skipped.append((recording, f"{recording.method} is not replayed (only POST)"))
        elif unclaimed:
            skipped.append((recording, f"feature `{unclaimed[0]}` not claimed"))
        else:
            eligible.append(recording)
    if sample is not None and sample < len(eligible):
        chosen = set(random.Random(seed).sample(range(len(eligible)), sample))
        left = [r for i, r in enumerate(eligible) if i not in chosen]
        skipped += [(r, f"not drawn by --sample {sample} --seed {seed}") for r in left]
        eligible = [r for i, r in enumerate(eligible) if i in chosen]
    return Plan(tuple(eligible), tuple(skipped), len(recordings), sample, seed)


# --- models ---------------------------------------------------------------------------------------------------------


@dataclass
class ModelMap:
    """Which model each recording is sent with, and why (the rule in the module doc)."""

    explicit: dict[str, str]
    listed: frozenset[str] | None = None  # None: not asked (every role has an explicit model)
    seen: dict[tuple[str, str, str, str], int] = field(default_factory=dict)

    def sent_body(self, recording: Recording) -> Any:
        body = recording.body
        role = ROLES.get(recording.path)
        model = recording.model
        error = envelope(recording.answer)
        if not isinstance(body, dict) or role is None:
            return body
        if not isinstance(model, str) or not model:
            self._note(role, json.dumps(model), json.dumps(model), "kept: not a model id (the recording is about it)")
            return body
        if error is not None and error.get("code") == "model_not_found":
            self._note(role, model, model, "kept: the API did not know it (the recording is about an unknown model)")
            return body
        if role in self.explicit:
            sent, why = self.explicit[role], f"--model {role}={self.explicit[role]}"
        elif self.listed is not None and model in self.listed:
            sent, why = model, "kept: the server lists it"
        else:
            sent, why = DEFAULT_MODELS[role], f"the server does not list it: the {role} default"
        self._note(role, model, sent, why)
        return body if sent == model else {**body, "model": sent}

    def _note(self, role: str, recorded: str, sent: str, why: str) -> None:
        key = (role, recorded, sent, why)
        self.seen[key] = self.seen.get(key, 0) + 1

    def table(self) -> list[dict[str, Any]]:
        return [
            {"role": role, "recorded": recorded, "sent": sent, "why": why, "recordings": count}
            for (role, recorded, sent, why), count in sorted(self.seen.items())
        ]


def listed_models(client: Client) -> frozenset[str]:
    """The ids GET /models lists (empty when the server lists none or answers anything else)."""
    exchange = client.request("GET", "/models")
    body = exchange.ok_json
    data = body.get("data") if isinstance(body, dict) else None
    return frozenset(m["id"] for m in data or [] if isinstance(m, dict) and isinstance(m.get("id"), str))


def model_map(target: Target, client: Client | None, plan: Plan) -> ModelMap:
    explicit = dict(target.models)
    roles = {ROLES[r.path] for r in plan.send if r.path in ROLES}
    listed = listed_models(client) if client is not None and roles - explicit.keys() else None
    return ModelMap(explicit, listed)


# --- sending and comparing ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One recording replayed: what was sent, the server's answer, and how it compares."""

    recording: Recording
    sent: Any
    answer: Answer
    differences: list[Difference]  # not tolerated
    tolerated: list[tuple[Difference, Tolerance]]
    whole: Tolerance | None = None  # the recording itself is tolerated (every difference with it)
    exchange: Exchange | None = None

    @property
    def status(self) -> str:
        if self.differences:
            return DIFFERENT
        return TOLERATED if self.tolerated else ALIKE


def judge(recording: Recording, sent: Any, answer: Answer, exchange: Exchange | None = None) -> Outcome:
    """Compare, then apply the tolerances."""
    found = compare(sent, recording.answer, answer)
    if found and (whole := tolerated_recording(recording, sent)) is not None:
        return Outcome(recording, sent, answer, [], [(d, whole) for d in found], whole, exchange)
    kept: list[Difference] = []
    tolerated: list[tuple[Difference, Tolerance]] = []
    for difference in found:
        tolerance = tolerated_difference(difference, recording, sent, answer)
        if tolerance is None:
            kept.append(difference)
        else:
            tolerated.append((difference, tolerance))
    return Outcome(recording, sent, answer, kept, tolerated, None, exchange)


def exchange_answer(exchange: Exchange) -> Answer:
    response = exchange.response
    if response is None:
        return Answer(None, error=exchange.error or "no answer")
    return answer_of(response.status, response.content_type, response.body, exchange.error)


def replay(
    plan: Plan,
    client: Client,
    models: ModelMap,
    progress: Callable[[int, int], None] | None = None,
) -> list[Outcome]:
    """Send every planned recording and judge the answer."""
    outcomes = []
    for number, recording in enumerate(plan.send, start=1):
        outcomes.append(replay_one(recording, client, models))
        if progress is not None:
            progress(number, len(plan.send))
    return outcomes


def replay_one(recording: Recording, client: Client, models: ModelMap) -> Outcome:
    """Send one recording's request (its model mapped) and judge the answer against the recorded one."""
    sent = models.sent_body(recording)
    exchange: Exchange | None
    try:
        exchange = client.request(recording.method, recording.path, json=sent)
        answer = exchange_answer(exchange)
    except StillTransient as exc:
        exchange = client.exchanges[-1] if client.exchanges else None
        answer = Answer(None, error=str(exc))
    return judge(recording, sent, answer, exchange)


def share(outcomes: Iterable[Outcome]) -> tuple[int, int, int, int]:
    """(sent, alike, tolerated, different)."""
    counts = {ALIKE: 0, TOLERATED: 0, DIFFERENT: 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return sum(counts.values()), counts[ALIKE], counts[TOLERATED], counts[DIFFERENT]
