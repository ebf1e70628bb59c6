"""The human certificate, in Markdown and in self-contained HTML, rendered from a results document.

Both formats share one view model (`certificate_context`): the verdict with the MUST requirements of the claimed
features accounted for, an index of what to look at (failed, warned, errored and skipped requirements, each a link
to its section), the target in words, the per-feature table, the departures from the OpenAI API with their
evidence, the skipped requirements with their reasons, and the full requirement table. The templates live in
`templates/`; HTML is autoescaped (backticks become code), Markdown text goes through the `md` filter.

`must_tally` and `must_share` are also the compatibility matrix's (certify/matrix.py): one MUST denominator, the
requirements of the claimed features, and the skipped ones shown apart from the share.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from conformance.checks.evidence import DRIFT_HINT
from conformance.exchange import curl_line, excerpt, printable
from conformance.judgement import NOT_RUN, Status, departs, failing
from conformance.spend import describe

TITLE = "OpenAI API conformance certificate"
TEMPLATES = Path(__file__).parent / "templates"
REQUEST_LIMIT = 1024  # bytes of a request body shown as evidence
RESPONSE_LIMIT = 2048  # bytes of a response body shown as evidence
SHOWN_FAILURES = 5  # failures shown per requirement
SHOWN_EXCHANGES = 5  # exchanges shown per requirement


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _duration(seconds: float) -> str:
    seconds = float(seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def _number(value: Any) -> str:
    """10.0 -> 10, 2.5 -> 2.5."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _value(value: Any) -> str:
    """A target value in one line: lists joined, mappings as `key: value` pairs."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(_value(v) for v in value) or "—"
    return str(value)


# --- The MUST requirements, accounted for (shared with the compatibility matrix) ---


@dataclass(frozen=True)
class MustTally:
    """What became of the MUST requirements: `claimed` is passed + failed + skipped + not_run + other, and
    `total` is claimed + not_claimed. `skipped` holds skips with a reason (nothing to judge, a declined option),
    `not_run` the claimed requirements no case judged; `other` a status no MUST rule gives (a warning)."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    not_run: int = 0
    not_claimed: int = 0
    other: int = 0

    @property
    def claimed(self) -> int:
        return self.total - self.not_claimed

    @property
    def unjudged(self) -> int:
        return self.skipped + self.not_run


def _not_run(entry: dict[str, Any]) -> bool:
    return entry["status"] == Status.SKIP.value and list(entry.get("reasons", [])) == [NOT_RUN]


def must_tally(requirements: Iterable[dict[str, Any]], feature: str | None = None) -> MustTally:
    """The MUST requirements of a results document (of one feature, when given), by what became of them."""
    counts = dict.fromkeys(("passed", "failed", "skipped", "not_run", "not_claimed", "other"), 0)
    total = 0
    for entry in requirements:
        if entry["level"] != "MUST" or (feature is not None and entry["feature"] != feature):
            continue
        total += 1
        status = entry["status"]
        if status == Status.NOT_CLAIMED.value:
            counts["not_claimed"] += 1
        elif status == Status.PASS.value:
            counts["passed"] += 1
        elif failing(status):
            counts["failed"] += 1
        elif _not_run(entry):
            counts["not_run"] += 1
        elif status == Status.SKIP.value:
            counts["skipped"] += 1
        else:
            counts["other"] += 1
    return MustTally(total=total, **counts)


def must_share(tally: MustTally) -> str:
    """`passed/claimed (share%)`; with the unjudged apart (`0/7, 6 skipped`) when some could not be judged, so a
    share is never read as failures; `—` when the feature is not claimed."""
    if not tally.claimed:
        return "—"
    if tally.unjudged:
        return f"{tally.passed}/{tally.claimed}, {tally.unjudged} skipped"
    return f"{tally.passed}/{tally.claimed} ({100 * tally.passed // tally.claimed}%)"


def _must_breakdown(tally: MustTally) -> str:
    """One sentence whose numbers add up to the MUST total."""
    parts = [f"{tally.failed} failed"]
    if tally.other:
        parts.append(f"{tally.other} warned")
    parts.append(f"{tally.skipped} skipped with a reason")
    parts.append(f"{tally.not_run} not run")
    text = (
        f"{tally.passed} of the {_plural(tally.claimed, 'MUST requirement')} of the claimed features passed, "
        + ", ".join(parts[:-1])
        + f" and {parts[-1]}"
    )
    if tally.not_claimed:
        text += f"; {tally.not_claimed} more belong to features not claimed ({tally.total} MUST in all)"
    return text + "."


# --- Sources: the public page of each seed section the catalogue cites ---

