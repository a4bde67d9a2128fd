// The linked comparison view: N explorer panels (mountExplorer, one scene each) under one shared
// control bar. Each panel talks to a small stand-in model whose shared traits (epoch, timestep,
// playing, selected_units, color_by, view) come from the hub below, so scrubbing, playing,
// selecting and orbiting in one panel reach the others in JavaScript, with no kernel round trip;
// the hub writes the shared state back to Python (throttled while scrubbing and playing).
import { readTheme } from "./colors.js";
import { decode } from "./data.js";
import { applyThemeVars, mountExplorer, showError } from "./app.js";
import { cameraState, mergeSelection, panelIndex } from "./compare-logic.js";
import { readCamera, writeCamera } from "./camera.js";
import { CSS, h, setPressed } from "./ui.js";

const SYNC_DELAY_MS = 200;
const SHARED = new Set(["epoch", "timestep", "playing", "selected_units", "color_by", "view"]);

export const COMPARE_CSS = `
.mmphate-compare-bar { position: sticky; top: 0; z-index: 2; padding: 2px 0; background: var(--mmphate-bg, #fff); }
.mmphate-compare-grid { display: flex; flex-wrap: wrap; gap: 8px; }
.mmphate-compare-panel { flex: 1 1 360px; min-width: 320px; display: flex; flex-direction: column; }
.mmphate-compare-head { display: flex; gap: 8px; align-items: baseline; padding: 0 4px; }
.mmphate-compare-name { font-weight: 600; }
.mmphate-compare-note { color: var(--mmphate-muted, #666); }
.mmphate-compare-panel .mmphate-time-row, .mmphate-compare-panel .mmphate-select-mode { display: none; }
.mmphate-compare-panel .mmphate-side { flex-basis: 130px; width: 130px; }
`;

const fmtDir = (state) => state.dir.map((v) => v.toFixed(3)).join(",");

