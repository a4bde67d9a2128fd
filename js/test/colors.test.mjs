import { test } from "node:test";
import assert from "node:assert/strict";
import { MISSING, PALETTE, VIRIDIS, categorical, hexToRgb, lutIndex, nodeColor, rgbHex, viridis } from "../src/colors.js";

function lab([r, g, b]) {
  const lin = (c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  const [R, G, B] = [r, g, b].map(lin);
  const xyz = [
    (0.4124564 * R + 0.3575761 * G + 0.1804375 * B) / 0.95047,
    0.2126729 * R + 0.7151522 * G + 0.072175 * B,
    (0.0193339 * R + 0.119192 * G + 0.9503041 * B) / 1.08883,
  ];
  const f = (t) => (t > (6 / 29) ** 3 ? Math.cbrt(t) : t / (3 * (6 / 29) ** 2) + 4 / 29);
  const [fx, fy, fz] = xyz.map(f);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

test("the categorical palette has >= 20 distinguishable colours, none grey", () => {
  assert.ok(PALETTE.length >= 20);
  const L = PALETTE.map((h) => lab(hexToRgb(h)));
  let min = Infinity;
  for (let i = 0; i < L.length; i++) {
    for (let j = 0; j < i; j++) min = Math.min(min, Math.hypot(...L[i].map((v, k) => v - L[j][k])));
    const chroma = Math.hypot(L[i][1], L[i][2]);
    assert.ok(chroma >= 25, `${PALETTE[i]} is nearly grey`);
  }
  assert.ok(min > 25, `two palette colours are only ${min.toFixed(1)} CIELAB units apart`);
  assert.equal(new Set(PALETTE).size, PALETTE.length);
});

test("unit colours do not repeat within the palette; codes wrap after it", () => {
  const hexes = Array.from({ length: PALETTE.length }, (_, u) => rgbHex(categorical(u)));
  assert.equal(new Set(hexes).size, PALETTE.length);
  assert.deepEqual(categorical(PALETTE.length), categorical(0));
  assert.deepEqual(categorical(-1), hexToRgb(MISSING));
});

test("viridis: 256-entry table, rounding rule shared with the shader and Python", () => {
  assert.equal(VIRIDIS.length, 256);
  assert.equal(VIRIDIS[0], "#440154");
  assert.equal(VIRIDIS[255], "#fde725");
  assert.equal(lutIndex(0), 0);
  assert.equal(lutIndex(1), 255);
  assert.equal(lutIndex(2), 255);
  assert.equal(lutIndex(-3), 0);
  assert.equal(lutIndex(0.5), 128);
  assert.equal(lutIndex(NaN), -1);
  assert.deepEqual(viridis(NaN), hexToRgb(MISSING));
});

test("nodeColor follows the node's epoch, timestep, unit or per-slice value", () => {
  const d = {
    E: 3, T: 2, U: 4,
    clusters: Int32Array.from([0, 1, -1, 1]),
    intrastep: Float32Array.from([0, 1, 2, 3, 4, NaN]),
    interstep: null,
    nodeClass: null,
  };
  const ranges = { intrastep_entropy: [0, 4] };
  assert.deepEqual(nodeColor("epoch", 2, 0, 0, d, ranges), hexToRgb(VIRIDIS[255]));
  assert.deepEqual(nodeColor("timestep", 2, 0, 3, d, ranges), hexToRgb(VIRIDIS[0]));
  assert.deepEqual(nodeColor("unit", 0, 0, 3, d, ranges), hexToRgb(PALETTE[3]));
  assert.deepEqual(nodeColor("cluster", 1, 1, 3, d, ranges), hexToRgb(PALETTE[1]));
  assert.deepEqual(nodeColor("cluster", 1, 1, 2, d, ranges), hexToRgb(MISSING));
  assert.deepEqual(nodeColor("intrastep_entropy", 1, 0, 0, d, ranges), hexToRgb(VIRIDIS[lutIndex(0.5)]));
  assert.deepEqual(nodeColor("intrastep_entropy", 2, 1, 0, d, ranges), hexToRgb(MISSING));
  assert.deepEqual(nodeColor("class", 0, 0, 0, d, ranges), hexToRgb(MISSING));
});
