// Trajectories of selected units through the timesteps of one epoch, showing which way time runs:
// the line's colour ramps from faint (first timestep) to full strength (last), and arrowheads,
// built on the GPU in screen space so they keep their size and point along the projected
// segment from any camera angle, mark the direction on evenly spaced segments and the last one.

/** [r, g, b] in [0, 1] from "#rgb", "#rrggbb" or "rgb(a)(...)"; fallback when unparsable. */
export function parseColor(css, fallback = [0.12, 0.12, 0.12]) {
  const s = String(css || "").trim();
  let m = /^#([0-9a-f]{3})$/i.exec(s);
  if (m) return [...m[1]].map((c) => parseInt(c + c, 16) / 255);
  m = /^#([0-9a-f]{6})/i.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16) / 255);
  m = /^rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)/i.exec(s);
  if (m) return [m[1], m[2], m[3]].map((v) => Math.min(1, Number(v) / 255));
  return fallback;
}

/** Colour of timestep position f in [0, 1] along a trajectory: background-mixed to foreground. */
export function rampColor(f, fg, bg) {
  const w = 0.75 * (1 - Math.min(1, Math.max(0, f)));
  return [0, 1, 2].map((k) => fg[k] * (1 - w) + bg[k] * w);
}

/** Segment indices (0 .. segs-1) that carry an arrowhead: evenly spaced, always the last. */
export function arrowSegments(segs, maxArrows = 6) {
  if (segs <= 0) return [];
  const stride = Math.max(1, Math.ceil(segs / maxArrows));
  const out = new Set([segs - 1]);
  for (let s = Math.floor(stride / 2); s < segs; s += stride) out.add(s);
  return [...out].sort((a, b) => a - b);
}

/**
 * Line and arrow buffers for `units` (unit positions) at epoch `e`; a segment t -> t+1 is drawn
 * when both of its timesteps pass the filters (`isVisible(e, t)`).
 */
export function trajectoryGeometry(d, e, units, isVisible, theme) {
  const fg = parseColor(theme && theme.foreground, [0.12, 0.12, 0.12]);
  const bg = parseColor(theme && theme.background, [1, 1, 1]);
  const segs = Math.max(0, d.T - 1);
  const arrowAt = new Set(arrowSegments(segs));
  const line = [];
  const lineCol = [];
  const to = [];
  const from = [];
  const corner = [];
  const arrowCol = [];
  let drawn = 0;
  const pos = (t, u) => {
    const i = ((e * d.T + t) * d.U + u) * 3;
    return [d.positions[i], d.positions[i + 1], d.positions[i + 2]];
  };
  for (const u of units) {
    let any = false;
    for (let t = 0; t < segs; t++) {
      if (!isVisible(e, t) || !isVisible(e, t + 1)) continue;
      any = true;
      const a = pos(t, u);
      const b = pos(t + 1, u);
      const ca = rampColor(segs ? t / segs : 1, fg, bg);
      const cb = rampColor(segs ? (t + 1) / segs : 1, fg, bg);
      line.push(...a, ...b);
      lineCol.push(...ca, ...cb);
      if (arrowAt.has(t)) {
        for (const c of [[0, 0], [-1, 0.5], [-1, -0.5]]) {
          to.push(...b);
          from.push(...a);
          corner.push(...c);
          arrowCol.push(...cb);
        }
      }
    }
    if (any) drawn += 1;
  }
  return {
    linePositions: Float32Array.from(line),
    lineColors: Float32Array.from(lineCol),
    arrowTo: Float32Array.from(to),
    arrowFrom: Float32Array.from(from),
    arrowCorner: Float32Array.from(corner),
    arrowColors: Float32Array.from(arrowCol),
    units: drawn,
  };
}

export const LINE_VERTEX = `
attribute vec3 color;
varying vec3 vColor;
void main() {
  vColor = color;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

export const LINE_FRAGMENT = `
varying vec3 vColor;
void main() { gl_FragColor = vec4(vColor, 1.0); }
`;

// position = segment end, aFrom = segment start; the arrowhead sits on the segment's midpoint.
export const ARROW_VERTEX = `
uniform vec2 uViewport;
uniform float uArrowSize;
attribute vec3 aFrom;
attribute vec2 aCorner;
attribute vec3 color;
varying vec3 vColor;
void main() {
  vColor = color;
  vec4 a = projectionMatrix * modelViewMatrix * vec4(aFrom, 1.0);
  vec4 b = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  if (a.w <= 0.0 || b.w <= 0.0) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }
  vec2 half_ = 0.5 * uViewport;
  vec2 sa = a.xy / a.w * half_;
  vec2 sb = b.xy / b.w * half_;
  vec2 d = sb - sa;
  float len = length(d);
  if (len < 0.75 * uArrowSize) { gl_Position = vec4(2.0, 2.0, 2.0, 1.0); return; }
  d /= len;
  vec2 n = vec2(-d.y, d.x);
  vec2 tip = 0.5 * (sa + sb) + 0.5 * uArrowSize * d;
  vec2 p = tip + d * aCorner.x * uArrowSize + n * aCorner.y * uArrowSize;
  float z = 0.5 * (a.z / a.w + b.z / b.w);
  gl_Position = vec4(p / half_, z, 1.0);
}
`;

export const ARROW_FRAGMENT = LINE_FRAGMENT;
