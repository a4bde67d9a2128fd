// Per-epoch metrics chart (canvas 2D): one panel per kind of series (loss, accuracy, entropy in
// bits, anything else on its own) with a labelled y axis, a shared epoch axis, a marker at the
// current epoch in every panel, values on hover, and a click (or arrow keys) to jump to an epoch.
import { PALETTE } from "./colors.js";
import { epochFraction, extent, formatValue, groupSeries, indexAtFraction, niceTicks } from "./chart-scale.js";

const PANEL_H = 120;
const M = { l: 46, r: 10, t: 22, b: 30 };
const GAP = 14;

export class MetricsChart {
  constructor(container, metrics, epochs, { onPick }) {
    this.metrics = metrics || { epochs: [], series: [] };
    this.epochs = epochs;
    this.onPick = onPick;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "mmphate-chart";
    this.canvas.setAttribute("role", "img");
    this.tooltip = document.createElement("div");
    this.tooltip.className = "mmphate-chart-tooltip";
    this.tooltip.setAttribute("role", "tooltip");
    this.tooltip.style.display = "none";
    this.legend = document.createElement("div");
    this.legend.className = "mmphate-chart-legend";
    this.box = document.createElement("div");
    this.box.className = "mmphate-chart-wrap";
    this.box.append(this.canvas, this.tooltip);
    container.append(this.box, this.legend);
    this.current = 0;
    this.hoverIndex = -1;
    this.width = 300;
    this.theme = null;
    const series = (this.metrics.series || []).filter((s) => (s.values || []).some((v) => v != null));
    this.series = series;
    // the metric epochs onto the explorer's epoch axis
    const index = new Map(this.epochs.map((e, i) => [e, i]));
    const mEpochs = this.metrics.epochs || [];
    for (const s of this.series) {
      const vals = new Array(this.epochs.length).fill(null);
      s.values.forEach((v, j) => {
        const i = index.get(Number(mEpochs[j]));
        if (i !== undefined && v != null && Number.isFinite(Number(v))) vals[i] = Number(v);
      });
      s.aligned = vals;
    }
    this.panels = groupSeries(this.series);
    const labels = this.panels.map((p) => p.label);
    this.canvas.setAttribute("aria-label", "Metrics chart");
    this.canvas.dataset.panels = labels.join("|");
    this.canvas.dataset.epochs = String(this.epochs.length);
    this.canvas.title = labels.length ? `per-epoch ${labels.join(", ")}; click to jump to an epoch` : "no per-epoch metrics";
    this.series.forEach((s, i) => {
      const item = document.createElement("span");
      item.className = "mmphate-chart-key";
      const sw = document.createElement("span");
      sw.className = "mmphate-swatch";
      sw.style.background = PALETTE[i % PALETTE.length];
      const txt = document.createElement("span");
      txt.textContent = String(s.name);
      item.append(sw, txt);
      this.legend.appendChild(item);
    });
    if (!this.series.length) this.legend.textContent = "no per-epoch metrics recorded";

    this.onClick = (ev) => {
      const hit = this.hitTest(ev);
      if (hit) this.onPick(hit.index);
    };
    this.onMove = (ev) => {
      const hit = this.hitTest(ev);
      this.setHover(hit ? hit.index : -1, hit ? hit.panel : -1, ev);
    };
    this.onLeave = () => this.setHover(-1, -1);
    this.canvas.addEventListener("click", this.onClick);
    this.canvas.addEventListener("pointermove", this.onMove);
    this.canvas.addEventListener("pointerleave", this.onLeave);
    this.canvas.tabIndex = 0;
    this.onKey = (ev) => {
      const n = this.epochs.length;
      const step = { ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1 }[ev.key];
      let next;
      if (step !== undefined) next = this.current + step;
      else if (ev.key === "Home") next = 0;
      else if (ev.key === "End") next = n - 1;
      else return;
      ev.preventDefault();
      ev.stopPropagation();
      this.onPick(Math.max(0, Math.min(n - 1, next)));
    };
    this.canvas.addEventListener("keydown", this.onKey);
  }