API = "https://platform.openai.com/docs/api-reference"
GUIDES = "https://platform.openai.com/docs/guides"
STREAM_EVENTS = f"{API}/responses-streaming"
# The catalogue cites sections of the seed documents the suite was written from (`seeds/<file>#<heading>`), which
# a reader of a certificate does not have: each is shown as the public OpenAI page that says the same.
# 000 "OpenAI API Reference - Complete Guide" (Responses, Conversations, streaming events); 001 "OpenAI Platform
# API Documentation (Latest)" (authentication, errors, chat completions); 002 "API Reference" (the classic
# reference: streaming, embeddings); 003 "OpenAI REST API - Complete Reference Guide" (every endpoint).
PUBLIC_SOURCES: dict[str, dict[str, tuple[str, str]]] = {
    "000_9bed5940f43c9069": {
        "cancel-a-response": ("Responses › Cancel a response", f"{API}/responses/cancel"),
        "conversations-api": ("Conversations", f"{API}/conversations"),
        "core-response-events": ("Responses streaming events", STREAM_EVENTS),
        "create-a-conversation": ("Conversations › Create a conversation", f"{API}/conversations/create"),
        "create-items": ("Conversations › Create items", f"{API}/conversations/create-items"),
        "delete-a-conversation": ("Conversations › Delete a conversation", f"{API}/conversations/delete"),
        "delete-a-model-response": ("Responses › Delete a model response", f"{API}/responses/delete"),
        "delete-an-item": ("Conversations › Delete an item", f"{API}/conversations/delete-item"),
        "embeddings-api": ("Embeddings › Create embeddings", f"{API}/embeddings/create"),
        "function-calling": ("Function calling guide", f"{GUIDES}/function-calling"),
        "get-a-model-response": ("Responses › Get a model response", f"{API}/responses/get"),
        "image-input-analysis": ("Images and vision guide", f"{GUIDES}/images-vision"),
        "list-input-items": ("Responses › List input items", f"{API}/responses/input-items"),
        "list-items": ("Conversations › List items", f"{API}/conversations/list-items"),
        "moderation-response": ("Moderations › The moderation object", f"{API}/moderations/object"),
        "output-events": (
            "Responses streaming events › response.output_item.added",
            f"{STREAM_EVENTS}/response/output_item/added",
        ),
        "request-parameters": ("Responses › Create a model response", f"{API}/responses/create"),
        "response-object-structure": ("Responses › The response object", f"{API}/responses/object"),
        "responsecompleted": (
            "Responses streaming events › response.completed",
            f"{STREAM_EVENTS}/response/completed",
        ),
        "responsecreated": ("Responses streaming events › response.created", f"{STREAM_EVENTS}/response/created"),
        "responseincomplete": (
            "Responses streaming events › response.incomplete",
            f"{STREAM_EVENTS}/response/incomplete",
        ),
        "responseoutput_itemdone": (
            "Responses streaming events › response.output_item.done",
            f"{STREAM_EVENTS}/response/output_item/done",
        ),
        "responseoutput_textdelta": (
            "Responses streaming events › response.output_text.delta",
            f"{STREAM_EVENTS}/response/output_text/delta",
        ),
        "retrieve-a-conversation": ("Conversations › Retrieve a conversation", f"{API}/conversations/retrieve"),
        "retrieve-an-item": ("Conversations › Retrieve an item", f"{API}/conversations/get-item"),
        "streaming-events": ("Responses streaming events", STREAM_EVENTS),
        "tool-call-events": (
            "Responses streaming events › response.function_call_arguments.delta",
            f"{STREAM_EVENTS}/response/function_call_arguments/delta",
        ),
        "update-a-conversation": ("Conversations › Update a conversation", f"{API}/conversations/update"),
        "batch-object": ("Batch › The batch object", f"{API}/batch/object"),
    },
    "001_ba73c77052365818": {
        "authentication": ("Authentication", f"{API}/authentication"),
        "create-chat-completion": ("Chat Completions › Create chat completion", f"{API}/chat/create"),
        "create-moderation": ("Moderations › Create moderation", f"{API}/moderations/create"),
        "error-handling": ("Error codes guide", f"{GUIDES}/error-codes"),
        "error-codes": ("Error codes guide", f"{GUIDES}/error-codes"),
        "streaming": ("Chat Completions › Streaming", f"{API}/chat-streaming"),
        "structured-outputs": ("Structured Outputs guide", f"{GUIDES}/structured-outputs"),
    },
    "002_1de040b6f462aa26": {
        "create-chat-completion": ("Chat Completions › Create chat completion", f"{API}/chat/create"),
        "delete-a-fine-tuned-model": ("Models › Delete a fine-tuned model", f"{API}/models/delete"),
        "create-embeddings": ("Embeddings › Create embeddings", f"{API}/embeddings/create"),
        "create-moderation": ("Moderations › Create moderation", f"{API}/moderations/create"),
        "streaming": ("Chat Completions › Streaming", f"{API}/chat-streaming"),
    },
    "003_464f4ddc75d6527e": {
        "delete-modelsmodel": ("Models › Delete a fine-tuned model", f"{API}/models/delete"),
        "base-url-and-endpoints": ("Introduction", f"{API}/introduction"),
        "list-chat-completions": ("Chat Completions › List Chat Completions", f"{API}/chat/list"),
        "retrieve-chat-completion": ("Chat Completions › Get chat completion", f"{API}/chat/get"),
        "update-chat-completion": ("Chat Completions › Update chat completion", f"{API}/chat/update"),
        "delete-chat-completion": ("Chat Completions › Delete chat completion", f"{API}/chat/delete"),
        "get-chat-messages": ("Chat Completions › Get chat messages", f"{API}/chat/getMessages"),
        "completionusage": ("Completions › The completion object", f"{API}/completions/object"),
        "create-completion": ("Completions › Create completion", f"{API}/completions/create"),
        "createcompletionrequest": ("Completions › Create completion", f"{API}/completions/create"),
        "createcompletionresponse": ("Completions › The completion object", f"{API}/completions/object"),
        "create-embeddings": ("Embeddings › Create embeddings", f"{API}/embeddings/create"),
        "createmoderationrequest": ("Moderations › Create moderation", f"{API}/moderations/create"),
        "createmoderationresponse": ("Moderations › The moderation object", f"{API}/moderations/object"),
        "function-calling": ("Function calling guide", f"{GUIDES}/function-calling"),
        "get-models": ("Models › List models", f"{API}/models/list"),
        "get-modelsmodel": ("Models › Retrieve model", f"{API}/models/retrieve"),
        "request-format": ("Introduction", f"{API}/introduction"),
        # The seed's "Response Format" of the chat completions section: the object every such rule judges.
        "response-format": ("Chat Completions › The chat completion object", f"{API}/chat/object"),
        # The Responses API's components: a request's input message, its structured output format, its usage.
        "easyinputmessage": ("Responses › Create a model response", f"{API}/responses/create"),
        "textresponseformatjsonschema": ("Structured Outputs guide", f"{GUIDES}/structured-outputs"),
        "responseusage": ("Responses › The response object", f"{API}/responses/object"),
        # Files and uploads.
        "openaifile": ("Files › The file object", f"{API}/files/object"),
        "upload-file": ("Files › Upload file", f"{API}/files/create"),
        "upload-file-parameters": ("Files › Upload file", f"{API}/files/create"),
        "upload-file-response": ("Files › Upload file", f"{API}/files/create"),
        "createfilerequest": ("Files › Upload file", f"{API}/files/create"),
        "fileexpirationafter": ("Files › Upload file", f"{API}/files/create"),
        "list-files": ("Files › List files", f"{API}/files/list"),
        "list-files-parameters": ("Files › List files", f"{API}/files/list"),
        "retrieve-file-info": ("Files › Retrieve file", f"{API}/files/retrieve"),
        "get-filesfile_idcontent": ("Files › Retrieve file content", f"{API}/files/retrieve-contents"),
        "delete-file": ("Files › Delete file", f"{API}/files/delete"),
        "batch-file-format": ("Batch › The request input object", f"{API}/batch/request-input"),
        "upload": ("Uploads › The upload object", f"{API}/uploads/object"),
        "create-upload": ("Uploads › Create upload", f"{API}/uploads/create"),
        "uploadpart": ("Uploads › The upload part object", f"{API}/uploads/part-object"),
        "complete-upload": ("Uploads › Complete upload", f"{API}/uploads/complete"),
        "completeuploadrequest": ("Uploads › Complete upload", f"{API}/uploads/complete"),
        "cancel-upload": ("Uploads › Cancel upload", f"{API}/uploads/cancel"),
        # Batches.
        "create-batch": ("Batch › Create batch", f"{API}/batch/create"),
        "list-batches": ("Batch › List batches", f"{API}/batch/list"),
        "retrieve-batch": ("Batch › Retrieve batch", f"{API}/batch/retrieve"),
        "cancel-batch": ("Batch › Cancel batch", f"{API}/batch/cancel"),
        # Vector stores.
        "create-vector-store": ("Vector stores › Create vector store", f"{API}/vector-stores/create"),
        "list-vector-stores": ("Vector stores › List vector stores", f"{API}/vector-stores/list"),
        "retrieve-vector-store": ("Vector stores › Retrieve vector store", f"{API}/vector-stores/retrieve"),
        "modify-vector-store": ("Vector stores › Modify vector store", f"{API}/vector-stores/modify"),
        "delete-vector-store": ("Vector stores › Delete vector store", f"{API}/vector-stores/delete"),
        "vectorstoreobject": ("Vector stores › The vector store object", f"{API}/vector-stores/object"),
        "vectorstoreexpirationafter": ("Vector stores › Create vector store", f"{API}/vector-stores/create"),
        "vectorstoresearchrequest": ("Vector stores › Search vector store", f"{API}/vector-stores/search"),
        "vectorstoresearchresultspage": ("Vector stores › Search vector store", f"{API}/vector-stores/search"),
        "comparisonfilter": ("Vector stores › Search vector store", f"{API}/vector-stores/search"),
        "filesearchrankingoptions": ("Vector stores › Search vector store", f"{API}/vector-stores/search"),
        "create-vector-store-file": (
            "Vector store files › Create vector store file",
            f"{API}/vector-stores-files/createFile",
        ),
        "list-vector-store-files": (
            "Vector store files › List vector store files",
            f"{API}/vector-stores-files/listFiles",
        ),
        "retrieve-vector-store-file": (
            "Vector store files › Retrieve vector store file",
            f"{API}/vector-stores-files/getFile",
        ),
        "update-vector-store-file": (
            "Vector store files › Update vector store file attributes",
            f"{API}/vector-stores-files/updateAttributes",
        ),
        "retrieve-file-content": (
            "Vector store files › Retrieve vector store file content",
            f"{API}/vector-stores-files/getContent",
        ),
        "delete-vector-store-file": (
            "Vector store files › Delete vector store file",
            f"{API}/vector-stores-files/deleteFile",
        ),
        "vectorstorefileobject": (
            "Vector store files › The vector store file object",
            f"{API}/vector-stores-files/file-object",
        ),
        "staticchunkingstrategy": (
            "Vector store files › Create vector store file",
            f"{API}/vector-stores-files/createFile",
        ),
        "autochunkingstrategyrequestparam": (
            "Vector store files › Create vector store file",
            f"{API}/vector-stores-files/createFile",
        ),
        "create-file-batch": (
            "Vector store file batches › Create vector store file batch",
            f"{API}/vector-stores-file-batches/createBatch",
        ),
        "retrieve-file-batch": (
            "Vector store file batches › Retrieve vector store file batch",
            f"{API}/vector-stores-file-batches/getBatch",
        ),
        "cancel-file-batch": (
            "Vector store file batches › Cancel vector store file batch",
            f"{API}/vector-stores-file-batches/cancelBatch",
        ),
        "list-files-in-batch": (
            "Vector store file batches › List vector store files in a batch",
            f"{API}/vector-stores-file-batches/listBatchFiles",
        ),
        # The file_search tool of the Responses API.
        "filesearchtoolcall": ("File search guide", f"{GUIDES}/tools-file-search"),
        "filecitationbody": ("File search guide", f"{GUIDES}/tools-file-search"),
        # Images.
        "createimagerequest": ("Images › Create image", f"{API}/images/create"),
        "createimageeditrequest": ("Images › Create image edit", f"{API}/images/createEdit"),
        "createimagevariationrequest": ("Images › Create image variation", f"{API}/images/createVariation"),
        "imagesresponse": ("Images › The image generation response", f"{API}/images/object"),
        "image": ("Images › The image generation response", f"{API}/images/object"),
        "imagesusage": ("Images › The image generation response", f"{API}/images/object"),
        "imagegenpartialimageevent": (
            "Image streaming › image_generation.partial_image",
            f"{API}/images-streaming/image_generation/partial_image",
        ),
        "imageeditpartialimageevent": (
            "Image streaming › image_edit.partial_image",
            f"{API}/images-streaming/image_edit/partial_image",
        ),
        # Videos.
        "createvideobody": ("Videos › Create video", f"{API}/videos/create"),
        "get-videos": ("Videos › List videos", f"{API}/videos/list"),
        "get-videosvideo_id": ("Videos › Retrieve video", f"{API}/videos/retrieve"),
        "get-videosvideo_idcontent": ("Videos › Retrieve video content", f"{API}/videos/content"),
        "deletedvideoresource": ("Videos › Delete video", f"{API}/videos/delete"),
        "post-videosvideo_idremix": ("Videos › Remix video", f"{API}/videos/remix"),
        "videoresource": ("Videos › The video job object", f"{API}/videos/object"),
        # Audio.
        "createspeechrequest": ("Audio › Create speech", f"{API}/audio/createSpeech"),
        "speechaudiodeltaevent": ("Audio › speech.audio.delta", f"{API}/audio/speech-audio-delta-event"),
        "create-transcription": ("Audio › Create transcription", f"{API}/audio/createTranscription"),
        "createtranscriptionrequest": ("Audio › Create transcription", f"{API}/audio/createTranscription"),
        "audioresponseformat": ("Audio › Create transcription", f"{API}/audio/createTranscription"),
        "createtranscriptionresponsejson": (
            "Audio › The transcription object (JSON)",
            f"{API}/audio/json-object",
        ),
        "createtranscriptionresponseverbosejson": (
            "Audio › The transcription object (Verbose JSON)",
            f"{API}/audio/verbose-json-object",
        ),
        "transcriptionsegment": (
            "Audio › The transcription object (Verbose JSON)",
            f"{API}/audio/verbose-json-object",
        ),
        "transcripttextdeltaevent": ("Audio › transcript.text.delta", f"{API}/audio/transcript-text-delta-event"),
        "transcripttextdoneevent": ("Audio › transcript.text.done", f"{API}/audio/transcript-text-done-event"),
        "createtranslationrequest": ("Audio › Create translation", f"{API}/audio/createTranslation"),
        # The translation's verbose answer has no page of its own: the create translation page shows it.
        "createtranslationresponseverbosejson": ("Audio › Create translation", f"{API}/audio/createTranslation"),
        # administration API (families organization and usage)
        "organization-management-api": ("Administration", f"{API}/administration"),
        "userlistresponse": ("Users › List users", f"{API}/users/list"),
        "user": ("Users › The user object", f"{API}/users/object"),
        "adminapikey": ("Admin API keys › The admin API key object", f"{API}/admin-api-keys/object"),
        "list-audit-logs-parameters": ("Audit logs › List audit logs", f"{API}/audit-logs/list"),
        "list-audit-logs-response": ("Audit logs › List audit logs", f"{API}/audit-logs/list"),
        "usageresponse": ("Usage › Completions", f"{API}/usage/completions"),
        "usagetimebucket": ("Usage › Completions", f"{API}/usage/completions"),
        "usagecompletionsresult": ("Usage › Completions object", f"{API}/usage/completions_object"),
        "audio-speeches-usage-parameters": ("Usage › Audio speeches", f"{API}/usage/audio_speeches"),
        "costsresult": ("Usage › Costs object", f"{API}/usage/costs_object"),
        "get-costs-parameters": ("Usage › Costs", f"{API}/usage/costs"),
        "create-organization-invite": ("Invites › Create invite", f"{API}/invite/create"),
        "create-project": ("Projects › Create project", f"{API}/projects/create"),
        "add-user-to-project": ("Project users › Create project user", f"{API}/project-users/create"),
        "create-project-service-account": (
            "Project service accounts › Create project service account",
            f"{API}/project-service-accounts/create",
        ),
        "delete-project-api-key": ("Project API keys › Delete project API key", f"{API}/project-api-keys/delete"),
        "update-project-rate-limit": (
            "Project rate limits › Modify project rate limit",
            f"{API}/project-rate-limits/update",
        ),
        "upload-certificate": ("Certificates › Upload certificate", f"{API}/certificates/uploadCertificate"),
        # fine-tuning, graders and evals (helper finetune-evals)
        "create-fine-tuning-job": ("Fine-tuning › Create fine-tuning job", f"{API}/fine-tuning/create"),
        "createfinetuningjobrequest": ("Fine-tuning › Create fine-tuning job", f"{API}/fine-tuning/create"),
        "finetunemethod": ("Fine-tuning › Create fine-tuning job", f"{API}/fine-tuning/create"),
        "finetuningjob": ("Fine-tuning › The fine-tuning job object", f"{API}/fine-tuning/object"),
        "get-fine_tuningjobsfine_tuning_job_id": (
            "Fine-tuning › Retrieve fine-tuning job",
            f"{API}/fine-tuning/retrieve",
        ),
        "post-fine_tuningjobsfine_tuning_job_idcancel": (
            "Fine-tuning › Cancel fine-tuning",
            f"{API}/fine-tuning/cancel",
        ),
        "post-fine_tuningjobsfine_tuning_job_idpause": ("Fine-tuning › Pause fine-tuning", f"{API}/fine-tuning/pause"),
        "get-fine_tuningjobsfine_tuning_job_idevents": (
            "Fine-tuning › List fine-tuning events",
            f"{API}/fine-tuning/list-events",
        ),
        "get-fine_tuningjobsfine_tuning_job_idcheckpoints": (
            "Fine-tuning › List fine-tuning checkpoints",
            f"{API}/fine-tuning/list-checkpoints",
        ),
        "list-fine-tuning-jobs": ("Fine-tuning › List fine-tuning jobs", f"{API}/fine-tuning/list"),
        "post-fine_tuningcheckpointsfine_tuned_model_checkpointpermissions": (
            "Fine-tuning › Create checkpoint permissions",
            f"{API}/fine-tuning/create-permission",
        ),
        "get-fine_tuningcheckpointsfine_tuned_model_checkpointpermissions": (
            "Fine-tuning › List checkpoint permissions",
            f"{API}/fine-tuning/list-permissions",
        ),
        "delete-fine_tuningcheckpointsfine_tuned_model_checkpointpermissionspermission_id": (
            "Fine-tuning › Delete checkpoint permission",
            f"{API}/fine-tuning/delete-permission",
        ),
        "rungraderresponse": ("Graders › Run grader", f"{API}/graders/run"),
        "validategraderresponse": ("Graders › Validate grader", f"{API}/graders/validate"),
        "graderstringcheck": ("Graders › String check grader", f"{API}/graders/string-check"),
        "gradertextsimilarity": ("Graders › Text similarity grader", f"{API}/graders/text-similarity"),
        "graderscoremodel": ("Graders › Score model grader", f"{API}/graders/score-model"),
        "gradermulti": ("Graders › Multi grader", f"{API}/graders/multi"),
        "createevalrequest": ("Evals › Create eval", f"{API}/evals/create"),
        "eval": ("Evals › The eval object", f"{API}/evals/object"),
        "list-evaluations": ("Evals › List evals", f"{API}/evals/list"),
        "update-evaluation": ("Evals › Update an eval", f"{API}/evals/update"),
        "delete-evaluation": ("Evals › Delete an eval", f"{API}/evals/delete"),
        "evalrun": ("Evals › The eval run object", f"{API}/evals/run-object"),
        "evalrunlist": ("Evals › Get eval runs", f"{API}/evals/getRuns"),
        "evalrunoutputitem": ("Evals › The eval run output item object", f"{API}/evals/run-output-item-object"),
        "evalrunoutputitemlist": ("Evals › Get eval run output items", f"{API}/evals/getRunOutputItems"),
        "createevalcompletionsrundatasource": ("Evals › Create eval run", f"{API}/evals/createRun"),
    },
}
_SEED = re.compile(r"(?:^|/)(?P<seed>\d{3}_[0-9a-f]+)\.(?:txt|md)#(?P<section>.+)$")


