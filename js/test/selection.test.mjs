import { test } from "node:test";
import assert from "node:assert/strict";
import {
  combine,
  combineMask,
  indicesToMask,
  maskToIndices,
  pointInPolygon,
  pointsInShape,
  shapeTest,
  unitsInShape,
} from "../src/selection.js";

const square = [[0, 0], [10, 0], [10, 10], [0, 10]];

test("point in polygon, concave shapes", () => {
  assert.equal(pointInPolygon(5, 5, square), true);
  assert.equal(pointInPolygon(15, 5, square), false);
  const u = [[0, 0], [30, 0], [30, 30], [20, 30], [20, 10], [10, 10], [10, 30], [0, 30]];
  assert.equal(pointInPolygon(15, 20, u), false, "inside the notch of a U is outside");
  assert.equal(pointInPolygon(5, 20, u), true);
});

test("an open lasso closes along the chord from its end to its start", () => {
  // a U drawn from top-left down, across and up: the top edge is implied
  const open = [[0, 0], [0, 10], [10, 10], [10, 0]];
  const inside = shapeTest({ kind: "lasso", points: open });
  assert.equal(inside(5, 5), true);
  assert.equal(inside(5, -1), false);
  assert.equal(shapeTest({ kind: "lasso", points: [[0, 0], [5, 5]] })(1, 1), false);
});

test("pointsInShape: exact indices, NaN (hidden) points never hit", () => {
  const pr = Float32Array.from([1, 1, 5, 5, NaN, NaN, 20, 20, 9, 9]);
  assert.deepEqual([...pointsInShape(pr, { kind: "box", x0: 10, y0: 10, x1: 0, y1: 0 })], [0, 1, 4]);
  assert.deepEqual([...pointsInShape(pr, { kind: "lasso", points: square })], [0, 1, 4]);
  assert.deepEqual([...pointsInShape(pr, { kind: "box", x0: 0, y0: 0, x1: 10, y1: 10 }, (i) => i !== 1)], [0, 4]);
});

test("unitsInShape maps points to units (i % U)", () => {
  // U = 2: points 0,2,4 are unit 0; 1,3 unit 1
  const pr = Float32Array.from([1, 1, 50, 50, 2, 2, 60, 60, 3, 3]);
  assert.deepEqual([...unitsInShape(pr, 2, { kind: "box", x0: 0, y0: 0, x1: 10, y1: 10 })], [0]);
});

test("combine: replace, add, subtract on sets and masks", () => {
  const prev = new Set([1, 2]);
  assert.deepEqual([...combine(prev, [3], "replace")], [3]);
  assert.deepEqual([...combine(prev, [3], "add")].sort(), [1, 2, 3]);
  assert.deepEqual([...combine(prev, [2, 9], "subtract")], [1]);
  const mask = indicesToMask([1, 2], 6);
  assert.deepEqual([...maskToIndices(combineMask(mask, [4], "replace"))], [4]);
  assert.deepEqual([...maskToIndices(combineMask(mask, [4], "add"))], [1, 2, 4]);
  assert.deepEqual([...maskToIndices(combineMask(mask, [2, 5], "subtract"))], [1]);
  assert.deepEqual([...maskToIndices(mask)], [1, 2], "the previous mask is not modified");
  assert.deepEqual([...maskToIndices(indicesToMask([0, 7, -1, 3], 5))], [0, 3]);
});
