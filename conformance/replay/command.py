"""`oai-conformance replay` and `oai-conformance record`: their options and what they do.

Everything that can be wrong is found before the first request: the recordings files are read whole, the options
and the target checked, the report dir found writable, the target reachable; the reports are written only once
every answer is in (each file atomically), so a run stopped by a mistake leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.exceptions import ConfigError, ConformanceError
from conformance.options import REPLAY_OPTIONS, RUN_OPTIONS, TARGET_OPTIONS, add_options, cli_values

PROG = "oai-conformance"
# The reference server's key lives here while a replay runs against it (as in the plugin): a real key is never
# sent to it.
REFERENCE_KEY_ENV = "OAI_CONFORMANCE_REFERENCE_KEY"
_REPORT_DIR = tuple(o for o in RUN_OPTIONS if o.name == "report-dir")


def add_parsers(commands: Any) -> None:
    """Add `replay` and `record` to the CLI's sub-parsers."""
    replay = commands.add_parser(
        "replay",
        help="send recorded exchanges to a server and compare its answers with the recorded ones, by shape",
        description=(
            "Replay recorded exchanges (our format, docs/replay.md, or FauxpenAI files such as ../shared/recordings/"
            "*.json.gz) against a server, and compare each answer with the recorded one by shape. Writes replay.json, "
            "replay.md and replay-junit.xml to the report dir. Exit 0: every recording answered alike; 1: a "
            "difference; 2: a usage error, an unreadable file or an unreachable target."
        ),
    )
    replay.add_argument("recordings", nargs="+", metavar="RECORDINGS", help="recordings files (.jsonl, .json, .gz)")
    add_options(replay.add_argument, options=TARGET_OPTIONS + _REPORT_DIR + REPLAY_OPTIONS)

    record = commands.add_parser(
        "record",
        help="write recordings (our format) from a run's exchanges or a FauxpenAI file",
        description=(
            "Write a recordings file from a run's report dir (its exchanges.jsonl: redacted, so the file holds no "
            "key), a FauxpenAI file, or other recordings files; only exchanges a replay can send again are kept."
        ),
    )
    record.add_argument("sources", nargs="+", metavar="SOURCE", help="a report dir, exchanges.jsonl, or recordings")
    record.add_argument("--out", required=True, metavar="FILE", help="the file to write (.jsonl, .jsonl.gz)")


# --- replay ----------------------------------------------------------------------------------------------------------


def _count(value: str | None, option: str, default: int | None, *, positive: bool) -> int | None:
    if value is None:
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{option}: {value!r} is not an integer (from the command line)") from None
    if positive and number < 1:
        raise ConfigError(f"{option}: {value!r} is not a positive number (from the command line)")
    return number


def _writable(value: str) -> Path:
    """The report dir, checked (not created: nothing is written before the answers are in)."""
    path = Path(value)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ConfigError(f"--report-dir: {value!r} is not a folder")
    if not os.access(probe, os.W_OK):
        raise ConfigError(f"--report-dir: {value!r} is not writable")
    return path


