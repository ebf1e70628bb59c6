"""The servers certify knows, by name: one module each, holding its `RECIPE`."""

from __future__ import annotations

from certify.recipe import Recipe
from certify.servers import (
    fakellm,
    faster_whisper,
    litellm,
    litellm_media,
    llama_cpp_python,
    llama_server,
    llama_server_gemma,
    llama_stack,
    local_tts,
    mockllm,
    vllm,
)

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        litellm.RECIPE,
        llama_server.RECIPE,
        litellm.ROUTED,
        vllm.RECIPE,
        llama_stack.RECIPE,
        llama_server_gemma.RECIPE,
        fakellm.RECIPE,
        mockllm.RECIPE,
        llama_cpp_python.RECIPE,
        faster_whisper.RECIPE,
        litellm_media.RECIPE,
        litellm_media.ROUTED,
        local_tts.RECIPE,
        litellm_media.ROUTED_SPEECH,
    )
}

# The servers every CI run certifies afresh and compares with their expectations (tests/test_servers.py; .ci/run
# installs them in the background): each installs and certifies in minutes on 2 cores. The others' rows are
# committed runs, remade by hand with `python -m certify SERVER`. litellm-media is litellm's install (one cache
# folder) with image models, its run ~20 s; local-tts installs in ~1 min (470 MB) and runs in ~10 s, and
# litellm-local-tts (LiteLLM in front of it: both installs are above) in ~15-35 s. faster-whisper is not here: 30 s
# to 3.5 min a run on this machine's shared cores (its 25 MB upload, 13.6 min of silence, is transcribed: 40-70 s
# alone), nor litellm-faster-whisper in front of it (36 s to 5 min).
CHECKED_IN_CI = (
    "litellm", "llama-server", "llama-stack", "fakellm", "mockllm", "litellm-media", "local-tts", "litellm-local-tts",
)  # fmt: skip
