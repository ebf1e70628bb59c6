"""The draws kept on disk (conformance/draw_cache.py): a kept draw is the draw, the run's ids are put in after, a
broken entry or an unwritable folder costs a fresh draw and nothing else."""

from __future__ import annotations

import functools
import json

import pytest

from conformance import draw_cache, generation
from conformance.cheapen import shape
from conformance.draw_cache import stand_in
from conformance.generation import draw_requests, generation_settings, operations

pytest.importorskip("schemathesis")

OPERATIONS = {op.label: op for op in operations()}
# A JSON body, an upload, and a body that must name a file the run made, on a store the run made.
DRAWN = [
    ("POST /chat/completions", "positive"),
    ("POST /chat/completions", "negative"),
    ("POST /files", "positive"),
    ("POST /vector_stores/{vector_store_id}/files", "positive"),
]
# Ids as a server makes them, one with characters a JSON string escapes.
MADE = {"vector_store_id": "vs_abc123"}
KINDS = {"file": 'file-"quoted"\\id'}


def drawn(label: str, mode: str, draws: str, *, standing_in: bool = True) -> list[generation.Request]:
    """The requests of one operation as the generated case draws them: with stand-ins (and the ids put in after),
    or naming the ids themselves while drawing."""
    operation = OPERATIONS[label]
    settings = generation_settings(examples="5", draws=draws)
    made = {name: MADE[name] for name in operation.path_parameters if name in MADE}
    if not standing_in:
        return draw_requests(
            operation, mode, settings, path_parameters=made or None,
            shape=lambda body: shape(operation, mode, body, model="gpt-4o-mini", made=KINDS),
        )  # fmt: skip
    ids = {stand_in(f"path-{n}"): v for n, v in made.items()} | {stand_in(f"kind-{k}"): v for k, v in KINDS.items()}
    kinds = {kind: stand_in(f"kind-{kind}") for kind in KINDS}
    return draw_requests(
        operation, mode, settings,
        shape=lambda body: shape(operation, mode, body, model="gpt-4o-mini", made=kinds),
        path_parameters={name: stand_in(f"path-{name}") for name in made} or None,
        shaped_by={"model": "gpt-4o-mini", "kinds": sorted(KINDS)}, ids=ids,
    )  # fmt: skip


@pytest.mark.parametrize(("label", "mode"), DRAWN, ids=[f"{m} {label}" for label, m in DRAWN])
def test_a_kept_draw_is_the_draw_with_the_runs_ids(tmp_path, monkeypatch, label, mode):
    fresh = drawn(label, mode, "off", standing_in=False)
    assert fresh, "nothing was drawn: the comparison would prove nothing"
    assert drawn(label, mode, "off") == fresh  # stand-ins drawn, ids put in: what drawing with the ids gives
    assert drawn(label, mode, str(tmp_path)) == fresh  # drawn and kept
    assert len(list(tmp_path.glob("*.json"))) == 1

    def no_drawing(*args, **kwargs):
        raise AssertionError("drew again what was kept")

    monkeypatch.setattr(generation, "_draw", no_drawing)
    assert drawn(label, mode, str(tmp_path)) == fresh  # read


def test_the_kept_draw_names_no_id_of_the_run(tmp_path):
    drawn("POST /vector_stores/{vector_store_id}/files", "positive", str(tmp_path))
    (entry,) = tmp_path.glob("*.json")
    kept = entry.read_text(encoding="utf-8")
    assert "vs_abc123" not in kept and "quoted" not in kept
    requests = drawn("POST /vector_stores/{vector_store_id}/files", "positive", str(tmp_path))
    assert all(r.path == "/vector_stores/vs_abc123/files" for r in requests)
    assert any(json.loads(r.body or b"{}").get("file_id") == KINDS["file"] for r in requests)


@pytest.mark.parametrize("broken", ['[{"method": "POST", "pa', '{"not": "a list"}', '[{"dict": {"method": "GET"}}]',
                                    '[{"bytes": "not base64!"}]', "[1, 2]"])  # fmt: skip
