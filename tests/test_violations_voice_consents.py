"""Every voice-consent rule can fail, and says why: one violating subject per rule.

As in test_violations_chatkit.py: each row names a requirement, the violation, a factory of a VALID subject (built
by the reference server's own consents, no HTTP) and one mutation that breaks the rule. Seed 004 shows no example
answer; upstream's examples are accepted by the schema.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.checks.voice_consents import ConsentsRead
from conformance.judgement import Status, judge
from conformance.reference import voice_consents as ref
from conformance.reference._config import ServerConfig
from conformance.requirements import catalogue
from conformance.schemas import validate
from tests._violations import violation_tests
from tests.test_violations import Http
from tests.test_violations_files import error, get
from tests.test_violations_responses import V

PATH = "/audio/voice_consents"
UNKNOWN = f"{PATH}/cons_none"
RULES = ("audio.voice-consents.shape", "audio.voice-consents.same-id", "audio.voice-consents.unknown")


@dataclass
class Read:
    """The consents' reading to build: the list, then named steps."""

    created: Http
    steps: list[list[Any]]  # [name, Http]

    def subject(self) -> ConsentsRead:
        return ConsentsRead(self.created.subject(), tuple((name, http.subject()) for name, http in self.steps))

    def step(self, name: str) -> Http:
        return next(http for what, http in self.steps if what == name)


def consents_read(config: ServerConfig | None = None) -> Read:
    held = ref.VoiceConsents(config or ServerConfig())
    listing = held.list({"limit": "20"})
    newest = listing["data"][0]["id"]
    steps = [
        ["retrieve", get(f"{PATH}/{newest}", held.retrieve(newest))],
        ["unknown-retrieve", error(404, "No voice consent found with id 'cons_none'.", UNKNOWN, param="consent_id")],
    ]
    return Read(get(f"{PATH}?limit=20", listing), steps)


def _retrieved(spec: Read) -> dict[str, Any]:
    body: dict[str, Any] = spec.step("retrieve").body
    return body


def _unknown_answered(status: int, body: Any) -> Any:
    def mutate(spec: Read) -> None:
        spec.step("unknown-retrieve").status, spec.step("unknown-retrieve").body = status, body

    return mutate


VIOLATIONS: list[V] = [
    V("audio.voice-consents.shape", "object `voice_consent`", consents_read,
      lambda s: _retrieved(s).update(object="voice_consent"), "'audio.voice_consent' was expected"),
    V("audio.voice-consents.shape", "no language", consents_read, lambda s: _retrieved(s).pop("language"),
      "'language' is a required property"),
    V("audio.voice-consents.shape", "created_at in milliseconds", consents_read,
      lambda s: _retrieved(s).update(created_at=1_734_221_000_000), "1734221000000"),
    V("audio.voice-consents.shape", "answered 404", consents_read,
      lambda s: setattr(s.step("retrieve"), "status", 404), "404"),
    V("audio.voice-consents.same-id", "another consent answered", consents_read,
      lambda s: _retrieved(s).update(id="cons_demo_1"), "id cons_demo_1"),
    V("audio.voice-consents.same-id", "the name differs from the list's", consents_read,
      lambda s: _retrieved(s).update(name="Someone Else"), "name Someone Else"),
    V("audio.voice-consents.unknown", "answered 200", consents_read,
      _unknown_answered(200, {"object": "audio.voice_consent", "id": "cons_none"}), "status 404"),
    V("audio.voice-consents.unknown", "a flat error", consents_read,
      _unknown_answered(404, {"object": "error", "message": "nope"}), "'error' is a required property"),
]  # fmt: skip


test_violation_fails, test_valid_counterpart_passes = violation_tests(VIOLATIONS)


def test_every_voice_consent_requirement_has_a_violation() -> None:
    assert {v.rid for v in VIOLATIONS} == {r for r in catalogue() if r.startswith("audio.voice-consents.")}
    assert set(RULES) == {v.rid for v in VIOLATIONS}


def test_an_account_without_consents_skips_what_needs_one() -> None:
    """A situational skip, never a failure: a run cannot make a consent (it needs a person's recorded consent)."""
    spec = consents_read()
    spec.created.body.update(data=[], first_id=None, last_id=None, has_more=False)
    spec.steps = [s for s in spec.steps if s[0] == "unknown-retrieve"]
    for rid in ("audio.voice-consents.shape", "audio.voice-consents.same-id"):
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "holds no voice consent" in obs.reason, obs
    assert judge(spec.subject(), ["audio.voice-consents.unknown"])[0].status is Status.PASS


def test_a_server_without_consents_is_not_credited_for_its_404() -> None:
    spec = consents_read()
    spec.created.status = 404
    refusal = {"message": "Invalid URL (GET /v1/audio/voice_consents)", "type": "invalid_request_error",
               "param": None, "code": None}  # fmt: skip
    spec.created.body = {"error": refusal}
    spec.steps = [s for s in spec.steps if s[0] == "unknown-retrieve"]
    for rid in RULES:
        [obs] = judge(spec.subject(), [rid])
        assert obs.status is Status.SKIP and "lists no voice consents" in obs.reason and "404" in obs.reason, obs


def test_the_retrieve_may_carry_what_the_list_leaves_out() -> None:
    """Never stricter than the API: a key only one of the two answers carries is not compared, and unknown keys
    are accepted."""
    spec = consents_read()
    del spec.created.body["data"][0]["name"]
    _retrieved(spec).update(name="Marie Dupont", status="active")
    assert judge(spec.subject(), ["audio.voice-consents.same-id"])[0].status is Status.PASS
    assert judge(spec.subject(), ["audio.voice-consents.shape"])[0].status is Status.PASS


# Upstream's examples (seed 004 names the object and shows none).
UPSTREAM_CONSENT = {"object": "audio.voice_consent", "id": "cons_1234", "name": "John Doe", "language": "en-US",
                    "created_at": 1734220800}  # fmt: skip


def test_the_documented_examples_are_valid() -> None:
    assert not validate("audio.voice-consent", UPSTREAM_CONSENT)
    no_time = {k: v for k, v in UPSTREAM_CONSENT.items() if k != "created_at"}
    for bad in ({**UPSTREAM_CONSENT, "object": "voice_consent"}, {**UPSTREAM_CONSENT, "id": ""}, no_time):
        assert validate("audio.voice-consent", bad), bad


def test_the_reference_answers_are_valid() -> None:
    held = ref.VoiceConsents(ServerConfig())
    listing = held.list({})
    assert listing["object"] == "list" and len(listing["data"]) == len(ref.CONSENTS)
    for consent in listing["data"]:
        assert not validate("audio.voice-consent", consent)
        assert held.retrieve(consent["id"]) == consent
