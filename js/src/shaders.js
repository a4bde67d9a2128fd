// GLSL of the point cloud: colour, filters, selection, hover highlight and fading, all decided per
// vertex from gl_VertexID (node = (e*T + t)*U + u) and small data textures.
import { GLSL_COLORS, PALETTE } from "./colors.js";

export const TEX_W = 2048;
const N_PALETTE = PALETTE.length;

export const VERTEX = `
uniform int uT;
uniform int uU;
uniform int uMode;
uniform int uSelMode;
uniform int uHoverKind;
uniform float uHoverValue;
uniform int uTimestep;
uniform float uNE;
uniform float uNT;
uniform float uContext;
uniform float uPlaying;
uniform float uSelActive;
uniform float uPointSize;
uniform float uPixelRatio;
uniform vec3 uBg;
uniform vec2 uIntraRange;
uniform vec2 uInterRange;
uniform sampler2D tSel;
uniform sampler2D tVis;
uniform sampler2D tCluster;
uniform sampler2D tIntra;
uniform sampler2D tInter;
uniform sampler2D tViridis;
uniform vec3 uPalette[${N_PALETTE}];
attribute float aClass;
attribute float aSel;
varying vec3 vColor;
${GLSL_COLORS}
float fetch1(sampler2D t, int i) {
  return texelFetch(t, ivec2(i % ${TEX_W}, i / ${TEX_W}), 0).r;
}
vec3 category(float k) {
  return uPalette[int(mod(k, ${N_PALETTE}.0))];
}
void main() {
  int id = gl_VertexID;
  int tu = uT * uU;
  int e = id / tu;
  int rem = id - e * tu;
  int t = rem / uU;
  int u = rem - t * uU;
  if (fetch1(tVis, e * uT + t) < 0.5) {
    // filtered out (epoch / timestep range): not drawn
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    gl_PointSize = 0.0;
    vColor = uBg;
    return;
  }
  vec3 grey = vec3(0.6);
  vec3 c;
  float cluster = fetch1(tCluster, u);
  if (uMode == 0) {
    c = viridis(uNE > 1.0 ? float(e) / (uNE - 1.0) : 0.5);
  } else if (uMode == 1) {
    c = viridis(uNT > 1.0 ? float(t) / (uNT - 1.0) : 0.5);
  } else if (uMode == 2) {
    c = category(float(u));
  } else if (uMode == 3) {
    c = cluster < 0.0 ? grey : category(cluster);
  } else if (uMode == 4) {
    float h = fetch1(tIntra, e * uT + t);
    float span = uIntraRange.y > uIntraRange.x ? uIntraRange.y - uIntraRange.x : 1.0;
    c = h < -1.0e29 ? grey : viridis((h - uIntraRange.x) / span);
  } else if (uMode == 5) {
    float h = fetch1(tInter, e * uU + u);
    float span = uInterRange.y > uInterRange.x ? uInterRange.y - uInterRange.x : 1.0;
    c = h < -1.0e29 ? grey : viridis((h - uInterRange.x) / span);
  } else {
    c = aClass > 254.5 ? grey : category(aClass);
  }
  float size = uPointSize;
  float fade = 0.0;
  bool context = uContext > 0.5;
  if (context) {
    fade = 0.8;
    size *= 0.75;
  } else if (uPlaying > 0.5) {
    if (t == uTimestep) size *= 2.0; else fade = 0.5;
  }
  if (uSelActive > 0.5) {
    bool selected = uSelMode == 0 ? fetch1(tSel, u) > 0.5 : aSel > 0.5;
    if (selected) {
      size *= 1.3;
      // selected points of other epochs are part of the selection: drawn at full strength
      if (context && uSelMode == 1) fade = 0.0;
    } else {
      fade = max(fade, context ? 0.95 : 0.82);
    }
  }
  if (uHoverKind > 0) {
    bool match = uHoverKind == 1 ? float(u) == uHoverValue
      : uHoverKind == 2 ? cluster == uHoverValue
      : aClass == uHoverValue;
    if (match) {
      size *= 1.6;
      fade = context ? min(fade, 0.5) : 0.0;
    } else {
      fade = max(fade, context ? 0.97 : 0.88);
    }
  }
  vColor = mix(c, uBg, fade);
  gl_PointSize = size * uPixelRatio;
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
}
`;

export const FRAGMENT = `
varying vec3 vColor;
void main() {
  vec2 d = gl_PointCoord - 0.5;
  if (dot(d, d) > 0.25) discard;
  gl_FragColor = vec4(vColor, 1.0);
}
`;
