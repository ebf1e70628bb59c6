"""Where the bundled data lives: inside the package in an installed wheel, at the repository's top in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The folder `name` (schemas, cases): the wheel's copy under conformance/bundled/, else the checkout's."""
    installed = _PACKAGE / "bundled" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


CASES_DIR = bundled("cases")
