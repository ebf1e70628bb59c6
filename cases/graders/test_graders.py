"""Graders (seed 000's /v1/graders, feature `graders`, claimed only by name): a grader over its life (create,
retrieve, update, delete), the list, a grade of seed 000's example, and a grader the API refuses.

The graders name the chat model as their grading model; grading asks it once, for a few words. What a case creates
it deletes; the ledger deletes the rest.
"""

import pytest

from conformance.case import Lifecycle, requirement

CREATED = ("graders.create.schema", "graders.create.echoes")
LIFE = ("graders.object.keys", "graders.retrieve.same", "graders.update.applied", "graders.delete.deleted")
INSTRUCTIONS = "Grade responses on helpfulness, accuracy, and clarity"
# Seed 000's example grade request.
GRADED = {
    "input": "What is the capital of France?",
    "output": "The capital of France is Paris.",
    "expected_output": "Paris is the capital of France.",
}
NEVER_ISSUED = "grader_00000000000000000000000000000000"


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def create(oai_client, oai_target, name="oai-conformance", **over):
    body = {"name": name, "instructions": INSTRUCTIONS, "grading_model": oai_target.model("chat"), **over}
    return oai_client.request("POST", "/graders", json=body)


def delete(oai_client, exchange) -> None:
    """Delete what a create made, when it made something (a server that accepted a mistake, too)."""
    if ident := made_id(exchange):
        oai_client.request("DELETE", f"/graders/{ident}")


@requirement(*CREATED, *LIFE)
def test_grader_life(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target)
    oai_judge(made, *CREATED)
    ident = made_id(made)
    if ident is None:
        pytest.skip(f"creating a grader failed, so its life cannot be judged: {made.response}")
    path = f"/graders/{ident}"
    update = {"name": "oai-conformance-renamed", "instructions": "Grade responses on accuracy only"}
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("update", oai_client.request("POST", path, json=update)),
        ("retrieve-updated", oai_client.request("GET", path)),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
    )
    oai_judge(Lifecycle(made, steps), *LIFE)


@requirement("graders.list.contains", "graders.retrieve.unknown")
def test_graders_list(oai_client, oai_target, oai_judge):
    made = [create(oai_client, oai_target, f"oai-conformance-{n}") for n in range(2)]
    listing = oai_client.request("GET", "/graders")
    for exchange in made:
        delete(oai_client, exchange)
    oai_judge(Lifecycle(made[0], (("created", made[1]), ("list", listing))), "graders.list.contains")
    oai_judge(oai_client.request("GET", f"/graders/{NEVER_ISSUED}"), "graders.retrieve.unknown")


@requirement("graders.grade.schema", "graders.grade.score")
def test_grade(oai_client, oai_target, oai_judge):
    made = create(oai_client, oai_target, "oai-conformance-grade")
    ident = made_id(made)
    if ident is None:
        pytest.skip(f"creating a grader failed, so nothing can be graded: {made.response}")
    graded = oai_client.request("POST", f"/graders/{ident}/grade", json=GRADED)
    delete(oai_client, made)
    oai_judge(graded, "graders.grade.schema", "graders.grade.score")


@requirement("graders.create.invalid")
def test_invalid_grader(oai_client, oai_target, oai_judge):
    refused = create(oai_client, oai_target, "oai-conformance-invalid", grading_model=42)
    delete(oai_client, refused)
    oai_judge(refused, "graders.create.invalid")
