// DOM controls, tooltip, loading indicator and CSS. All text is set with textContent (never innerHTML).
import { MODES, MODE_LABELS } from "./colors.js";

export function h(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "className") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function group(className, ...children) {
  const g = h("div", { className });
  g.append(...children);
  return g;
}

function labelled(text, control) {
  const l = h("label", { className: "mmphate-group" });
  l.append(control, h("span", {}, text));
  return l;
}

function optionsSelect(label, values, selected) {
  const s = h("select", { "aria-label": label });
  values.forEach((v, i) => {
    const o = h("option", { value: String(i) }, String(v));
    if (i === selected) o.selected = true;
    s.appendChild(o);
  });
  return s;
}

export function buildControls(root, data, available) {
  const c = {};
  const row1 = h("div", { className: "mmphate-toolbar mmphate-time-row" });
  const row2 = h("div", { className: "mmphate-toolbar" });
  const row3 = h("div", { className: "mmphate-toolbar" });

  c.play = h("button", { type: "button", "aria-label": "Play", "aria-pressed": "false", className: "mmphate-btn" }, "▶ Play");
  c.speed = h("select", { "aria-label": "Speed", title: "timesteps per second" });
  for (const s of [1, 2, 5, 10, 20, 30]) {
    const o = h("option", { value: String(s) }, `${s} steps/s`);
    if (s === 5) o.selected = true;
    c.speed.appendChild(o);
  }
  c.epoch = h("input", { type: "range", min: "0", max: String(Math.max(0, data.E - 1)), step: "1", value: "0", "aria-label": "Epoch" });
  c.epochLabel = h("span", { className: "mmphate-value", "aria-live": "polite" });
  c.timestep = h("input", { type: "range", min: "0", max: String(Math.max(0, data.T - 1)), step: "1", value: "0", "aria-label": "Timestep" });
  c.timestepLabel = h("span", { className: "mmphate-value" });
  c.highlight = h("input", { type: "checkbox", "aria-label": "Highlight timestep", title: "emphasise the current timestep (always on while playing)" });
  row1.append(
    group("mmphate-group", c.play, c.speed),
    group("mmphate-group mmphate-slider", h("span", {}, "Epoch"), c.epoch, c.epochLabel),
    group("mmphate-group mmphate-slider", h("span", {}, "Timestep"), c.timestep, c.timestepLabel),
    labelled("highlight", c.highlight),
  );

  c.colorBy = h("select", { "aria-label": "Colour by" });
  for (const m of MODES) {
    const o = h("option", { value: m }, MODE_LABELS[m]);
    if (!available[m]) {
      o.disabled = true;
      o.title = "no data given for this colour mode";
    }
    c.colorBy.appendChild(o);
  }
  c.view = h("select", { "aria-label": "View" });
  c.view.append(h("option", { value: "3d" }, "3D"), h("option", { value: "2d" }, "2D"));
  c.tools = {};
  const toolDefs = [
    ["orbit", "Orbit", "Orbit"],
    ["box", "Box select", "Box"],
    ["lasso", "Lasso select", "Lasso"],
    ["click", "Click select", "Click"],
  ];
  const tools = h("div", { className: "mmphate-group", role: "group", "aria-label": "Tools" });
  for (const [key, label, text] of toolDefs) {
    const b = h("button", { type: "button", "aria-label": label, "aria-pressed": key === "orbit" ? "true" : "false", className: "mmphate-btn", "data-tool": key, title: label }, text);
    c.tools[key] = b;
    tools.appendChild(b);
  }
  c.selectionMode = h("select", { "aria-label": "Selection mode", title: "select whole units, or single points (node = epoch, timestep, unit)" });
  c.selectionMode.append(h("option", { value: "units" }, "units"), h("option", { value: "points" }, "points"));
  c.clear = h("button", { type: "button", "aria-label": "Clear selection", className: "mmphate-btn" }, "Clear");
  c.reset = h("button", { type: "button", "aria-label": "Reset camera", className: "mmphate-btn" }, "Reset");
  c.context = h("input", { type: "checkbox", "aria-label": "Show other epochs" });
  c.context.checked = true;
  c.trajectories = h("input", { type: "checkbox", "aria-label": "Show trajectories", title: "paths of the selected units through the timesteps (faint: first, arrows: direction of time)" });
  c.trajectories.checked = true;
  row2.append(
    group("mmphate-group", h("span", {}, "Colour"), c.colorBy),
    group("mmphate-group", c.view),
    tools,
    group("mmphate-group mmphate-select-mode", h("span", {}, "Select"), c.selectionMode),
    group("mmphate-group", c.clear, c.reset),
    labelled("other epochs", c.context),
    labelled("trajectories", c.trajectories),
  );

  c.epochFrom = optionsSelect("Epoch range start", data.epochs, 0);
  c.epochTo = optionsSelect("Epoch range end", data.epochs, data.E - 1);
  c.timeFrom = optionsSelect("Timestep range start", data.timesteps, 0);
  c.timeTo = optionsSelect("Timestep range end", data.timesteps, data.T - 1);
  c.pngScale = h("select", { "aria-label": "PNG scale", title: "pixel scale of the saved figure" });
  for (const s of [1, 2, 3, 4]) {
    const o = h("option", { value: String(s) }, `${s}x`);
    if (s === 2) o.selected = true;
    c.pngScale.appendChild(o);
  }
  c.save = h("button", { type: "button", "aria-label": "Save PNG", className: "mmphate-btn", title: "save the view as a figure (plot, legend, epoch and title)" }, "Save PNG");
  row3.append(
    group("mmphate-group", h("span", {}, "Epochs"), c.epochFrom, h("span", {}, "to"), c.epochTo),
    group("mmphate-group", h("span", {}, "Timesteps"), c.timeFrom, h("span", {}, "to"), c.timeTo),
    group("mmphate-group", c.pngScale, c.save),
  );
  root.append(row1, row2, row3);
  return c;
}

