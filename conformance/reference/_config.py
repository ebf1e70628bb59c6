"""The reference server's configuration, its models, and the table of faults it can be told to commit."""

from __future__ import annotations

from dataclasses import dataclass

# A fixed `created` for the models list: a server's models do not get younger between two requests.
MODELS_CREATED = 1_715_367_049
DEFAULT_DIMENSIONS = 1536


@dataclass(frozen=True)
class ModelInfo:
    """A model the server lists and serves; `kind` is "chat" or "embeddings" (both work on every endpoint)."""

    id: str
    kind: str = "chat"
    dimensions: int = DEFAULT_DIMENSIONS
    owned_by: str = "oai-conformance"


DEFAULT_MODELS: tuple[ModelInfo, ...] = (
    ModelInfo("gpt-4o-mini", "chat"),
    ModelInfo("text-embedding-3-small", "embeddings"),
    ModelInfo("ref-chat", "chat"),
    ModelInfo("ref-embed", "embeddings"),
    ModelInfo("gpt-3.5-turbo-instruct", "chat"),  # the legacy completions model (POST /v1/completions)
    ModelInfo("omni-moderation-latest", "chat"),  # the moderation model (POST /v1/moderations)
    # audio (reference/audio.py): the kind says which endpoint and options a model serves
    ModelInfo("gpt-4o-mini-tts", "speech"),
    ModelInfo("tts-1", "speech-plain"),  # no `stream_format: sse`
    ModelInfo("whisper-1", "transcription"),
    ModelInfo("gpt-4o-mini-transcribe", "transcription-stream"),
    ModelInfo("gpt-4o-transcribe", "transcription-stream"),
    ModelInfo("gpt-realtime", "chat"),  # transports: the Realtime model (/v1/realtime)
)

