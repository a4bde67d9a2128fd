// mmphate explorer: anywidget front end (render returns a cleanup function).
import { decode } from "./data.js";
import { readTheme } from "./colors.js";
import { PointScene } from "./scene.js";
import { SelectionOverlay, combine, modifierOp, unitsInShape } from "./selection.js";
import { MetricsChart } from "./chart.js";
import { CSS, Legend, Tooltip, buildControls, setPressed } from "./ui.js";

const SYNC_DELAY_MS = 200;

function applyThemeVars(root, theme) {
  root.style.setProperty("--mmphate-bg", theme.background);
  root.style.setProperty("--mmphate-panel", theme.panel);
  root.style.setProperty("--mmphate-fg", theme.foreground);
  root.style.setProperty("--mmphate-muted", theme.muted);
  root.style.setProperty("--mmphate-border", theme.border);
  root.style.setProperty("--mmphate-accent", theme.accent);
  root.style.setProperty("--mmphate-font", theme.font);
}

function showError(root, container, message) {
  const box = document.createElement("div");
  box.className = "mmphate-error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  container.appendChild(box);
  root.dataset.error = message;
  root.dataset.ready = "false";
}

function render({ model, el }) {
  const ac = new AbortController();
  const opts = { signal: ac.signal };
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
  let theme = readTheme(el);
  applyThemeVars(root, theme);

  let scene = null;
  let chart = null;
  let legend = null;
  let tooltip = null;
  let overlay = null;
  let resizeObserver = null;
  let themeObserver = null;
  let frameReq = 0;
  let syncTimer = 0;
  const cleanup = () => {
    ac.abort();
    if (frameReq) cancelAnimationFrame(frameReq);
    if (hoverReq) cancelAnimationFrame(hoverReq);
    if (syncTimer) clearTimeout(syncTimer);
    for (const [name, cb] of handlers) model.off(name, cb);
    resizeObserver?.disconnect();
    themeObserver?.disconnect();
    scene?.dispose();
    chart?.dispose();
    legend?.dispose();
    tooltip?.dispose();
    overlay?.dispose();
    root.remove();
  };

  const height = Number(model.get("height")) || 480;
  let data;
  try {
    data = decode(model);
  } catch (err) {
    const stage = document.createElement("div");
    stage.className = "mmphate-stage";
    stage.style.height = `${height}px`;
    root.appendChild(stage);
    showError(root, stage, `Cannot show the data: ${err.message}`);
    return cleanup;
  }
  const available = {
    epoch: true,
    timestep: true,
    unit: true,
    cluster: !!data.clusters,
    intrastep_entropy: !!data.intrastep,
    interstep_entropy: !!data.interstep,
    class: !!data.nodeClass && data.classNames.length > 0,
  };
  const ui = buildControls(root, data, available);
  const stage = document.createElement("div");
  stage.className = "mmphate-stage";
  stage.style.height = `${height}px`;
  root.appendChild(stage);
  const chartBox = document.createElement("div");
  chartBox.className = "mmphate-chart-box";
  root.appendChild(chartBox);
  const status = document.createElement("div");
  status.className = "mmphate-status";
  status.setAttribute("aria-live", "polite");
  root.appendChild(status);

  const initialWidth = () => Math.max(200, Math.floor(stage.clientWidth || el.clientWidth || 640));
  let width = initialWidth();
  try {
    scene = new PointScene(stage, data, { width, height, onChange: () => scene && requestRender() });
  } catch (err) {
    console.error(err);
    showError(root, stage, err.message);
    return cleanup;
  }
  const canvas = scene.canvas;
  canvas.classList.add("mmphate-canvas");
  canvas.setAttribute("data-lm-suppress-shortcuts", "true");
  canvas.setAttribute("tabindex", "0");
  canvas.setAttribute("aria-label", "Embedding view");
  canvas.addEventListener(
    "webglcontextlost",
    (ev) => {
      ev.preventDefault();
      showError(root, stage, "The WebGL context was lost; re-run the cell to redraw.");
    },
    opts,
  );
  overlay = new SelectionOverlay(stage);
  legend = new Legend(stage);
  tooltip = new Tooltip(stage);

  const unitIndex = new Map(data.units.map((u, i) => [u, i]));
  const st = {
    epochIdx: 0,
    tIdx: 0,
    playing: false,
    colorBy: "epoch",
    view: "3d",
    tool: "orbit",
    selected: new Set(),
    highlight: false,
    speed: 5,
    ready: false,
  };

  // ---- writes back to Python: throttled while scrubbing/playing, immediate for discrete actions
  let pending = {};
  const flush = () => {
    if (syncTimer) clearTimeout(syncTimer);
    syncTimer = 0;
    const keys = Object.keys(pending);
    if (!keys.length) return;
    for (const k of keys) model.set(k, pending[k]);
    pending = {};
    model.save_changes();
  };
  const queueSync = (values) => {
    Object.assign(pending, values);
    if (!syncTimer) syncTimer = setTimeout(flush, SYNC_DELAY_MS);
  };
  const writeNow = (values) => {
    Object.assign(pending, values);
    flush();
  };

  // ---- rendering and animation (no Python round trip)
  let lastStep = 0;
  const frame = (now) => {
    frameReq = 0;
    if (st.playing) {
      if (!lastStep) lastStep = now;
      const steps = Math.floor(((now - lastStep) * st.speed) / 1000);
      if (steps > 0) {
        lastStep += (steps * 1000) / st.speed;
        setTimestep((st.tIdx + steps) % data.T, false);
      }
      requestRender();
    }
    scene.render();
    root.dataset.points = String(scene.pointsDrawn());
    if (!st.ready) {
      st.ready = true;
      root.dataset.ready = "true";
    }
  };
  function requestRender() {
    if (!frameReq) frameReq = requestAnimationFrame(frame);
  }

  // ---- state setters (fromModel: the change came from Python, do not write it back)
  function setEpoch(i, fromModel) {
    i = Math.max(0, Math.min(data.E - 1, i | 0));
    st.epochIdx = i;
    scene.setEpoch(i);
    ui.epoch.value = String(i);
    ui.epochLabel.textContent = String(data.epochs[i]);
    root.dataset.epoch = String(data.epochs[i]);
    root.dataset.epochIndex = String(i);
    chart?.setCurrent(i);
    tooltip.hide();
    if (!fromModel) queueSync({ epoch: data.epochs[i] });
    requestRender();
  }
  function setTimestep(i, fromModel) {
    i = Math.max(0, Math.min(data.T - 1, i | 0));
    st.tIdx = i;
    scene.setTimestep(i);
    ui.timestep.value = String(i);
    ui.timestepLabel.textContent = String(data.timesteps[i]);
    root.dataset.timestep = String(data.timesteps[i]);
    if (!fromModel) queueSync({ timestep: data.timesteps[i] });
    requestRender();
  }
  function setPlaying(p, fromModel) {
    st.playing = !!p;
    scene.setPlaying(st.playing || st.highlight);
    setPressed(ui.play, st.playing);
    ui.play.textContent = st.playing ? "❚❚ Pause" : "▶ Play";
    root.dataset.playing = st.playing ? "true" : "false";
    lastStep = 0;
    if (!fromModel) writeNow({ playing: st.playing });
    requestRender();
  }
  function setHighlight(on) {
    st.highlight = !!on;
    ui.highlight.checked = st.highlight;
    scene.setPlaying(st.playing || st.highlight);
    requestRender();
  }
  function setColorBy(mode, fromModel) {
    if (!available[mode]) mode = "epoch";
    st.colorBy = mode;
    scene.setMode(mode);
    ui.colorBy.value = mode;
    root.dataset.colorBy = mode;
    legend.update(mode, data, scene.ranges);
    if (!fromModel) writeNow({ color_by: mode });
    requestRender();
  }
  function setView(v, fromModel) {
    st.view = v === "2d" ? "2d" : "3d";
    scene.setView(st.view);
    scene.setTool(st.tool);
    ui.view.value = st.view;
    root.dataset.view = st.view;
    if (!fromModel) writeNow({ view: st.view });
    requestRender();
  }
  function setSelection(indices, fromModel) {
    st.selected = new Set(indices);
    scene.setSelection(st.selected);
    root.dataset.selectedCount = String(st.selected.size);
    const n = st.selected.size;
    status.textContent = n ? `${n} unit${n === 1 ? "" : "s"} selected` : "";
    if (!fromModel) {
      const ids = Array.from(st.selected).sort((a, b) => a - b).map((u) => data.units[u]);
      writeNow({ selected_units: ids });
    }
    requestRender();
  }
  function setTool(tool) {
    st.tool = tool;
    for (const [k, b] of Object.entries(ui.tools)) setPressed(b, k === tool);
    scene.setTool(tool);
    root.dataset.tool = tool;
    canvas.style.cursor = tool === "orbit" ? "grab" : "crosshair";
  }
  function setShowContext(show, fromModel) {
    show = !!show;
    ui.context.checked = show;
    scene.setShowContext(show);
    root.dataset.points = String(scene.pointsDrawn());
    if (!fromModel) writeNow({ show_context: show });
    requestRender();
  }
  const selectionFromModel = () =>
    (model.get("selected_units") || []).map((u) => unitIndex.get(String(u))).filter((i) => i !== undefined);

  // ---- chart
  chart = new MetricsChart(chartBox, data.metrics, data.epochs, { onPick: (i) => setEpoch(i, false) });

  // ---- controls
  ui.epoch.addEventListener("input", () => setEpoch(Number(ui.epoch.value), false), opts);
  // moving the timestep by hand turns the timestep highlight on, so the slider shows its effect
  const userTimestep = (i) => {
    if (!st.highlight) setHighlight(true);
    setTimestep(i, false);
  };
  ui.timestep.addEventListener("input", () => userTimestep(Number(ui.timestep.value)), opts);
  ui.highlight.addEventListener("change", () => setHighlight(ui.highlight.checked), opts);
  // Keyboard stepping handled here, so that notebook key handling cannot swallow it.
  const sliderKeys = (input, count, set) => (ev) => {
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
    let next;
    const cur = Number(input.value);
    if (ev.key in steps) next = cur + steps[ev.key];
    else if (ev.key === "Home") next = 0;
    else if (ev.key === "End") next = count() - 1;
    else return;
    ev.preventDefault();
    ev.stopPropagation();
    next = Math.max(0, Math.min(count() - 1, next));
    if (next !== cur) set(next, false);
  };
  ui.epoch.addEventListener("keydown", sliderKeys(ui.epoch, () => data.E, setEpoch), opts);
  ui.timestep.addEventListener("keydown", sliderKeys(ui.timestep, () => data.T, userTimestep), opts);
  ui.play.addEventListener("click", () => setPlaying(!st.playing, false), opts);
  ui.speed.addEventListener("change", () => (st.speed = Number(ui.speed.value) || 5), opts);
  ui.colorBy.addEventListener("change", () => setColorBy(ui.colorBy.value, false), opts);
  ui.view.addEventListener("change", () => setView(ui.view.value, false), opts);
  for (const [k, b] of Object.entries(ui.tools)) b.addEventListener("click", () => setTool(k), opts);
  ui.clear.addEventListener("click", () => setSelection([], false), opts);
  ui.reset.addEventListener("click", () => {
    scene.resetCamera();
    requestRender();
  }, opts);
  ui.context.addEventListener("change", () => setShowContext(ui.context.checked), opts);
  ui.save.addEventListener("click", () => {
    const a = document.createElement("a");
    a.href = scene.toDataURL();
    a.download = `mmphate-epoch-${data.epochs[st.epochIdx]}.png`;
    a.style.display = "none";
    root.appendChild(a);
    a.click();
    a.remove();
  }, opts);

  // ---- pointer: selection gestures and hover tooltip
  let drag = null;
  let hoverAt = null;
  let hoverReq = 0;
  const local = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  const applyHits = (hits, op) => setSelection(combine(st.selected, hits, op), false);
  const pickAt = (x, y, op) => {
    const i = scene.nearest(x, y, 10);
    if (i >= 0) applyHits(new Set([i % data.U]), op);
    else if (op === "replace") setSelection([], false);
  };
  canvas.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    tooltip.hide();
    if (st.tool === "orbit") return;
    const [x, y] = local(ev);
    drag = { x0: x, y0: y, x1: x, y1: y, points: [[x, y]], op: modifierOp(ev) };
    canvas.setPointerCapture?.(ev.pointerId);
    ev.preventDefault();
  }, opts);
  canvas.addEventListener("pointermove", (ev) => {
    const [x, y] = local(ev);
    if (drag) {
      drag.x1 = x;
      drag.y1 = y;
      if (st.tool === "box") overlay.drawBox(drag.x0, drag.y0, x, y);
      else if (st.tool === "lasso") {
        drag.points.push([x, y]);
        overlay.drawPolygon(drag.points);
      }
      return;
    }
    if (ev.buttons) return;
    // one nearest-point search per frame at most
    hoverAt = [x, y];
    if (!hoverReq) {
      hoverReq = requestAnimationFrame(() => {
        hoverReq = 0;
        if (hoverAt && !drag) hover(hoverAt[0], hoverAt[1]);
      });
    }
  }, opts);
  const endDrag = (ev) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    overlay.clear();
    const [x, y] = local(ev);
    d.x1 = x;
    d.y1 = y;
    const moved = Math.hypot(d.x1 - d.x0, d.y1 - d.y0);
    if (st.tool === "click" || moved < 4) {
      pickAt(d.x0, d.y0, d.op);
      return;
    }
    const projected = scene.projectCurrent();
    const shape =
      st.tool === "box"
        ? { kind: "box", x0: d.x0, y0: d.y0, x1: d.x1, y1: d.y1 }
        : { kind: "lasso", points: [...d.points, [x, y]] };
    applyHits(unitsInShape(projected, data.U, shape), d.op);
  };
  canvas.addEventListener("pointerup", endDrag, opts);
  canvas.addEventListener("pointercancel", () => {
    drag = null;
    overlay.clear();
  }, opts);
  canvas.addEventListener("pointerleave", () => {
    hoverAt = null;
    tooltip.hide();
  }, opts);

  function hover(x, y) {
    const i = scene.nearest(x, y, 8);
    if (i < 0) {
      tooltip.hide();
      return;
    }
    const e = st.epochIdx;
    const t = Math.floor(i / data.U);
    const u = i % data.U;
    const lines = [`epoch ${data.epochs[e]}`, `timestep ${data.timesteps[t]}`, `unit ${data.units[u]}`];
    if (data.clusters) {
      const k = data.clusters[u];
      lines.push(`cluster ${k < 0 ? "unassigned" : data.clusterNames[k] ?? k}`);
    }
    if (data.intrastep) {
      const v = data.intrastep[e * data.T + t];
      lines.push(`intra-step entropy ${Number.isFinite(v) ? v.toFixed(3) : "n/a"} bits`);
    }
    if (data.interstep) {
      const v = data.interstep[e * data.U + u];
      lines.push(`inter-step entropy ${Number.isFinite(v) ? v.toFixed(3) : "n/a"} bits`);
    }
    if (data.nodeClass && data.classNames.length) {
      const k = data.nodeClass[(e * data.T + t) * data.U + u];
      if (k < 255) lines.push(`class ${data.classNames[k] ?? k}`);
    }
    tooltip.show(x, y, lines, scene.width, scene.height);
  }

  // ---- Python -> JS
  const epochFromModel = () => data.epochs.indexOf(Number(model.get("epoch")));
  on("change:epoch", () => {
    const i = epochFromModel();
    if (i >= 0 && i !== st.epochIdx) setEpoch(i, true);
  });
  on("change:timestep", () => {
    const i = data.timesteps.indexOf(Number(model.get("timestep")));
    if (i >= 0 && i !== st.tIdx) {
      if (!st.playing && !st.highlight) setHighlight(true);
      setTimestep(i, true);
    }
  });
  on("change:playing", () => {
    if (!!model.get("playing") !== st.playing) setPlaying(model.get("playing"), true);
  });
  on("change:color_by", () => setColorBy(String(model.get("color_by")), true));
  on("change:view", () => {
    if (model.get("view") !== st.view) setView(model.get("view"), true);
  });
  on("change:selected_units", () => setSelection(selectionFromModel(), true));
  on("change:show_context", () => {
    const show = model.get("show_context") !== false;
    if (show !== scene.showContext) setShowContext(show, true);
  });

  // ---- layout and theme
  const layout = () => {
    const w = Math.max(200, Math.floor(stage.clientWidth || width));
    if (w !== scene.width) {
      scene.resize(w, height);
      requestRender();
    }
    chart.resize(w);
  };
  if (typeof ResizeObserver !== "undefined") {
    resizeObserver = new ResizeObserver(() => layout());
    resizeObserver.observe(stage);
  }
  const applyTheme = () => {
    theme = readTheme(el);
    applyThemeVars(root, theme);
    scene.setTheme(theme);
    chart.setTheme(theme);
    requestRender();
  };
  if (typeof MutationObserver !== "undefined" && document.body) {
    themeObserver = new MutationObserver(() => applyTheme());
    themeObserver.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name", "class"] });
  }

  // Notebook key bindings match the focused element itself, so every control carries the
  // attribute (an ancestor alone does not stop a binding whose selector matches the target).
  for (const node of root.querySelectorAll("input, select, button, canvas")) {
    node.setAttribute("data-lm-suppress-shortcuts", "true");
  }

  // ---- initial state from the model
  applyTheme();
  chart.resize(width);
  setTool("orbit");
  setShowContext(model.get("show_context") !== false, true);
  setView(model.get("view") || "3d", true);
  const ei = epochFromModel();
  setEpoch(ei >= 0 ? ei : 0, true);
  const ti = data.timesteps.indexOf(Number(model.get("timestep")));
  setTimestep(ti >= 0 ? ti : 0, true);
  setColorBy(String(model.get("color_by") || "epoch"), true);
  setSelection(selectionFromModel(), true);
  setPlaying(!!model.get("playing"), true);
  requestRender();
  return cleanup;
}

export default { render };
