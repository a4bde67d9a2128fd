// DOM controls, legend and tooltip. All text is set with textContent (never innerHTML).
import { MODES, MODE_LABELS, PALETTE, gradientCss, rgbCss, unitColor } from "./colors.js";

function h(tag, attrs = {}, text) {
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

export function buildControls(root, data, available) {
  const c = {};
  const row1 = h("div", { className: "mmphate-toolbar" });
  const row2 = h("div", { className: "mmphate-toolbar" });

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
  const hlLabel = h("label", { className: "mmphate-group" });
  hlLabel.append(c.highlight, h("span", {}, "highlight"));
  row1.append(
    group("mmphate-group", c.play, c.speed),
    group("mmphate-group mmphate-slider", h("span", {}, "Epoch"), c.epoch, c.epochLabel),
    group("mmphate-group mmphate-slider", h("span", {}, "Timestep"), c.timestep, c.timestepLabel),
    hlLabel,
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
  c.clear = h("button", { type: "button", "aria-label": "Clear selection", className: "mmphate-btn" }, "Clear");
  c.reset = h("button", { type: "button", "aria-label": "Reset camera", className: "mmphate-btn" }, "Reset");
  c.save = h("button", { type: "button", "aria-label": "Save PNG", className: "mmphate-btn" }, "PNG");
  c.context = h("input", { type: "checkbox", "aria-label": "Show other epochs" });
  c.context.checked = true;
  const ctxLabel = h("label", { className: "mmphate-group" });
  ctxLabel.append(c.context, h("span", {}, "other epochs"));
  row2.append(
    group("mmphate-group", h("span", {}, "Colour"), c.colorBy),
    group("mmphate-group", c.view),
    tools,
    group("mmphate-group", c.clear, c.reset, c.save),
    ctxLabel,
  );
  root.append(row1, row2);
  return c;
}

export function setPressed(button, on) {
  button.setAttribute("aria-pressed", on ? "true" : "false");
  button.classList.toggle("mmphate-active", on);
}

export class Legend {
  constructor(container) {
    this.el = h("div", { className: "mmphate-legend", "aria-label": "Legend" });
    container.appendChild(this.el);
  }

  bar(title, lo, hi) {
    const t = h("div", { className: "mmphate-legend-title" }, title);
    const bar = h("div", { className: "mmphate-colorbar" });
    bar.style.background = gradientCss();
    const ticks = h("div", { className: "mmphate-colorbar-ticks" });
    ticks.append(h("span", {}, lo), h("span", {}, hi));
    this.el.replaceChildren(t, bar, ticks);
  }

  swatches(title, items, more) {
    const t = h("div", { className: "mmphate-legend-title" }, title);
    const list = h("div", { className: "mmphate-legend-items" });
    for (const [color, label] of items) {
      const item = h("div", { className: "mmphate-legend-item" });
      const sw = h("span", { className: "mmphate-swatch" });
      sw.style.background = color;
      item.append(sw, h("span", {}, label));
      list.appendChild(item);
    }
    this.el.replaceChildren(t, list);
    if (more > 0) this.el.appendChild(h("div", { className: "mmphate-legend-more" }, `+ ${more} more`));
  }

  update(mode, data, ranges) {
    const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));
    if (mode === "epoch") {
      this.bar("epoch", String(data.epochs[0] ?? ""), String(data.epochs[data.E - 1] ?? ""));
    } else if (mode === "timestep") {
      this.bar("timestep", String(data.timesteps[0] ?? ""), String(data.timesteps[data.T - 1] ?? ""));
    } else if (mode === "intrastep_entropy" || mode === "interstep_entropy") {
      const [lo, hi] = ranges[mode];
      this.bar(`${MODE_LABELS[mode]} (bits)`, fmt(lo), fmt(hi));
    } else if (mode === "unit") {
      const n = Math.min(12, data.U);
      const items = [];
      for (let u = 0; u < n; u++) items.push([rgbCss(unitColor(u)), data.units[u]]);
      this.swatches("unit", items, data.U - n);
    } else if (mode === "cluster") {
      const ids = data.clusters ? Array.from(new Set(data.clusters)).sort((a, b) => a - b) : [];
      const shown = ids.slice(0, 20);
      const items = shown.map((k) => [
        k < 0 ? "#999999" : PALETTE[((k % 20) + 20) % 20],
        k < 0 ? "unassigned" : data.clusterNames[k] ?? `cluster ${k}`,
      ]);
      this.swatches("unit cluster", items, ids.length - shown.length);
    } else if (mode === "class") {
      const n = Math.min(20, data.classNames.length);
      const items = [];
      for (let k = 0; k < n; k++) items.push([PALETTE[k], data.classNames[k]]);
      this.swatches("sample class (strongest mean activation)", items, data.classNames.length - n);
    }
  }

  dispose() {
    this.el.remove();
  }
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
.mmphate-stage { position: relative; width: 100%; overflow: hidden; border: 1px solid var(--mmphate-border, #bbb); }
.mmphate-stage canvas { display: block; touch-action: none; }
.mmphate-selection-overlay { position: absolute; left: 0; top: 0; width: 100%; height: 100%; pointer-events: none; }
.mmphate-selection-overlay polygon { fill: rgba(25, 118, 210, 0.12); stroke: var(--mmphate-accent, #1976d2); stroke-width: 1.5; stroke-dasharray: 4 3; }
.mmphate-legend { position: absolute; right: 6px; top: 6px; max-width: 220px; padding: 4px 6px; border-radius: 3px;
  background: var(--mmphate-bg, #fff); opacity: 0.92; border: 1px solid var(--mmphate-border, #bbb); pointer-events: none; }
.mmphate-legend-title { font-weight: 600; margin-bottom: 2px; }
.mmphate-colorbar { width: 160px; height: 10px; }
.mmphate-colorbar-ticks { display: flex; justify-content: space-between; width: 160px; }
.mmphate-legend-item, .mmphate-chart-key { display: flex; align-items: center; gap: 4px; overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.mmphate-chart-legend { display: flex; flex-wrap: wrap; gap: 10px; color: var(--mmphate-muted, #666); }
.mmphate-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; flex: none; }
.mmphate-tooltip { position: absolute; pointer-events: none; padding: 4px 6px; border-radius: 3px; white-space: pre;
  background: var(--mmphate-panel, #fff); border: 1px solid var(--mmphate-border, #bbb); box-shadow: 0 1px 4px rgba(0,0,0,.25); }
.mmphate-status { color: var(--mmphate-muted, #666); min-height: 1.2em; }
.mmphate-error { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; padding: 16px;
  text-align: center; color: #b00020; background: var(--mmphate-bg, #fff); }
.mmphate-chart { cursor: pointer; display: block; }
`;
