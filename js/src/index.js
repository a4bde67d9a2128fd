// mmphate explorer: anywidget front end (render returns a cleanup function).
// Small payloads arrive in their traits; large ones (see `_chunked`) are requested from the kernel
// and arrive as a series of binary messages, with a progress bar until the last one is in.
// A live view (`_live`) redraws whenever the kernel bumps `_revision` (new epochs, a refit),
// keeping the camera; a redraw waits until a drag on the view ends.
import { readTheme } from "./colors.js";
import { decode } from "./data.js";
import { CHUNK, ChunkAssembler, REQUEST, progressText } from "./chunks.js";
import { applyThemeVars, mountExplorer, showError } from "./app.js";
import { CSS, Progress } from "./ui.js";
import { renderCompare } from "./compare.js";
import { sceneCameraState, writeCamera } from "./camera.js";
import { LiveBar, waitingStage } from "./live.js";

function render({ model, el }) {
  // a CompareView (several linked panels) carries its panels in `_panels`
  if (Array.isArray(model.get("_panels"))) return renderCompare({ model, el });
  const ac = new AbortController();
  const handlers = [];
  const own = (name, cb) => {
    model.on(name, cb);
    handlers.push([name, cb]);
  };
  const root = document.createElement("div");
  root.className = "mmphate-root";
  root.dataset.ready = "false";
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const style = document.createElement("style");
  style.textContent = CSS;
  root.appendChild(style);
  el.appendChild(root);
  applyThemeVars(root, readTheme(el));
  const height = Number(model.get("height")) || 480;
  const live = model.get("_live") === true;
  const bar = live ? new LiveBar(root, model, ac.signal) : null;
  const keep = new Set([style, bar?.el].filter(Boolean));

  // what one drawing of the data owns (a live view replaces it on each revision)
  let mountHandlers = [];
  let mountAbort = null;
  let disposeApp = null;
  let progress = null;
  let scene = null;
  let disposed = false;
  const on = (name, cb) => {
    model.on(name, cb);
    mountHandlers.push([name, cb]);
  };
  const unmount = () => {
    for (const [name, cb] of mountHandlers) model.off(name, cb);
    mountHandlers = [];
    mountAbort?.abort();
    mountAbort = null;
    progress?.dispose();
    progress = null;
    disposeApp?.();
    disposeApp = null;
    scene = null;
    for (const child of [...root.children]) if (!keep.has(child)) child.remove();
    delete root.dataset.error;
    root.dataset.ready = "false";
  };
  const cleanup = () => {
    disposed = true;
    unmount();
    ac.abort();
    for (const [name, cb] of handlers) model.off(name, cb);
    root.remove();
  };

  const fail = (err) => {
    const stage = document.createElement("div");
    stage.className = "mmphate-stage";
    stage.style.height = `${height}px`;
    root.appendChild(stage);
    showError(root, stage, `Cannot show the data: ${err.message}`);
  };
  const mount = (overrides, camera, keepEpoch) => {
    let data;
    try {
      data = decode(model, overrides);
    } catch (err) {
      fail(err);
      return;
    }
    root.dataset.epochs = String(data.E);
    const onScene = (s, requestRender) => {
      scene = s;
      if (camera) {
        // the app is still being built (a camera change redraws): restore once it is
        queueMicrotask(() => {
          if (disposed || scene !== s) return;
          writeCamera(s, camera);
          requestRender();
        });
      }
    };
    disposeApp = mountExplorer({ model, el, root, data, height, on, signal: mountAbort.signal, onScene });
    if (live) settleEpoch(data, keepEpoch);
  };
  // The kernel reads the toggle only between cells, so while a training cell runs the browser
  // keeps its own rule: follow the newest epoch, or stay on the epoch shown before the redraw.
  const settleEpoch = (data, keepEpoch) => {
    const labels = data.epochs.map(Number);
    const want = bar.follow.checked ? labels[labels.length - 1] : keepEpoch;
    if (want == null || !labels.includes(want) || Number(model.get("epoch")) === want) return;
    model.set("epoch", want);
    model.save_changes();
  };

  const load = (camera, keepEpoch = null) => {
    mountAbort = new AbortController();
    if (live) root.dataset.revision = String(model.get("_revision") || 0); // the data drawn
    const shape = model.get("_shape") || [];
    if (live && shape.length !== 3) {
      root.dataset.epochs = "0";
      waitingStage(root, height, "Waiting for the first recorded epoch…");
      return;
    }
    const manifest = model.get("_chunked") || {};
    if (!manifest.arrays || !Object.keys(manifest.arrays).length) {
      mount({}, camera, keepEpoch);
      return;
    }
    const assembler = new ChunkAssembler(manifest);
    progress = new Progress(root, height);
    root.dataset.loading = "true";
    const report = () => {
      const f = assembler.fraction;
      root.dataset.progress = f.toFixed(3);
      progress.update(f, `Receiving data: ${progressText(assembler.received, assembler.total)}`);
    };
    report();
    on("msg:custom", (content, buffers) => {
      if (disposed || !content || content.type !== CHUNK || disposeApp) return;
      try {
        if (!assembler.add(content, buffers && buffers[0])) return;
      } catch (err) {
        progress.dispose();
        progress = null;
        fail(err);
        return;
      }
      report();
      if (assembler.complete) {
        progress.dispose();
        progress = null;
        root.dataset.loading = "false";
        mount(assembler.result(), camera, keepEpoch);
      }
    });
    model.send({ type: REQUEST, id: manifest.id });
  };

  if (live) {
    // redraw on each revision, keeping the camera; never in the middle of a drag
    let dragging = false;
    let pending = false;
    const redraw = () => {
      pending = false;
      const camera = scene ? sceneCameraState(scene) : null;
      const shown = root.dataset.epoch;
      const keepEpoch = scene && shown !== undefined ? Number(shown) : null;
      unmount();
      load(camera, keepEpoch);
      bar.sync();
    };
    root.addEventListener("pointerdown", () => (dragging = true), { capture: true, signal: ac.signal });
    const release = () => {
      dragging = false;
      // after the view's own pointerup handlers (a drag's selection lands first)
      if (pending) setTimeout(() => !disposed && pending && redraw(), 0);
    };
    window.addEventListener("pointerup", release, { signal: ac.signal });
    window.addEventListener("pointercancel", release, { signal: ac.signal });
    own("change:_revision", () => {
      if (disposed) return;
      if (dragging) pending = true;
      else redraw();
    });
    own("change:live_status", () => bar.sync());
    own("change:follow_latest", () => bar.sync());
  }
  load(null);
  return cleanup;
}

export default { render };
