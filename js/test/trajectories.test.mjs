import { test } from "node:test";
import assert from "node:assert/strict";
import { arrowSegments, parseColor, rampColor, trajectoryGeometry } from "../src/trajectories.js";
import { sliceVisibility } from "../src/data.js";

test("arrows on evenly spaced segments and always on the last", () => {
  assert.deepEqual(arrowSegments(0), []);
  assert.deepEqual(arrowSegments(1), [0]);
  assert.deepEqual(arrowSegments(4), [0, 1, 2, 3]);
  const many = arrowSegments(99);
  assert.ok(many.length <= 7 && many.includes(98));
});

test("the colour ramps from faint to the foreground along time", () => {
  const fg = [0, 0, 0];
  const bg = [1, 1, 1];
  const shades = [0, 0.25, 0.5, 0.75, 1].map((f) => rampColor(f, fg, bg)[0]);
  for (let i = 1; i < shades.length; i++) assert.ok(shades[i] < shades[i - 1]);
  assert.deepEqual(rampColor(1, fg, bg), [0, 0, 0]);
  assert.deepEqual(parseColor("#fff"), [1, 1, 1]);
  assert.deepEqual(parseColor("rgb(255, 0, 51)"), [1, 0, 0.2]);
  assert.deepEqual(parseColor("bogus", [0.5, 0.5, 0.5]), [0.5, 0.5, 0.5]);
});

test("trajectory geometry: one polyline per unit, filtered timesteps left out", () => {
  const E = 2, T = 4, U = 3;
  const positions = new Float32Array(E * T * U * 3).map((_, i) => i);
  const d = { E, T, U, positions, epochs: [1, 2], timesteps: [10, 20, 30, 40] };
  const all = trajectoryGeometry(d, 1, [0, 2], () => true, {});
  assert.equal(all.units, 2);
  assert.equal(all.linePositions.length, 2 * (T - 1) * 6);
  // the first segment of unit 2 at epoch 1 goes from node (1*4+0)*3+2 to (1*4+1)*3+2
  assert.deepEqual([...all.linePositions.slice(18, 24)], [14 * 3, 14 * 3 + 1, 14 * 3 + 2, 17 * 3, 17 * 3 + 1, 17 * 3 + 2]);
  assert.equal(all.arrowTo.length / 9, 2 * 3, "three arrows per unit (every segment of a short path)");
  const vis = sliceVisibility(d, [1, 2], [20, 40]);
  const part = trajectoryGeometry(d, 1, [0], (e, t) => vis[e * T + t] > 0, {});
  assert.equal(part.linePositions.length, 2 * 6, "segments 20->30 and 30->40 only");
});
