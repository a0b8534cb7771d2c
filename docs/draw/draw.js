// "Draw a digit": the visitor's strokes, made MNIST-like, classified by onnxruntime-web.
//
// The network is an mlpkit MNIST network exported with mlpkit.export_onnx; its
// graph rescales raw pixels 0..255 itself, so the page feeds it what MNIST holds:
// a white digit on black, 28x28, its bounding box scaled to 20 pixels and its
// centre of mass at the centre (as MNIST's digits were made).
(function () {
  "use strict";
  const here = document.currentScript.src.replace(/[^/]*$/, "");
  const canvas = document.getElementById("digit-canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const labelBox = document.getElementById("digit-label");
  const bars = document.getElementById("digit-bars");
  let session = null;
  let drawing = false;

  function clear() {
    context.fillStyle = "black";
    context.fillRect(0, 0, canvas.width, canvas.height);
    labelBox.textContent = "draw a digit";
    bars.querySelectorAll(".digit-bar-fill").forEach((bar) => (bar.style.width = "0%"));
  }

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return [
      ((event.clientX - box.left) * canvas.width) / box.width,
      ((event.clientY - box.top) * canvas.height) / box.height,
    ];
  }

  canvas.addEventListener("pointerdown", (event) => {
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event);
    context.beginPath();
    context.moveTo(x, y);
    context.lineTo(x + 0.01, y);
    context.stroke();
  });
  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    const [x, y] = point(event);
    context.lineTo(x, y);
    context.stroke();
  });
  canvas.addEventListener("pointerup", () => {
    drawing = false;
    classify();
  });

  // The drawing as MNIST's 784 pixels (0..255), or null when it is blank.
  function mnistPixels() {
    const { width, height } = canvas;
    const ink = context.getImageData(0, 0, width, height).data;
    let top = height, bottom = -1, left = width, right = -1;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (ink[4 * (y * width + x)] > 0) {
          top = Math.min(top, y); bottom = Math.max(bottom, y);
          left = Math.min(left, x); right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) return null;
    const boxW = right - left + 1, boxH = bottom - top + 1;
    const scale = 20 / Math.max(boxW, boxH);
    const w = Math.max(1, Math.round(boxW * scale)), h = Math.max(1, Math.round(boxH * scale));
    const small = document.createElement("canvas");
    small.width = w; small.height = h;
    const smallContext = small.getContext("2d", { willReadFrequently: true });
    smallContext.imageSmoothingQuality = "high";
    smallContext.drawImage(canvas, left, top, boxW, boxH, 0, 0, w, h);
    const data = smallContext.getImageData(0, 0, w, h).data;
    let mass = 0, sumX = 0, sumY = 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = data[4 * (y * w + x)];
        mass += v; sumX += v * x; sumY += v * y;
      }
    }
    const shiftX = Math.round(14 - (sumX / mass + 0.5)), shiftY = Math.round(14 - (sumY / mass + 0.5));
    const pixels = new Float32Array(784);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const tx = x + shiftX, ty = y + shiftY;
        if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) pixels[ty * 28 + tx] = data[4 * (y * w + x)];
      }
    }
    return pixels;
  }

  async function classify() {
    const pixels = mnistPixels();
    if (pixels === null || session === null) return;
    const feeds = { input: new ort.Tensor("float32", pixels, [1, 784]) };
    const result = await session.run(feeds);
    const label = Number(result.label.data[0]);
    const probabilities = Array.from(result.probabilities.data);
    labelBox.textContent = `it is a ${label} (${(100 * probabilities[label]).toFixed(1)}%)`;
    probabilities.forEach((p, k) => {
      bars.querySelector(`[data-digit="${k}"] .digit-bar-fill`).style.width = `${100 * p}%`;
    });
    // What the page fed the network and what it showed, for its test.
    window.mlpkitDigit = { input: Array.from(pixels), label, probabilities };
    canvas.dataset.classified = String(Number(canvas.dataset.classified || 0) + 1);
  }

  for (let k = 0; k < 10; k++) {
    const row = document.createElement("div");
    row.className = "digit-bar";
    row.dataset.digit = String(k);
    row.innerHTML = `<span>${k}</span><div class="digit-bar-track"><div class="digit-bar-fill"></div></div>`;
    bars.appendChild(row);
  }
  context.strokeStyle = "white";
  context.lineWidth = 18;
  context.lineCap = "round";
  context.lineJoin = "round";
  clear();
  document.getElementById("digit-clear").addEventListener("click", clear);

  if (typeof ort === "undefined") {
    labelBox.textContent = "onnxruntime-web is not in this build of the site (see the page's notes)";
    return;
  }
  ort.env.wasm.wasmPaths = here + "ort/";
  ort.env.wasm.numThreads = 1; // a plain static site is not cross-origin isolated
  ort.InferenceSession.create(here + "mnist.onnx").then(
    (created) => {
      session = created;
      canvas.dataset.ready = "true";
    },
    (error) => (labelBox.textContent = `the model did not load: ${error}`)
  );
})();
