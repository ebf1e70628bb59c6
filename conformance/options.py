"""The run options: one table, two front ends.

The CLI registers them with argparse (`--base-url`), the pytest plugin with `parser.addoption` under a
prefix (`--oai-base-url`), and `oai-conformance run` hands what it was given to pytest by walking the same
table. Both front ends only collect strings: target values are checked in `conformance.target.load_target`
(also from the environment and the TOML file), generation values in `conformance.generation`, so a wrong value
gets the same one-line message wherever it came from. That is also why neither `type=` nor `choices=` is passed
to the front end (the choices are shown in the metavar instead).

Sections: `target` (what is certified, and how it is reached; also settable by environment and file),
`generation` (the generated phase), `expectations` (a server's reviewed deviations), `reports`.
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
    section: str = "target"
    switch: bool = False  # a flag without a value (store_true)

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
        "the API root of the server under test, e.g. http://localhost:8000/v1; not given: the bundled reference server",
        metavar="URL",
    ),
    Option(
        "api-key-env",
        "the NAME of the environment variable that holds the API key (default OPENAI_API_KEY); "
        "the key itself is never given as an option",
        metavar="VAR",
    ),
    Option(
        "admin-key-env",
        "the NAME of the environment variable that holds the admin key of the administration API (default "
        "OPENAI_ADMIN_KEY); unset: the admin features are not claimed and nothing is sent to an admin route",
        metavar="VAR",
    ),
    Option(
        "no-api-key",
        "the target needs no key: send none (without it, a missing key stops the run before any request)",
        switch=True,
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
        "the model id to use for a role (chat, embeddings, responses, completions, moderations, speech, "
        "transcription, transcription-stream), e.g. chat=llama-3; repeatable",
        metavar="ROLE=ID",
        multiple=True,
        key="models",
    ),
    Option(
        "features",
        "the features the server claims, comma-separated; a feature claims its sub-features, -NAME leaves one out "
        "(responses,-responses.store), and a list of only -NAMEs claims all but those; default: all "
        "(the features are listed below)",
        metavar="LIST",
    ),
    Option(
        "allow-costly",
        "also claim the costly features (media generation, jobs: real money against the real API) that --features "
        "does not name; without it a costly feature is claimed only when named",
        switch=True,
    ),
    Option(
        "mode",
        "how strictly the server is judged: compatible (default: a SHOULD violation is a warning) or strict "
        "(a SHOULD violation fails like a MUST one)",
        metavar="{strict,compatible}",
        choices=("strict", "compatible"),
    ),
    Option("connect-timeout", "seconds to wait for a connection (default 10)", metavar="SECONDS"),
    Option("read-timeout", "seconds to wait for a response (default 60)", metavar="SECONDS"),
    Option(
        "answer-time-limit",
        "seconds one whole answer may take, a stream to its end included (default 120); past it the suite stops "
        "reading, keeps what arrived and judges it",
        metavar="SECONDS",
    ),
    Option(
        "retries",
        "how often a request answered 429 or 503, or not at all, is sent again, 0 to 10 (default 2)",
        metavar="N",
    ),
    Option("name", "a short name for the target in reports (default: the host:port)", metavar="NAME"),
    Option(
        "chatkit-workflow",
        "the ChatKit workflow id (wf_...) the chatkit cases open sessions with; not given: the ChatKit session rules "
        "are skipped (the bundled reference server has a workflow of its own)",
        metavar="ID",
    ),
    Option(
        "config",
        "the TOML file with the target settings (default: ./oai-conformance.toml when it exists)",
        metavar="FILE",
        in_file=False,
    ),
)

RUN_OPTIONS: tuple[Option, ...] = (
    Option(
        "examples",
        "generated phase: requests per operation and mode (default 10); each costs a few tokens",
        metavar="N",
        section="generation",
    ),
    Option(
        "seed",
        "generated phase: the seed of the generated requests (default 0: every run sends the same ones)",
        metavar="N",
        section="generation",
    ),
    Option(
        "concurrency",
        "how many requests are in flight at once: upcoming cases run ahead of their turn and the generated phase "
        "sends an operation's examples together (default 4; 1: one by one, every case in its turn); the same "
        "verdicts either way, and a 429 is waited out and retried as always, never a failure",
        metavar="N",
        section="generation",
    ),
    Option(
        "upstream",
        "generated phase: also draw valid requests from this upstream OpenAPI document (a path or a URL, e.g. "
        "openai/openai-openapi's openapi.yaml; read by the run, never stored) for the operations the suite wires, "
        "judged by the same rules: a server that refuses what the API documents shows",
        metavar="PATH|URL",
        section="generation",
    ),
    Option(
        "draws",
        "generated phase: the folder where drawn requests are kept, so that a run drawing the same again reads them "
        "instead (the same requests; drawing is most of a run's time against a fast server); default "
        "~/.cache/oai-conformance/draws (under $XDG_CACHE_HOME when set), 'off': draw every time",
        metavar="DIR|off",
        section="generation",
    ),
    Option(
        "response-time-limit",
        "generated phase: the longest a generated request may wait for its answer (default 30)",
        metavar="SECONDS",
        section="generation",
    ),
    Option(
        "expectations",
        "the server's known deviations (TOML): listed failures are expected and do not fail the run",
        metavar="FILE",
        section="expectations",
    ),
    Option(
        "strict-expectations",
        "also fail on a listed requirement that passed or an unlisted warning (compare a run with the file)",
        section="expectations",
        switch=True,
    ),
    Option(
        "report-dir",
        "write results.json, junit.xml, certificate.md/.html here (default: reports/)",
        metavar="DIR",
        section="reports",
    ),
    # transports: webhooks
    Option(
        "webhook-listen",
        "webhooks: where the suite's receiver listens, HOST:PORT; the server must deliver to it (directly, or "
        "through --webhook-url); not given: the webhook rules are skipped",
        metavar="HOST:PORT",
        section="webhooks",
    ),
    Option(
        "webhook-url",
        "webhooks: the public URL that reaches the receiver (a tunnel to --webhook-listen) when the server is remote",
        metavar="URL",
        section="webhooks",
    ),
    Option(
        "webhook-secret-env",
        "webhooks: the NAME of the environment variable holding the endpoint's whsec_ signing secret",
        metavar="VAR",
        section="webhooks",
    ),
)
OPTIONS: tuple[Option, ...] = TARGET_OPTIONS + RUN_OPTIONS
# `oai-conformance replay` only (with the target options and --report-dir): the cost of a replay, bounded.
REPLAY_OPTIONS: tuple[Option, ...] = (
    Option("sample", "send N recordings drawn at random (default: every one)", metavar="N", section="replay"),
    Option("seed", "the seed of --sample (default 0: the same draw every time)", metavar="N", section="replay"),
    Option(
        "dry-run", "say how many requests would be sent and of which features, and send none", section="replay",
        switch=True,
    ),
)
OPTIONS_BY_DEST: dict[str, Option] = {opt.dest: opt for opt in TARGET_OPTIONS}


def _help(opt: Option) -> str:
    if opt.section != "target":
        return opt.help
    where = f"env {opt.env}" + (f", file key {opt.toml_key}" if opt.toml_key else "")
    return f"{opt.help} [{where}]"


def add_options(addoption: Callable[..., Any], prefix: str = "", options: tuple[Option, ...] = OPTIONS) -> None:
    """Register `options` (default: all) with `addoption`: argparse's `add_argument` or pytest's `addoption`.

    `prefix` goes in front of the flag and, with dashes as underscores, of the dest: "oai-" gives
    `--oai-base-url` stored as `oai_base_url`.
    """
    dest_prefix = prefix.replace("-", "_")
    for opt in options:
        kwargs: dict[str, Any] = {"dest": dest_prefix + opt.dest, "help": _help(opt)}
        # None, not False, when not given: a target switch given nowhere on the command line leaves the
        # environment's or the file's value in force.
        kwargs["default"] = None
        if opt.switch:
            kwargs["action"] = "store_true"
        if opt.metavar:
            kwargs["metavar"] = opt.metavar
        if opt.multiple:
            kwargs["action"] = "append"
        addoption(opt.flag(prefix), **kwargs)


def add_target_options(addoption: Callable[..., Any], prefix: str = "") -> None:
    """Register the target options only (see `add_options`)."""
    add_options(addoption, prefix, TARGET_OPTIONS)


def pytest_arguments(values: argparse.Namespace, leave_out: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """The plugin's flags (`--oai-...`) for every option given on the command line (but those named in
    `leave_out`), so `oai-conformance run` hands pytest exactly what it was given."""
    out: list[str] = []
    for opt in OPTIONS:
        if opt.name in leave_out:
            continue
        value = getattr(values, opt.dest, None)
        if opt.switch:
            out += [opt.flag("oai-")] if value else []
            continue
        for item in (value if isinstance(value, list) else [value]) if value is not None else []:
            out.append(f"{opt.flag('oai-')}={item}")  # joined: a value may start with "-" (-responses.store)
    return out


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
