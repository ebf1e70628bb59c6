"""What the comparison tolerates, each with its reason: a recording it cannot compare, or a difference that is not one.

A tolerance never hides a difference silently: the reports count the recordings each one covered, and a
recording answered alike needs none. Two sorts:

- RECORDING tolerances: the recorded answer is a property of the model that was recorded, and the request went
  to another model (the model mapping of `run.map_model`). They apply only when the model was mapped.
- DIFFERENCE tolerances: one difference whose value depends on what the comparison does not compare (the free
  text a model generated, or the model itself).

Each is proved by tests/test_replay.py on the recording or difference that needs it, and on one that does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conformance.replay.compare import Difference, envelope
from conformance.replay.recording import Answer, Recording


@dataclass(frozen=True)
class Tolerance:
    id: str
    reason: str


# --- recordings the comparison cannot compare once the model is mapped ----------------------------------------------

MODEL_CAPABILITY = Tolerance(
    "model-capability",
    "the recorded model refused what it cannot do (gpt-4: `prediction`, json_object, audio, images; "
    "gpt-4o-audio-preview: a request without audio; text-embedding-ada-002: `dimensions`; gpt-4's 8,192-token "
    "context), and the request went to another model, which may well do it",
)
MODEL_VALIDATOR = Tolerance(
    "model-validator",
    "gpt-4o-audio-preview validated requests with a validator of its own (a list of pydantic errors as the "
    "message, `param` and `code` null); the same mistakes sent to gpt-4 and gpt-4o were answered with the API's "
    "usual `param` and `code` (the recordings hold both), and the request went to another model",
)
# The recorded error messages that say the recorded model lacks (or requires) a capability.
_CAPABILITY = re.compile(
    r"not supported with this model"
    r"|^The selected model does not support"
    r"|^This model requires that"
    r"|is only supported by certain models"
    r"|^This model does not support"
    r"|^This model's maximum context length is"
    r"|^Invalid image URL: .*without the 'data:' prefix"
)
_PYDANTIC = re.compile(r"^\[\{'type': '")


def tolerated_recording(recording: Recording, sent: Any) -> Tolerance | None:
    """The tolerance that makes a differing recording incomparable, or None."""
    sent_model = sent.get("model") if isinstance(sent, dict) else None
    if sent_model == recording.model:
        return None  # the same model: its answer is comparable
    error = envelope(recording.answer)
    message = error.get("message") if error else None
    if not isinstance(message, str):
        return None
    if _CAPABILITY.search(message):
        return MODEL_CAPABILITY
    if _PYDANTIC.search(message):
        return MODEL_VALIDATOR
    return None


# --- differences that are not differences ----------------------------------------------------------------------------

FINGERPRINT = Tolerance(
    "system-fingerprint-by-model",
    "`system_fingerprint` is null for some models (gpt-4) and a string for others (gpt-4o), and the request went to "
    "another model than the recorded one",
)
FINISH_BY_LENGTH = Tolerance(
    "finish-reason-by-text-length",
    "the request sets a token limit: whether the text reached it (`length`) or ended before it (`stop`) depends on "
    "how long the generated text is, which the comparison does not compare; the answer saying `stop` used fewer "
    "tokens than the limit allows, the one saying `length` reached it",
)
FINISH_BY_GENERATION = Tolerance(
    "finish-reason-by-generated-text",
    "where the request sets no token limit, whether a generation ends on its own (`stop`), at the model's own "
    "output limit (`length`) or by the content filter (`content_filter`) depends on the text it generated, which the "
    "comparison does not compare (recorded: a `logit_bias` of 100 repeating one token until the limit; the certified "
    "servers' random-weights models never stop early); `content_filter` against either, whatever the limit",
)

TOLERANCES: tuple[Tolerance, ...] = (
    MODEL_CAPABILITY, MODEL_VALIDATOR, FINGERPRINT, FINISH_BY_LENGTH, FINISH_BY_GENERATION
)


def tolerated_difference(
    difference: Difference, recording: Recording, sent: Any, answered: Answer
) -> Tolerance | None:
    """The tolerance that covers one difference, or None."""
    for rule in _DIFFERENCE_RULES:
        tolerance = rule(difference, recording, sent if isinstance(sent, dict) else {}, answered)
        if tolerance is not None:
            return tolerance
    return None


Found = Tolerance | None
Rule = Callable[[Difference, Recording, dict[str, Any], Answer], Found]


def _fingerprint(difference: Difference, recording: Recording, sent: dict[str, Any], answered: Answer) -> Found:
    fingerprint = difference.kind == "null" and difference.path.rsplit(".", 1)[-1] == "system_fingerprint"
    return FINGERPRINT if fingerprint and sent.get("model") != recording.model else None


def _finish_values(text: str) -> set[str]:
    return set(re.findall(r"`([^`]*)`", text))


def _finish_by_length(difference: Difference, recording: Recording, sent: dict[str, Any], answered: Answer) -> Found:
    if difference.kind != "enum" or not difference.path.endswith("finish_reason"):
        return None
    limit = sent.get("max_completion_tokens", sent.get("max_tokens"))
    if not isinstance(limit, int) or isinstance(limit, bool):
        return None
    mine, theirs = _finish_values(difference.recorded), _finish_values(difference.answered)
    if {frozenset(mine), frozenset(theirs)} != {frozenset({"length"}), frozenset({"stop"})}:
        return None
    stopped, cut = (answered, recording.answer) if theirs == {"stop"} else (recording.answer, answered)
    used, choices = _completion_tokens(stopped)
    if used is not None and used >= limit * max(choices, 1):
        return None  # the text that says `stop` reached the limit: that is a real difference
    used, _ = _completion_tokens(cut)
    if used is not None and used < limit:
        return None  # the text that says `length` did not reach it: a real difference too
    return FINISH_BY_LENGTH


def _finish_by_generation(
    difference: Difference, recording: Recording, sent: dict[str, Any], answered: Answer
) -> Found:
    if difference.kind != "enum" or not difference.path.endswith("finish_reason"):
        return None
    mine, theirs = _finish_values(difference.recorded), _finish_values(difference.answered)
    if not mine | theirs <= {"stop", "length", "content_filter"}:
        return None  # `tool_calls`, `function_call`, an unknown value: not a matter of the text's length
    unlimited = sent.get("max_completion_tokens") is None and sent.get("max_tokens") is None
    filtered = "content_filter" in mine ^ theirs
    return FINISH_BY_GENERATION if unlimited or filtered else None


def _completion_tokens(answer: Answer) -> tuple[int | None, int]:
    """The completion tokens an answer says it used, and its number of choices."""
    if answer.stream is not None:
        chunks = [c for c in answer.stream if isinstance(c, dict)]
        usage = next((c["usage"] for c in reversed(chunks) if isinstance(c.get("usage"), dict)), None)
        indices = {ch.get("index") for c in chunks for ch in (c.get("choices") or []) if isinstance(ch, dict)}
        choices = len(indices)
    else:
        body = answer.body if isinstance(answer.body, dict) else {}
        usage = body.get("usage")
        choices = len(body.get("choices") or [])
    used = usage.get("completion_tokens") if isinstance(usage, dict) else None
    return (used if isinstance(used, int) and not isinstance(used, bool) else None), choices


_DIFFERENCE_RULES: tuple[Rule, ...] = (
    _fingerprint,
    _finish_by_length,
    _finish_by_generation,
)
