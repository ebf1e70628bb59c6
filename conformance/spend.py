"""What a run spends besides tokens: images made, seconds of audio and video, counted from the answers.

Tokens come in every answer's `usage`; media is billed by other units, which only the answer shows (the images in
`data`, a transcription's `duration`). Each counter reads one operation's answer; the client adds what it counts to
the run's usage, endpoint by endpoint, and the reports sum it by feature beside the tokens.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache

from conformance.exchange import Exchange

# The units, in the order the reports show them, with the words they are shown with.
UNITS: dict[str, str] = {
    "images": "images",
    "audio_seconds": "s of audio",
    "speech_characters": "characters of speech",
    "video_seconds": "s of video",
}

Counter = Callable[[Exchange], Mapping[str, float]]

# "METHOD /template" (the operation's path below the API root) -> what one successful answer of it spent.
COUNTERS: dict[str, Counter] = {}


@cache
def _pattern(template: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)))


def spent(endpoint: str, exchange: Exchange) -> dict[str, float]:
    """The units an answer of `endpoint` ("POST /images/generations") spent; {} when nothing is counted for it.

    Only a 2xx answer is billed, and only non-negative numbers count: the answer comes from the server under test.
    """
    response = exchange.response
    if response is None or not 200 <= response.status < 300:
        return {}
    method, _, path = endpoint.partition(" ")
    for label, counter in COUNTERS.items():
        counted_method, _, template = label.partition(" ")
        if counted_method == method and _pattern(template).fullmatch(path):
            return {unit: float(amount) for unit, amount in counter(exchange).items()
                    if unit in UNITS and isinstance(amount, int | float) and amount >= 0}  # fmt: skip
    return {}


def describe(units: Mapping[str, float]) -> str:
    """`{"images": 2, "audio_seconds": 3.5}` as "2 images, 3.5 s of audio" (empty when nothing was spent)."""
    return ", ".join(f"{amount:g} {UNITS[unit]}" for unit, amount in sorted(units.items(), key=_unit_order) if amount)


def _unit_order(item: tuple[str, float]) -> int:
    return list(UNITS).index(item[0]) if item[0] in UNITS else len(UNITS)
