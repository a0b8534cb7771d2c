"""The "Draw a digit" page, in headless Chromium: what it shows is mlpkit's prediction.

A digit is drawn on the page's canvas with the mouse (an MNIST test digit when
MNIST is in MLPKIT_DATA, else a vertical stroke), row by row; the page makes its
28x28 image and runs the exported network with onnxruntime-web. The label it
shows must be mlpkit's ``predict`` on that same image, and its ten bars
``predict_proba``. With ``MLPKIT_SCREENSHOTS=docs/screenshots`` the test also
saves the page's picture there (``draw-a-digit.png``).
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import mlpkit as mk

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = next(
    (found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None
)
# As this machine's Chromium needs them: no sandbox as root, no calls home.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="no chromium here (Debian: apt-get install chromium)"
    ),
    pytest.mark.skipif(
        not (ROOT / "web" / "node_modules" / "onnxruntime-web").is_dir(),
        reason="onnxruntime-web is not installed: npm ci --prefix web",
    ),
]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def page_url(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    assert (site / "draw" / "ort" / "ort-wasm-simd-threaded.wasm").is_file()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/draw-a-digit/"
    server.shutdown()


def digit_image() -> np.ndarray:
    """A 28x28 digit, pixels 0..255."""
    try:
        return mk.datasets.load("mnist", download=False).X_test[0].reshape(28, 28)
    except (FileNotFoundError, OSError, ValueError):
        image = np.zeros((28, 28))
        image[4:24, 13:15] = 255
        return image


def draw(page, image: np.ndarray) -> int:
    """Trace each row's runs of ink with the mouse; returns the number of strokes."""
    box = page.locator("#digit-canvas").bounding_box()
    cell = box["width"] / 28
    strokes = 0
    for y in range(28):
        ink = np.flatnonzero(image[y] > 100)
        for run in np.split(ink, np.flatnonzero(np.diff(ink) > 1) + 1) if len(ink) else []:
            top = box["y"] + (y + 0.5) * cell
            page.mouse.move(box["x"] + (run[0] + 0.5) * cell, top)
            page.mouse.down()
            page.mouse.move(box["x"] + (run[-1] + 0.5) * cell, top, steps=3)
            page.mouse.up()
            strokes += 1
    return strokes


def test_the_page_shows_mlpkits_prediction_for_what_was_drawn(page_url):
    from playwright.sync_api import sync_playwright

    network = mk.load(ROOT / "web" / "mnist.npz")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            outside = []
            page.on(
                "request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None
            )
            page.goto(page_url)
            page.wait_for_selector("#digit-canvas[data-ready='true']", timeout=60_000)
            strokes = draw(page, digit_image())
            page.wait_for_function(
                f"document.getElementById('digit-canvas').dataset.classified === '{strokes}'",
                timeout=60_000,
            )
            shown = page.evaluate("window.mlpkitDigit")
            text = page.inner_text("#digit-label")
            folder = os.environ.get("MLPKIT_SCREENSHOTS")
            if folder:  # the top of the page, in 256 colours as the site's other pictures
                from PIL import Image

                path = Path(folder) / "draw-a-digit.png"
                page.screenshot(path=str(path))
                Image.open(path).convert("RGB").quantize(256).save(path, optimize=True)
        finally:
            browser.close()
    assert errors == [] and outside == []  # nothing loaded from elsewhere
    pixels = np.array(shown["input"], dtype=np.float32).reshape(1, 784)
    assert pixels.max() > 100  # the page saw the drawing
    inputs = network.preprocessor.transform(pixels)
    expected = int(network.predict(inputs)[0])
    assert shown["label"] == expected and text.startswith(f"it is a {expected}")
    assert np.abs(np.array(shown["probabilities"]) - network.predict_proba(inputs)[0]).max() < 1e-5
