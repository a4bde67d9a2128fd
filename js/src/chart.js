// Small per-epoch metrics chart (canvas 2D) with a marker at the current epoch.
import { PALETTE } from "./colors.js";

export class MetricsChart {
  constructor(container, metrics, epochs, { onPick }) {
    this.metrics = metrics || { epochs: [], series: [] };
    this.epochs = epochs;
    this.onPick = onPick;
    this.canvas = document.createElement("canvas");
    this.canvas.className = "mmphate-chart";
    this.canvas.setAttribute("aria-label", "Metrics chart");
    this.canvas.setAttribute("role", "img");
    this.legend = document.createElement("div");
    this.legend.className = "mmphate-chart-legend";
    container.appendChild(this.canvas);
    container.appendChild(this.legend);
    this.current = 0;
    this.width = 300;
    this.height = 80;
    this.theme = null;
    this.onClick = (ev) => {
      const rect = this.canvas.getBoundingClientRect();
      const x = ev.clientX - rect.left;
      this.onPick(this.indexAt(x));
    };
    this.canvas.addEventListener("click", this.onClick);
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
    const series = (this.metrics.series || []).filter((s) => (s.values || []).some((v) => v != null));
    this.series = series;
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
  }

  margin() {
    return { l: 8, r: 8, t: 6, b: 14 };
  }

  xOf(i) {
    const m = this.margin();
    const n = this.epochs.length;
    const w = this.width - m.l - m.r;
    return m.l + (n > 1 ? (i / (n - 1)) * w : w / 2);
  }

  indexAt(x) {
    const m = this.margin();
    const n = this.epochs.length;
    if (n <= 1) return 0;
    const f = (x - m.l) / (this.width - m.l - m.r);
    return Math.max(0, Math.min(n - 1, Math.round(f * (n - 1))));
  }

  resize(width) {
    this.width = Math.max(50, width);
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.round(this.width * dpr);
    this.canvas.height = Math.round(this.height * dpr);
    this.canvas.style.width = `${this.width}px`;
    this.canvas.style.height = `${this.height}px`;
    this.draw();
  }

  setCurrent(i) {
    this.current = i;
    this.draw();
  }

  setTheme(theme) {
    this.theme = theme;
    this.draw();
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    const th = this.theme || { background: "#fff", foreground: "#222", border: "#bbb", muted: "#666" };
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, this.width, this.height);
    const m = this.margin();
    const h = this.height - m.t - m.b;
    ctx.strokeStyle = th.border;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(m.l, m.t + h + 0.5);
    ctx.lineTo(this.width - m.r, m.t + h + 0.5);
    ctx.stroke();
    const index = new Map(this.epochs.map((e, i) => [e, i]));
    const mEpochs = this.metrics.epochs || [];
    this.series.forEach((s, k) => {
      const vals = s.values.map((v) => (v == null ? NaN : Number(v)));
      const fin = vals.filter(Number.isFinite);
      const lo = Math.min(...fin);
      const hi = Math.max(...fin);
      const span = hi - lo || 1;
      ctx.strokeStyle = PALETTE[k % PALETTE.length];
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      let started = false;
      vals.forEach((v, j) => {
        const i = index.get(Number(mEpochs[j]));
        if (i === undefined || !Number.isFinite(v)) return;
        const x = this.xOf(i);
        const y = m.t + h - ((v - lo) / span) * h;
        if (started) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        started = true;
      });
      ctx.stroke();
    });
    const x = this.xOf(this.current);
    ctx.strokeStyle = th.foreground;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, m.t);
    ctx.lineTo(x, m.t + h + 4);
    ctx.stroke();
    ctx.fillStyle = th.muted;
    ctx.font = "10px sans-serif";
    ctx.textBaseline = "bottom";
    const n = this.epochs.length;
    if (n) {
      ctx.textAlign = "left";
      ctx.fillText(String(this.epochs[0]), m.l, this.height);
      ctx.textAlign = "right";
      ctx.fillText(String(this.epochs[n - 1]), this.width - m.r, this.height);
    }
  }

  dispose() {
    this.canvas.removeEventListener("click", this.onClick);
    this.canvas.removeEventListener("keydown", this.onKey);
    this.canvas.remove();
    this.legend.remove();
  }
}
