"""The requirement catalogue: every rule the suite checks, with a stable id, a level, a feature and a source.

The catalogue is data (`conformance/catalogue/*.toml`); this module loads and validates it. Ids are permanent:
baselines and certificates are keyed by them (see docs/requirements.md for the rules).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

from conformance.exceptions import ConfigError

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
ID_PATTERN = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+){2,}$")
FLAGS = frozenset({"costly", "creates-resources", "non-deterministic", "generated", "strict-only", "live-only"})
# What claiming a feature spends against the real API, cheapest first (features.toml says why each).
COSTS = ("free", "cheap", "costly")


class Level(StrEnum):
    MUST = "MUST"
    SHOULD = "SHOULD"


@dataclass(frozen=True)
class Feature:
    name: str
    description: str
    parent: str | None = None
    cost: str = "cheap"
    # Claimed only where the claim names it (never by `all`, an ancestor or a list of exclusions): what changes
    # an account (admin.write) is never part of a default run.
    explicit: bool = False


@dataclass(frozen=True)
class Requirement:
    id: str
    level: Level
    feature: str
    description: str
    source: str
    info: str = ""
    flags: tuple[str, ...] = ()

    @property
    def family(self) -> str:
        return self.id.split(".", 1)[0]


def _load_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


@cache
def features() -> dict[str, Feature]:
    """The closed list of features, in catalogue order; a feature `a.b` belongs to its parent `a`."""
    data = _load_toml(CATALOGUE_DIR / "features.toml")
    out = {}
    for name, entry in data.get("feature", {}).items():
        parent = name.rsplit(".", 1)[0] if "." in name else None
        if entry.get("cost") not in COSTS:
            raise ConfigError(f"features.toml: feature {name!r}: cost must be one of {', '.join(COSTS)}")
        out[name] = Feature(name, entry["description"], parent, entry["cost"], bool(entry.get("explicit", False)))
    return out


def without_costly(claimed: frozenset[str] | None) -> frozenset[str] | None:
    """A claim with the costly features left out unless the user named them (or an ancestor).

    A default claim (None: everything) or a list of only `-name`s becomes "all but these and the costly ones"; a
    list that names features is what the user asked for and stays as it is.
    """
    costly = {f"-{f.name}" for f in features().values() if f.cost == "costly"}
    if not costly or (claimed is not None and not all(name.startswith("-") for name in claimed)):
        return claimed
    return (claimed or frozenset()) | costly


@cache
def catalogue() -> dict[str, Requirement]:
    """Every requirement, keyed by id, in file and entry order."""
    known_features = features()
    out: dict[str, Requirement] = {}
    for path in sorted(CATALOGUE_DIR.glob("*.toml")):
        if path.name == "features.toml":
            continue
        for entry in _load_toml(path).get("requirement", []):
            where = f"{path.name}: requirement {entry.get('id', '?')!r}"
            req = Requirement(
                id=entry["id"],
                level=Level(entry["level"]),
                feature=entry["feature"],
                description=entry["description"],
                source=entry["source"],
                info=entry.get("info", "").strip(),
                flags=tuple(entry.get("flags", ())),
            )
            if not ID_PATTERN.match(req.id):
                raise ConfigError(f"{where}: the id does not match {ID_PATTERN.pattern}")
            if req.id in out:
                raise ConfigError(f"{where}: the id is used twice")
            if req.feature not in known_features:
                raise ConfigError(f"{where}: unknown feature {req.feature!r}")
            if unknown := set(req.flags) - FLAGS:
                raise ConfigError(f"{where}: unknown flags {sorted(unknown)}")
            out[req.id] = req
    return out


def requirement(requirement_id: str) -> Requirement:
    try:
        return catalogue()[requirement_id]
    except KeyError:
        raise ConfigError(f"unknown requirement id {requirement_id!r}") from None


def feature_claimed(feature: str, claimed: frozenset[str] | None) -> bool:
    """A feature is claimed when it or one of its ancestors is listed; None claims everything. An `explicit`
    feature (and what is below it) is claimed only when the claim names it.

    `-name` leaves a feature out of an ancestor's claim (`responses,-responses.background`): the most specific
    listing wins. A list of only `-name`s claims every feature but those.
    """
    parts = feature.split(".")
    known = features()
    for prefix in (".".join(parts[:i]) for i in range(1, len(parts) + 1)):
        if prefix in known and known[prefix].explicit and (claimed is None or prefix not in claimed):
            return False
    if claimed is None:
        return True
    if all(name.startswith("-") for name in claimed):
        claimed = claimed | {name for name in features() if "." not in name}
    for prefix in (".".join(parts[:i]) for i in range(len(parts), 0, -1)):
        if f"-{prefix}" in claimed:
            return False
        if prefix in claimed:
            return True
    return False