def public_source(source: str) -> tuple[str, str]:
    """(text, url) of a requirement's source: a URL as is; a seed section as its public OpenAI page; another
    seed section as the API reference, named by its heading; anything else as text without a link."""
    if _is_url(source):
        return source, source
    match = _SEED.search(source)
    if not match:
        return source, ""
    known = PUBLIC_SOURCES.get(match["seed"], {}).get(match["section"])
    if known:
        return f"OpenAI API reference: {known[0]}" if known[1].startswith(API) else f"OpenAI {known[0]}", known[1]
    return f"OpenAI API reference ({match['section'].replace('-', ' ')})", API


# --- Target rows, in words ---


def _feature_selection(value: Any) -> str:
    if not value:
        return "all features (the default)"
    names = [str(v) for v in value]
    kept = [n for n in names if not n.startswith("-")]
    left = [n[1:] for n in names if n.startswith("-")]
    text = ", ".join(kept) if kept else "all features"
    return text + (f", leaving out {', '.join(left)}" if left else "")


def _target_rows(target: dict[str, Any], claimed: list[str]) -> list[tuple[str, str]]:
    rows = [
        ("Name", _value(target.get("name"))),
        ("Base URL", _value(target.get("base_url"))),
    ]
    mode = target.get("mode")
    modes = {
        "compatible": "compatible (a broken SHOULD rule is a warning)",
        "strict": "strict (a broken SHOULD rule fails the run)",
    }
    rows.append(("Mode", modes.get(str(mode), _value(mode))))
    rows.append(("Models", _value(target.get("models"))))
    rows.append(("Claimed features", _value(claimed) if claimed else "none"))
    shown = {"name", "base_url", "mode", "models"}
    if "api_key_present" in target or "api_key_env" in target:
        env = target.get("api_key_env")
        if target.get("api_key_present"):
            key = f"present (read from ${env})" if env else "present"
        else:
            key = f"none (${env} was not set)" if env else "none (sent without a key)"
        rows.append(("API key", key))
        shown |= {"api_key_present", "api_key_env"}
    if "admin_key_present" in target or "admin_key_env" in target:
        env = target.get("admin_key_env")
        if target.get("admin_key_present"):
            rows.append(("Admin key", f"present (read from ${env})"))
        else:
            rows.append(("Admin key", f"none (${env} was not set: the administration API was not sent to)"))
        shown |= {"admin_key_present", "admin_key_env"}
    if "headers" in target:
        rows.append(("Extra headers", _value(target["headers"]) if target["headers"] else "none"))
        shown.add("headers")
    if "features" in target:
        rows.append(("Feature selection", _feature_selection(target["features"])))
        shown.add("features")
    if "connect_timeout" in target or "read_timeout" in target:
        parts = [
            f"{label} {_number(target[key])} s"
            for key, label in (("connect_timeout", "connect"), ("read_timeout", "read"))
            if target.get(key) is not None
        ]
        rows.append(("Timeouts", ", ".join(parts) or "—"))
        shown |= {"connect_timeout", "read_timeout"}
    if "retries" in target:
        retries = target["retries"]
        rows.append(("Retries", f"up to {retries} of a failed request" if retries else "none"))
        shown.add("retries")
    rows += [(str(k).replace("_", " ").capitalize(), _value(v)) for k, v in target.items() if k not in shown]
    return rows


