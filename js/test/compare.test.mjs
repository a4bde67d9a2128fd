import { test } from "node:test";
import assert from "node:assert/strict";
import { applyCameraState, atOrBefore, cameraState, mergeSelection, panelIndex } from "../src/compare-logic.js";

test("a panel shows its nearest earlier epoch, or its first when it has none", () => {
  const epochs = [5, 10, 20];
  assert.equal(atOrBefore(epochs, 10), 1);
  assert.equal(atOrBefore(epochs, 15), 1);
  assert.equal(atOrBefore(epochs, 99), 2);
  assert.equal(atOrBefore(epochs, 4), -1);
  assert.deepEqual(panelIndex(epochs, 15), { index: 1, label: 10, has: true, exact: false });
  assert.deepEqual(panelIndex(epochs, 20), { index: 2, label: 20, has: true, exact: true });
  assert.deepEqual(panelIndex(epochs, 1), { index: 0, label: 5, has: false, exact: false });
});

test("a panel's selection replaces its own ids and keeps ids only other panels have", () => {
  const order = ["0", "1", "2", "g1", "g2"];
  const panelA = ["0", "1", "2"];
  // B had selected g1 and 1; A now selects 0 and 2 (and so deselects 1, which A has)
  assert.deepEqual(mergeSelection(["1", "g1"], ["2", "0"], panelA, order), ["0", "2", "g1"]);
  // clearing in A keeps B's own ids
  assert.deepEqual(mergeSelection(["0", "g2"], [], panelA, order), ["g2"]);
});

test("camera state carries direction, distance in radii and pan between differently scaled data", () => {
  const frameA = { center: [0, 0, 0], radius: 1 };
  const frameB = { center: [10, 0, 0], radius: 4 };
  const cam = { position: [0, 0, 3], target: [0.5, 0, 0], up: [0, 1, 0], zoom: 2 };
  const s = cameraState(cam, frameA);
  assert.ok(Math.abs(Math.hypot(...s.dir) - 1) < 1e-12);
  const b = applyCameraState(s, frameB);
  // target moved by pan * radius from B's centre; the camera at the same direction, 4x distance
  assert.deepEqual(b.target, [12, 0, 0]);
  const off = b.position.map((v, k) => v - b.target[k]);
  const offA = cam.position.map((v, k) => v - cam.target[k]);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(off[k] - 4 * offA[k]) < 1e-9);
  assert.equal(b.zoom, 2);
  assert.deepEqual(b.up, [0, 1, 0]);
  // round trip in the same frame is the identity
  const back = applyCameraState(cameraState(cam, frameA), frameA);
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(back.position[k] - cam.position[k]) < 1e-12);
});
