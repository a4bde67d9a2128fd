// mmphate explorer: anywidget front end (render returns a cleanup function).
// Small payloads arrive in their traits; large ones (see `_chunked`) are requested from the kernel
// and arrive as a series of binary messages, with a progress bar until the last one is in.
import { readTheme } from "./colors.js";
import { decode } from "./data.js";
import { CHUNK, ChunkAssembler, REQUEST, progressText } from "./chunks.js";
import { applyThemeVars, mountExplorer, showError } from "./app.js";
import { CSS, Progress } from "./ui.js";
import { renderCompare } from "./compare.js";

function render({ model, el }) {
  // a CompareView (several linked panels) carries its panels in `_panels`
  if (Array.isArray(model.get("_panels"))) return renderCompare({ model, el });
  const ac = new AbortController();
  const handlers = [];
  const on = (name, cb) => {
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
  let disposeApp = null;
  let progress = null;
  let disposed = false;
  const cleanup = () => {
    disposed = true;
    ac.abort();
    for (const [name, cb] of handlers) model.off(name, cb);
    progress?.dispose();
    disposeApp?.();
    root.remove();
  };

  const fail = (err) => {
    const stage = document.createElement("div");
    stage.className = "mmphate-stage";
    stage.style.height = `${height}px`;
    root.appendChild(stage);
    showError(root, stage, `Cannot show the data: ${err.message}`);
  };
  const mount = (overrides) => {
    let data;
    try {
      data = decode(model, overrides);
    } catch (err) {
      fail(err);
      return;
    }
    disposeApp = mountExplorer({ model, el, root, data, height, on, signal: ac.signal });
  };

  const manifest = model.get("_chunked") || {};
  if (!manifest.arrays || !Object.keys(manifest.arrays).length) {
    mount({});
    return cleanup;
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
      mount(assembler.result());
    }
  });
  model.send({ type: REQUEST, id: manifest.id });
  return cleanup;
}

export default { render };
