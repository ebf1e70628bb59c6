"""The target options: one table, two front ends.

The CLI registers them with argparse (`--base-url`), the pytest plugin with `parser.addoption` under a
prefix (`--oai-base-url`). Both only collect strings: every value is checked in
`conformance.target.load_target`, so a wrong value gets the same one-line message whether it came from the
command line, the environment or the file. That is also why neither `type=` nor `choices=` is passed to the
front end (the choices are shown in the metavar instead).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ENV_PREFIX = "OAI_CONFORMANCE_"


@dataclass(frozen=True)
class Option:
    name: str  # "base-url": CLI flag --base-url, pytest flag --oai-base-url, dest "base_url"
    help: str
    metavar: str | None = None
    multiple: bool = False  # action="append"
    choices: tuple[str, ...] | None = None  # checked by load_target, shown in the help
    key: str | None = None  # TOML key and environment suffix when not dest ("headers" for --header)
    in_file: bool = True  # False: the option cannot be set in the TOML file (only --config)

    @property
    def dest(self) -> str:
        return self.name.replace("-", "_")

    @property
    def toml_key(self) -> str | None:
        """The key in oai-conformance.toml, or None when the option cannot be set there."""
        return (self.key or self.dest) if self.in_file else None

    @property
    def env(self) -> str:
        """The environment variable, e.g. OAI_CONFORMANCE_BASE_URL."""
        return ENV_PREFIX + (self.key or self.dest).upper()

    def flag(self, prefix: str = "") -> str:
        return f"--{prefix}{self.name}"


TARGET_OPTIONS: tuple[Option, ...] = (
    Option(
        "base-url",
        "the API root of the server under test, e.g. http://localhost:8000/v1; "
        "not given: the bundled reference server",
        metavar="URL",
    ),
    Option(
        "api-key-env",
        "the NAME of the environment variable that holds the API key (default OPENAI_API_KEY); "
        "the key itself is never given as an option",
        metavar="VAR",
    ),
    Option(
        "header",
        "an extra request header, e.g. 'OpenAI-Organization: org-123'; repeatable",
        metavar="'NAME: VALUE'",
        multiple=True,
        key="headers",
    ),
    Option(
        "model",
        "the model id to use for a role (chat, embeddings, responses), e.g. chat=llama-3; repeatable",
        metavar="ROLE=ID",
        multiple=True,
        key="models",
    ),
    Option(
        "features",
        "the features the server claims, comma-separated (a feature claims its sub-features); default: all",
        metavar="LIST",
    ),
    Option(
        "mode",
        "how strictly the server is judged: strict or compatible (default compatible)",
        metavar="{strict,compatible}",
        choices=("strict", "compatible"),
    ),
    Option("connect-timeout", "seconds to wait for a connection (default 10)", metavar="SECONDS"),
    Option("read-timeout", "seconds to wait for a response (default 60)", metavar="SECONDS"),
    Option("retries", "how often the client retries a failed request, 0 to 10 (default 2)", metavar="N"),
    Option("name", "a short name for the target in reports (default: the host:port)", metavar="NAME"),
    Option(
        "config",
        "the TOML file with the target settings (default: ./oai-conformance.toml when it exists)",
        metavar="FILE",
        in_file=False,
    ),
)

OPTIONS_BY_DEST: dict[str, Option] = {opt.dest: opt for opt in TARGET_OPTIONS}


def _help(opt: Option) -> str:
    where = f"env {opt.env}" + (f", file key {opt.toml_key}" if opt.toml_key else "")
    return f"{opt.help} [{where}]"


def add_target_options(addoption: Callable[..., Any], prefix: str = "") -> None:
    """Register every target option with `addoption`: argparse's `add_argument` or pytest's `group.addoption`.

    `prefix` goes in front of the flag and, with dashes as underscores, of the dest: "oai-" gives
    `--oai-base-url` stored as `oai_base_url`.
    """
    dest_prefix = prefix.replace("-", "_")
    for opt in TARGET_OPTIONS:
        kwargs: dict[str, Any] = {"dest": dest_prefix + opt.dest, "help": _help(opt), "default": None}
        if opt.metavar:
            kwargs["metavar"] = opt.metavar
        if opt.multiple:
            kwargs["action"] = "append"
        addoption(opt.flag(prefix), **kwargs)


def cli_values(source: argparse.Namespace | Callable[[str], Any] | Any, prefix: str = "") -> dict[str, Any]:
    """The option values as the `cli` mapping `load_target` expects (unprefixed dests, None = not given).

    `source` is an argparse.Namespace (or any object with the attributes) or a callable like pytest's
    `config.getoption`, called with the prefixed dest.
    """
    dest_prefix = prefix.replace("-", "_")
    out: dict[str, Any] = {}
    for opt in TARGET_OPTIONS:
        dest = dest_prefix + opt.dest
        if callable(source) and not isinstance(source, argparse.Namespace):
            value = source(dest)
        else:
            value = getattr(source, dest, None)
        out[opt.dest] = value
    return out
