"""Videos: a job made from a prompt (landscape, the cheapest clip), polled to its end, its content in each variant,
remixed, listed and paged (while it and its remix are in the list), deleted; a job made with an input reference
image; an unknown id.

Every second of video is costly: the cases ask for the shortest clips (4 s) of sora-2, and make three videos at
most (`checks.videos.spent` counts the seconds). A real job takes minutes: the cases poll within `VIDEO_WAIT`, and
the rules that need a completed video skip, saying what was seen, when it did not complete in that time. Every
video a case makes it deletes (the ledger deletes the rest, remixes included).
"""

import io
import time

import pytest
from PIL import Image

from conformance.case import requirement, walk
from conformance.checks.videos import VideoLife

VIDEO_WAIT = 600.0
FIRST_POLL, LONGEST_POLL = 0.05, 15.0  # soon (a local server), then less and less often
RUNNING = ("queued", "in_progress")
MODEL, SIZE, SECONDS = "sora-2", "1280x720", "4"
PROMPT = "A paper boat drifting slowly across a calm pond, seen from above"
LIFE = (
    "videos.object.shape",
    "videos.create.echoes",
    "videos.status.transitions",
    "videos.progress.monotonic",
    "videos.completed.timestamps",
    "videos.retrieve.same",
    "videos.content.video",
    "videos.content.thumbnail",
    "videos.content.spritesheet",
    "videos.remix.shape",
    "videos.list.contains",
    "videos.delete.deleted",
)
REFERENCE = ("videos.create.input-reference", "videos.object.shape", "videos.status.transitions",
             "videos.progress.monotonic")  # fmt: skip
PAGES = (
    "videos.pages.limit",
    "videos.pages.has-more",
    "videos.pages.first-last-ids",
    "videos.pages.after-continues",
    "videos.pages.walk-once",
    "videos.pages.invalid-limit",
)


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def poll(oai_client, ident):
    """GET the job while it runs, VIDEO_WAIT at most: each answer a "poll" step."""
    steps = []
    deadline, wait = time.monotonic() + VIDEO_WAIT, FIRST_POLL
    while True:
        got = oai_client.request("GET", f"/videos/{ident}")
        steps.append(("poll", got))
        body = got.response.json if got.response is not None and got.response.status == 200 else None
        if not isinstance(body, dict) or body.get("status") not in RUNNING or time.monotonic() >= deadline:
            return steps
        time.sleep(min(wait, max(0.0, deadline - time.monotonic())))
        wait = min(wait * 2, LONGEST_POLL)


def reference_png(size: str) -> bytes:
    width, height = (int(x) for x in size.split("x"))
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.alone  # its walk reads the account's newest videos: another case's new one would move the pages
@requirement(*LIFE, *PAGES)
def test_a_video_over_its_life(oai_client, oai_judge):
    asked = {"prompt": PROMPT, "model": MODEL, "size": SIZE, "seconds": SECONDS}
    made = oai_client.request("POST", "/videos", files=[(k, (None, v)) for k, v in asked.items()])
    ident = made_id(made)
    if ident is None:
        oai_judge(VideoLife(made, asked=asked), *LIFE)  # the shape rule says why; the others have nothing
        return
    steps = poll(oai_client, ident)
    path = f"/videos/{ident}"
    for variant in ("video", "thumbnail", "spritesheet"):
        steps.append((f"content-{variant}", oai_client.request("GET", f"{path}/content", params={"variant": variant})))
    remix = oai_client.request("POST", f"{path}/remix", json={"prompt": "The same boat, at dusk"})
    steps += [("remix", remix), ("list", oai_client.request("GET", "/videos", params={"limit": 100}))]
    # Pages of one over the first four of the list, newest first, while the video and its remix are in it.
    oai_judge(walk(oai_client, "/videos", limit=1, ordered=False, window=4), *PAGES)
    if remixed := made_id(remix):
        oai_client.request("DELETE", f"/videos/{remixed}")
    steps += [("delete", oai_client.request("DELETE", path)), ("retrieve-deleted", oai_client.request("GET", path))]
    oai_judge(VideoLife(made, tuple(steps), asked=asked), *LIFE)


@requirement(*REFERENCE)
def test_a_video_from_an_input_reference(oai_client, oai_judge):
    asked = {"prompt": PROMPT, "model": MODEL, "size": SIZE, "seconds": SECONDS}
    parts = [(k, (None, v)) for k, v in asked.items()]
    parts.append(("input_reference", ("reference.png", reference_png(SIZE), "image/png")))
    made = oai_client.request("POST", "/videos", files=parts)
    steps = tuple(poll(oai_client, made_id(made))[:2]) if made_id(made) else ()
    if ident := made_id(made):
        oai_client.request("DELETE", f"/videos/{ident}")
    oai_judge(VideoLife(made, steps, asked={**asked, "input_reference": "reference.png"}), *REFERENCE)


@requirement("videos.retrieve.unknown", "errors.envelope.schema")
def test_an_unknown_video(oai_client, oai_judge):
    exchange = oai_client.request("GET", "/videos/video_00000000000000000000000000000000")
    oai_judge(exchange, "videos.retrieve.unknown", "errors.envelope.schema")