  /** Panel rectangles (CSS px): side by side while each gets >= 260 px, else stacked. */
  layout() {
    const n = Math.max(1, this.panels.length);
    const perRow = Math.max(1, Math.min(n, Math.floor((this.width + GAP) / (260 + GAP))));
    const rows = Math.ceil(n / perRow);
    const w = (this.width - GAP * (perRow - 1)) / perRow;
    const rects = [];
    for (let k = 0; k < n; k++) {
      const r = Math.floor(k / perRow);
      const c = k % perRow;
      rects.push({ x: c * (w + GAP), y: r * PANEL_H, w, h: PANEL_H });
    }
    return { rects, height: rows * PANEL_H };
  }

  plotArea(rect) {
    return { x: rect.x + M.l, y: rect.y + M.t, w: Math.max(10, rect.w - M.l - M.r), h: rect.h - M.t - M.b };
  }

  /** x of epoch index i: the axis is linear in epoch numbers (uneven checkpoints keep their spacing). */
  xOf(area, i) {
    return this.xOfValue(area, this.epochs[i]);
  }

  xOfValue(area, v) {
    return area.x + (this.epochs.length ? epochFraction(v, this.epochs) : 0.5) * area.w;
  }

  /** {panel, index} under the pointer (x clamped into the nearest panel's epoch axis). */
  hitTest(ev) {
    const r = this.canvas.getBoundingClientRect();
    const x = ev.clientX - r.left;
    const y = ev.clientY - r.top;
    const { rects } = this.layout();
    let best = 0;
    let bestD = Infinity;
    rects.forEach((rect, k) => {
      const dx = x < rect.x ? rect.x - x : x > rect.x + rect.w ? x - rect.x - rect.w : 0;
      const dy = y < rect.y ? rect.y - y : y > rect.y + rect.h ? y - rect.y - rect.h : 0;
      const dd = dx + dy;
      if (dd < bestD) {
        bestD = dd;
        best = k;
      }
    });
    if (!rects.length) return null;
    const area = this.plotArea(rects[best]);
    return { panel: best, index: indexAtFraction((x - area.x) / area.w, this.epochs) };
  }

  /** Values of a panel's series at epoch index i: [[name, value, colour]]. */
  valuesAt(panel, i) {
    return this.panels[panel].series.map((s) => [s.name, s.aligned[i], PALETTE[s.index % PALETTE.length]]);
  }

  setHover(index, panel, ev) {
    this.hoverIndex = index;
    this.hoverPanel = panel;
    this.canvas.dataset.hoverEpoch = index >= 0 ? String(this.epochs[index]) : "";
    if (index < 0 || panel < 0 || !this.panels.length) {
      this.tooltip.style.display = "none";
      this.draw();
      return;
    }
    const lines = [`epoch ${this.epochs[index]}`];
    for (const [name, v] of this.valuesAt(panel, index)) lines.push(`${name} ${formatValue(v)}`);
    this.tooltip.replaceChildren(
      ...lines.map((l) => {
        const div = document.createElement("div");
        div.textContent = l;
        return div;
      }),
    );
    this.tooltip.style.display = "block";
    const rect = this.layout().rects[panel];
    const area = this.plotArea(rect);
    const x = this.xOf(area, index);
    const w = this.tooltip.offsetWidth || 120;
    this.tooltip.style.left = `${Math.max(0, x + 10 + w > this.width ? x - 10 - w : x + 10)}px`;
    this.tooltip.style.top = `${rect.y + M.t}px`;
    this.draw();
  }

  resize(width) {
    this.width = Math.max(120, width);
    const { height } = this.layout();
    this.height = height;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.draw();
  }

  setCurrent(i) {
    this.current = i;
    this.canvas.dataset.currentEpoch = String(this.epochs[i] ?? "");
    this.draw();
  }

  setTheme(theme) {
    this.theme = theme;
    this.draw();
  }

