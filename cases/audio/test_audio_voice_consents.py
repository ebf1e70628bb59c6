"""Voice consents (GET /v1/audio/voice_consents/{consent_id}): the newest consent the account lists, retrieved by its
id, and an id that does not exist.

A consent is made from a person's recorded statement, which a run cannot give: the case reads what the account
holds (the list only finds the id) and changes nothing. An account without consents skips the rules that need one,
with that reason; the bundled reference server holds two.
"""

import pytest

from conformance.case import requirement
from conformance.checks.voice_consents import ConsentsRead, newest
from conformance.exceptions import NotApplicable

RULES = ("audio.voice-consents.shape", "audio.voice-consents.same-id", "audio.voice-consents.unknown")
NO_SUCH_CONSENT = "cons_oai_conformance_no_such_consent"
PATH = "/audio/voice_consents"


@requirement(*RULES)
def test_voice_consents_as_the_account_holds_them(oai_client, oai_judge):
    listing = oai_client.request("GET", PATH, params={"limit": 20})
    steps, missing = [], ""
    try:
        consent = newest(ConsentsRead(listing))
    except NotApplicable as reason:  # none held, or no list: the rules that need a consent skip with the reason
        consent, missing = None, str(reason)
    if consent is not None and isinstance(consent.get("id"), str) and consent["id"]:
        steps.append(("retrieve", oai_client.request("GET", f"{PATH}/{consent['id']}")))
    steps.append(("unknown-retrieve", oai_client.request("GET", f"{PATH}/{NO_SUCH_CONSENT}")))
    oai_judge(ConsentsRead(listing, tuple(steps)), *RULES)
    if consent is None:
        pytest.skip(missing)
