"""Uploads: a file sent in parts. Created, given parts, completed in another order than the parts were added (the
File it becomes is read back), and what the API refuses: a wrong md5, parts beyond the upload's size, a part or a
completion after a cancel.

Each case cancels the upload it leaves pending and deletes the File a completion made; the ledger does the rest
(a completed upload's File included).
"""

import hashlib

from conformance.case import requirement
from conformance.checks.uploads import UploadLifecycle

LIFE = (
    "uploads.object.shape",
    "uploads.create.pending",
    "uploads.part.shape",
    "uploads.complete.file",
    "uploads.complete.order",
)
FIRST, SECOND = b"first part\r\n", "second part, café\n".encode()


def create(oai_client, size: int, name: str):
    body = {"filename": f"oai-conformance-{name}.txt", "purpose": "user_data", "bytes": size, "mime_type": "text/plain"}
    exchange = oai_client.request("POST", "/uploads", json=body)
    found = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = found.get("id") if isinstance(found, dict) else None
    return exchange, ident if isinstance(ident, str) and ident else None


def add_part(oai_client, upload_id: str, data: bytes):
    return oai_client.request(
        "POST", f"/uploads/{upload_id}/parts", files=[("data", ("part", data, "application/octet-stream"))]
    )


def part_id(exchange):
    body = exchange.response.json if exchange.response is not None and 200 <= exchange.response.status < 300 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) else None


def complete(oai_client, upload_id: str, parts, md5: str | None = None):
    body = {"part_ids": [p for p in parts if p], **({"md5": md5} if md5 is not None else {})}
    return oai_client.request("POST", f"/uploads/{upload_id}/complete", json=body)


def made_file(exchange):
    body = exchange.response.json if exchange.response is not None and 200 <= exchange.response.status < 300 else None
    made = body.get("file") if isinstance(body, dict) else None
    ident = made.get("id") if isinstance(made, dict) else None
    return ident if isinstance(ident, str) and ident else None


def end(oai_client, upload_id: str, *completions) -> None:
    """Delete the File a completion made; cancel the upload when none did."""
    files = [f for f in map(made_file, completions) if f]
    for ident in files:
        oai_client.request("DELETE", f"/files/{ident}")
    if not files:
        oai_client.request("POST", f"/uploads/{upload_id}/cancel")


@requirement(*LIFE)
def test_upload_life(oai_client, oai_judge):
    made, ident = create(oai_client, len(FIRST) + len(SECOND), "life")
    if ident is None:
        oai_judge(UploadLifecycle(made), *LIFE)  # the shape rule says why; the others have nothing to judge
        return
    first, second = add_part(oai_client, ident, FIRST), add_part(oai_client, ident, SECOND)
    # Listed in the other order: the File is SECOND + FIRST.
    done = complete(oai_client, ident, [part_id(second), part_id(first)], hashlib.md5(SECOND + FIRST).hexdigest())
    steps = [("part", first), ("part", second), ("complete", done)]
    if file_id := made_file(done):
        steps.append(("content", oai_client.request("GET", f"/files/{file_id}/content")))
    end(oai_client, ident, done)
    oai_judge(UploadLifecycle(made, tuple(steps), parts=(FIRST, SECOND)), *LIFE)


@requirement("uploads.complete.md5")
def test_upload_wrong_md5(oai_client, oai_judge):
    made, ident = create(oai_client, len(FIRST), "md5")
    if ident is None:
        oai_judge(UploadLifecycle(made), "uploads.complete.md5")
        return
    part = add_part(oai_client, ident, FIRST)
    done = complete(oai_client, ident, [part_id(part)], hashlib.md5(b"other bytes").hexdigest())
    end(oai_client, ident, done)
    oai_judge(UploadLifecycle(made, (("part", part), ("complete-md5", done)), parts=(FIRST,)), "uploads.complete.md5")


@requirement("uploads.complete.size")
def test_upload_beyond_its_size(oai_client, oai_judge):
    made, ident = create(oai_client, len(FIRST), "size")
    if ident is None:
        oai_judge(UploadLifecycle(made), "uploads.complete.size")
        return
    part, over = add_part(oai_client, ident, FIRST), add_part(oai_client, ident, SECOND)
    steps = [("part", part), ("part-over", over)]
    if part_id(over):
        steps.append(("complete-over", complete(oai_client, ident, [part_id(part), part_id(over)])))
    end(oai_client, ident, *(e for what, e in steps if what == "complete-over"))
    oai_judge(UploadLifecycle(made, tuple(steps), parts=(FIRST, SECOND)), "uploads.complete.size")


@requirement("uploads.cancel.cancelled", "uploads.complete.cancelled")
def test_upload_cancelled(oai_client, oai_judge):
    made, ident = create(oai_client, len(FIRST), "cancel")
    if ident is None:
        oai_judge(UploadLifecycle(made), "uploads.cancel.cancelled", "uploads.complete.cancelled")
        return
    part = add_part(oai_client, ident, FIRST)
    cancel = oai_client.request("POST", f"/uploads/{ident}/cancel")
    late = add_part(oai_client, ident, b"x")
    done = complete(oai_client, ident, [part_id(part)])
    for ident_made in filter(None, [made_file(done)]):
        oai_client.request("DELETE", f"/files/{ident_made}")
    steps = (("part", part), ("cancel", cancel), ("part-cancelled", late), ("complete-cancelled", done))
    oai_judge(UploadLifecycle(made, steps, parts=(FIRST,)), "uploads.cancel.cancelled", "uploads.complete.cancelled")
