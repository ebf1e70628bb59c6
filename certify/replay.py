"""`python -m certify.replay SERVER [RECORDINGS...] [--sample N] [--seed N]`: replay recordings against a real server.

The server is installed (cached), started on a free port and stopped exactly as `python -m certify SERVER` does
(certify/run.py's `serve`, certify/lifecycle.py); the replay runs `oai-conformance replay` against it with the
server's claimed features and model ids, so that only what the server claims is sent. Reports go to
reports/<server>-replay/ (replay.json, replay.md, replay-junit.xml). Default recordings: ../shared/recordings/*.gz.

The summary (how many recordings were sent and answered alike, the sample, the largest groups of differences) is
published as docs/compatibility/<server>/replay.json, which the matrix shows as the server's *Answered alike*.

Exit codes: those of `oai-conformance replay` (0 all alike, 1 a difference, 2 a usage error), 2 for a failed step.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from certify.lifecycle import CertifyError, Interrupted, signals_raise
from certify.recipe import KEY_ENV, Recipe, Upstream
from certify.run import COMPATIBILITY, REPORTS, ROOT, Timings, say, serve
from certify.servers import RECIPES

SHARED = Path(os.environ.get("OAI_CONFORMANCE_SHARED", ROOT.parent / "shared"))


def replay_command(recipe: Recipe, base_url: str, recordings: Sequence[str], report_dir: Path,
                   sample: int | None, seed: int) -> list[str]:  # fmt: skip
    command = [
        sys.executable, "-m", "conformance.cli", "replay", *recordings,
        *("--base-url", base_url), *("--api-key-env", KEY_ENV), *("--features", ",".join(recipe.features)),
        *("--name", recipe.name), *("--report-dir", str(report_dir)),
    ]  # fmt: skip
    for role, model in recipe.models.items():
        command += ["--model", f"{role}={model}"]
    if sample is not None:
        command += ["--sample", str(sample), "--seed", str(seed)]
    return command


def replay(recipe: Recipe, recordings: Sequence[str], report_dir: Path, sample: int | None, seed: int) -> int:
    with signals_raise(), contextlib.ExitStack() as servers:
        upstream = None
        if recipe.upstream is not None:
            upstream_launch, upstream_key, _ = serve(recipe.upstream, servers, None, Timings())
            upstream = Upstream(upstream_launch.base_url, upstream_key, recipe.upstream.models)
        launch, key, server = serve(recipe, servers, upstream, Timings())
        say(f"replaying {', '.join(recordings)} against {launch.base_url}")
        code = subprocess.call(
            replay_command(recipe, launch.base_url, recordings, report_dir, sample, seed),
            env={**os.environ, KEY_ENV: key},
            cwd=ROOT,
        )
        if server.popen.poll() is not None:
            code = server.popen.returncode
            raise CertifyError(f"the server exited (code {code}) during the replay:\n{server.tail()}")
    say(f"{recipe.name} stopped")
    return code


def publish(server: str, report_dir: Path, folder: Path = COMPATIBILITY) -> Path | None:
    """The replay's summary beside the server's certificate (docs/compatibility/<server>/replay.json)."""
    path = report_dir / "replay.json"
    if not path.is_file() or not (folder / server).is_dir():
        return None
    document = json.loads(path.read_text(encoding="utf-8"))
    replay = document["replay"]
    summary = {
        "finished": document["finished"],
        "recordings": replay["recordings"],
        "summary": replay["summary"],
        "groups": [{k: g[k] for k in ("title", "kind", "recordings")} for g in replay["groups"][:10]],
    }
    out = folder / server / "replay.json"
    out.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certify.replay", description=__doc__.splitlines()[0])
    parser.add_argument("server", help=f"one of {', '.join(RECIPES)}")
    parser.add_argument("recordings", nargs="*", help="recordings files (default: ../shared/recordings/*.gz)")
    parser.add_argument("--sample", type=int, default=None, metavar="N")
    parser.add_argument("--seed", type=int, default=0, metavar="N")
    parser.add_argument("--report-dir", default=None, metavar="DIR")
    args = parser.parse_args(argv)
    try:
        if args.server not in RECIPES:
            raise CertifyError(f"unknown server {args.server!r}; the servers are {', '.join(RECIPES)}")
        recordings = args.recordings or [str(p) for p in sorted((SHARED / "recordings").glob("*.gz"))]
        if not recordings:
            raise CertifyError(f"no recordings given and none in {SHARED / 'recordings'}")
        report_dir = Path(args.report_dir) if args.report_dir else REPORTS / f"{args.server}-replay"
        code = replay(RECIPES[args.server], recordings, report_dir, args.sample, args.seed)
        if code in (0, 1) and (published := publish(args.server, report_dir)) is not None:
            say(f"published the replay's summary to {published}")
        return code
    except CertifyError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted):
        print("certify: interrupted; the server was stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