def test_a_broken_entry_is_drawn_again_and_kept_anew(tmp_path, broken):
    fresh = drawn("POST /chat/completions", "positive", str(tmp_path))
    (entry,) = tmp_path.glob("*.json")
    entry.write_text(broken, encoding="utf-8")
    assert drawn("POST /chat/completions", "positive", str(tmp_path)) == fresh
    assert draw_cache.DrawCache(tmp_path).get(entry.stem) is not None  # kept anew


def test_a_folder_that_cannot_be_written_only_means_drawing(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    fresh = drawn("POST /chat/completions", "positive", "off")
    assert drawn("POST /chat/completions", "positive", str(blocked / "draws")) == fresh
    assert blocked.read_text(encoding="utf-8") == "not a folder"


def test_every_input_of_a_draw_is_in_its_key():
    base = {"operation": "POST /chat/completions", "mode": "positive", "seed": 0, "examples": 10,
            "path_parameters": None, "shaped_by": {"model": "gpt-4o-mini", "stream": "drawn", "kinds": []}}  # fmt: skip
    changed = [{"seed": 1}, {"examples": 11}, {"mode": "negative"}, {"operation": "POST /completions"},
               {"path_parameters": {"model": "x"}}, {"shaped_by": {**base["shaped_by"], "stream": "on"}},
               {"shaped_by": {**base["shaped_by"], "model": "gpt-4o"}}]  # fmt: skip
    keys = {draw_cache.key(**{**base, **change}) for change in changed}
    assert len(keys) == len(changed) and draw_cache.key(**base) not in keys


def test_the_default_folder_follows_xdg_cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert generation_settings().draws == tmp_path / "oai-conformance" / "draws"
    assert generation_settings(draws="off").draws is None
    assert generation_settings(draws=str(tmp_path / "mine")).draws == tmp_path / "mine"


def test_a_draw_made_apart_is_the_draw_made_here(monkeypatch):
    """A shape that pickles is drawn in a drawing process (spawned: another interpreter, other modules loaded); the
    same draw as here, where a lambda of the same shape is drawn."""
    drawn_here: list[str] = []
    real_draw = generation._draw

    def draw_here(*args, **kwargs):
        drawn_here.append(args[0].label)
        return real_draw(*args, **kwargs)

    monkeypatch.setattr(generation, "_draw", draw_here)  # seen here only: a drawing process imports its own
    settings = generation_settings(examples="5", draws="off")
    try:
        for label, mode in DRAWN[:3]:
            operation = OPERATIONS[label]
            def shaped(body, op=operation, m=mode):
                return shape(op, m, body, model="gpt-4o-mini")

            here = draw_requests(operation, mode, settings, shape=shaped)
            apart = draw_requests(operation, mode, settings,
                                  shape=functools.partial(shape, operation, mode, model="gpt-4o-mini"))  # fmt: skip
            assert here and apart == here, label
        assert drawn_here == [label for label, _ in DRAWN[:3]]  # each lambda here, each partial apart
        assert generation._pool is not None
    finally:
        generation.stop_drawing_apart()
    assert generation._pool is None


def test_a_draw_started_ahead_is_the_one_its_case_takes(tmp_path):
    """`draw_ahead` starts in a drawing process what `draw_requests` with the same arguments will ask for; the case
    takes that draw (the same requests as drawing it then), keeps it, and a draw that is kept is not started."""
    operation, mode = OPERATIONS["POST /chat/completions"], "positive"
    settings = generation_settings(examples="3", draws=str(tmp_path))
    arguments = {"shape": functools.partial(shape, operation, mode, model="gpt-4o-mini"), "path_parameters": None,
                 "shaped_by": {"model": "gpt-4o-mini"}}  # fmt: skip
    fresh = draw_requests(operation, mode, generation_settings(examples="3", draws="off"),
                          shape=lambda body: shape(operation, mode, body, model="gpt-4o-mini"))  # fmt: skip
    try:
        generation.draw_ahead(operation, mode, settings, **arguments)
        (started,) = generation._AHEAD.values()
        assert draw_requests(operation, mode, settings, **arguments) == fresh
        assert started.done() and not generation._AHEAD, "the case took the draw started ahead"
        assert len(list(tmp_path.glob("*.json"))) == 1, "and kept it"
        generation.draw_ahead(operation, mode, settings, **arguments)
        assert not generation._AHEAD, "a kept draw is read, not drawn again"
    finally:
        generation.stop_drawing_apart()