# Each fault breaks exactly one rule, so the project's tests can show that a check catches it.
# Keep the descriptions to one line: `python -m conformance.reference --list-faults` prints them.
FAULTS: dict[str, str] = {
    # streams: framing
    "no-done": "chat streams end without `data: [DONE]`",
    "data-after-done": "one more chunk is sent after `data: [DONE]`",
    "stream-content-type": "streams are sent with content-type application/json",
    # streams: deltas
    "role-every-chunk": "`role: assistant` is repeated in every content delta",
    "no-role": "the first delta of a choice carries no `role`",
    "role-empty": 'the first delta of a choice has `role: ""`',
    "finish-reason-twice": "the finishing chunk of each choice is sent twice",
    "chunk-missing-finish-key": "the `finish_reason` key is absent from chunks before the last",
    "created-drift": "`created` changes from one chunk to the next",
    "inconsistent-id": "each chunk of one stream has a different `id`",
    # streams: usage
    "no-usage-chunk": "`stream_options.include_usage` is ignored: no usage chunk",
    "usage-always": "a usage chunk is sent even when `include_usage` was not asked for",
    "usage-wrong-total": "`usage.total_tokens` is prompt + completion + 1",
    # tool calls
    "tool-index-missing": "streamed tool-call deltas carry no `index`",
    "tool-index-zero": "every streamed tool call has `index: 0`, parallel calls included",
    "tool-args-object": "`function.arguments` is a JSON object instead of a string",
    "tool-finish-stop": "`finish_reason` is `stop` after automatic tool calls",
    # answers
    "created-ms": "`created` is in milliseconds",
    "model-empty": "`model` is an empty string in answers",
    "finish-stop-at-length": "`finish_reason` is `stop` when the output was cut at the token limit",
    "finish-null": "`finish_reason` is null in non-streamed answers",
    "ignore-max-tokens": "`max_tokens` and `max_completion_tokens` are ignored: no cut",
    "stop-ignored": "`stop` sequences are ignored",
    "n-ignored": "`n` is ignored: always one choice",
    # the Responses API (REAL-WORLD row 22) and its stored objects
    "responses-no-sequence-number": "Responses stream events carry no `sequence_number`",
    "responses-sequence-stuck": "every Responses stream event has `sequence_number: 0`",
    "responses-no-text-done": "Responses streams leave out `response.output_text.done`",
    "responses-done-marker": "Responses streams end with `data: [DONE]`",
    "responses-completed-at-cap": "a response cut by `max_output_tokens` says `completed`",
    "responses-ignore-cap": "`max_output_tokens` is ignored: no cut",
    "responses-usage-wrong-total": "Responses `usage.total_tokens` is input + output + 1",
    "responses-not-stored": "responses are never stored: retrieve and previous_response_id fail",
    "pages-no-has-more": "list pages always say `has_more: false`",
    "conversation-not-appended": "a response created with `conversation` does not add its items",
    "responses-fewer-keys": "responses leave out completed_at, top_logprobs, safety_identifier, prompt_cache_key, ...",
    "responses-json-schema-ignored": "`text.format` json_schema is ignored: plain text",
    "responses-phase-rejected": "input messages with `phase` are rejected with 400",
    "responses-image-500": "requests with an `input_image` part are answered 500",
    "responses-unknown-file-accepted": "an `input_image` naming a file the server does not have is answered 200",
    "responses-input-tokens-wrong-object": "input token counts say `object: input_tokens`",
    "responses-input-tokens-constant": "input token counts are 7 whatever the input",
    "responses-compact-wrong-object": "compactions say `object: response`",
    "responses-compact-no-compaction-item": "compactions keep the user messages but add no compaction item",
    "json-object-ignored": "`response_format: json_object` is ignored: plain text",
    "empty-success": "answers have empty content and `completion_tokens: 0`",
    "developer-rejected": "messages with `role: developer` are rejected with 400",
    "logprobs-legacy": "logprobs in the legacy completions shape `{tokens, token_logprobs, top_logprobs}`",
    "top-logprobs-short": "each token has one `top_logprobs` entry fewer than asked",
    # stored chat completions (store: true)
    "chat-store-not-stored": "chat completions created with `store: true` are not stored: retrieve is a 404",
    "chat-store-delete-kept": "deleting a stored chat completion answers deleted but keeps it",
    "chat-store-after-ignored": "the list of stored chat completions ignores `after`: every page starts at the first",
    "chat-store-metadata-not-updated": "updating a stored chat completion's metadata answers and keeps the old",
    "chat-store-filter-ignored": "the list of stored chat completions ignores `metadata[key]=value` filters",
    "chat-store-messages-empty": "the messages of a stored chat completion are an empty list",
    # files (POST/GET/DELETE /v1/files) and uploads (/v1/uploads)
    "files-bytes-wrong": "uploaded file objects say `bytes` one more than the file has",
    "files-content-altered": "file content comes back with CRLF line endings and one more newline",
    "files-retrieve-renamed": "a retrieved file object has another `filename` than the created one",
    "files-delete-kept": "deleting a file answers deleted but keeps it",
    "files-purpose-filter-ignored": "the files list ignores `purpose`",
    "files-list-unfiltered-empty": "the files list without `purpose` is empty",
    "files-after-ignored": "the files list ignores `after`: every page starts at the first",
    "files-expires-ignored": "`expires_after` is ignored: file objects have no `expires_at`",
    "files-wrong-purpose-accepted": "an upload with an unknown `purpose` is accepted",
    "files-empty-accepted": "an empty file is accepted",
    "files-bad-jsonl-accepted": "a `batch` file that is not JSON Lines is accepted",
    "uploads-parts-unordered": "a completed upload joins its parts in the order they were added, not `part_ids`",
    "uploads-md5-ignored": "completing an upload with a wrong `md5` succeeds",
    "uploads-cancelled-completable": "a cancelled upload can be completed",
    "uploads-oversize-accepted": "an upload accepts parts beyond its `bytes`, and completes with them",
    "uploads-complete-no-file": "a completed upload is answered without its `file`",
    "uploads-cancel-pending": "cancelling an upload answers and keeps `status: pending`",
    # batches (/v1/batches): each breaks one batches.* rule
    "batches-status-regresses": "a cancelled batch is answered `in_progress` by the first retrieve after the cancel",
    "batches-no-in-progress-at": "batches never set `in_progress_at`",
    "batches-counts-wrong": "a batch's `request_counts.total` is one more than its input lines",
    "batches-output-no-status-code": "output file lines have no `response.status_code`",
    "batches-output-usage-wrong": "the answers in output files say `usage.total_tokens` one more than the sum",
    "batches-custom-id-lost": "output and error file lines say `custom_id` request-<n>, not the input line's",
    "batches-failed-line-in-output": "input lines the endpoint answered with an error go to the output file",
    "batches-cancel-ignored": "cancelling a batch answers it unchanged, and it runs to completion",
    "batches-wrong-window-accepted": "a batch with a `completion_window` other than 24h is accepted",
    "batches-unknown-endpoint-accepted": "a batch for an endpoint batches do not serve is accepted",
    "batches-any-file-accepted": "a batch is created from a file whose purpose is not `batch`",
    "batches-invalid-file-completes": "a batch whose input lines are not batch requests completes instead of failing",
    "batches-after-ignored": "the batches list ignores `after`: every page starts at the newest",
    "batches-output-purpose-wrong": "output and error files have purpose `batch`, not `batch_output`",
    "batches-metadata-dropped": "batches are created with `metadata: null` whatever was sent",
    "batches-retrieve-created-shifted": "a retrieved batch says `created_at` one second later than its creation",
    "batches-not-listed": "the batches list leaves out the newest batch",
    # vector stores (/v1/vector_stores) and the Responses file_search tool: each breaks one vector-stores.* rule
    "vector-stores-metadata-dropped": "vector stores are created with `metadata: {}` whatever was sent",
    "vector-stores-expires-at-wrong": "`expires_at` is `expires_after.days` hours after last_active_at, not days",
    "vector-stores-retrieve-renamed": "a retrieved vector store has another `name` than the created one",
    "vector-stores-modify-not-kept": "modifying a vector store answers the new name and metadata but keeps the old",
    "vector-stores-list-stale": "the vector stores list leaves out the newest store",
    "vector-stores-after-ignored": "the vector stores list ignores `after`: every page starts at the newest",
    "vector-stores-delete-kept": "deleting a vector store answers deleted but keeps it",
    "vector-stores-delete-files": "deleting a vector store deletes its files from /v1/files too",
    "vector-stores-file-ids-ignored": "a vector store created with `file_ids` holds no files",
    "vector-stores-counts-wrong": "`file_counts.total` is one more than the files counted",
    "vector-stores-usage-zero": "`usage_bytes` stays 0 after files completed",
    "vector-stores-attach-wrong-store": "attaching a file answers another `vector_store_id`",
    "vector-stores-files-fail": "every attached file ends `failed`",
    "vector-stores-failed-no-error": "a failed vector store file has `last_error: null`",
    "vector-stores-file-created-at-drift": "a retrieved vector store file says `created_at` one second later",
    "vector-stores-chunking-not-reported": "files report the auto chunking strategy whatever was sent",
    "vector-stores-auto-chunking-other": "files chunked with the auto strategy report `{type: other}`",
    "vector-stores-file-filter-ignored": "vector store file lists ignore `filter`",
    "vector-stores-attributes-not-kept": "updating a file's attributes answers the new ones but keeps the old",
    "vector-stores-content-altered": "a vector store file's content leaves out its last word",
    "vector-stores-detach-kept": "detaching a file from a vector store answers deleted but keeps it attached",
    "vector-stores-batch-total-zero": "file batches say `file_counts.total: 0`",
    "vector-stores-batch-failed": "file batches whose files completed say `failed`",
    "vector-stores-batch-cancel-ignored": "cancelling a file batch answers cancelled but it goes on to complete",
    "vector-stores-search-query-dropped": "search answers say `search_query: []`",
    "vector-stores-search-finds-nothing": "searches find nothing",
    "vector-stores-search-unordered": "search results come lowest score first",
    "vector-stores-search-scores-percent": "search scores are percentages (0-100) instead of numbers in [0, 1]",
    "vector-stores-search-max-ignored": "`max_num_results` is ignored",
    "vector-stores-search-filters-ignored": "search `filters` are ignored",
    "vector-stores-search-threshold-ignored": "`ranking_options.score_threshold` is ignored",
    "vector-stores-chunks-whole-file": "static chunking is ignored: every file is one chunk",
    "vector-stores-file-search-ignored": "the Responses `file_search` tool is ignored: no file_search_call item",
    "vector-stores-file-search-results-missing": "`include: file_search_call.results` is ignored: results null",
    "vector-stores-file-search-citation-wrong": "file citations name a file the search did not find",
    # assistants (/v1/assistants, /v1/threads): each breaks one assistants.* rule
    "assistants-metadata-dropped": "assistants are created with `metadata: {}` whatever was sent",
    "assistants-modify-not-kept": "modifying an assistant answers the new values but keeps the old",
    "assistants-delete-kept": "deleting an assistant answers deleted but keeps it",
    "assistants-beta-header-ignored": "Assistants API requests without `OpenAI-Beta: assistants=v2` are served",
    "assistants-lists-repeat-cursor": "assistants and messages list pages begin with the item `after` names",
    "assistants-thread-messages-dropped": "a thread created with messages holds none",
    "assistants-thread-delete-kept": "deleting a thread answers deleted but keeps it",
    "assistants-run-filter-ignored": "the messages list ignores `run_id`",
    "assistants-run-status-regresses": "a run read `in_progress` is `queued` again at the next read",
    "assistants-required-action-empty": "a run that requires action names no tool call",
    "assistants-step-call-mismatch": "the tool_calls step names another call id than `required_action`",
    "assistants-submit-ignored": "submitting tool outputs answers the run unchanged: it stays `requires_action`",
    "assistants-run-cancel-ignored": "cancelling a run answers it unchanged, and it runs on",
    "assistants-run-no-reply": "a completed run writes no assistant message into the thread",
    "assistants-stream-in-progress-first": "streamed runs send `thread.run.in_progress` before `thread.run.created`",
    "assistants-stream-deltas-short": "streamed message deltas leave out the last word of the message",
    "assistants-stream-no-done": "streamed runs end without the `done` event",
    "assistants-include-ignored": "run steps never carry file search results' content, `include[]` or not",
    # errors
    "error-422": 'validation errors are 422 with FastAPI\'s `{"detail": [...]}`',
    "error-flat": 'errors are flat: `{"object": "error", "message": ..., "code": 400}`',
    "error-string": 'errors are `{"error": "<message>"}`',
    "error-code-int": "the error envelope's `code` is the HTTP status as an integer",
    "error-500": "client mistakes (400) are answered with 500",
    "unknown-model-200": "any model id is served, unknown ones included",
    "no-auth": "missing and wrong API keys are accepted",
    "stream-error-200": "a bad request with `stream: true` gets 200 and an error event in the stream",
    "stream-options-accepted": "`stream_options` without `stream: true` is accepted",
    "unknown-route-200": "unknown routes answer 200 with an empty object",
    # models
    "models-name-not-id": "models list items carry `name` instead of `id`",
    "models-empty": "the models list is empty",
    "models-no-created": "models list items have no `created`",
    # embeddings
    "base64-ignored": "`encoding_format: base64` is ignored: floats are sent",
    "base64-big-endian": "base64 embeddings are big-endian float32",
    "embeddings-reversed": "embeddings `data` is in reverse order",
    "dimensions-ignored": "`dimensions` is ignored: full-length vectors",
    # legacy completions (POST /v1/completions)
    "completions-no-done": "legacy completion streams end without `data: [DONE]`",
    "completions-stream-content-type": "legacy completion streams are sent with content-type application/json",
    "completions-chat-chunks": "legacy completion streams send `chat.completion.chunk` objects with deltas",
    "completions-no-usage-chunk": "legacy completion streams ignore `stream_options.include_usage`",
    "completions-usage-always": "legacy completion streams end with a usage chunk even when not asked for",
    "completions-echo-ignored": "`echo: true` is ignored: the prompt is not put before the text",
    "completions-prompts-joined": "an array of prompts is answered with one choice for all of them",
    "completions-logprobs-chat-shape": "legacy completion logprobs come in the chat shape `{content: [...]}`",
    "completions-finish-stop-at-length": "legacy completions cut at `max_tokens` say `finish_reason: stop`",
    # moderations (POST /v1/moderations)
    "moderations-score-missing": "moderation results have no `violence/graphic` in `category_scores`",
    "moderations-flagged-inconsistent": "moderation results say `flagged: false` even when a category is true",
    "moderations-scores-percent": "moderation scores are percentages (0-100) instead of numbers in [0, 1]",
    "moderations-one-result": "an array of inputs is answered with one moderation result",
    "moderations-no-applied-types": "omni moderation results have no `category_applied_input_types`",
    "moderations-model-required": "a moderation request without `model` is rejected with 400",
    # any request
    "accept-anything": "chat, completions and embeddings requests that fail validation are answered 200 all the same",
    "server-error-sometimes": "valid chat requests with a message whose content is an array of parts are answered 500",
    "missing-field": "chat completions have no `choices`, embeddings lists no `data`",
    # images and videos (media-visual): each breaks one images.* or videos.* rule
    "images-webp-as-png": "an image asked as `output_format: webp` is a PNG",
    "images-wrong-size": "images are drawn at half the size asked",
    "images-n-ignored": "`n` is ignored: one image whatever was asked",
    "images-url-for-b64": "`response_format: b64_json` is answered with a url",
    "images-url-broken": "the urls of images lead to a 404",
    "images-usage-wrong-total": "images `usage.total_tokens` is input + output + 1",
    "images-partial-unordered": "streamed partial images come with `partial_image_index` in reverse order",
    "images-no-completed": "image streams end without the completed event",
    "images-stream-json": "image streams are sent as one JSON array (application/json)",
    "images-response-format-accepted": "`response_format` is accepted with a GPT image model",
    "images-edit-text-accepted": "an edit whose image is a text file is accepted",
    "images-edit-no-image-500": "an edit without an image part is answered 500",
    "videos-progress-back": "a video's `progress` goes from 80 back to 40 while in progress",
    "videos-status-back": "a video in progress says `queued` again",
    "videos-size-ignored": "videos are made 720x1280 whatever `size` was asked",
    "videos-thumbnail-mp4": "the thumbnail variant of a video's content answers the MP4",
    "videos-content-not-mp4": "the video variant of a video's content answers a PNG",
    "videos-remix-no-source": "a remix says `remixed_from_video_id: null`",
    "videos-delete-kept": "deleting a video answers deleted but keeps it",
    "videos-after-ignored": "the videos list ignores `after`: every page starts at the first",
    # audio (/v1/audio/speech, /v1/audio/transcriptions, /v1/audio/translations)
    "audio-text-json": "transcriptions asked as `text` are answered as JSON",
    "audio-srt-out-of-order": "srt transcriptions list their cues last first (times out of order)",
    "audio-vtt-no-header": "vtt transcriptions have no `WEBVTT` line",
    "audio-duration-ms": "verbose_json `duration` is in milliseconds",
    "audio-segments-beyond": "verbose_json's last segment ends 3 s after the audio does",
    "audio-words-ignored": "`timestamp_granularities[]=word` is ignored: no `words`",
    "audio-logprobs-ignored": "`include[]=logprobs` is ignored: no `logprobs`",
    "audio-format-unchecked": "gpt-4o transcription models answer srt, vtt and verbose_json instead of refusing them",
    "audio-not-audio-500": "an uploaded file that is not audio is answered 500",
    "audio-oversize-accepted": "audio files over 25 MB are transcribed",
    "audio-stream-done-differs": "`transcript.text.done` holds the text in capitals, not the deltas joined",
    "audio-stream-done-early": "`transcript.text.done` comes before the last `transcript.text.delta`",
    "audio-speech-wav-for-mp3": "speech asked as mp3 is a WAV file",
    "audio-speech-content-type": "speech is sent as application/octet-stream whatever its format",
    "audio-speed-ignored": "speech `speed` is ignored: the audio is as long at speed 2",
    "audio-speed-unchecked": "a speech `speed` outside 0.25 to 4.0 is accepted",
    "audio-long-input-accepted": "a speech `input` over 4096 characters is accepted",
    "audio-speech-sse-bad-base64": "`speech.audio.delta` audio is not base64 (a `%` before it)",
    "audio-speech-sse-no-done": "speech streams end without `speech.audio.done`",
    # containers (/v1/containers and their files): each breaks one containers.* rule
    "containers-object-wrong": "container objects say `object: containers`",
    "containers-name-dropped": "containers are answered with `name: \"\"` whatever was sent",
    "containers-expires-ignored": "`expires_after` is ignored: every container expires after the default 20 minutes",
    "containers-status-expired": "containers say `status: expired` from their creation",
    "containers-file-ids-ignored": "a container created with `file_ids` holds no files",
    "containers-retrieve-renamed": "a retrieved container has another `name` than the created one",
    "containers-list-stale": "the containers list leaves out the newest container",
    "containers-delete-kept": "deleting a container answers deleted and empties it, but it stays retrievable",
    "containers-delete-files-kept": "the files of a deleted container are still retrievable",
    "containers-after-ignored": "the containers list ignores `after`: every page starts at the first",
    "containers-files-bytes-wrong": "uploaded container files say `bytes` one more than the file has",
    "containers-files-wrong-container": "container files name another `container_id` than the one they were put in",
    "containers-files-path-bare": "container files are at `/mnt/data/<file id>`, without the name sent",
    "containers-files-source-assistant": "container files the client put in say `source: assistant`",
    "containers-files-file-id-empty": "a container file copied by `file_id` is empty",
    "containers-files-content-altered": "uploaded container files come back with CRLF line ends and one more newline",
    "containers-files-retrieve-shifted": "a retrieved container file says `created_at` one second later",
    "containers-files-not-listed": "container file lists leave out files put in after the container was created",
    "containers-files-delete-kept": "deleting a container file answers deleted but keeps it",
    "containers-files-page-repeat": "a later page of container files starts with the previous page's last file",
    # chatkit (/v1/chatkit): each breaks one chatkit.* rule
    "chatkit-session-object-wrong": "ChatKit sessions say `object: session`",
    "chatkit-session-no-secret": "ChatKit sessions come without `client_secret`",
    "chatkit-session-workflow-wrong": "ChatKit sessions name another workflow than the one asked for",
    "chatkit-session-expiry-ignored": "`expires_after` is ignored: every session expires after 10 minutes",
    "chatkit-session-rate-limit-ignored": "`rate_limits` is ignored: every session allows 10 requests a minute",
    "chatkit-session-expired-at-once": "ChatKit sessions are `expired` from their creation",
    "chatkit-cancel-ignored": "cancelling a ChatKit session answers it `active`",
    "chatkit-unknown-workflow-accepted": "a session for a workflow that does not exist is created",
    "chatkit-threads-no-status": "listed ChatKit threads have no `status`",
    "chatkit-threads-user-filter-ignored": "the ChatKit threads list ignores `user`",
    "chatkit-thread-retrieve-shifted": "a retrieved ChatKit thread says `created_at` one second later",
    "chatkit-thread-items-wrong-thread": "ChatKit thread items name another `thread_id`",
    "chatkit-thread-items-after-ignored": "ChatKit thread item lists ignore `after`: every page starts at the first",
    "chatkit-threads-unknown-200": "a ChatKit thread that does not exist is answered as an empty thread",
    "chatkit-files-type-wrong": "uploaded ChatKit files say `type: attachment`",
    # administration API (/v1/organization): each breaks one admin.* rule
    "admin-project-key-accepted": "admin routes accept the project API key as well as the admin key",
    "admin-echo-key": "admin answers echo the key they were sent (`requested_with`)",
    "admin-cursor-repeats": "admin lists' `after` cursor starts a page before the cursor: items repeat",
    "admin-audit-filter-ignored": "audit logs ignore `event_types[]`",
    "admin-buckets-unordered": "usage and cost buckets come newest first",
    "admin-buckets-gap": "each usage bucket ends a second before the next one starts",
    "admin-page-repeats": "usage and cost `next_page` names the page it is on",
    "admin-group-by-ignored": "usage and cost results leave the `group_by` fields null",
    "admin-usage-negative": "usage results count -1 of their last counter",
    "admin-result-outside-bucket": "usage results carry times of the bucket before theirs",
    "admin-limit-ignored": "usage and cost pages hold two buckets more than `limit`",
    "admin-archive-ignored": "archiving a project leaves it active",
    # fine-tuning (/v1/fine_tuning): each breaks one fine-tuning.* rule
    "fine-tuning-status-regresses": "the read that finds a job running answers it `validating_files`",
    "fine-tuning-succeeded-no-model": "succeeded jobs say `fine_tuned_model: null`",
    "fine-tuning-failed-error-no-code": "failed jobs have an `error` without a code",
    "fine-tuning-cancel-ignored": "cancelling a job answers it unchanged, and it runs on",
    "fine-tuning-pause-ignored": "pausing a job answers it unchanged, running",
    "fine-tuning-events-out-of-order": "a job's events list has its newest and oldest events swapped",
    "fine-tuning-events-page-repeats": "an events page asked `after` an event starts with that event again",
    "fine-tuning-checkpoint-other-job": "checkpoints name another job as theirs",
    "fine-tuning-model-changed": "jobs are created for `davinci-002` whatever model was sent",
    "fine-tuning-hyperparameters-dropped": "the hyperparameters sent are ignored: every one is `auto`",
    "fine-tuning-retrieve-created-shifted": "a retrieved job says `created_at` one second later than its creation",
    "fine-tuning-metadata-filter-ignored": "the jobs list ignores the `metadata` filter",
    "fine-tuning-not-listed": "the jobs list without a filter leaves out the newest job",
    "fine-tuning-after-ignored": "the jobs list ignores `after`: every page starts at the newest",
    "fine-tuning-any-file-accepted": "a job is created from a training file whose purpose is not `fine-tune`",
    "fine-tuning-bad-file-succeeds": "a training file of no training examples trains and succeeds",
    "fine-tuning-permission-project-wrong": "sharing a checkpoint answers permissions for `proj_other`",
    "fine-tuning-permission-filter-ignored": "the permissions list ignores `project_id`",
    "fine-tuning-permission-not-deleted": "deleting a permission answers deleted but keeps it",
    "fine-tuning-grader-string-check-out-of-range": "string_check graders reward 2 when the operation holds",
    "fine-tuning-grader-similarity-not-one": "text_similarity graders reward 0.9 for identical texts",
    "fine-tuning-grader-model-out-of-range": "score_model graders reward one above their range",
    "fine-tuning-grader-multi-wrong": "multi graders reward the sum of their graders, not their formula",
    "fine-tuning-grader-validate-renamed": "validating a grader answers it with another name",
    "fine-tuning-grader-invalid-accepted": "validating a grader of an unknown operation answers 200",
    # evals (/v1/evals): each breaks one evals.* rule
    "evals-update-ignored": "updating an eval answers it unchanged",
    "evals-not-listed": "the evals list leaves out the newest eval",
    "evals-delete-kept": "deleting an eval answers deleted but keeps it",
    "evals-run-status-regresses": "the read that finds a run completed answers it `queued`",
    "evals-result-counts-off": "completed runs count one errored item more than they have",
    "evals-criteria-results-off": "a run's first testing criterion counts one item more as passed, one less failed",
    "evals-output-items-page-repeats": "an output items page asked `after` an item starts with that item again",
    "evals-cancel-ignored": "cancelling a run answers it unchanged, and it runs on",
    "evals-run-delete-kept": "deleting a run answers deleted but keeps it",
    "evals-sample-missing": "the output items of a sampling run have `sample: null`",
    # transports: the Realtime API's HTTP operations
    "realtime-secret-expiry-ignored": "client secrets expire after 600 s whatever `expires_after.seconds` says",
    "realtime-secret-wrong-type": "a client secret asked for a transcription session opens a realtime one",
    "realtime-secret-no-value": "client secrets are answered without `value`",
    "realtime-expiry-range-accepted": "`expires_after.seconds` outside 10..7200 is accepted",
    "realtime-sessions-no-secret": "POST /v1/realtime/sessions and transcription_sessions answer no `client_secret`",
    "realtime-sdp-json": "the SDP answer of POST /v1/realtime/calls is sent as application/json",
    "realtime-calls-no-location": "POST /v1/realtime/calls answers no `Location` header",
    "realtime-unknown-call-200": "control requests on a call the server does not know are answered 200",
    # transports: the Realtime WebSocket session
    "realtime-ws-no-event-id": "`response.created` events carry no `event_id`",
    "realtime-ws-no-session-created": "a Realtime session does not begin with `session.created`",
    "realtime-ws-update-ignored": "`session.update` is answered with the session unchanged",
    "realtime-ws-done-before-item-done": "`response.done` comes before the last `response.output_item.done`",
    "realtime-ws-text-delta-lost": "the last text (or transcript) delta of a response is not sent",
    "realtime-ws-no-usage": "`response.done` says `usage: null`",
    "realtime-ws-no-cleared": "`input_audio_buffer.clear` is not acknowledged",
    "realtime-ws-error-closes": "an invalid client event is answered with an error and the connection closed",
    "realtime-ws-secret-refused": "a client secret from POST /v1/realtime/client_secrets does not open a session",
    # transports: webhooks (sent only when a webhook URL is configured)
    "webhooks-bad-signature": "webhooks are signed with another endpoint's secret",
    "webhooks-old-timestamp": "webhooks carry a `webhook-timestamp` an hour old",
    "webhooks-no-retry": "a webhook the receiver refuses is not delivered again",
    "webhooks-created-at-iso": "webhook events say `created_at` as an ISO 8601 string",
    "webhooks-batch-silent": "batches that end are not announced",
    "webhooks-wrong-id": "webhook events name another object in `data.id`",
    # transports: the Responses API's WebSocket mode
    "responses-ws-order": "over WebSocket, `output_text.done` comes after its `content_part.done`",
    "responses-ws-error-closes": "over WebSocket, a refused `response.create` closes the connection",
    "responses-ws-forgets": "over WebSocket, a `store: false` response cannot be continued on its connection",
    # audio: voice consents (/v1/audio/voice_consents, read only)
    "audio-voice-consent-object-wrong": "retrieved voice consents say `object: voice_consent`",
    "audio-voice-consent-other-id": "retrieving a voice consent answers another consent of the account",
    "audio-voice-consent-unknown-200": "a voice consent id that does not exist is answered 200 with a consent",
    # graders (seed 000's /v1/graders): each breaks one graders.* rule
    "graders-create-renamed": "graders are created (and kept) under another name than the one sent",
    "graders-keys-dropped": "graders are answered without their `grading_model`",
    "graders-retrieve-shifted": "a retrieved grader says `created_at` one second later than its creation",
    "graders-update-ignored": "updating a grader answers it unchanged",
    "graders-delete-kept": "deleting a grader answers deleted but keeps it",
    "graders-not-listed": "the graders list leaves out the newest grader",
    "graders-unknown-200": "a grader id never issued is answered 200 as a grader",
    "graders-invalid-accepted": "a grader whose `grading_model` is not a string is created",
    "graders-grade-not-object": "a grade is answered as a JSON array holding it",
    "graders-grade-no-score": "a grade is answered without its `score`",
}


