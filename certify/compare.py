"""`--check`: compare a fresh run with the server's reviewed files, strictly.

Two files sit beside a certificate:
- `expectations.toml`: the server's real deviations (conformance/expectations.py);
- `suspected-false-alarms.toml`: requirements the suite fails although the server is right, each with the rule,
  why the suite is believed wrong, and the evidence. They are NOT expectations: they are reported to the suite's
  maintainers, shown as "other failures" in the matrix, and tolerated by the check until the suite is fixed.

A run matches when every failed or warned requirement is in one of the two files and every listed one failed
(an expectation marked `intermittent` may also pass).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from certify.lifecycle import CertifyError
from conformance.expectations import Expectations
from conformance.judgement import departs

_FIELDS = ("rule", "why", "evidence")


def false_alarms(path: Path) -> dict[str, dict[str, str]]:
    """The suspected false alarms of a server (empty when it has no file); a malformed file is a CertifyError."""
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CertifyError(f"{path}: not a readable TOML file: {exc}") from None
    from conformance.requirements import catalogue

    for rid, entry in data.items():
        if rid not in catalogue():
            raise CertifyError(f"{path}: unknown requirement id {rid!r}")
        if not isinstance(entry, dict) or any(not str(entry.get(f, "")).strip() for f in _FIELDS):
            raise CertifyError(f"{path}: [{rid!r}] needs a non-empty {', '.join(_FIELDS)}")
    return data


def differences(results: dict[str, Any], expectations: Expectations | None, suspected: set[str]) -> list[str]:
    """One line per departure of the run from the two files (empty: the run matches): the expectations file
    compared strictly (`conformance.expectations`), the suspected false alarms tolerated while they fail."""
    from conformance.expectations import apply
    from conformance.expectations import differences as expectation_differences

    departed = {e["id"] for e in results["requirements"] if departs(e["status"])}
    judged = {**results, "requirements": [e for e in results["requirements"] if e["id"] not in suspected]}
    lines = expectation_differences(apply(judged, expectations or Expectations("", "", {}), strict=True))
    lines += [
        f"- {rid}: no longer fails: remove it from suspected-false-alarms.toml" for rid in sorted(suspected - departed)
    ]
    return lines
