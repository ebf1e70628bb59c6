"""Audio: the voice consents an account holds (GET /v1/audio/voice_consents/{consent_id}).

A consent is a person's recorded statement: a run cannot make one, so the rules read what the account holds. The
subject is a `ConsentsRead` whose `created` is the list (GET /v1/audio/voice_consents), then the case's named steps:
"retrieve" (the newest listed consent, by its id) and "unknown-retrieve" (a consent id that does not exist). A rule
that needs a consent is not applicable when the list answers none; the unknown-id rule, when the server lists no
consents at all (a server without voice consents is not credited for its 404).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from conformance.checks._lifecycle import Lifecycle
from conformance.checks.containers import listed
from conformance.checks.evidence import cited as on
from conformance.checks.evidence import cited_answer as body_of
from conformance.checks.evidence import excerpt, received, schema_violations
from conformance.checks.files import refused_violations
from conformance.checks.rule import Context, Violation, check
from conformance.exceptions import NotApplicable

# What a retrieve shares with the list it was found in (the id always; the rest when both carry it; `object` is
# the shape rule's).
SAME_KEYS = ("id", "name", "language", "created_at")
NONE_HELD = "the account holds no voice consent (a run cannot make one: it needs a person's recorded consent)"


@dataclass(frozen=True)
class ConsentsRead(Lifecycle):
    """The account's voice consents as the case read them (`created` is the list)."""


def _lists_consents(read: ConsentsRead) -> None:
    response = read.created.response
    if response is None or response.status != 200:
        raise NotApplicable(f"the server lists no voice consents (GET /v1/audio/voice_consents: "
                            f"{received(read.created).removeprefix('Received: ')[:120]})")  # fmt: skip


def newest(read: ConsentsRead) -> dict[str, Any]:
    """The consent the case read further: the first listed; not applicable when there is none."""
    _lists_consents(read)
    consents = listed(read.created)
    if not consents:
        raise NotApplicable(NONE_HELD)
    return consents[0]


@check("audio.voice-consents.shape")
def shape(read: ConsentsRead, ctx: Context) -> Iterator[Violation]:
    newest(read)
    got = read.step("retrieve")
    yield from on(got, schema_violations("audio.voice-consent", body_of(got)))


@check("audio.voice-consents.same-id")
def same_id(read: ConsentsRead, ctx: Context) -> Iterator[Violation]:
    consent = newest(read)
    got = read.step("retrieve")
    body = body_of(got)
    if not isinstance(body, dict):
        yield Violation(f"{received(got)}\nExpected: the consent {consent.get('id')!r}", "", got.index)
        return
    compared = [key for key in SAME_KEYS if key == "id" or (key in consent and key in body)]
    for key in (key for key in compared if body.get(key) != consent.get(key)):
        yield Violation(
            f"Received: {key} {excerpt(body.get(key), 120)}\n"
            f"Expected: {excerpt(consent.get(key), 120)}, as the list showed consent {consent.get('id')!r}",
            f"$.{key}",
            got.index,
        )


@check("audio.voice-consents.unknown")
def unknown(read: ConsentsRead, ctx: Context) -> Iterator[Violation]:
    _lists_consents(read)
    steps = read.all("unknown-retrieve")
    if not steps:
        raise NotApplicable("the case asked for no voice consent that does not exist")
    for exchange in steps:
        yield from on(exchange, refused_violations(exchange, "a voice consent that does not exist", 404))
