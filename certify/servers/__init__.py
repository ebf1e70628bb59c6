"""The servers certify knows, by name: one module each, holding its `RECIPE`."""

from __future__ import annotations

from certify.recipe import Recipe
from certify.servers import litellm, llama_server, llama_stack, vllm

RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (litellm.RECIPE, llama_server.RECIPE, litellm.ROUTED, vllm.RECIPE, llama_stack.RECIPE)
}
