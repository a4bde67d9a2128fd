// Colour maps (shared by the GLSL shader and the DOM legends) and theme handling.

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

export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
  "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5",
  "#c49c94", "#f7b6d2", "#c7c7c7", "#dbdb8d", "#9edae5",
];

export function hexToRgb(hex) {
  const v = parseInt(hex.slice(1), 16);
  return [((v >> 16) & 255) / 255, ((v >> 8) & 255) / 255, (v & 255) / 255];
}

// Polynomial fit of matplotlib's viridis (t in [0, 1]).
const V = [
  [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
  [0.1050930431085774, 1.404613529898575, 1.384590162594685],
  [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
  [-4.634230498983486, -5.799100973351585, -19.33244095627987],
  [6.228269936347081, 14.17993336680509, 56.69055260068105],
  [4.776384997670288, -13.74514537774601, -65.35303263337234],
  [-5.435455855934631, 4.645852612178535, 26.3124352495832],
];

export function viridis(t) {
  t = Math.min(1, Math.max(0, t));
  const out = [0, 0, 0];
  for (let k = 0; k < 3; k++) {
    let acc = V[6][k];
    for (let j = 5; j >= 0; j--) acc = V[j][k] + t * acc;
    out[k] = Math.min(1, Math.max(0, acc));
  }
  return out;
}

export function rgbCss([r, g, b]) {
  return `rgb(${Math.round(r * 255)}, ${Math.round(g * 255)}, ${Math.round(b * 255)})`;
}

export function gradientCss() {
  const stops = [];
  for (let i = 0; i <= 10; i++) stops.push(`${rgbCss(viridis(i / 10))} ${i * 10}%`);
  return `linear-gradient(to right, ${stops.join(", ")})`;
}

const vec3 = (c) => `vec3(${c.map((x) => x.toFixed(12)).join(", ")})`;

export const GLSL_COLORS = `
vec3 viridis(float t) {
  t = clamp(t, 0.0, 1.0);
  const vec3 c0 = ${vec3(V[0])};
  const vec3 c1 = ${vec3(V[1])};
  const vec3 c2 = ${vec3(V[2])};
  const vec3 c3 = ${vec3(V[3])};
  const vec3 c4 = ${vec3(V[4])};
  const vec3 c5 = ${vec3(V[5])};
  const vec3 c6 = ${vec3(V[6])};
  return clamp(c0 + t * (c1 + t * (c2 + t * (c3 + t * (c4 + t * (c5 + t * c6))))), 0.0, 1.0);
}
vec3 hsl2rgb(float h, float s, float l) {
  vec3 rgb = clamp(abs(mod(h * 6.0 + vec3(0.0, 4.0, 2.0), 6.0) - 3.0) - 1.0, 0.0, 1.0);
  return l + s * (rgb - 0.5) * (1.0 - abs(2.0 * l - 1.0));
}
`;

export function unitColor(u) {
  const h = (u * 0.618033988749895) % 1;
  const s = 0.65;
  const l = 0.5;
  const f = (n) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

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
