"""The official `openai` SDK drives seed 000's six /v1/graders operations against the reference server (create,
list, retrieve, update, grade, delete), each without an exception. The SDK has no graders namespace: its generic
`get`/`post`/`delete` send them, through its own HTTP layer, authentication and error mapping."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests._sdk import reference_sdk

openai = pytest.importorskip("openai")

KEY = "sk-graders-" + os.urandom(8).hex()
# Seed 000's example requests.
GRADER = {"name": "Response Quality Grader", "instructions": "Grade responses on helpfulness, accuracy, and clarity",
          "grading_model": "gpt-4o-mini"}  # fmt: skip
GRADED = {"input": "What is the capital of France?", "output": "The capital of France is Paris.",
          "expected_output": "Paris is the capital of France."}  # fmt: skip
Json = dict[str, Any]


@pytest.fixture(scope="module")
def client():
    with reference_sdk(KEY) as sdk:
        yield sdk


def test_the_sdk_manages_graders(client) -> None:
    made = client.post("/graders", cast_to=Json, body=GRADER)
    assert made["id"] and made["name"] == GRADER["name"]
    other = client.post("/graders", cast_to=Json, body={**GRADER, "name": "another"})
    path = f"/graders/{made['id']}"
    assert client.get(path, cast_to=Json) == made
    listed = [g["id"] for g in client.get("/graders", cast_to=Json)["data"]]
    assert {made["id"], other["id"]} <= set(listed)
    updated = client.post(path, cast_to=Json, body={"name": "renamed", "instructions": "Grade accuracy only"})
    assert (updated["name"], updated["instructions"]) == ("renamed", "Grade accuracy only")
    assert client.get(path, cast_to=Json)["name"] == "renamed"
    gone = client.delete(path, cast_to=Json)
    assert gone["deleted"] is True and gone["id"] == made["id"]
    with pytest.raises(openai.NotFoundError):
        client.get(path, cast_to=Json)
    client.delete(f"/graders/{other['id']}", cast_to=Json)


def test_the_sdk_grades(client) -> None:
    ident = client.post("/graders", cast_to=Json, body=GRADER)["id"]
    same = client.post(f"/graders/{ident}/grade", cast_to=Json, body={**GRADED, "output": GRADED["expected_output"]})
    assert same["score"] == 1.0
    graded = client.post(f"/graders/{ident}/grade", cast_to=Json, body=GRADED)
    assert 0 <= graded["score"] < 1
    client.delete(f"/graders/{ident}", cast_to=Json)


def test_the_sdk_maps_the_refusals(client) -> None:
    with pytest.raises(openai.BadRequestError):
        client.post("/graders", cast_to=Json, body={**GRADER, "grading_model": 42})
    with pytest.raises(openai.BadRequestError):
        client.post("/graders", cast_to=Json, body={"name": "no instructions"})
    with pytest.raises(openai.NotFoundError):
        client.post("/graders/grader_never/grade", cast_to=Json, body=GRADED)
