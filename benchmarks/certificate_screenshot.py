"""The HTML certificate in a real browser: `python benchmarks/certificate_screenshot.py [--results FILE] [--out DIR]`.

Renders a certificate (by default from a crafted results document with long bodies: a one-line JSON request of
several kilobytes with escaped unicode, an unbroken response body, a long URL, long failure messages, long skip
reasons and object ids), then, in headless Chromium at 1400 px:

- takes a screenshot of the page (`certificate.png` in DIR, 1400x2000) to look at;
- measures `document.documentElement.scrollWidth` with every <details> opened, through --dump-dom of a copy of
  the page whose script writes the measurement into the DOM (the certificate itself holds no script).

Prints the paths and the measurement; exit 0 when the page is no wider than the window (no sideways scrolling),
1 when it is, 2 when Chromium is missing (`apt-get install -y chromium`). Not part of the test run: it needs a
browser.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from conformance.exchange import Exchange
from conformance.judgement import Failure, Observation, Status, fold
from conformance.reports import build_results, render_html, render_markdown
from conformance.requirements import Feature, Level, Requirement

WIDTH = 1400
HEIGHT = 2000
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BASE = "http://127.0.0.1:8000/v1"


def crafted_results() -> dict[str, Any]:
    """A results document built to stretch the layout: every long thing a real certificate can hold."""
    features = {"chat": Feature("chat", "Chat completions"), "errors": Feature("errors", "Errors")}
    source = "seeds/001_ba73c77052365818.txt#create-chat-completion"
    requirements = {
        r.id: r
        for r in [
            Requirement(
                "chat.completion.schema", Level.MUST, "chat", "The answer is a valid `chat.completion`", source
            ),
            Requirement(
                "errors.envelope.schema", Level.MUST, "errors", "Every error body is an `error` envelope", source
            ),
            Requirement("chat.stop.honoured", Level.MUST, "chat", "`stop` sequences end the output", source),
            Requirement("chat.n.choices", Level.MUST, "chat", "`n` gives n choices", source),
            Requirement("chat.usage.adds-up", Level.SHOULD, "chat", "usage adds up", source),
        ]
    }
    words = " ".join(f"caf\\u00e9-{i}" for i in range(400))
    request = json.dumps({"model": "m", "messages": [{"role": "user", "content": "x" * 3000}], "tag": "é" * 20})
    request = request[:-1] + f', "note": "{words}"}}'
    unbroken = "y" * 3000
    stream = "".join(
        f'data: {{"id":"chatcmpl-{i}","object":"chat.completion.chunk","choices":[{{"index":0,'
        f'"delta":{{"content":"\\u00e9t\\u00e9 {unbroken[:200]}"}}}}]}}\n\n'
        for i in range(8)
    )
    long_url = f"{BASE}/chat/completions?{'&'.join(f'param{i}=value{i}' for i in range(60))}"
    exchanges = [
        Exchange.build(
            method="POST",
            url=long_url,
            request_headers={"content-type": "application/json"},
            request_body=request.encode(),
            status=200,
            response_headers={"content-type": "application/json"},
            response_body=json.dumps({"object": "chat.completion", "blob": unbroken}).encode(),
            index=0,
        ),
        Exchange.build(
            method="POST",
            url=f"{BASE}/chat/completions",
            request_headers={"content-type": "application/json"},
            request_body=b'{"model": "m", "stream": true}',
            status=200,
            response_headers={"content-type": "text/event-stream"},
            response_body=stream.encode(),
            index=1,
        ),
        Exchange.build(
            method="POST",
            url=f"{BASE}/chat/completions",
            request_headers={},
            request_body=b"{",
            status=400,
            response_body=json.dumps({"error": {"message": "m", "type": "t", "param": None, "code": 400}}).encode(),
            index=2,
        ),
    ]
    long_message = (
        f'Received: 200 {{"object":"chat.completion","blob":"{unbroken[:600]}"}}\nExpected: a `chat.completion`'
    )
    outcomes = [
        fold(
            "chat.completion.schema",
            [
                Observation(
                    "chat.completion.schema",
                    Status.FAIL,
                    (
                        Failure("chat.completion.schema", long_message, "$.choices", 0),
                        Failure("chat.completion.schema", "Received: stream\nExpected: JSON", "$", 1),
                    ),
                    case="chat/test_chat_completion.py::test_completion[" + "very-long-parameter-" * 8 + "]",
                )
            ],
        ),
        fold(
            "errors.envelope.schema",
            [
                Observation(
                    "errors.envelope.schema",
                    Status.FAIL,
                    (
                        Failure(
                            "errors.envelope.schema",
                            "Received: 400 (400 is not of type 'string', 'null')\nExpected: a valid `error`",
                            "$.error.code",
                            2,
                        ),
                    ),
                    case="errors/test_errors.py::test_envelope",
                )
            ],
        ),
        fold(
            "chat.n.choices",
            [
                Observation(
                    "chat.n.choices",
                    Status.SKIP,
                    reason=f"the server declined n=2 explicitly (Received: 400 {unbroken[:900]})",
                    case="chat/test_chat.py::test_n",
                )
            ],
        ),
        fold(
            "chat.usage.adds-up",
            [
                Observation(
                    "chat.usage.adds-up", Status.WARN, (Failure("chat.usage.adds-up", "5 != 1 + 2", "$.usage", 0),)
                )
            ],
        ),
    ]
    results = build_results(
        outcomes=outcomes,
        requirements=requirements,
        features=features,
        claimed=lambda feature: True,
        target={
            "name": "long-bodies",
            "base_url": BASE,
            "api_key_env": "OAI_KEY",
            "api_key_present": True,
            "headers": {"X-Trace": "t" * 300},
            "models": {"chat": "m"},
            "features": None,
            "mode": "compatible",
            "connect_timeout": 10.0,
            "read_timeout": 60.0,
            "retries": 2,
        },
        usage={"requests": 3},
        exchanges=exchanges,
        started=1_700_000_000.0,
        finished=1_700_000_003.0,
        tool_version="screenshot",
    )
    results["resources"] = {"created": ["x"] * 4, "deleted": [], "left": ["resp_" + "Z" * 400 for _ in range(4)]}
    return results


def chromium() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def run_chromium(browser: str, page: Path, *extra: str, height: int = HEIGHT) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{height}",
            *extra,
            page.resolve().as_uri(),
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


MEASURE = """<script>
for (const details of document.querySelectorAll("details")) details.open = true;
document.body.setAttribute("data-scroll-width", String(document.documentElement.scrollWidth));
</script>
</body>"""


def scroll_width(browser: str, html: str, folder: Path) -> int:
    """The page's scrollWidth at the window's width, every <details> open: read back from the dumped DOM."""
    page = folder / "measure.html"
    page.write_text(html.replace("</body>", MEASURE, 1), encoding="utf-8")
    dumped = run_chromium(browser, page, "--dump-dom")
    match = re.search(r'data-scroll-width="(\d+)"', dumped.stdout)
    if not match:
        raise SystemExit(f"no measurement in Chromium's DOM dump (exit {dumped.returncode}): {dumped.stderr[-500:]}")
    return int(match.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--results", type=Path, help="render this results.json instead of the crafted one")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "certificate-screenshot")
    parser.add_argument("--height", type=int, default=HEIGHT, help=f"of the window and screenshot (default {HEIGHT})")
    args = parser.parse_args(argv)
    browser = chromium()
    if browser is None:
        print("certificate_screenshot: no Chromium found: apt-get install -y chromium", file=sys.stderr)
        return 2
    results = json.loads(args.results.read_text(encoding="utf-8")) if args.results else crafted_results()
    args.out.mkdir(parents=True, exist_ok=True)
    html = render_html(results)
    certificate = args.out / "certificate.html"
    certificate.write_text(html, encoding="utf-8")
    (args.out / "certificate.md").write_text(render_markdown(results), encoding="utf-8")
    png = args.out / "certificate.png"
    shot = run_chromium(browser, certificate, f"--screenshot={png.resolve()}", height=args.height)
    if not png.is_file():
        print(f"certificate_screenshot: no screenshot (exit {shot.returncode}): {shot.stderr[-500:]}", file=sys.stderr)
        return 1
    width = scroll_width(browser, html, args.out)
    fits = width <= WIDTH
    print(f"certificate: {certificate}")
    print(f"screenshot:  {png} ({WIDTH}x{args.height})")
    print(f"scrollWidth: {width} px at a {WIDTH} px window, every <details> open: {'fits' if fits else 'TOO WIDE'}")
    return 0 if fits else 1


if __name__ == "__main__":
    sys.exit(main())
