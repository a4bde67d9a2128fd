// The mounted explorer: state, controls, Python <-> JS sync, selection gestures, figures.
import { MODE_LABELS, readTheme } from "./colors.js";
import { PointScene } from "./scene.js";
import { SelectionOverlay, combine, combineMask, indicesToMask, maskToIndices, modifierOp, pointsInShape, unitsInShape } from "./selection.js";
import { attachPointer } from "./pointer.js";
import { pointIndices, sliceVisibility } from "./data.js";
import { nearestIn } from "./projection.js";
import { MetricsChart } from "./chart.js";
import { Legend, legendSpec } from "./legend.js";
import { composeFigure } from "./figure.js";
import { Tooltip, buildControls, setPressed } from "./ui.js";

const SYNC_DELAY_MS = 200;

export function applyThemeVars(root, theme) {
  root.style.setProperty("--mmphate-bg", theme.background);
  root.style.setProperty("--mmphate-panel", theme.panel);
  root.style.setProperty("--mmphate-fg", theme.foreground);
  root.style.setProperty("--mmphate-muted", theme.muted);
  root.style.setProperty("--mmphate-border", theme.border);
  root.style.setProperty("--mmphate-accent", theme.accent);
  root.style.setProperty("--mmphate-font", theme.font);
}

export function showError(root, container, message) {
  const box = document.createElement("div");
  box.className = "mmphate-error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  container.appendChild(box);
  root.dataset.error = message;
  root.dataset.ready = "false";
}

/**
 * Build the explorer into `root` from decoded `data`; returns a dispose function.
 * `on(name, cb)` registers a model listener that the caller removes on cleanup.
 * `link` (optional, the comparison view) hears every local change at once (`changed(values)`),
 * every camera move (`camera(scene)`), gets the scene once drawn (`attach({ scene,
 * requestRender })`) and owns the timestep clock: a linked panel does not advance timesteps
 * itself while playing. `onScene(scene, requestRender)` (optional, the live view) gets the scene
 * once it exists.
 */
