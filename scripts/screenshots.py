"""Screenshots of the documentation site, taken with headless Chromium.

Builds the site (``mkdocs build --strict``), serves it on a local port and
saves each page below as a PNG in ``docs/screenshots/`` (reduced to 256
colours, so that the repository stays small):

    python scripts/screenshots.py            # needs the docs extra and chromium

Chromium comes from the system (Debian: ``apt-get install chromium``); it is
looked up as ``chromium``, ``chromium-browser`` or ``google-chrome``.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"

# (file name, page path, window height): the home page and one notebook.
PAGES = [
    ("site-home.png", "", 1100),
    ("site-notebook.png", "notebooks/00-backprop-by-hand/", 1300),
]
WIDTH = 1280


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    raise SystemExit("no chromium found: install it (Debian: apt-get install chromium)")


def build_site(site: Path) -> None:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    subprocess.run(command, cwd=ROOT, check=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # one line per file otherwise
        pass


def serve(site: Path) -> http.server.ThreadingHTTPServer:
    """The site on a free local port, served from a daemon thread."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def shoot(browser: str, url: str, out: Path, height: int) -> None:
    command = [
        browser,
        "--headless",
        "--no-sandbox",  # CI containers run as root
        "--disable-gpu",
        "--hide-scrollbars",
        f"--window-size={WIDTH},{height}",
        f"--screenshot={out}",
        url,
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    if not out.is_file():
        raise SystemExit(f"chromium wrote no screenshot for {url}")


def reduce_colours(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder (docs/screenshots)")
    args = parser.parse_args(argv)
    browser = chromium()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        site = Path(work) / "site"
        build_site(site)
        server = serve(site)
        try:
            for name, page, height in PAGES:
                url = f"http://127.0.0.1:{server.server_port}/{page}"
                shoot(browser, url, args.out / name, height)
                reduce_colours(args.out / name)
                print(f"{args.out / name}: {url}")
        finally:
            server.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