export function setPressed(button, on) {
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.classList.toggle("mmphate-active", on);
}

export class Tooltip {
  constructor(container) {
    this.el = h("div", { className: "mmphate-tooltip", role: "tooltip" });
    this.el.style.display = "none";
    container.appendChild(this.el);
  }

  show(x, y, lines, width, height) {
    this.el.replaceChildren(...lines.map((l) => h("div", {}, l)));
    this.el.style.display = "block";
    const w = this.el.offsetWidth || 160;
    const hh = this.el.offsetHeight || 80;
    const left = x + 12 + w > width ? x - 12 - w : x + 12;
    const top = y + 12 + hh > height ? y - 12 - hh : y + 12;
    this.el.style.left = `${Math.max(0, left)}px`;
    this.el.style.top = `${Math.max(0, top)}px`;
  }

  hide() {
    this.el.style.display = "none";
  }

  dispose() {
    this.el.remove();
  }
}

/** "Receiving data" indicator: a progress bar with the bytes received so far. */
export class Progress {
  constructor(container, height) {
    this.el = h("div", { className: "mmphate-loading", role: "status" });
    this.el.style.height = `${height}px`;
    this.bar = h("progress", { className: "mmphate-progress", "aria-label": "Loading data", max: "1", value: "0" });
    this.text = h("div", { className: "mmphate-loading-text" }, "Waiting for the kernel to send the data…");
    this.el.append(this.bar, this.text);
    container.appendChild(this.el);
  }

  update(fraction, text) {
    this.bar.value = fraction;
    this.text.textContent = text;
  }

  dispose() {
    this.el.remove();
  }
}

