import { test } from "node:test";
import assert from "node:assert/strict";
import { CHUNK, ChunkAssembler, progressText } from "../src/chunks.js";

const msg = (name, offset, id = "t1") => ({ type: CHUNK, id, name, offset });

test("chunks reassemble in any order, duplicates ignored", () => {
  const pos = Uint8Array.from({ length: 10 }, (_, i) => i + 1);
  const cls = Uint8Array.from([7, 8, 9]);
  const a = new ChunkAssembler({ id: "t1", arrays: { _positions: 10, _node_class: 3 } });
  assert.equal(a.total, 13);
  assert.equal(a.complete, false);
  assert.equal(a.add(msg("_positions", 8), new DataView(pos.buffer, 8, 2)), true);
  assert.equal(a.add(msg("_positions", 8), new DataView(pos.buffer, 8, 2)), false, "duplicate");
  assert.equal(a.add(msg("_positions", 0, "other"), pos.subarray(0, 4)), false, "another transfer");
  assert.equal(a.add({ type: "x", id: "t1", name: "_positions", offset: 0 }, pos), false);
  assert.equal(a.add(msg("_unknown", 0), pos), false);
  assert.ok(Math.abs(a.fraction - 2 / 13) < 1e-12);
  a.add(msg("_node_class", 0), cls.buffer);
  a.add(msg("_positions", 0), pos.subarray(0, 4));
  assert.equal(a.complete, false);
  assert.throws(() => a.result(), /not complete/);
  a.add(msg("_positions", 4), pos.subarray(4, 8));
  assert.equal(a.complete, true);
  assert.equal(a.fraction, 1);
  const out = a.result();
  assert.deepEqual([...new Uint8Array(out._positions.buffer, out._positions.byteOffset, 10)], [...pos]);
  assert.deepEqual([...new Uint8Array(out._node_class.buffer, out._node_class.byteOffset, 3)], [7, 8, 9]);
});

test("a chunk past the end of its array is an error", () => {
  const a = new ChunkAssembler({ id: "t1", arrays: { _positions: 4 } });
  assert.throws(() => a.add(msg("_positions", 2), new Uint8Array(4)), /exceeds/);
  assert.throws(() => a.add(msg("_positions", 0), "not bytes"), /binary buffer/);
});

test("an empty manifest is complete; progress text", () => {
  assert.equal(new ChunkAssembler({ id: "x", arrays: {} }).complete, true);
  assert.equal(progressText(12_600_000, 26_000_000), "12.6 / 26.0 MB");
});