# --- Evidence: failures and exchanges ---

# `\uXXXX` escapes (a surrogate pair as one), and `\\` so that an escaped backslash is never read as an escape.
_JSON_ESCAPE = re.compile(r"\\(\\|u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4})")


def _unescape_match(match: re.Match[str]) -> str:
    token = match.group(1)
    if token == "\\":
        return match.group(0)
    if len(token) == 11:  # a surrogate pair: u + 4 hex, \u + 4 hex
        high, low = int(token[1:5], 16), int(token[7:11], 16)
        char = chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    else:
        char = chr(int(token[1:], 16))
    # Control, format, private-use and unpaired surrogate characters stay escaped (they would vanish or mislead),
    # and so do a quote and a backslash (the JSON around them would no longer read as JSON).
    if not char.isprintable() or char in '"\\' or 0xD800 <= ord(char) <= 0xDFFF:
        return match.group(0)
    return char


def readable(text: str) -> str:
    """JSON text with its `\\u00e9` escapes shown as the characters they stand for (printable ones only)."""
    return _JSON_ESCAPE.sub(_unescape_match, text)


def _looks_like_json(body: str) -> bool:
    start = body.lstrip()[:6]
    return start[:1] in ("{", "[") or start.startswith(("data:", "event:"))


def _body(body: str, limit: int) -> str:
    shown = printable(excerpt(body, limit))
    return readable(shown) if _looks_like_json(shown) else shown


