"""Draws kept on disk: a run that draws what an earlier one drew reads the requests instead of drawing them again.

A draw of the generated phase depends only on what it is given (the schemas, the operation and mode, the seed and
the budget, what shapes a body) and on the code that draws (hypothesis, schemathesis, this package's generation
and shaping). Drawing is most of a run's work against a fast server (about 18 of 27 CPU seconds against the
reference server), and a run repeated against the same server, or a nightly run, draws the same again. So each
draw is kept under a digest of all of that, and a draw whose digest is kept is read, not drawn: the same
requests, in the same order, as drawing them would give (a test holds it).

The objects a run makes have other ids in every run, so the generated phase draws with stand-ins for them
(`stand_in`), which only take the ids' places (nothing is drawn from them), and puts the ids in after
(`put_ids`). An entry that cannot be read is drawn again; writing is atomic, so processes that share the folder
(pytest-xdist workers, parallel runs) never read half an entry.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import importlib.metadata
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance._paths import CASES_DIR, cache_folder
from conformance.schemas import SCHEMAS_DIR

# Where the draws are kept unless --draws says otherwise ("off": drawn every time).
OFF = "off"
_VERSION = 1  # of the format of an entry


def default_folder() -> Path:
    """~/.cache/oai-conformance/draws, or under $XDG_CACHE_HOME when it is set."""
    return cache_folder("draws")


@functools.cache
def _code_digest() -> str:
    """What drawing depends on besides its inputs: the schema files, the code that draws and shapes, versions."""
    digest = hashlib.sha256()
    for path in sorted(SCHEMAS_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(SCHEMAS_DIR).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    here = Path(__file__).parent
    for code in (here / "generation.py", here / "cheapen.py", here / "draw_cache.py",
                 CASES_DIR / "generated" / "test_generated.py"):  # fmt: skip
        digest.update(code.read_bytes())
    for package in ("hypothesis", "schemathesis"):
        digest.update(f"{package}={_version(package)}".encode())
    digest.update(f"python={sys.version_info[0]}.{sys.version_info[1]}".encode())
    return digest.hexdigest()


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def key(**inputs: Any) -> str:
    """The digest of one draw: its inputs (JSON-able values) and what drawing depends on besides them."""
    described = json.dumps({"format": _VERSION, "code": _code_digest(), **inputs}, sort_keys=True, default=str)
    return hashlib.sha256(described.encode()).hexdigest()


class DrawCache:
    """The draws kept in one folder, an entry per draw: a JSON list of the requests' records."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def get(self, digest: str) -> list[dict[str, Any]] | None:
        try:
            records = json.loads((self.folder / f"{digest}.json").read_text(encoding="utf-8"))
            decoded = [_decoded(record) for record in records]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None  # never kept, or not an entry (a broken file, another format): drawn again, kept anew
        keys = {"method", "path", "body", "query", "files"}
        return decoded if all(isinstance(r, dict) and r.keys() == keys for r in decoded) else None

    def has(self, digest: str) -> bool:
        return (self.folder / f"{digest}.json").is_file()

    def put(self, digest: str, records: list[dict[str, Any]]) -> None:
        """Keep a draw; a folder that cannot be written only means the next run draws again."""
        written: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=self.folder, suffix=".part", delete=False,
                                             encoding="utf-8") as part:  # fmt: skip
                written = Path(part.name)
                json.dump([_encoded(record) for record in records], part)
            os.replace(written, self.folder / f"{digest}.json")
        except OSError:
            if written is not None:  # a disk that filled up mid-write keeps no part of the entry
                with contextlib.suppress(OSError):
                    written.unlink(missing_ok=True)


# Bytes in an entry: {"bytes": base64}. A record's values are JSON but for bodies and uploaded files.
def _encoded(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode()}
    if isinstance(value, tuple):  # a multipart file: (name, bytes, content type)
        return {"tuple": [_encoded(v) for v in value]}
    if isinstance(value, list):
        return [_encoded(v) for v in value]
    if isinstance(value, dict):
        return {"dict": {k: _encoded(v) for k, v in value.items()}}
    return value


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if "bytes" in value:
            return base64.b64decode(value["bytes"])
        if "tuple" in value:
            return tuple(_decoded(v) for v in value["tuple"])
        return {k: _decoded(v) for k, v in value["dict"].items()}
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    return value


def stand_in(name: str) -> str:
    """What a made object's id is drawn as: a name of its own that no drawn text contains."""
    return f"oai-stand-in-{name}-"


def put_ids(value: Any, ids: Mapping[str, str]) -> Any:
    """`value` (a path, a JSON body's bytes, a multipart field, a query) with each stand-in replaced by its id."""
    if isinstance(value, str):
        for placeholder, real in ids.items():
            value = value.replace(placeholder, real)
        return value
    if isinstance(value, bytes):
        for placeholder, real in ids.items():
            # inside a JSON string, as json.dumps would have written the id
            value = value.replace(placeholder.encode(), json.dumps(real)[1:-1].encode())
        return value
    if isinstance(value, tuple):
        return tuple(put_ids(v, ids) for v in value)
    if isinstance(value, list):
        return [put_ids(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: put_ids(v, ids) for k, v in value.items()}
    return value
