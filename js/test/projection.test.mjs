import { test } from "node:test";
import assert from "node:assert/strict";
import { boundsOf, nearestIn, projectPoints } from "../src/projection.js";

// column-major orthographic matrix mapping x, y in [-1, 1] to the canvas, z ignored
const ORTHO = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

test("projection to CSS pixels, y down; hidden slices and points behind the camera are NaN", () => {
  const positions = Float32Array.from([-1, 1, 0, 1, -1, 0, 0, 0, 0, 0.5, 0.5, 0]);
  const out = new Float32Array(8);
  projectPoints(positions, 0, 4, ORTHO, 200, 100, out);
  assert.deepEqual([...out], [0, 0, 200, 100, 100, 50, 150, 25]);
  // slices of U = 2 nodes: the second slice hidden
  projectPoints(positions, 0, 4, ORTHO, 200, 100, out, { visible: [1, 0], U: 2 });
  assert.deepEqual([...out.slice(0, 4)], [0, 0, 200, 100]);
  assert.ok(out.slice(4).every(Number.isNaN));
  // w <= 0: behind a perspective camera
  const behind = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, -1, 0, 0, 0, 0];
  const one = new Float32Array(2);
  projectPoints(Float32Array.from([0, 0, 1]), 0, 1, behind, 10, 10, one);
  assert.ok(Number.isNaN(one[0]));
  // an offset start projects a later range into the front of out
  const tail = new Float32Array(2);
  projectPoints(positions, 3, 1, ORTHO, 200, 100, tail);
  assert.deepEqual([...tail], [150, 25]);
});

test("nearest point within a radius, NaN skipped; bounds of the drawn points", () => {
  const pr = Float32Array.from([10, 10, NaN, NaN, 14, 10, 100, 100]);
  assert.equal(nearestIn(pr, 13, 10, 5), 2);
  assert.equal(nearestIn(pr, 11, 10, 5), 0);
  assert.equal(nearestIn(pr, 50, 50, 5), -1);
  assert.deepEqual(boundsOf(pr, 300, 200), [10, 10, 100, 100]);
  assert.deepEqual(boundsOf(Float32Array.from([NaN, NaN]), 300, 200), [0, 0, 300, 200]);
});
