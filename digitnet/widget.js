// digitnet's drawing canvas (anywidget front end; the Python side is digitnet/widgets.py).
// Draw with mouse, pen or finger; on each pen-up the strokes go to Python as coordinates and the answer,
// the 28x28 the model saw and the ten probabilities come back. Nothing is loaded from the network.

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// One decimal is far finer than a pen: it keeps the message small.
const round1 = (value) => Math.round(value * 10) / 10;

function render({ model, el }) {
  const size = model.get("size");
  const root = element("div", "digitnet-widget");
  const left = element("div", "digitnet-left");
  const canvas = element("canvas", "digitnet-canvas");
  canvas.style.width = `${size}px`;
  canvas.style.height = `${size}px`;
  // Backing store at the screen's resolution, so strokes are sharp on high-density screens.
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(size * ratio);
  canvas.height = Math.round(size * ratio);
  canvas.setAttribute("aria-label", "Draw a digit here");
  const context = canvas.getContext("2d");
  context.scale(ratio, ratio);

  const controls = element("div", "digitnet-controls");
  const clearButton = element("button", "digitnet-clear", "Clear");
  clearButton.type = "button";
  const status = element("span", "digitnet-status", "Draw a digit");
  controls.append(clearButton, status);
  left.append(canvas, controls);

  const right = element("div", "digitnet-right");
  const answerLabel = element("div", "digitnet-answer-label", "Read as");
  const answer = element("div", "digitnet-answer", "");
  answer.setAttribute("aria-live", "polite");
  const details = element("div", "digitnet-digits");
  right.append(answerLabel, answer, details);
  root.append(left, right);
  el.append(root);

  // The strokes on this canvas, each a list of [x, y] in canvas (CSS) pixels.
  let strokes = [];
  let current = null;
  let sequence = (model.get("drawing") || {}).sequence || 0;
  let shown = -1;
  const penUpAt = new Map(); // sequence -> performance.now() at the pen-up that sent it

  function paper() {
    context.save();
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.restore();
  }

  function pen() {
    context.lineCap = "round";
    context.lineJoin = "round";
    context.lineWidth = model.get("pen_width");
    context.strokeStyle = "#111111";
    context.fillStyle = "#111111";
  }

  function dot([x, y]) {
    context.beginPath();
    context.arc(x, y, model.get("pen_width") / 2, 0, 2 * Math.PI);
    context.fill();
  }

  function segment(from, to) {
    context.beginPath();
    context.moveTo(from[0], from[1]);
    context.lineTo(to[0], to[1]);
    context.stroke();
  }

  function redraw() {
    paper();
    pen();
    for (const stroke of strokes) {
      dot(stroke[0]);
      for (let i = 1; i < stroke.length; i += 1) segment(stroke[i - 1], stroke[i]);
    }
  }

  function position(event) {
    const box = canvas.getBoundingClientRect();
    return [round1(((event.clientX - box.left) * size) / box.width),
      round1(((event.clientY - box.top) * size) / box.height)];
  }

  function send() {
    sequence += 1;
    penUpAt.set(sequence, performance.now());
    canvas.dataset.sequence = String(sequence);
    status.textContent = strokes.length ? "reading…" : "Draw a digit";
    model.set("drawing", { sequence, strokes: strokes.map((stroke) => stroke.slice()) });
    model.save_changes();
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault(); // no text selection, no scrolling, no notebook drag while drawing
    event.stopPropagation();
    try {
      canvas.setPointerCapture(event.pointerId); // the stroke goes on when the pen leaves the canvas
    } catch (error) {
      // a pointer the browser no longer tracks: draw without capture
    }
    current = [position(event)];
    strokes.push(current);
    pen();
    dot(current[0]);
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!current) return;
    event.preventDefault();
    // Coalesced events keep fast strokes smooth: the browser may merge several moves into one event.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const item of events.length ? events : [event]) {
      const point = position(item);
      const last = current[current.length - 1];
      if (point[0] === last[0] && point[1] === last[1]) continue;
      segment(last, point);
      current.push(point);
    }
  });

  function penUp(event) {
    if (!current) return;
    event.preventDefault();
    current = null;
    send();
  }
  canvas.addEventListener("pointerup", penUp);
  canvas.addEventListener("pointercancel", penUp);

  clearButton.addEventListener("click", () => {
    strokes = [];
    current = null;
    redraw();
    showResult({ sequence: sequence + 1, empty: true, answer: "", digits: [] });
    send();
  });

  function probabilityBars(probabilities, chosen) {
    const bars = element("div", "digitnet-bars");
    probabilities.forEach((probability, digit) => {
      const row = element("div", digit === chosen ? "digitnet-bar-row digitnet-chosen" : "digitnet-bar-row");
      const track = element("div", "digitnet-bar-track");
      const bar = element("div", "digitnet-bar");
      bar.style.width = `${(100 * probability).toFixed(1)}%`;
      track.append(bar);
      row.append(element("span", "digitnet-bar-digit", String(digit)), track,
        element("span", "digitnet-bar-value", `${(100 * probability).toFixed(1)}%`));
      bars.append(row);
    });
    return bars;
  }

  function showResult(result) {
    if (!result || result.sequence < shown) return; // an older answer arriving late: keep the newer one
    shown = result.sequence;
    answer.textContent = result.answer || "";
    answer.dataset.sequence = String(result.sequence);
    answer.classList.toggle("digitnet-refused", !result.ok && !result.empty);
    details.replaceChildren();
    for (const item of result.digits || []) {
      const card = element("div", "digitnet-digit");
      const seen = element("img", "digitnet-seen");
      seen.src = item.image;
      seen.alt = `the 28×28 the model saw, read as ${item.digit}`;
      seen.title = "what the model saw (28×28)";
      card.append(seen, element("div", "digitnet-confidence", `${item.digit}: ${(100 * item.confidence).toFixed(1)}%`),
        probabilityBars(item.probabilities, item.digit));
      details.append(card);
    }
    const started = penUpAt.get(result.sequence);
    if (started !== undefined && !result.empty) {
      // From the pen-up to this answer on screen, as a person waits for it (tests read it too).
      const milliseconds = performance.now() - started;
      answer.dataset.latencyMs = milliseconds.toFixed(1);
      status.textContent = `read in ${Math.round(milliseconds)} ms`;
    } else if (result.empty) {
      delete answer.dataset.latencyMs;
      status.textContent = "Draw a digit";
    }
    for (const old of [...penUpAt.keys()]) if (old <= result.sequence) penUpAt.delete(old);
  }

  const onResult = () => showResult(model.get("result"));
  const onDrawing = () => {
    // Strokes set from Python (DigitCanvas.draw) or by another view of the same widget: show them.
    const drawing = model.get("drawing") || {};
    if ((drawing.sequence || 0) <= sequence) return;
    sequence = drawing.sequence;
    canvas.dataset.sequence = String(sequence);
    strokes = (drawing.strokes || []).map((stroke) => stroke.slice());
    redraw();
  };
  model.on("change:result", onResult);
  model.on("change:drawing", onDrawing);

  strokes = ((model.get("drawing") || {}).strokes || []).map((stroke) => stroke.slice());
  canvas.dataset.sequence = String(sequence);
  redraw();
  showResult(model.get("result"));
  // When the view goes (cell cleared or re-run), stop listening to the model it shared with other views.
  return () => {
    model.off("change:result", onResult);
    model.off("change:drawing", onDrawing);
  };
}

export default { render };
