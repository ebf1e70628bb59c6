"""The servers certify knows, by name: one module each, holding its `RECIPE`."""

from __future__ import annotations

from certify.recipe import Recipe
from certify.servers import (
    fakellm,
    litellm,
    llama_cpp_python,
    llama_server,
    llama_server_gemma,
    llama_stack,
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
    )
}

# The servers every CI run certifies afresh and compares with their expectations (tests/test_servers.py; .ci/run
# installs them in the background): each installs and certifies in minutes on 2 cores. The others' rows are
# committed runs, remade by hand with `python -m certify SERVER`.
CHECKED_IN_CI = ("litellm", "llama-server", "llama-stack", "fakellm", "mockllm")
