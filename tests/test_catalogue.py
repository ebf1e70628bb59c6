"""The catalogue's own lint: ids, levels, features, descriptions, sources, and that every rule is checked and run."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.checks.rule import CHECKS
from conformance.exceptions import ConfigError
from conformance.judgement import judge  # noqa: F401  (loading it registers every check)
from conformance.requirements import FLAGS, ID_PATTERN, Level, catalogue, features
from tests._shared import SEEDS

ROOT = Path(__file__).resolve().parents[1]


def slug(heading: str) -> str:
    """A heading's anchor, as GitHub renders Markdown anchors."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_ids_are_well_formed_and_their_family_matches_the_feature():
    for req in catalogue().values():
        assert ID_PATTERN.match(req.id), req.id
        assert req.level in (Level.MUST, Level.SHOULD)
        assert req.family == req.feature.split(".")[0], f"{req.id}: family {req.family} vs feature {req.feature}"
        assert set(req.flags) <= FLAGS


def test_descriptions_state_facts_in_one_short_line():
    for req in catalogue().values():
        assert 10 < len(req.description) < 100, req.id
        assert "\n" not in req.description
        assert not re.search(r"\bshould\b|\btest that\b", req.description, re.I), req.id


def test_every_feature_is_used_and_described():
    used = {r.feature for r in catalogue().values()}
    assert used == set(features()), set(features()) ^ used


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seeds are not at {SEEDS}")
def test_every_source_names_a_section_of_a_seed():
    anchors: dict[str, set[str]] = {}
    for path in SEEDS.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        anchors[path.name] = {slug(line.lstrip("#")) for line in lines if line.startswith("#")} | {
            slug(line) for line in lines if 0 < len(line) < 60 and not line.startswith(("|", "-", " ", "`"))
        }
        # Seed 004 is one line of snippets, each `### <title> Source: <url> ...`: its sections are those titles.
        anchors[path.name] |= {slug(title) for title in re.findall(r"### ([^#\n]{1,80}?) Source: http", text)}
    for req in catalogue().values():
        file, _, anchor = req.source.removeprefix("seeds/").partition("#")
        assert file in anchors, f"{req.id}: no seed file {file}"
        assert anchor in anchors[file], f"{req.id}: no section #{anchor} in {file}"


def test_every_requirement_has_exactly_one_check_and_every_check_a_requirement():
    assert set(CHECKS) == set(catalogue()), set(CHECKS) ^ set(catalogue())


def test_every_requirement_is_decided_by_a_case():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "cases").rglob("test_*.py"))
    unused = [rid for rid in catalogue() if f'"{rid}"' not in text]
    assert not unused, f"requirements no case decides: {unused}"


def test_case_files_have_unique_basenames():
    names = [p.name for p in (ROOT / "cases").rglob("test_*.py")]
    assert len(names) == len(set(names))


def test_a_broken_catalogue_is_one_clear_line(tmp_path, monkeypatch):
    import conformance.requirements as requirements

    (tmp_path / "features.toml").write_text('[feature.chat]\ndescription = "x"\ncost = "cheap"\n')
    (tmp_path / "bad.toml").write_text(
        '[[requirement]]\nid = "chat.x.y"\nlevel = "MUST"\nfeature = "nope"\ndescription = "d"\nsource = "s"\n'
    )
    monkeypatch.setattr(requirements, "CATALOGUE_DIR", tmp_path)
    requirements.features.cache_clear()
    requirements.catalogue.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"bad\.toml: requirement 'chat\.x\.y': unknown feature 'nope'"):
            requirements.catalogue()
        (tmp_path / "bad.toml").write_text("[[requirement]\n")
        requirements.catalogue.cache_clear()
        with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
            requirements.catalogue()
    finally:
        requirements.features.cache_clear()
        requirements.catalogue.cache_clear()


def test_a_requirement_takes_one_check_though_its_module_may_be_imported_twice(monkeypatch):
    from conformance.checks import rule as checks

    monkeypatch.setattr(checks, "CHECKS", {})

    def rule(subject, ctx):
        return iter(())

    checks.check("x.y.z")(rule)
    checks.check("x.y.z")(rule)  # the same function again: a re-imported module
    assert checks.CHECKS["x.y.z"] is rule

    def other(subject, ctx):
        return iter(())

    with pytest.raises(ValueError, match="already registered"):
        checks.check("x.y.z")(other)
