// Pure helpers of the metrics chart: which series share a panel, nice axis ticks, value labels.

/** Panel of a series by its name: loss, accuracy, entropy (bits), or its own. */
export function panelKey(name) {
  const n = String(name).toLowerCase();
  if (n.includes("entropy")) return "entropy";
  if (n.includes("loss")) return "loss";
  if (n.includes("acc")) return "accuracy";
  return `other:${name}`;
}

const PANEL_LABELS = { loss: "loss", accuracy: "accuracy", entropy: "entropy (bits)" };
const PANEL_ORDER = ["loss", "accuracy", "entropy"];

/** Group series ({name, values}) into panels [{key, label, series: [{name, values, index}]}]. */
export function groupSeries(series) {
  const panels = new Map();
  series.forEach((s, index) => {
    const key = panelKey(s.name);
    if (!panels.has(key)) {
      panels.set(key, { key, label: PANEL_LABELS[key] ?? String(s.name), series: [] });
    }
    panels.get(key).series.push({ ...s, index });
  });
  const rank = (k) => {
    const i = PANEL_ORDER.indexOf(k);
    return i < 0 ? PANEL_ORDER.length : i;
  };
  return [...panels.values()].sort((a, b) => rank(a.key) - rank(b.key));
}

/** Finite [lo, hi] over several arrays of numbers / nulls ([0, 1] when none). */
export function extent(arrays) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (const v of a) {
      if (v == null) continue;
      const x = Number(v);
      if (!Number.isFinite(x)) continue;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (lo === hi) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return [lo - pad, hi + pad];
  }
  return [lo, hi];
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k). */
export function niceTicks(lo, hi, count = 4) {
  if (!(hi > lo)) return [lo];
  const n = Math.max(1, count);
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // the round step whose number of intervals is closest to `count` (ties: the larger step)
  let step = mag;
  for (const m of [1, 2, 5, 10]) {
    const s = m * mag;
    if (Math.abs((hi - lo) / s - n) <= Math.abs((hi - lo) / step - n)) step = s;
  }
  const start = Math.ceil(lo / step - 1e-9) * step;
  const ticks = [];
  for (let v = start; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/** A short label for a value (3 significant digits, no exponent for ordinary magnitudes). */
export function formatValue(v) {
  if (v == null || !Number.isFinite(Number(v))) return "n/a";
  const x = Number(v);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000 || a < 1e-3) return x.toExponential(2);
  if (a >= 100) return x.toFixed(0);
  return String(Number(x.toPrecision(3)));
}

/** Index of the epoch nearest to fraction f in [0, 1] of a linear axis from the first to the last epoch. */
export function indexAtFraction(f, epochs) {
  const n = epochs.length;
  if (n <= 1) return 0;
  const lo = Math.min(...epochs);
  const hi = Math.max(...epochs);
  const v = lo + Math.max(0, Math.min(1, f)) * (hi - lo);
  let best = 0;
  for (let i = 1; i < n; i++) if (Math.abs(epochs[i] - v) < Math.abs(epochs[best] - v)) best = i;
  return best;
}

/** Position (0..1) of epoch number v on that axis. */
export function epochFraction(v, epochs) {
  const lo = Math.min(...epochs);
  const hi = Math.max(...epochs);
  return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}