def _evidence(index: str, record: dict[str, Any]) -> dict[str, Any]:
    request = record.get("request") or {}
    response = record.get("response")
    return {
        "index": index,
        "method": request.get("method", ""),
        "url": request.get("url", ""),
        "request_body": _body(request.get("body") or "", REQUEST_LIMIT),
        "status": None if response is None else response.get("status"),
        "response_body": _body((response or {}).get("body") or "", RESPONSE_LIMIT),
        "error": record.get("error", ""),
        "curl": printable(curl_line(record)),
    }


# A hint an older run wrote into the message itself; today's `drift_hint` gives a value of a new type only for
# null (the API making a field nullable), so such a hint about any other value is not repeated.
_STALE_HINT = re.compile(re.escape(DRIFT_HINT) + r": a value of a new type \((?!null\))")


def _failure(failure: dict[str, Any]) -> dict[str, Any]:
    lines = [readable(line) for line in str(failure.get("message", "")).split("\n") if line.strip()]
    hint = readable(str(failure.get("hint") or ""))
    return {
        **failure,
        "lines": [line for line in lines if not _STALE_HINT.match(line)],
        "hint": "" if _STALE_HINT.match(hint) else hint,
    }


def _departure(entry: dict[str, Any], exchanges: dict[str, Any]) -> dict[str, Any]:
    failures = entry.get("failures", [])
    shown = failures[:SHOWN_FAILURES]
    indices = [str(f["exchange"]) for f in shown if f.get("exchange") is not None]
    if not indices:
        indices = [str(i) for i in entry.get("exchanges", [])]
    evidence = [_evidence(i, exchanges[i]) for i in dict.fromkeys(indices) if i in exchanges]
    return {
        **_entry(entry),
        # Reasons explain skips; beside a failure they would only echo other cases' skips of the same rule.
        "reasons": entry.get("reasons", []) if entry.get("status") == Status.ERROR.value else [],
        "failures": [_failure(f) for f in shown],
        "violations": len(failures),
        "hidden": len(failures) - len(shown),
        "evidence": evidence[:SHOWN_EXCHANGES],
    }


