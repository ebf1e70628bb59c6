"""Where the bundled data lives: inside the package in an installed wheel, at the repository's top in a checkout."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The folder `name` (schemas, cases): the wheel's copy under conformance/bundled/, else the checkout's."""
    installed = _PACKAGE / "bundled" / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


CASES_DIR = bundled("cases")


def cache_folder(name: str) -> Path:
    """~/.cache/oai-conformance/NAME, or under $XDG_CACHE_HOME when it is set: what a run keeps for the next."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "oai-conformance" / name