@dataclass(frozen=True)
class ServerConfig:
    """How the reference server behaves.

    api_key: None = no authentication; a string = every request needs exactly `Authorization: Bearer <key>`.
    faults: names from FAULTS; each makes the server break one rule (for the project's own tests).
    models: the models listed and served.
    """

    api_key: str | None = None
    # The administration API's key (admin.py): the only key its routes take; None with api_key None: no check.
    admin_key: str | None = None
    faults: frozenset[str] = frozenset()
    models: tuple[ModelInfo, ...] = DEFAULT_MODELS
    system_fingerprint: str = "fp_reference"
    # Transient trouble (see _transient.py): every `transient_every`th request gets `transient` (429, 503 or
    # reset) instead of its answer; 0 = never.
    transient_every: int = 0
    transient: str = "429"
    # transports: where the server delivers its webhooks (None: it sends none), and the secrets it signs them with
    # (`whsec_…`; two while a secret rotates: each delivery then carries both signatures).
    webhook_url: str | None = None
    webhook_secrets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.faults) - FAULTS.keys())
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(unknown)} (known: {', '.join(sorted(FAULTS))})")
        if not isinstance(self.faults, frozenset):
            object.__setattr__(self, "faults", frozenset(self.faults))

    def has(self, fault: str) -> bool:
        return fault in self.faults

    def model(self, model_id: str) -> ModelInfo | None:
        return next((m for m in self.models if m.id == model_id), None)