def _entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A requirement with its public source and, when it was skipped, its reasons in words."""
    text, url = public_source(str(entry.get("source", "")))
    reasons = [readable(str(r)) for r in entry.get("reasons", [])]
    if _not_run(entry):
        reasons = ["not run: no case of this run judged it (a `-k` selection, or a case that stopped before it)"]
    return {**entry, "source_text": text, "source_url": url, "reasons": reasons, "not_run": _not_run(entry)}


# The groups of the index at the top, in the order shown: (title, which statuses).
_GROUPS = (
    ("Failed", lambda s: failing(s) and s != Status.ERROR.value),
    ("Errors", lambda s: s == Status.ERROR.value),
    ("Warned", lambda s: departs(s) and not failing(s)),
    ("Skipped", lambda s: s == Status.SKIP.value),
)


def _index(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed, errored, warned and skipped requirements, MUST first, each to be linked to its section."""
    groups = []
    for title, wanted in _GROUPS:
        chosen = [r for r in requirements if wanted(r["status"])]
        chosen.sort(key=lambda r: r["level"] != "MUST")  # stable: catalogue order within a level
        if chosen:
            groups.append({"title": title, "requirements": chosen})
    return groups


def certificate_context(results: dict[str, Any]) -> dict[str, Any]:
    """Everything the templates show, computed once."""
    summary = results["summary"]
    target = dict(results.get("target") or {})
    conformant = results["verdict"] == "conformant"
    requirements = results.get("requirements", [])
    tally = must_tally(requirements)
    failed_text = _plural(tally.failed, "MUST requirement")
    if summary.get("should_failed"):
        failed_text += f" and {_plural(summary['should_failed'], 'SHOULD requirement')} (strict mode)"
    verdict = "conformant" if conformant else f"not conformant: {failed_text} failed"
    partial = f"{_plural(tally.not_run, 'MUST requirement')} of claimed features not run" if tally.not_run else ""
    claimed = [f["name"] for f in results.get("features", []) if f.get("claimed")]

    exchanges = results.get("exchanges", {})
    must = [e for e in requirements if e["level"] == "MUST" and failing(e["status"])]
    should = [e for e in requirements if e not in must and departs(e["status"])]
    skipped = [_entry(e) for e in requirements if e["status"] == Status.SKIP.value]
    skipped.sort(key=lambda r: r["level"] != "MUST")
    by_feature: dict[str, list[dict[str, Any]]] = {}
    for entry in requirements:
        by_feature.setdefault(entry["feature"], []).append(entry)
    features = [
        {**f, "share": must_share(must_tally(by_feature.get(f["name"], []))) if f.get("claimed") else "—"}
        for f in results.get("features", [])
    ]
    usage = results.get("usage", {})
    return {
        "title": TITLE,
        "tool": results.get("tool", {}),
        "target_name": _value(target.get("name")) if target.get("name") else "",
        "target_rows": _target_rows(target, claimed),
        "started": results.get("started", ""),
        "finished": results.get("finished", ""),
        "duration": _duration(results.get("duration_s", 0.0)),
        "usage": usage,
        "resources": results.get("resources"),
        "conformant": conformant,
        "verdict": verdict,
        "failed_text": failed_text,
        "must": tally,
        "must_share": must_share(tally),
        "breakdown": _must_breakdown(tally),
        "partial": partial,
        "summary": summary,
        "index": _index(requirements),
        "features": features,
        "departures": [_departure(e, exchanges) for e in must + should],
        "must_departures": len(must),
        "should_departures": len(should),
        "skipped": skipped,
        "linked": {e["id"] for e in must + should} | {e["id"] for e in skipped},
        "requirements": requirements,
        "plural": _plural,
        "spent": describe,
        "expectations": results.get("expectations"),
    }


# --- Filters ---

_MD_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|"})
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")


# The two filters below read only the text, which is mostly the catalogue's (descriptions, sources): a process that
# writes several certificates (certify's matrix, a test session's runs) renders each text once.
def _md(text: Any) -> str:
    return _md_text(str(text))


def _code(text: Any) -> markupsafe.Markup:
    return _code_text(str(text))


@lru_cache(maxsize=16384)
def _md_text(text: str) -> str:
    """Inline Markdown text: one line, no raw HTML, no table breaks. Code spans show their text literally, so
    only their `|` (a table break even there) is escaped."""
    text = re.sub(r"\s*\n\s*", " ", printable(text))
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(text[last : match.start()].translate(_MD_ESCAPES))
        out.append(match.group(0).replace("|", "\\|"))
        last = match.end()
    out.append(text[last:].translate(_MD_ESCAPES))
    return "".join(out)


@lru_cache(maxsize=16384)
def _code_text(text: str) -> markupsafe.Markup:
    """HTML text with its Markdown code spans (`like this`) as <code>, everything else escaped."""
    text = printable(text)
    out, last = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(markupsafe.escape(text[last : match.start()]))
        out.append(markupsafe.Markup("<code>{}</code>").format(match.group(2)))
        last = match.end()
    out.append(markupsafe.escape(text[last:]))
    return markupsafe.Markup("").join(out)


