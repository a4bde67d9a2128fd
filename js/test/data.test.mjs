import { test } from "node:test";
import assert from "node:assert/strict";
import { decode, pointIndices, sliceVisibility, toTyped } from "../src/data.js";

const model = (state) => ({ get: (k) => state[k] });

test("decode reads binary traits, or the chunked arrays that replace them", () => {
  const pos = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const state = {
    _shape: [1, 2, 2],
    _n_components: 2,
    _positions: new DataView(new ArrayBuffer(0)),
    _labels: { epochs: [3], timesteps: [0, 1], units: ["a", "b"] },
  };
  assert.throws(() => decode(model(state)), /positions hold 0 values/);
  const d = decode(model(state), { _positions: new DataView(pos.buffer) });
  assert.equal(d.N, 4);
  assert.deepEqual([...d.positions.slice(0, 6)], [0, 1, 0, 2, 3, 0]);
  assert.deepEqual(d.bbox, { min: [0, 1, 0], max: [6, 7, 0] });
  assert.equal(d.clusters, null);
});

test("selected_points decode from uint32 bytes or plain lists", () => {
  const idx = Uint32Array.from([3, 70000, 5]);
  assert.deepEqual([...pointIndices(new DataView(idx.buffer))], [3, 70000, 5]);
  assert.deepEqual([...pointIndices([1, 2])], [1, 2]);
  assert.deepEqual([...pointIndices(null)], []);
  // a view at an unaligned offset is copied
  const bytes = new Uint8Array(9);
  bytes.set(new Uint8Array(Uint32Array.from([7, 8]).buffer), 1);
  assert.deepEqual([...toTyped(new DataView(bytes.buffer, 1, 8), Uint32Array)], [7, 8]);
});

test("filters select slices by epoch number and timestep label (inclusive)", () => {
  const d = { E: 3, T: 3, epochs: [1, 5, 10], timesteps: [10, 20, 30] };
  assert.deepEqual([...sliceVisibility(d, [5, 10], [20, 30])], [0, 0, 0, 0, 1, 1, 0, 1, 1]);
  assert.deepEqual([...sliceVisibility(d, null, null)], new Array(9).fill(1));
  assert.deepEqual([...sliceVisibility(d, [2, 4], null)], new Array(9).fill(0));
});
