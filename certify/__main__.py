"""`python -m certify SERVER [--check]`, `python -m certify install SERVER...`, `python -m certify matrix`.

- `SERVER` (litellm, llama-server, litellm-llama-server, vllm, llama-stack, llama-server-gemma, fakellm,
  mockllm, llama-cpp-python, faster-whisper, litellm-media, litellm-faster-whisper, local-tts, litellm-local-tts):
  install it (cached), start it, run the suite against it into reports/SERVER/, stop it, and publish results and
  certificate to docs/compatibility/SERVER/.
- `--check`: the same run, not published, compared strictly with the server's expectations file.
- `install SERVER...`: only fill the caches (CI does this in the background while the other tests run).
- `matrix`: regenerate docs/compatibility/README.md from the committed results.
- `progress`: while installs run, print every 30 s what is being built and for how long (`.ci/run` does).

Exit codes: 0 the run matches (no unexpected MUST failure), 1 it does not, 2 a usage error or a failed step
(one line, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from certify.lifecycle import CertifyError, Interrupted, signals_raise
from certify.recipe import Recipe
from certify.servers import RECIPES


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m certify", description="Certify real OpenAI-compatible servers.")
    parser.add_argument(
        "server", help=f"one of {', '.join(RECIPES)}; or `install SERVER...`; or `matrix`; or `progress`"
    )
    parser.add_argument("servers", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--check", action="store_true", help="compare the run with the expectations file strictly")
    parser.add_argument(
        "--report-dir", default=None, metavar="DIR", help="where the run writes its reports (default: reports/SERVER/)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.server == "matrix":
            from certify.matrix import write_matrix

            print(f"certify: wrote {write_matrix()}")
            return 0
        if args.server == "progress":
            from certify.progress import watch

            watch()
            return 0
        if args.server == "install":
            names = args.servers or list(RECIPES)
            recipes = [_recipe(name) for name in names]
            with signals_raise():
                for recipe in recipes:
                    for part in (recipe, recipe.upstream):  # the upstream may be building elsewhere: wait last
                        if part is not None:
                            print(f"certify: {part.name}: {part.install()}", flush=True)
            return 0
        if args.servers:
            raise CertifyError(f"unexpected arguments: {' '.join(args.servers)}")
        from certify.run import certify

        report_dir = Path(args.report_dir) if args.report_dir else None
        return certify(_recipe(args.server), check=args.check, report_dir=report_dir)
    except CertifyError as exc:
        print(f"certify: error: {exc}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted):
        print("certify: interrupted; the server was stopped", file=sys.stderr)
        return 130


def _recipe(name: str) -> Recipe:
    if name not in RECIPES:
        raise CertifyError(f"unknown server {name!r}; the servers are {', '.join(RECIPES)}")
    return RECIPES[name]


if __name__ == "__main__":
    sys.exit(main())
