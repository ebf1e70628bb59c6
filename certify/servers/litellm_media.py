"""The LiteLLM proxy with mocked image models: what LiteLLM itself answers on the media routes, offline.

The same install as `litellm` (one cache folder, never copied). Configuration: the two image models the suite
names (`dall-e-2`, `gpt-image-1`), each answered by LiteLLM's `mock_response`, which for an image generation is
the url of the one image it answers (`litellm_core_utils/mock_functions.mock_image_generation`). The url is off
the proxy's host, as the real API's pre-signed links are, so the suite does not fetch it.

Claimed: `images` (POST /v1/images/generations) only. What the proxy does not serve offline, whatever the config
(tried with each model given a `mock_response`; LiteLLM 1.106.2):
- `images.stream`: `stream: true` is answered by the same whole JSON body, no events.
- `images.edits`: no mock in LiteLLM's image edit; the request goes to OpenAI (500 "Cannot connect to host
  api.openai.com:443").
- `images.variations`: the proxy has no such route (404 {"detail":"Not Found"}).
- `audio.speech`, `audio.transcriptions`, `audio.translations`: LiteLLM's speech and transcription ignore
  `mock_response` and call OpenAI (500 "APIConnectionError: OpenAIException - Connection error."); LiteLLM has
  no fake provider for them. `ROUTED` serves transcriptions from a real server instead (below).
- `videos`: LiteLLM mocks a video's creation, status, remix and list with one fixed `mock_response`, but not its
  content or deletion (sent to OpenAI), and one model's mock cannot be both an object and a list.

`ROUTED` is the same proxy in front of the faster-whisper server (started first, on its own port), its
`whisper-1` routed as `openai/whisper-1` with an `api_base`, as `litellm.ROUTED` routes chat: what LiteLLM
changes on the way. It claims `audio.transcriptions` only: the proxy has no `/v1/audio/translations` route (404
{"detail":"Not Found"}), and faster-whisper no stream. `ROUTED_SPEECH` routes `openai/tts-1` to local-tts the
same way, for `audio.speech`.
"""

from __future__ import annotations

from pathlib import Path

from certify.recipe import Launch, Recipe, Upstream
from certify.servers import faster_whisper, litellm, local_tts

IMAGE_MODELS = ("dall-e-2", "gpt-image-1")  # the models cases/images asks for by name
MOCK_IMAGE_URL = "https://images.example.com/litellm-mock.png"


def config(upstream: Upstream | None = None) -> str:
    """The mocked image models, or the upstream's models routed to it."""
    if upstream is None:
        return litellm.proxy_config([litellm.mocked(model, MOCK_IMAGE_URL) for model in IMAGE_MODELS])
    models = dict.fromkeys(upstream.models.values())
    return litellm.proxy_config([litellm.routed(model, model, upstream) for model in models])


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    return litellm.launch_with(config(upstream), folder, port, key, upstream)


RECIPE = Recipe(
    name="litellm-media",
    version=litellm.VERSION,
    features=("images", "-images.stream", "-images.edits", "-images.variations"),
    models={},
    install=litellm.install,
    launch=launch,
    notes="proxy with `mock_response` image models (`dall-e-2`, `gpt-image-1`: one url each), no upstream",
)

ROUTED = Recipe(
    name="litellm-faster-whisper",
    version=f"{litellm.VERSION} → faster-whisper ({faster_whisper.RECIPE.version})",
    features=("audio.transcriptions", "-audio.transcriptions.stream"),
    models=faster_whisper.RECIPE.models,
    install=litellm.install,
    launch=launch,
    notes="proxy routing `openai/whisper-1` with an `api_base` to the faster-whisper server above",
    upstream=faster_whisper.RECIPE,
    workers=faster_whisper.RECIPE.workers,
    run_options=faster_whisper.RECIPE.run_options,
)

# The same proxy in front of local-tts for speech: what LiteLLM changes on the way (its headers, its checks).
ROUTED_SPEECH = Recipe(
    name="litellm-local-tts",
    version=f"{litellm.VERSION} → local-tts ({local_tts.RECIPE.version})",
    features=local_tts.RECIPE.features,
    models=local_tts.RECIPE.models,
    install=litellm.install,
    launch=launch,
    notes="proxy routing `openai/tts-1` with an `api_base` to the local-tts server above",
    upstream=local_tts.RECIPE,
)