export const CSS = `
.mmphate-root { font-family: var(--mmphate-font, sans-serif); font-size: 12px; color: var(--mmphate-fg, #1f1f1f);
  background: var(--mmphate-bg, #fff); display: flex; flex-direction: column; gap: 4px; padding: 4px; box-sizing: border-box; }
.mmphate-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; }
.mmphate-group { display: inline-flex; align-items: center; gap: 4px; }
.mmphate-slider input[type=range] { width: 140px; }
.mmphate-value { min-width: 3em; font-variant-numeric: tabular-nums; font-weight: 600; }
.mmphate-root button, .mmphate-root select { font: inherit; color: inherit; background: var(--mmphate-panel, #f5f5f5);
  border: 1px solid var(--mmphate-border, #bbb); border-radius: 3px; padding: 2px 6px; cursor: pointer; }
.mmphate-root button.mmphate-active, .mmphate-root button[aria-pressed=true] { background: var(--mmphate-accent, #1976d2); color: #fff; }
.mmphate-stage { position: relative; flex: 1 1 auto; min-width: 0; overflow: hidden; border: 1px solid var(--mmphate-border, #bbb); }
.mmphate-stage canvas { display: block; touch-action: none; }
.mmphate-selection-overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
.mmphate-selection-overlay polygon { fill: rgba(25, 118, 210, 0.12); stroke: var(--mmphate-accent, #1976d2); stroke-width: 1.5; stroke-dasharray: 4 3; }
.mmphate-body { display: flex; gap: 6px; align-items: flex-start; }
.mmphate-side { flex: 0 0 170px; width: 170px; overflow-y: auto; box-sizing: border-box; }
.mmphate-legend { padding: 4px 6px; border-radius: 3px; background: var(--mmphate-bg, #fff);
  border: 1px solid var(--mmphate-border, #bbb); }
.mmphate-legend-title { font-weight: 600; margin-bottom: 2px; }
.mmphate-legend-search { width: 100%; box-sizing: border-box; font: inherit; margin: 2px 0 4px; padding: 1px 4px;
  color: inherit; background: var(--mmphate-panel, #fff); border: 1px solid var(--mmphate-border, #bbb); border-radius: 3px; }
.mmphate-legend-item { cursor: pointer; border-radius: 2px; padding: 0 2px; }
.mmphate-legend-item:hover, .mmphate-legend-item:focus { background: var(--mmphate-panel, #eee); outline: 1px solid var(--mmphate-border, #bbb); }
.mmphate-colorbar { width: 100%; height: 10px; }
.mmphate-colorbar-ticks { display: flex; justify-content: space-between; width: 100%; }
.mmphate-legend-item, .mmphate-chart-key { display: flex; align-items: center; gap: 4px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.mmphate-chart-legend { display: flex; flex-wrap: wrap; gap: 10px; color: var(--mmphate-muted, #666); }
.mmphate-chart-wrap { position: relative; }
.mmphate-chart-tooltip { position: absolute; pointer-events: none; padding: 3px 6px; border-radius: 3px; white-space: pre;
  background: var(--mmphate-panel, #fff); border: 1px solid var(--mmphate-border, #bbb); box-shadow: 0 1px 4px rgba(0,0,0,.25); font-variant-numeric: tabular-nums; }
.mmphate-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; flex: none; }
.mmphate-tooltip { position: absolute; pointer-events: none; padding: 4px 6px; border-radius: 3px; white-space: pre;
  background: var(--mmphate-panel, #fff); border: 1px solid var(--mmphate-border, #bbb); box-shadow: 0 1px 4px rgba(0,0,0,.25); }
.mmphate-status { color: var(--mmphate-muted, #666); min-height: 1.2em; }
.mmphate-error { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; padding: 16px;
  text-align: center; color: #b00020; background: var(--mmphate-bg, #fff); }
.mmphate-loading { display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px;
  border: 1px solid var(--mmphate-border, #bbb); color: var(--mmphate-muted, #666); }
.mmphate-progress { width: 60%; }
.mmphate-waiting { display: flex; align-items: center; justify-content: center;
  border: 1px dashed var(--mmphate-border, #bbb); color: var(--mmphate-muted, #666); }
.mmphate-live-status { color: var(--mmphate-muted, #666); }
.mmphate-chart { cursor: pointer; display: block; }
`;