  drawPanel(ctx, panel, rect, th) {
    const area = this.plotArea(rect);
    const [lo0, hi0] = extent(panel.series.map((s) => s.aligned));
    const ticks = niceTicks(lo0, hi0, 3);
    const lo = Math.min(lo0, ticks[0]);
    const hi = Math.max(hi0, ticks[ticks.length - 1]);
    const yOf = (v) => area.y + area.h - ((v - lo) / (hi - lo || 1)) * area.h;
    ctx.font = "10px sans-serif";
    ctx.lineWidth = 1;
    // y axis: ticks, grid, label
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const v of ticks) {
      const y = Math.round(yOf(v)) + 0.5;
      ctx.strokeStyle = th.grid;
      ctx.beginPath();
      ctx.moveTo(area.x, y);
      ctx.lineTo(area.x + area.w, y);
      ctx.stroke();
      ctx.fillStyle = th.muted;
      ctx.fillText(formatValue(v), area.x - 4, y);
    }
    ctx.fillStyle = th.foreground;
    ctx.textAlign = "left";
    ctx.textBaseline = "bottom";
    ctx.font = "600 11px sans-serif";
    ctx.fillText(panel.label, rect.x + 2, rect.y + M.t - 4);
    // x axis: epochs
    ctx.strokeStyle = th.border;
    ctx.beginPath();
    ctx.moveTo(area.x, area.y + area.h + 0.5);
    ctx.lineTo(area.x + area.w, area.y + area.h + 0.5);
    ctx.moveTo(area.x - 0.5, area.y);
    ctx.lineTo(area.x - 0.5, area.y + area.h);
    ctx.stroke();
    const n = this.epochs.length;
    ctx.font = "10px sans-serif";
    ctx.fillStyle = th.muted;
    ctx.textBaseline = "top";
    if (n) {
      const lo = Math.min(...this.epochs);
      const hi = Math.max(...this.epochs);
      const eTicks = hi > lo ? niceTicks(lo, hi, Math.max(2, Math.floor(area.w / 70))) : [lo];
      ctx.textAlign = "center";
      for (const ev of eTicks) {
        const x = this.xOfValue(area, ev);
        ctx.fillRect(x, area.y + area.h, 1, 3);
        ctx.fillText(String(ev), x, area.y + area.h + 4);
      }
      ctx.textAlign = "right";
      ctx.fillText("epoch", area.x + area.w, area.y + area.h + 16);
    }
    // series
    for (const s of panel.series) {
      ctx.strokeStyle = PALETTE[s.index % PALETTE.length];
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      s.aligned.forEach((v, i) => {
        if (v == null) {
          started = false;
          return;
        }
        const x = this.xOf(area, i);
        const y = yOf(v);
        if (started) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        started = true;
      });
      ctx.stroke();
    }
    // current-epoch marker, hover cursor and the hovered values
    const mark = (i, color, width) => {
      const x = Math.round(this.xOf(area, i)) + 0.5;
      ctx.strokeStyle = color;
      ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(x, area.y);
      ctx.lineTo(x, area.y + area.h);
      ctx.stroke();
    };
    mark(this.current, th.foreground, 1.5);
    if (this.hoverIndex >= 0) {
      mark(this.hoverIndex, th.muted, 1);
      for (const s of panel.series) {
        const v = s.aligned[this.hoverIndex];
        if (v == null) continue;
        ctx.fillStyle = PALETTE[s.index % PALETTE.length];
        ctx.beginPath();
        ctx.arc(this.xOf(area, this.hoverIndex), yOf(v), 3, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const base = this.theme || { background: "#fff", foreground: "#222", border: "#bbb", muted: "#666" };
    const th = { ...base, grid: base.border };
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, this.width, this.height || PANEL_H);
    const { rects } = this.layout();
    if (!this.panels.length) return;
    ctx.save();
    ctx.globalAlpha = 1;
    this.panels.forEach((p, k) => this.drawPanel(ctx, p, rects[k], th));
    ctx.restore();
  }

  dispose() {
    this.canvas.removeEventListener("click", this.onClick);
    this.canvas.removeEventListener("pointermove", this.onMove);
    this.canvas.removeEventListener("pointerleave", this.onLeave);
    this.canvas.removeEventListener("keydown", this.onKey);
    this.box.remove();
    this.legend.remove();
  }
}