def _fence(text: Any) -> str:
    """A code fence longer than any run of backticks in `text`."""
    runs = [len(r) for r in re.findall(r"`+", str(text))]
    return "`" * max(3, max(runs, default=0) + 1)


def _clean(text: Any) -> str:
    """Text without control characters; markup stays markup, so nothing is escaped twice."""
    if isinstance(text, markupsafe.Markup):
        return markupsafe.Markup(printable(str(text)))
    return printable(str(text))


def _is_url(text: Any) -> bool:
    return isinstance(text, str) and text.startswith(("https://", "http://"))


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    """`r.id` on a dict of the results reads the key at once. Jinja tries the attribute first and the key after
    its AttributeError, a microsecond each, ~20,000 times a certificate; a dict's own attributes (`items`, `get`)
    still come first, as in Jinja."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


@cache
def _environment(html: bool) -> jinja2.Environment:
    env = _Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = _md
    env.filters["code"] = _code
    env.filters["fence"] = _fence
    env.filters["clean"] = _clean
    env.filters["h"] = lambda text: str(markupsafe.escape(printable(str(text))))
    env.tests["url"] = _is_url
    return env


def render_markdown(results: dict[str, Any]) -> str:
    return _environment(False).get_template("certificate.md.j2").render(certificate_context(results))


def render_html(results: dict[str, Any]) -> str:
    return _environment(True).get_template("certificate.html.j2").render(certificate_context(results))


# assistants: the public pages of the Assistants API's sections (deprecated upstream, still documented)
_ASSISTANTS_PAGES = {
    "create-assistant": ("Assistants › Create assistant", f"{API}/assistants/createAssistant"),
    "get-assistant": ("Assistants › Retrieve assistant", f"{API}/assistants/getAssistant"),
    "update-assistant": ("Assistants › Modify assistant", f"{API}/assistants/modifyAssistant"),
    "list-assistants": ("Assistants › List assistants", f"{API}/assistants/listAssistants"),
    "delete-assistant": ("Assistants › Delete assistant", f"{API}/assistants/deleteAssistant"),
    "create-thread": ("Threads › Create thread", f"{API}/threads/createThread"),
    "get-thread": ("Threads › Retrieve thread", f"{API}/threads/getThread"),
    "update-thread": ("Threads › Modify thread", f"{API}/threads/modifyThread"),
    "delete-thread": ("Threads › Delete thread", f"{API}/threads/deleteThread"),
    "get-message": ("Messages › Retrieve message", f"{API}/messages/getMessage"),
    "update-message": ("Messages › Modify message", f"{API}/messages/modifyMessage"),
    "delete-message": ("Messages › Delete message", f"{API}/messages/deleteMessage"),
    "list-messages": ("Messages › List messages", f"{API}/messages/listMessages"),
    "run-status-values": ("Runs › The run object", f"{API}/runs/object"),
    "submit-tool-outputs": ("Runs › Submit tool outputs to run", f"{API}/runs/submitToolOutputs"),
    "cancel-run": ("Runs › Cancel a run", f"{API}/runs/cancelRun"),
    "list-runs": ("Runs › List runs", f"{API}/runs/listRuns"),
    "create-thread-and-run": ("Runs › Create thread and run", f"{API}/runs/createThreadAndRun"),
    "list-run-steps": ("Run steps › List run steps", f"{API}/run-steps/listRunSteps"),
    "assistantobject": ("Assistants › The assistant object", f"{API}/assistants/object"),
    "threadobject": ("Threads › The thread object", f"{API}/threads/object"),
    "messageobject": ("Messages › The message object", f"{API}/messages/object"),
    "runobject": ("Runs › The run object", f"{API}/runs/object"),
    "runstepobject": ("Run steps › The run step object", f"{API}/run-steps/step-object"),
    "runtoolcallobject": ("Runs › The run object (required_action)", f"{API}/runs/object"),
    "assistantstreamevent": ("Assistants streaming › Events", f"{API}/assistants-streaming/events"),
    "messagedeltaobject": ("Assistants streaming › The message delta object",
                           f"{API}/assistants-streaming/message-delta-object"),
    "doneevent": ("Assistants streaming › Events (done)", f"{API}/assistants-streaming/events"),
}  # fmt: skip
for _seed, _sections in (
    ("001_ba73c77052365818", ("create-assistant", "get-assistant", "update-assistant", "list-assistants",
                              "delete-assistant", "create-thread", "get-thread", "update-thread", "delete-thread",
                              "get-message", "update-message", "delete-message", "list-messages", "run-status-values",
                              "submit-tool-outputs", "cancel-run", "list-runs", "create-thread-and-run",
                              "list-run-steps")),
    ("002_1de040b6f462aa26", ("create-assistant",)),
    ("003_464f4ddc75d6527e", ("assistantobject", "threadobject", "messageobject", "runobject", "runstepobject",
                              "runtoolcallobject", "assistantstreamevent", "messagedeltaobject", "doneevent",
                              "list-run-steps")),
):  # fmt: skip
    for _section in _sections:
        PUBLIC_SOURCES[_seed].setdefault(_section, _ASSISTANTS_PAGES[_section])

# Containers and ChatKit.
_CONTAINERS = f"{API}/containers"
_CONTAINER_FILES = f"{API}/container-files"
_CHATKIT = f"{API}/chatkit"
PUBLIC_SOURCES["000_9bed5940f43c9069"]["container-object"] = ("Containers › The container object",
                                                              f"{_CONTAINERS}/object")
PUBLIC_SOURCES["003_464f4ddc75d6527e"].update({
    "containerresource": ("Containers › The container object", f"{_CONTAINERS}/object"),
    "create-container": ("Containers › Create container", f"{_CONTAINERS}/createContainers"),
    "createcontainerbody": ("Containers › Create container", f"{_CONTAINERS}/createContainers"),
    "list-containers": ("Containers › List containers", f"{_CONTAINERS}/listContainers"),
    "retrieve-container": ("Containers › Retrieve container", f"{_CONTAINERS}/retrieveContainer"),
    "delete-container": ("Containers › Delete a container", f"{_CONTAINERS}/deleteContainer"),
    "containerfileresource": ("Container Files › The container file object", f"{_CONTAINER_FILES}/object"),
    "createcontainerfilebody": ("Container Files › Create container file", f"{_CONTAINER_FILES}/createContainerFile"),
    "list-container-files": ("Container Files › List container files", f"{_CONTAINER_FILES}/listContainerFiles"),
    "retrieve-container-file": ("Container Files › Retrieve container file",
                                f"{_CONTAINER_FILES}/retrieveContainerFile"),
    "retrieve-container-file-content": ("Container Files › Retrieve container file content",
                                        f"{_CONTAINER_FILES}/retrieveContainerFileContent"),
    "delete-container-file": ("Container Files › Delete a container file", f"{_CONTAINER_FILES}/deleteContainerFile"),
    "post-chatkitsessions": ("ChatKit › Create ChatKit session", f"{_CHATKIT}/sessions/create"),
    "createchatsessionbody": ("ChatKit › Create ChatKit session", f"{_CHATKIT}/sessions/create"),
    "expiresafterparam": ("ChatKit › Create ChatKit session", f"{_CHATKIT}/sessions/create"),
    "ratelimitsparam": ("ChatKit › Create ChatKit session", f"{_CHATKIT}/sessions/create"),
    "post-chatkitsessionssession_idcancel": ("ChatKit › Cancel chat session", f"{_CHATKIT}/sessions/cancel"),
    "chatsessionresource": ("ChatKit › The chat session object", f"{_CHATKIT}/sessions/object"),
    "chatsessionstatus": ("ChatKit › The chat session object", f"{_CHATKIT}/sessions/object"),
    "get-chatkitthreads": ("ChatKit › List ChatKit threads", f"{_CHATKIT}/threads/list"),
    "threadlistresource": ("ChatKit › List ChatKit threads", f"{_CHATKIT}/threads/list"),
    "get-chatkitthreadsthread_id": ("ChatKit › Retrieve ChatKit thread", f"{_CHATKIT}/threads/retrieve"),
    "delete-chatkitthreadsthread_id": ("ChatKit › Delete ChatKit thread", f"{_CHATKIT}/threads/delete"),
    "get-chatkitthreadsthread_iditems": ("ChatKit › List ChatKit thread items", f"{_CHATKIT}/threads/list-items"),
    "threaditemlistresource": ("ChatKit › List ChatKit thread items", f"{_CHATKIT}/threads/list-items"),
    "imagepartresource": ("ChatKit › List ChatKit thread items", f"{_CHATKIT}/threads/list-items"),
})  # fmt: skip

# The Realtime API, its WebSocket session, the Responses API's WebSocket mode, webhooks.
_REALTIME = f"{API}/realtime"
_REALTIME_GUIDE = f"{GUIDES}/realtime"
_WEBHOOKS = f"{API}/webhook-events"
PUBLIC_SOURCES["000_9bed5940f43c9069"].update({
    "error-handling": ("Realtime guide › Error handling", _REALTIME_GUIDE),
    "input-audio": ("Realtime guide › Input audio", _REALTIME_GUIDE),
    "realtime-events": ("Realtime API › Server events", f"{API}/realtime-server-events"),
    "server-events": ("Realtime API › Server events", f"{API}/realtime-server-events"),
    "session-configuration": ("Realtime guide › Session configuration", _REALTIME_GUIDE),
    "websocket-connection": ("Realtime guide › WebSocket connection", f"{GUIDES}/realtime-websocket"),
    "batch-events": ("Webhook events › batch.*", _WEBHOOKS),
    "response-events": ("Webhook events › response.*", _WEBHOOKS),
    "webhook-events": ("Webhook events", _WEBHOOKS),
})  # fmt: skip
PUBLIC_SOURCES["001_ba73c77052365818"]["server-events"] = ("Realtime API › Server events",
                                                          f"{API}/realtime-server-events")
PUBLIC_SOURCES["003_464f4ddc75d6527e"].update({
    "post-realtimecalls": ("Realtime › Create call", f"{_REALTIME}/create-call"),
    "post-realtimecallscall_idaccept": ("Realtime › Accept call", f"{_REALTIME}/accept-call"),
    "post-realtimecallscall_idhangup": ("Realtime › Hang up call", f"{_REALTIME}/hangup-call"),
    "post-realtimeclient_secrets": ("Realtime › Create client secret", f"{_REALTIME}/create-client-secret"),
    "realtimecreateclientsecretrequest": ("Realtime › Create client secret", f"{_REALTIME}/create-client-secret"),
    "realtimecreateclientsecretresponse": ("Realtime › Create client secret", f"{_REALTIME}/create-client-secret"),
    "post-realtimesessions": ("Realtime › Create session", f"{API}/realtime-sessions/create"),
    "realtimesessioncreaterequestga": ("Realtime › Create session", f"{API}/realtime-sessions/create"),
    "post-realtimetranscription_sessions": ("Realtime › Create transcription session",
                                            f"{API}/realtime-sessions/create-transcription"),
    "post-responses": ("Responses › Create a model response", f"{API}/responses/create"),
    "responsestreamevent": ("Responses streaming › Events", f"{API}/responses-streaming"),
    "webhookresponsecompleted": ("Webhook events › response.completed", _WEBHOOKS),
})  # fmt: skip
# graders: seed 000's /v1/graders routes have no public page (the API answers 404 for them: DECISIONS.md
# graders-seed-000); the public Graders reference, which documents the grader objects, is the nearest.
PUBLIC_SOURCES["000_9bed5940f43c9069"].update({
    section: (f"Graders (seed 000's {title}, not on the public page)", f"{API}/graders")
    for section, title in (("create-grader", "create"), ("retrieve-grader", "retrieve"), ("update-grader", "update"),
                           ("delete-grader", "delete"), ("list-graders", "list"), ("grade-response", "grade"))
})  # fmt: skip
# audio: voice consents (seed 004)
PUBLIC_SOURCES.setdefault("004_1f119a87b9051cb9", {})["get-voice-consent"] = (
    "Audio › Retrieve voice consent", f"{API}/audio/getVoiceConsent"
)