export function renderCompare({ model, el }) {
  const ac = new AbortController();
  const opts = { signal: ac.signal };
  const handlers = [];
  const on = (name, cb) => {
    model.on(name, cb);
    handlers.push([name, cb]);
  };
  const root = h("div", { className: "mmphate-root mmphate-compare" });
  root.dataset.ready = "false";
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  const style = document.createElement("style");
  style.textContent = CSS + COMPARE_CSS;
  root.appendChild(style);
  el.appendChild(root);
  applyThemeVars(root, readTheme(el));
  const height = Number(model.get("height")) || 400;
  const specs = model.get("_panels") || [];
  const epochs = (model.get("_epochs") || []).map(Number);
  const timesteps = (model.get("_timesteps") || []).map(Number);
  const unionUnits = (model.get("_units") || []).map(String);

  const st = {
    epoch: Number(model.get("epoch")),
    timestep: Number(model.get("timestep")),
    playing: !!model.get("playing"),
    selected: (model.get("selected_units") || []).map(String),
    colorBy: String(model.get("color_by") || "epoch"),
    view: String(model.get("view") || "3d"),
    speed: 5,
  };

  // ---- the shared control bar
  const bar = h("div", { className: "mmphate-toolbar mmphate-compare-bar" });
  const play = h("button", { type: "button", "aria-label": "Play", "aria-pressed": "false", className: "mmphate-btn" }, "▶ Play");
  const speed = h("select", { "aria-label": "Speed", title: "timesteps per second" });
  for (const s of [1, 2, 5, 10, 20, 30]) {
    const o = h("option", { value: String(s) }, `${s} steps/s`);
    if (s === 5) o.selected = true;
    speed.appendChild(o);
  }
  const epochSlider = h("input", { type: "range", min: "0", max: String(Math.max(0, epochs.length - 1)), step: "1", value: "0", "aria-label": "Epoch" });
  const epochLabel = h("span", { className: "mmphate-value", "aria-live": "polite" });
  const timeSlider = h("input", { type: "range", min: "0", max: String(Math.max(0, timesteps.length - 1)), step: "1", value: "0", "aria-label": "Timestep" });
  const timeLabel = h("span", { className: "mmphate-value" });
  const group = (...kids) => {
    const g = h("div", { className: "mmphate-group mmphate-slider" });
    g.append(...kids);
    return g;
  };
  bar.append(group(play, speed), group(h("span", {}, "Epoch"), epochSlider, epochLabel), group(h("span", {}, "Timestep"), timeSlider, timeLabel));
  const grid = h("div", { className: "mmphate-compare-grid" });
  root.append(bar, grid);

  // ---- panels
  const panels = specs.map((spec, i) => {
    const box = h("div", { className: "mmphate-compare-panel", role: "group", "aria-label": `Model ${spec.name}` });
    const head = h("div", { className: "mmphate-compare-head" });
    const note = h("span", { className: "mmphate-compare-note", "aria-live": "polite" });
    const title = h("span", { className: "mmphate-compare-name" }, spec.name);
    head.append(title, note);
    const proot = h("div", { className: "mmphate-root mmphate-panel" });
    proot.dataset.ready = "false";
    proot.dataset.panel = String(i);
    proot.dataset.name = spec.name;
    box.append(head, proot);
    grid.appendChild(box);
    const labels = spec._labels || {};
    const pEpochs = (labels.epochs || []).map(Number);
    const pSteps = (labels.timesteps || []).map(Number);
    const units = (labels.units || []).map(String);
    const listeners = new Map();
    const panel = { i, spec, proot, note, title, box, units, unitSet: new Set(units), pEpochs, pSteps, listeners, scene: null, requestRender: null, dispose: null };
    const shown = {
      epoch: () => pEpochs[panelIndex(pEpochs, st.epoch).index],
      timestep: () => pSteps[panelIndex(pSteps, st.timestep).index],
      playing: () => st.playing,
      selected_units: () => st.selected,
      color_by: () => st.colorBy,
      view: () => st.view,
      selection_mode: () => "units",
      selected_points: () => null,
      epoch_range: () => null,
      timestep_range: () => null,
      show_context: () => model.get("show_context") !== false,
      title: () => spec.name,
      height: () => height,
      _chunked: () => ({}),
    };
    panel.model = {
      get: (name) => (name in shown ? shown[name]() : spec[name]),
      set: () => {},
      save_changes: () => {},
      send: () => {},
      on: (name, cb) => {
        if (!listeners.has(name)) listeners.set(name, []);
        listeners.get(name).push(cb);
      },
      off: (name, cb) => listeners.set(name, (listeners.get(name) || []).filter((f) => f !== cb)),
    };
    panel.emit = (name) => {
      for (const cb of listeners.get(`change:${name}`) || []) cb();
    };
    return panel;
  });

  // ---- writes back to Python
  let pending = {};
  let timer = 0;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = 0;
    const keys = Object.keys(pending);
    if (!keys.length) return;
    for (const k of keys) model.set(k, pending[k]);
    pending = {};
    model.save_changes();
  };
  const queue = (values) => {
    Object.assign(pending, values);
    if (!timer) timer = setTimeout(flush, SYNC_DELAY_MS);
  };
  const now = (values) => {
    Object.assign(pending, values);
    flush();
  };

  // ---- shared state setters; `from` is the panel that changed (it is not told again)
  const others = (from) => panels.filter((p) => p.i !== from);
  function notes() {
    for (const p of panels) {
      const e = panelIndex(p.pEpochs, st.epoch);
      const t = panelIndex(p.pSteps, st.timestep);
      p.proot.dataset.epochShown = String(e.label);
      p.proot.dataset.hasEpoch = e.has ? "true" : "false";
      const parts = [];
      if (!e.has) parts.push(`no epoch at or before ${st.epoch} (showing its first, ${e.label})`);
      else if (!e.exact) parts.push(`epoch ${st.epoch} not recorded: showing ${e.label}`);
      if (!t.has) parts.push(`no timestep at or before ${st.timestep}`);
      else if (!t.exact) parts.push(`timestep ${st.timestep} not recorded: showing ${t.label}`);
      p.note.textContent = parts.join(" · ");
    }
  }
  function setEpoch(label, from, fromModel) {
    const i = epochs.indexOf(Number(label));
    if (i < 0) return;
    st.epoch = epochs[i];
    epochSlider.value = String(i);
    epochLabel.textContent = String(st.epoch);
    root.dataset.epoch = String(st.epoch);
    notes();
    for (const p of others(from)) p.emit("epoch");
    if (!fromModel) queue({ epoch: st.epoch });
  }
  function setTimestep(label, from, fromModel) {
    const i = timesteps.indexOf(Number(label));
    if (i < 0) return;
    st.timestep = timesteps[i];
    timeSlider.value = String(i);
    timeLabel.textContent = String(st.timestep);
    root.dataset.timestep = String(st.timestep);
    notes();
    for (const p of others(from)) p.emit("timestep");
    if (!fromModel) queue({ timestep: st.timestep });
  }
  let clock = 0;
  let lastStep = 0;
  const tick = (t) => {
    clock = 0;
    if (!st.playing) return;
    if (!lastStep) lastStep = t;
    const steps = Math.floor(((t - lastStep) * st.speed) / 1000);
    if (steps > 0) {
      lastStep += (steps * 1000) / st.speed;
      const i = (timesteps.indexOf(st.timestep) + steps) % timesteps.length;
      setTimestep(timesteps[i], null, false);
    }
    clock = requestAnimationFrame(tick);
  };
  function setPlaying(p, from, fromModel) {
    st.playing = !!p;
    setPressed(play, st.playing);
    play.textContent = st.playing ? "❚❚ Pause" : "▶ Play";
    root.dataset.playing = st.playing ? "true" : "false";
    for (const q of others(from)) q.emit("playing");
    lastStep = 0;
    if (st.playing && !clock) clock = requestAnimationFrame(tick);
    if (!fromModel) now({ playing: st.playing });
  }
  function setSelection(ids, from, fromModel) {
    st.selected = unionUnits.filter((u) => ids.includes(u));
    root.dataset.selectedUnits = String(st.selected.length);
    for (const p of panels) p.proot.dataset.selectedIds = st.selected.filter((u) => p.unitSet.has(u)).join(",");
    for (const p of others(from)) p.emit("selected_units");
    if (!fromModel) now({ selected_units: st.selected });
  }
  function setShared(name, value, from, fromModel) {
    st[name === "color_by" ? "colorBy" : "view"] = String(value);
    root.dataset[name === "color_by" ? "colorBy" : "view"] = String(value);
    for (const p of others(from)) p.emit(name);
    if (!fromModel) now({ [name]: String(value) });
  }

  // ---- links: what one panel does, the hub hands to the others
  let syncingCamera = false;
  const linkFor = (panel) => ({
    changed(values) {
      for (const [k, v] of Object.entries(values)) {
        if (!SHARED.has(k)) continue;
        if (k === "epoch" && Number(v) !== st.epoch) setEpoch(v, panel.i, false);
        else if (k === "timestep" && Number(v) !== st.timestep) setTimestep(v, panel.i, false);
        else if (k === "playing" && !!v !== st.playing) setPlaying(v, panel.i, false);
        else if (k === "selected_units") setSelection(mergeSelection(st.selected, v.map(String), panel.units, unionUnits), panel.i, false);
        else if (k === "color_by" && v !== st.colorBy) setShared(k, v, panel.i, false);
        else if (k === "view" && v !== st.view) setShared(k, v, panel.i, false);
      }
    },
    camera(scene) {
      if (syncingCamera || !model.get("link_cameras")) return;
      syncingCamera = true;
      try {
        const { camera, frame } = readCamera(scene);
        const state = cameraState(camera, frame);
        panel.proot.dataset.cameraDir = fmtDir(state);
        for (const p of others(panel.i)) {
          if (!p.scene) continue;
          writeCamera(p.scene, state);
          p.proot.dataset.cameraDir = fmtDir(state);
          p.requestRender();
        }
      } finally {
        syncingCamera = false;
      }
    },
    attach({ scene, requestRender }) {
      panel.scene = scene;
      panel.requestRender = requestRender;
    },
  });

  // ---- controls and Python -> JS
  epochSlider.addEventListener("input", () => setEpoch(epochs[Number(epochSlider.value)], null, false), opts);
  timeSlider.addEventListener("input", () => setTimestep(timesteps[Number(timeSlider.value)], null, false), opts);
  play.addEventListener("click", () => setPlaying(!st.playing, null, false), opts);
  speed.addEventListener("change", () => (st.speed = Number(speed.value) || 5), opts);
  const sliderKeys = (input, values, set) => (ev) => {
    const steps = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10 };
    const cur = Number(input.value);
    let next;
    if (ev.key in steps) next = cur + steps[ev.key];
    else if (ev.key === "Home") next = 0;
    else if (ev.key === "End") next = values.length - 1;
    else return;
    ev.preventDefault();
    ev.stopPropagation();
    next = Math.max(0, Math.min(values.length - 1, next));
    if (next !== cur) set(values[next], null, false);
  };
  epochSlider.addEventListener("keydown", sliderKeys(epochSlider, epochs, setEpoch), opts);
  timeSlider.addEventListener("keydown", sliderKeys(timeSlider, timesteps, setTimestep), opts);
  on("change:epoch", () => Number(model.get("epoch")) !== st.epoch && setEpoch(model.get("epoch"), null, true));
  on("change:timestep", () => Number(model.get("timestep")) !== st.timestep && setTimestep(model.get("timestep"), null, true));
  on("change:playing", () => !!model.get("playing") !== st.playing && setPlaying(model.get("playing"), null, true));
  on("change:selected_units", () => {
    const ids = (model.get("selected_units") || []).map(String);
    if (ids.join("\u0000") !== st.selected.join("\u0000")) setSelection(ids, null, true);
  });
  on("change:color_by", () => model.get("color_by") !== st.colorBy && setShared("color_by", model.get("color_by"), null, true));
  on("change:show_context", () => panels.forEach((p) => p.emit("show_context")));
  on("change:names", () => {
    const names = model.get("names") || [];
    for (const p of panels) {
      const name = String(names[p.i] ?? p.spec.name);
      p.title.textContent = name;
      p.proot.dataset.name = name;
      p.box.setAttribute("aria-label", `Model ${name}`);
    }
  });
  on("change:view", () => model.get("view") !== st.view && setShared("view", model.get("view"), null, true));

  // ---- mount every panel with the existing single-view explorer
  const ready = () => {
    const all = panels.every((p) => p.proot.dataset.ready === "true");
    root.dataset.ready = all ? "true" : "false";
    return all;
  };
  const readyObserver = typeof MutationObserver !== "undefined" ? new MutationObserver(() => ready() && readyObserver.disconnect()) : null;
  for (const p of panels) {
    try {
      const data = decode(p.model);
      if (p.spec.ranges) data.ranges = p.spec.ranges;
      p.dispose = mountExplorer({ model: p.model, el, root: p.proot, data, height, on: p.model.on, signal: ac.signal, link: linkFor(p) });
    } catch (err) {
      const stage = h("div", { className: "mmphate-stage" });
      stage.style.height = `${height}px`;
      p.proot.appendChild(stage);
      showError(p.proot, stage, `Cannot show ${p.spec.name}: ${err.message}`);
    }
    readyObserver?.observe(p.proot, { attributes: true, attributeFilter: ["data-ready"] });
  }
  for (const node of root.querySelectorAll("input, select, button")) node.setAttribute("data-lm-suppress-shortcuts", "true");
  root.dataset.panels = String(panels.length);
  setEpoch(st.epoch, null, true);
  setTimestep(st.timestep, null, true);
  setSelection(st.selected, null, true);
  root.dataset.colorBy = st.colorBy;
  root.dataset.view = st.view;
  setPlaying(st.playing, null, true);
  ready();

  return () => {
    ac.abort();
    if (clock) cancelAnimationFrame(clock);
    if (timer) clearTimeout(timer);
    readyObserver?.disconnect();
    for (const [name, cb] of handlers) model.off(name, cb);
    for (const p of panels) p.dispose?.();
    root.remove();
  };
}