def replay_command(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    from conformance.replay.importers import load_recordings
    from conformance.replay.run import features_of, plan
    from conformance.target import load_target

    sample = _count(args.sample, "--sample", None, positive=True)
    seed = _count(args.seed, "--seed", 0, positive=False) or 0
    cli = cli_values(args)
    config = Path(cli["config"]) if cli.get("config") else None
    target = load_target(cli, os.environ, config, Path.cwd())
    report_dir = _writable(args.report_dir or "reports")
    recordings = load_recordings([Path(p) for p in args.recordings])
    chosen = plan(recordings, target, sample, seed)

    if args.dry_run:
        by_feature: dict[str, int] = {}
        for recording in chosen.send:
            for feature in features_of(recording):
                by_feature[feature] = by_feature.get(feature, 0) + 1
        out(f"{PROG}: replay (dry run): {len(chosen.send)} request(s) of {chosen.total} recording(s) would be sent "
            f"to {target.base_url or 'the bundled reference server'}; {len(chosen.skipped)} left out")  # fmt: skip
        for feature, count in sorted(by_feature.items()):
            out(f"  {feature:<22} {count}")
        reasons: dict[str, int] = {}
        for _, reason in chosen.skipped:
            key = "not drawn by --sample" if reason.startswith("not drawn") else reason
            reasons[key] = reasons.get(key, 0) + 1
        for reason, count in sorted(reasons.items(), key=lambda x: -x[1]):
            out(f"  left out: {reason}: {count}")
        return 0
    if not chosen.send:
        raise ConfigError("nothing to replay: every recording was left out (" +
                          (chosen.skipped[0][1] if chosen.skipped else "no recording") + ")")  # fmt: skip

    with ExitStack() as stack:
        if target.base_url is None:
            from conformance.reference import ServerConfig, serve

            key = os.environ.get(REFERENCE_KEY_ENV) or "sk-reference-" + os.urandom(12).hex()
            os.environ[REFERENCE_KEY_ENV] = key
            server = stack.enter_context(serve(ServerConfig(api_key=key)))
            target = replace(target.with_base_url(server.base_url, "reference"), api_key_env=REFERENCE_KEY_ENV,
                             no_api_key=False)  # fmt: skip
        code = _send(target, chosen, report_dir, [str(p) for p in args.recordings], out)
    return code


def _send(target: Any, chosen: Any, report_dir: Path, files: list[str], out: Callable[[str], None]) -> int:
    from conformance.client import Client
    from conformance.replay import report
    from conformance.replay.run import model_map, replay

    started = report.now()
    with Client(target) as client:
        client.check_reachable()
        if problem := target.missing_key():
            raise ConformanceError(problem)
        models = model_map(target, client, chosen)
        progress = _progress if sys.stderr.isatty() else None
        outcomes = replay(chosen, client, models, progress)
    document = report.build(
        outcomes=outcomes,
        plan=chosen,
        files=files,
        target=target.summary(),
        models=models.table(),
        started=started,
        finished=report.now(),
        tool_version=_version(),
    )
    paths = report.write(document, report_dir)
    s = document["replay"]["summary"]
    out(
        f"{PROG}: replay: {s['sent']} sent, {s['alike']} answered alike ({s['share_alike']}%; "
        f"{s['alike_tolerated']} under a tolerance), {s['different']} different in "
        f"{len(document['replay']['groups'])} group(s) — {paths['markdown']} (and {paths['results'].name}, "
        f"{paths['junit'].name})"
    )
    return int(document["replay"]["exit_code"])


def _progress(done: int, total: int) -> None:
    if done == total or done % 100 == 0:
        print(f"\r{PROG}: replay: {done}/{total} sent", end="\n" if done == total else "", file=sys.stderr, flush=True)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("oai-conformance")
    except PackageNotFoundError:
        return "0+unknown"


# --- record ----------------------------------------------------------------------------------------------------------


def record_command(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    from conformance.replay.importers import load_recordings, record_exchanges
    from conformance.replay.recording import read_text, write_recordings

    target = Path(args.out)
    if not target.parent.is_dir():
        raise ConfigError(f"--out: the folder {str(target.parent)!r} does not exist")
    if target.is_dir():
        raise ConfigError(f"--out: {args.out!r} is a folder")
    recordings = []
    left_out: dict[str, int] = {}
    for source in args.sources:
        path = Path(source)
        if not path.exists():
            raise ConfigError(f"{source}: does not exist")
        if path.is_dir() or _is_exchanges(path, read_text):
            found, skipped = record_exchanges(path)
            recordings += found
            for reason, count in skipped.items():
                left_out[reason] = left_out.get(reason, 0) + count
        else:
            recordings += load_recordings([path])
    ids = [r.id for r in recordings]
    if len(set(ids)) != len(ids):
        duplicate = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"two sources hold the recording id {duplicate!r}")
    if not recordings:
        raise ConfigError("no replayable exchange in " + ", ".join(args.sources) + _reasons(left_out))
    write_recordings(target, recordings, source=", ".join(args.sources))
    out(f"{PROG}: wrote {len(recordings)} recording(s) to {target}{_reasons(left_out)}")
    return 0


def _reasons(left_out: dict[str, int]) -> str:
    if not left_out:
        return ""
    return "; left out: " + "; ".join(f"{count} ({reason})" for reason, count in sorted(left_out.items()))


def _is_exchanges(path: Path, read_text: Callable[[Path], str]) -> bool:
    from conformance.replay.importers import is_exchanges_log

    return path.name.startswith("exchanges") or is_exchanges_log(read_text(path))