export function mountExplorer({ model, el, root, data, height, on, signal, link = null, onScene = null }) {
  const opts = { signal };
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
  const dispose = () => {
    if (frameReq) cancelAnimationFrame(frameReq);
    if (syncTimer) clearTimeout(syncTimer);
    resizeObserver?.disconnect();
    themeObserver?.disconnect();
    scene?.dispose();
    chart?.dispose();
    legend?.dispose();
    tooltip?.dispose();
    overlay?.dispose();
  };

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
  // plot and legend side by side: the legend never hides points (or takes their clicks)
  const body = document.createElement("div");
  body.className = "mmphate-body";
  const stage = document.createElement("div");
  stage.className = "mmphate-stage";
  stage.style.height = `${height}px`;
  const side = document.createElement("div");
  side.className = "mmphate-side";
  side.style.maxHeight = `${height}px`;
  body.append(stage, side);
  root.appendChild(body);
  const chartBox = document.createElement("div");
  chartBox.className = "mmphate-chart-box";
  root.appendChild(chartBox);
  const status = document.createElement("div");
  status.className = "mmphate-status";
  status.setAttribute("aria-live", "polite");
  root.appendChild(status);

  const width = Math.max(200, Math.floor(stage.clientWidth || (el.clientWidth || 820) - 176));
  try {
    const onChange = () => {
      if (!scene) return;
      requestRender();
      link?.camera(scene);
    };
    scene = new PointScene(stage, data, { width, height, onChange });
  } catch (err) {
    console.error(err);
    showError(root, stage, err.message);
    return dispose;
  }
  const canvas = scene.canvas;
  canvas.classList.add("mmphate-canvas");
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
  tooltip = new Tooltip(stage);
  link?.attach({ scene, requestRender: () => requestRender() });
  onScene?.(scene, () => requestRender());

  const unitIndex = new Map(data.units.map((u, i) => [u, i]));
  const tu = data.T * data.U;
  const st = {
    epochIdx: 0,
    tIdx: 0,
    playing: false,
    colorBy: "epoch",
    view: "3d",
    tool: "orbit",
    mode: "units",
    selUnits: new Set(),
    selMask: new Uint8Array(data.N),
    selCount: 0,
    epochRange: null,
    timeRange: null,
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
    link?.changed(values);
    Object.assign(pending, values);
    if (!syncTimer) syncTimer = setTimeout(flush, SYNC_DELAY_MS);
  };
  const writeNow = (values) => {
    link?.changed(values);
    Object.assign(pending, values);
    flush();
  };

  // ---- rendering and animation (no Python round trip)
  let lastStep = 0;
  const frame = (now) => {
    frameReq = 0;
    if (st.playing && !link) {
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

  function updateStatus() {
    const n = st.mode === "points" ? st.selCount : st.selUnits.size;
    root.dataset.selectedCount = String(n);
    root.dataset.selectedUnits = String(st.selUnits.size);
    root.dataset.selectedPoints = String(st.selCount);
    const what = st.mode === "points" ? "point" : "unit";
    const parts = [];
    if (n) parts.push(`${n} ${what}${n === 1 ? "" : "s"} selected`);
    const hidden = !data.timesteps.some((_, t) => scene.isVisible(st.epochIdx, t));
    if (hidden) parts.push(`epoch ${data.epochs[st.epochIdx]} is outside the epoch / timestep filters`);
    status.textContent = parts.join(" · ");
    root.dataset.trajectories = String(scene.trajectoryCount());
    root.dataset.arrows = String(scene.arrowCount || 0);
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
    updateStatus();
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
    setLegendHover(null);
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
  function setUnitSelection(indices, fromModel) {
    st.selUnits = new Set(indices);
    scene.setUnitSelection(st.selUnits);
    updateStatus();
    if (!fromModel) {
      const ids = Array.from(st.selUnits).sort((a, b) => a - b).map((u) => data.units[u]);
      writeNow({ selected_units: ids });
    }
    requestRender();
  }
  function setPointSelection(mask, fromModel) {
    st.selMask = mask;
    let n = 0;
    for (let i = 0; i < mask.length; i++) n += mask[i];
    st.selCount = n;
    scene.setPointSelection(mask);
    updateStatus();
    if (!fromModel) {
      const idx = maskToIndices(mask);
      writeNow({ selected_points: new DataView(idx.buffer, idx.byteOffset, idx.byteLength) });
    }
    requestRender();
  }
  function setSelectionMode(mode, fromModel) {
    st.mode = mode === "points" ? "points" : "units";
    ui.selectionMode.value = st.mode;
    root.dataset.selectionMode = st.mode;
    scene.setSelectionMode(st.mode);
    updateStatus();
    if (!fromModel) writeNow({ selection_mode: st.mode });
    requestRender();
  }
  function clearSelection() {
    if (st.mode === "points") setPointSelection(new Uint8Array(data.N), false);
    else setUnitSelection([], false);
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
  // Filters: lo/hi are labels (epoch numbers, timestep labels); the selects show the nearest
  // recorded values inside the range.
  const firstAtLeast = (values, v) => {
    const i = values.findIndex((x) => x >= v);
    return i < 0 ? values.length - 1 : i;
  };
  const lastAtMost = (values, v) => {
    for (let i = values.length - 1; i >= 0; i--) if (values[i] <= v) return i;
    return 0;
  };
  function applyFilters() {
    scene.setVisibility(sliceVisibility(data, st.epochRange, st.timeRange));
    root.dataset.epochRange = st.epochRange ? st.epochRange.join(",") : "";
    root.dataset.timestepRange = st.timeRange ? st.timeRange.join(",") : "";
    root.dataset.points = String(scene.pointsDrawn());
    updateStatus();
    requestRender();
  }
  function setEpochRange(range, fromModel) {
    const r = Array.isArray(range) && range.length === 2 ? range.map(Number) : [data.epochs[0], data.epochs[data.E - 1]];
    st.epochRange = r;
    ui.epochFrom.value = String(firstAtLeast(data.epochs, r[0]));
    ui.epochTo.value = String(lastAtMost(data.epochs, r[1]));
    applyFilters();
    if (!fromModel) writeNow({ epoch_range: r });
  }
  function setTimeRange(range, fromModel) {
    const r = Array.isArray(range) && range.length === 2 ? range.map(Number) : [data.timesteps[0], data.timesteps[data.T - 1]];
    st.timeRange = r;
    ui.timeFrom.value = String(firstAtLeast(data.timesteps, r[0]));
    ui.timeTo.value = String(lastAtMost(data.timesteps, r[1]));
    applyFilters();
    if (!fromModel) writeNow({ timestep_range: r });
  }
  const rangeFromSelects = (from, to, values, changed) => {
    let a = Number(from.value);
    let b = Number(to.value);
    if (a > b) {
      if (changed === from) b = a;
      else a = b;
    }
    return [values[a], values[b]];
  };
  const unitsFromModel = () =>
    (model.get("selected_units") || []).map((u) => unitIndex.get(String(u))).filter((i) => i !== undefined);
  const pointsFromModel = () => indicesToMask(pointIndices(model.get("selected_points")), data.N);

  // ---- legend: colour key, unit search, hover highlight, click to select
  let legendHover = null;
  function setLegendHover(hover) {
    legendHover = hover;
    scene.setHover(hover);
    if (hover) {
      const label =
        hover.kind === "unit" ? data.units[hover.value] : hover.kind === "class" ? data.classNames[hover.value] : String(hover.value);
      root.dataset.highlight = `${hover.kind}:${label}`;
    } else {
      delete root.dataset.highlight;
    }
    requestRender();
  }
  const matches = (hover, e, t, u) => {
    if (hover.kind === "unit") return u === hover.value;
    if (hover.kind === "cluster") return !!data.clusters && data.clusters[u] === hover.value;
    return !!data.nodeClass && data.nodeClass[(e * data.T + t) * data.U + u] === hover.value;
  };
  function pickLegend(hover, ev) {
    const op = modifierOp(ev);
    if (st.mode === "units") {
      if (hover.kind === "class") return;
      const units = [];
      for (let u = 0; u < data.U; u++) if (matches(hover, 0, 0, u)) units.push(u);
      setUnitSelection(combine(st.selUnits, units, op), false);
      return;
    }
    const hits = [];
    for (let e = 0; e < data.E; e++) {
      if (!scene.showContext && e !== st.epochIdx) continue;
      for (let t = 0; t < data.T; t++) {
        if (!scene.isVisible(e, t)) continue;
        for (let u = 0; u < data.U; u++) if (matches(hover, e, t, u)) hits.push((e * data.T + t) * data.U + u);
      }
    }
    setPointSelection(combineMask(st.selMask, hits, op), false);
  }
  legend = new Legend(side, { onHover: (hv) => setLegendHover(hv), onPick: (hv, ev) => pickLegend(hv, ev) });

  // ---- chart
  chart = new MetricsChart(chartBox, data.metrics, data.epochs, { onPick: (i) => setEpoch(i, false) });

  // ---- figure
  function figureTitle() {
    const t = model.get("title");
    if (t) return String(t);
    return `${data.layer ? `${data.layer} · ` : ""}coloured by ${MODE_LABELS[st.colorBy]}`;
  }
  function figureLabel() {
    let s = `epoch ${data.epochs[st.epochIdx]}`;
    if (st.playing || st.highlight) s += ` · timestep ${data.timesteps[st.tIdx]}`;
    return s;
  }
  function savePng() {
    const scale = Number(ui.pngScale.value) || 2;
    const spec = legendSpec(st.colorBy, data, scene.ranges, {
      figure: true,
      selectedUnits: Array.from(st.selUnits).sort((a, b) => a - b),
    });
    const fig = composeFigure({ scene, scale, title: figureTitle(), label: figureLabel(), legend: spec, theme });
    root.dataset.lastFigure = `${fig.canvas.width}x${fig.canvas.height}`;
    const a = document.createElement("a");
    a.href = fig.canvas.toDataURL("image/png");
    a.download = `mmphate-epoch-${data.epochs[st.epochIdx]}.png`;
    a.style.display = "none";
    root.appendChild(a);
    a.click();
    a.remove();
    requestRender();
  }

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
  ui.selectionMode.addEventListener("change", () => setSelectionMode(ui.selectionMode.value, false), opts);
  ui.clear.addEventListener("click", () => clearSelection(), opts);
  ui.reset.addEventListener("click", () => {
    scene.resetCamera();
    requestRender();
  }, opts);
  ui.context.addEventListener("change", () => setShowContext(ui.context.checked), opts);
  ui.trajectories.addEventListener("change", () => {
    scene.setShowTrajectories(ui.trajectories.checked);
    updateStatus();
    requestRender();
  }, opts);
  for (const s of [ui.epochFrom, ui.epochTo]) {
    s.addEventListener("change", () => setEpochRange(rangeFromSelects(ui.epochFrom, ui.epochTo, data.epochs, s), false), opts);
  }
  for (const s of [ui.timeFrom, ui.timeTo]) {
    s.addEventListener("change", () => setTimeRange(rangeFromSelects(ui.timeFrom, ui.timeTo, data.timesteps, s), false), opts);
  }
  ui.save.addEventListener("click", () => savePng(), opts);

  // ---- pointer: selection gestures (pointer.js classifies them) and hover tooltip
  function applyGesture(g, op) {
    if (g.kind === "click") {
      pickAt(g.x, g.y, op);
      return;
    }
    if (g.kind !== "box" && g.kind !== "lasso") return;
    if (st.mode === "units") {
      const hits = unitsInShape(scene.projectCurrent(), data.U, g);
      setUnitSelection(combine(st.selUnits, hits, op), false);
    } else {
      const hits = pointsInShape(scene.projectDrawn(), g);
      setPointSelection(combineMask(st.selMask, hits, op), false);
    }
  }
  function pickAt(x, y, op) {
    const i = scene.nearest(x, y, 10);
    if (st.mode === "units") {
      if (i >= 0) setUnitSelection(combine(st.selUnits, [i % data.U], op), false);
      else if (op === "replace") setUnitSelection([], false);
      return;
    }
    let node = i >= 0 ? st.epochIdx * tu + i : -1;
    if (node < 0 && scene.showContext) node = nearestIn(scene.projectDrawn(), x, y, 10);
    if (node >= 0) setPointSelection(combineMask(st.selMask, [node], op), false);
    else if (op === "replace") setPointSelection(new Uint8Array(data.N), false);
  }
  attachPointer({
    canvas,
    root,
    overlay,
    tooltip,
    signal,
    tool: () => st.tool,
    onGesture: applyGesture,
    onHover: (x, y) => hover(x, y),
  });

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
    if (st.mode === "points") lines.push(`node ${e * tu + i}`);
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
  on("change:selected_units", () => setUnitSelection(unitsFromModel(), true));
  on("change:selected_points", () => setPointSelection(pointsFromModel(), true));
  on("change:selection_mode", () => setSelectionMode(model.get("selection_mode"), true));
  on("change:epoch_range", () => setEpochRange(model.get("epoch_range"), true));
  on("change:timestep_range", () => setTimeRange(model.get("timestep_range"), true));
  on("change:show_context", () => {
    const show = model.get("show_context") !== false;
    if (show !== scene.showContext) setShowContext(show, true);
  });

  // ---- layout and theme
  const layout = () => {
    const w = Math.max(200, Math.floor(stage.clientWidth || scene.width));
    if (w !== scene.width) {
      scene.resize(w, height);
      requestRender();
    }
    chart.resize(Math.max(200, Math.floor(body.clientWidth || w)));
  };
  if (typeof ResizeObserver !== "undefined") {
    resizeObserver = new ResizeObserver(() => layout());
    resizeObserver.observe(stage);
    resizeObserver.observe(body);
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
  chart.resize(Math.max(200, Math.floor(body.clientWidth || width)));
  setTool("orbit");
  setShowContext(model.get("show_context") !== false, true);
  setView(model.get("view") || "3d", true);
  st.epochRange = model.get("epoch_range");
  st.timeRange = model.get("timestep_range");
  setEpochRange(model.get("epoch_range"), true);
  setTimeRange(model.get("timestep_range"), true);
  const ei = epochFromModel();
  setEpoch(ei >= 0 ? ei : 0, true);
  const ti = data.timesteps.indexOf(Number(model.get("timestep")));
  setTimestep(ti >= 0 ? ti : 0, true);
  setColorBy(String(model.get("color_by") || "epoch"), true);
  setUnitSelection(unitsFromModel(), true);
  setPointSelection(pointsFromModel(), true);
  setSelectionMode(model.get("selection_mode") || "units", true);
  setPlaying(!!model.get("playing"), true);
  requestRender();
  return dispose;
}
