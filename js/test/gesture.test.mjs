import { test } from "node:test";
import assert from "node:assert/strict";
import { CLICK_EXTENT_PX, appendPoint, classifyGesture, pathStats } from "../src/gesture.js";

const circle = (cx, cy, r, n, turns = 1) =>
  Array.from({ length: n + 1 }, (_, i) => {
    const a = (2 * Math.PI * turns * i) / n;
    return [cx + r * Math.cos(a), cy + r * Math.sin(a)];
  });

test("a closed lasso (ending on its start point) is a lasso, not a click", () => {
  const loop = circle(100, 100, 50, 40);
  assert.deepEqual(loop[0].map(Math.round), loop[loop.length - 1].map(Math.round));
  const g = classifyGesture("lasso", loop);
  assert.equal(g.kind, "lasso");
  assert.equal(g.points.length, loop.length);
});

test("an open lasso is a lasso too", () => {
  const arc = circle(100, 100, 50, 40, 0.75);
  assert.equal(classifyGesture("lasso", arc).kind, "lasso");
});

test("jitter around the press point is a click at the press point", () => {
  const jitter = [[50, 60], [52, 61], [49, 58], [53, 62], [51, 59], [54, 60], [50, 61]];
  const s = pathStats(jitter);
  assert.ok(s.length > 10, "the hand moved more than the click tolerance in total");
  assert.ok(s.extent <= CLICK_EXTENT_PX);
  for (const tool of ["lasso", "box", "click"]) {
    assert.deepEqual(classifyGesture(tool, jitter), { kind: "click", x: 50, y: 60 });
  }
});

test("a small but real drag is not a click", () => {
  const drag = [[10, 10], [14, 12], [18, 20]];
  assert.equal(classifyGesture("box", drag).kind, "box");
});

test("a box is spanned by press and release; the click tool always clicks", () => {
  const path = [[10, 20], [200, 30], [120, 90]];
  assert.deepEqual(classifyGesture("box", path), { kind: "box", x0: 10, y0: 20, x1: 120, y1: 90 });
  assert.deepEqual(classifyGesture("click", path), { kind: "click", x: 10, y: 20 });
  assert.deepEqual(classifyGesture("lasso", []), { kind: "none" });
});

test("appendPoint thins pointermove floods", () => {
  const pts = [[0, 0]];
  for (let i = 1; i <= 100; i++) appendPoint(pts, i * 0.1, 0);
  assert.ok(pts.length <= 8, `kept ${pts.length} vertices for a 10 px move`);
  assert.ok(pts.length >= 6);
});
