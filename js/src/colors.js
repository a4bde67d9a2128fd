// Colour maps and theme handling. Every colour comes from src/mmphate/explorer/palette.json, the
// one definition the Python side (static figures, pythreejs export) reads too.
import SPEC from "../../src/mmphate/explorer/palette.json" with { type: "json" };

export const MODES = [
  "epoch",
  "timestep",
  "unit",
  "cluster",
  "intrastep_entropy",
  "interstep_entropy",
  "class",
];

export const MODE_LABELS = {
  epoch: "epoch",
  timestep: "timestep",
  unit: "unit",
  cluster: "unit cluster",
  intrastep_entropy: "intra-step entropy",
  interstep_entropy: "inter-step entropy",
  class: "sample class",
};

/** Categorical colours (units, clusters, classes), as "#rrggbb". */
export const PALETTE = SPEC.categorical.slice();
/** matplotlib's viridis, 256 entries, as "#rrggbb". */
export const VIRIDIS = SPEC.viridis.slice();
export const MISSING = SPEC.missing;

export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

export function rgbHex([r, g, b]) {
  const c = (x) => Math.round(Math.min(1, Math.max(0, x)) * 255).toString(16).padStart(2, "0");
  return `#${c(r)}${c(g)}${c(b)}`;
}

/** Index into a 256-entry colour table for t in [0, 1] (the shader and Python use the same rule). */
export function lutIndex(t) {
  if (!Number.isFinite(t)) return -1;
  const x = Math.min(1, Math.max(0, t));
  return Math.min(255, Math.floor(x * 255 + 0.5));
}

/** viridis as [r, g, b] in [0, 1]; NaN gives the missing colour. */
export function viridis(t) {
  const i = lutIndex(t);
  return hexToRgb(i < 0 ? MISSING : VIRIDIS[i]);
}

/** Categorical colour of code k (negative: missing). */
export function categorical(k) {
  if (!Number.isFinite(k) || k < 0) return hexToRgb(MISSING);
  return hexToRgb(PALETTE[Math.floor(k) % PALETTE.length]);
}

export const categoricalHex = (k) => (!Number.isFinite(k) || k < 0 ? MISSING : PALETTE[Math.floor(k) % PALETTE.length]);

/** Colour of unit position u (colour mode "unit"). */
export const unitColor = (u) => categorical(u);

/** Position of v within [lo, hi] as used by the continuous colour modes. */
export function normalise(v, lo, hi) {
  return (v - lo) / (hi > lo ? hi - lo : 1);
}

/**
 * Colour of node (e, t, u) in a colour mode, exactly as the shader draws it.
 * `d` holds E, T, U and the per-unit / per-slice arrays (clusters, intrastep, interstep,
 * nodeClass); `ranges` the [lo, hi] of the two entropy modes.
 */
export function nodeColor(mode, e, t, u, d, ranges) {
  if (mode === "epoch") return viridis(d.E > 1 ? e / (d.E - 1) : 0.5);
  if (mode === "timestep") return viridis(d.T > 1 ? t / (d.T - 1) : 0.5);
  if (mode === "unit") return unitColor(u);
  if (mode === "cluster") return categorical(d.clusters ? d.clusters[u] : -1);
  if (mode === "class") {
    const k = d.nodeClass ? d.nodeClass[(e * d.T + t) * d.U + u] : 255;
    return categorical(k === 255 ? -1 : k);
  }
  const [lo, hi] = ranges[mode];
  const v = mode === "intrastep_entropy" ? d.intrastep[e * d.T + t] : d.interstep[e * d.U + u];
  return Number.isFinite(v) ? viridis(normalise(v, lo, hi)) : hexToRgb(MISSING);
}

export function rgbCss([r, g, b]) {
  return `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
}

export function gradientCss() {
  const stops = [];
  for (let i = 0; i <= 10; i++) stops.push(`${VIRIDIS[lutIndex(i / 10)]} ${i * 10}%`);
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

/** Flat RGBA bytes of the viridis table (a 256 x 1 texture for the shader). */
export function viridisBytes() {
  const out = new Uint8Array(256 * 4);
  VIRIDIS.forEach((h, i) => {
    const v = parseInt(h.slice(1), 16);
    out.set([(v >> 16) & 255, (v >> 8) & 255, v & 255, 255], 4 * i);
  });
  return out;
}

export const GLSL_COLORS = `
vec3 viridis(float t) {
  t = clamp(t, 0.0, 1.0);
  return texelFetch(tViridis, ivec2(int(min(255.0, floor(t * 255.0 + 0.5))), 0), 0).rgb;
}
`;

/** Read JupyterLab's theme variables from the element (fallback: light). */
export function readTheme(el) {
  const style = getComputedStyle(el);
  const pick = (name, fallback) => {
    const v = style.getPropertyValue(name).trim();
    return v || fallback;
  };
  return {
    background: pick("--jp-layout-color0", "#ffffff"),
    panel: pick("--jp-layout-color1", "#ffffff"),
    foreground: pick("--jp-ui-font-color1", "#1f1f1f"),
    muted: pick("--jp-ui-font-color2", "#616161"),
    border: pick("--jp-border-color1", "#bdbdbd"),
    accent: pick("--jp-brand-color1", "#1976d2"),
    font: pick("--jp-ui-font-family", "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"),
  };
}
