"""The Responses API's WebSocket mode (/v1/responses over WebSocket): one connection, several response.create
events one after another, each waiting for its terminal event; continuations with previous_response_id of a
stored response and of a `store: false` one (kept by the connection); an unknown previous id, answered with an
error, and the connection going on. Every wait is bounded (conformance.websocket). The stored response is deleted
at the end.
"""

from conformance.case import requirement, responses_body
from conformance.checks.responses_socket import ENDS
from conformance.websocket import open_session

RULES = (
    "responses.websocket.stream",
    "responses.websocket.several",
    "responses.websocket.continues",
    "responses.websocket.unknown-previous",
    "responses.websocket.answers",
)
UNKNOWN = "resp_oaiconformance0000000000000000000000000000"


def create(session, model, text, **extra):
    body = {k: v for k, v in responses_body(model, text, **extra).items() if k != "stream"}
    session.send({"type": "response.create", **body})
    events = session.receive_until(ENDS)
    end = events[-1] if events and events[-1].get("type") in ENDS else {}
    response = end.get("response") if isinstance(end.get("response"), dict) else {}
    return response.get("id")


@requirement(*RULES)
def test_responses_over_websocket(oai_client, oai_target, oai_judge):
    model = oai_target.model("responses")
    session = open_session(oai_client, "/responses")
    stored = create(session, model, "Say OK.")
    unstored = create(session, model, "Say it again.", previous_response_id=stored, store=False)
    create(session, model, "Once more.", previous_response_id=unstored, store=False)
    create(session, model, "Say OK.", previous_response_id=UNKNOWN)
    create(session, model, "Say OK.", store=False)
    transcript = session.close()
    if stored:
        oai_client.request("DELETE", f"/responses/{stored}")
    oai_judge(transcript, *RULES)
