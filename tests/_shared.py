"""Where the shared source material lies: `../shared` beside the repository (as in CI), or OAI_CONFORMANCE_SHARED."""

from __future__ import annotations

import gzip
import json
import os
from functools import cache
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("OAI_CONFORMANCE_SHARED", Path(__file__).resolve().parents[2] / "shared"))
RECORDINGS = SHARED / "recordings"
SEEDS = SHARED / "seeds"


@cache
def recordings(name: str) -> list[dict[str, Any]]:
    """The recorded scenarios of `name` (chat-completions, embeddings) that were run (three were not)."""
    with gzip.open(RECORDINGS / f"{name}.json.gz") as handle:
        data = json.load(handle)
    return [v for _, v in sorted(data.items()) if v.get("response") and v["response"].get("status")]
