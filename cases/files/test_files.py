"""Files: an upload over its life (retrieve, content byte for byte, list, the purpose filter, delete), its
expiry, the list's pages, and the uploads the API refuses.

The list of files is shared by the whole account and by the other cases of the run, so the rules over it look
only at what the case uploaded (the file is in the list; a purpose filter lists only that purpose), and the pages
are walked over `purpose=evals`, which only the pages case uploads. What a case uploads it deletes; the ledger
deletes the rest.
"""

import json

from conformance.case import requirement, walk
from conformance.checks.files import FileLifecycle, SentFile

LIFE = (
    "files.object.shape",
    "files.create.bytes",
    "files.create.filename",
    "files.create.purpose",
    "files.create.status",
    "files.content.round-trip",
    "files.retrieve.same",
    "files.list.contains",
    "files.list.purpose-filter",
    "files.delete.deleted",
)
PAGES = (
    "files.pages.limit",
    "files.pages.has-more",
    "files.pages.first-last-ids",
    "files.pages.after-continues",
    "files.pages.walk-once",
    "files.pages.order-reverses",
    "files.pages.invalid-limit",
)
# CR LF and LF line ends, a tab, multi-byte UTF-8 and no final newline: a server that rewrites text shows.
DATA = "oai-conformance\r\nround trip\n\tcafé 20€ ✓ no final newline".encode()
PAGES_PURPOSE = "evals"
# One line the Batch API reads, then one that is not JSON.
BATCH_LINE = {
    "custom_id": "oai-conformance-1",
    "method": "POST",
    "url": "/v1/chat/completions",
    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "OK"}], "max_tokens": 1},
}
BAD_JSONL = (json.dumps(BATCH_LINE) + "\n{not json\n").encode()


def upload(oai_client, sent: SentFile):
    fields = [("purpose", (None, sent.purpose)), ("file", (sent.filename, sent.data, "text/plain"))]
    if sent.expires_after is not None:
        fields += [
            ("expires_after[anchor]", (None, "created_at")),
            ("expires_after[seconds]", (None, str(sent.expires_after))),
        ]
    return oai_client.request("POST", "/files", files=fields)


def made_id(exchange):
    body = exchange.response.json if exchange.response is not None and exchange.response.status == 200 else None
    ident = body.get("id") if isinstance(body, dict) else None
    return ident if isinstance(ident, str) and ident else None


def delete(oai_client, exchange) -> None:
    """Delete what an upload made, when it made something (a server that accepted a mistake, too)."""
    if ident := made_id(exchange):
        oai_client.request("DELETE", f"/files/{ident}")


@requirement(*LIFE)
def test_file_life(oai_client, oai_judge):
    sent = SentFile("oai-conformance-life.txt", "user_data", DATA)
    made = upload(oai_client, sent)
    ident = made_id(made)
    if ident is None:
        oai_judge(FileLifecycle(made, sent=sent), *LIFE)  # the shape rule says why; the others have nothing
        return
    other = upload(oai_client, SentFile("oai-conformance-other.txt", "assistants", b"another purpose"))
    path = f"/files/{ident}"
    steps = (
        ("retrieve", oai_client.request("GET", path)),
        ("content", oai_client.request("GET", f"{path}/content")),
        ("list", oai_client.request("GET", "/files")),
        ("created", other),
        ("list-purpose", oai_client.request("GET", "/files", params={"purpose": sent.purpose})),
        ("delete", oai_client.request("DELETE", path)),
        ("retrieve-deleted", oai_client.request("GET", path)),
        ("content-deleted", oai_client.request("GET", f"{path}/content")),
    )
    delete(oai_client, other)
    oai_judge(FileLifecycle(made, steps, sent=sent), *LIFE)


@requirement("files.create.expires-at")
def test_file_expiry(oai_client, oai_judge):
    sent = SentFile("oai-conformance-expiry.txt", "user_data", b"expires in a day", expires_after=86_400)
    made = upload(oai_client, sent)
    steps = (("retrieve", oai_client.request("GET", f"/files/{made_id(made)}")),) if made_id(made) else ()
    delete(oai_client, made)
    oai_judge(FileLifecycle(made, steps, sent=sent), "files.create.expires-at")


@requirement(*PAGES)
def test_files_list_pages(oai_client, oai_judge):
    # Three files of a purpose no other case uploads: a page of two walks in two pages.
    made = [
        upload(oai_client, SentFile(f"oai-conformance-page-{n}.jsonl", PAGES_PURPOSE, b'{"item": {"n": %d}}\n' % n))
        for n in range(3)
    ]
    try:
        oai_judge(walk(oai_client, "/files", limit=2, params={"purpose": PAGES_PURPOSE}), *PAGES)
    finally:
        for exchange in made:
            delete(oai_client, exchange)


@requirement("files.create.wrong-purpose", "files.create.empty", "files.create.bad-jsonl")
def test_refused_uploads(oai_client, oai_judge):
    refusals = (
        ("files.create.wrong-purpose", SentFile("oai-conformance.txt", "oai-conformance-no-such-purpose", b"OK")),
        ("files.create.empty", SentFile("oai-conformance-empty.txt", "user_data", b"")),
        ("files.create.bad-jsonl", SentFile("oai-conformance-bad.jsonl", "batch", BAD_JSONL)),
    )
    for rule, sent in refusals:
        exchange = upload(oai_client, sent)
        delete(oai_client, exchange)
        oai_judge(exchange, rule)
