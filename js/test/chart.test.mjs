import { test } from "node:test";
import assert from "node:assert/strict";
import { epochFraction, extent, formatValue, groupSeries, indexAtFraction, niceTicks, panelKey } from "../src/chart-scale.js";

test("loss, accuracy and entropy go to separate panels, in that order", () => {
  const series = [
    { name: "intra-step entropy (mean)", values: [1] },
    { name: "val_accuracy", values: [0.5] },
    { name: "train_loss", values: [2] },
    { name: "val_loss", values: [3] },
    { name: "lr", values: [0.1] },
  ];
  const panels = groupSeries(series);
  assert.deepEqual(panels.map((p) => p.label), ["loss", "accuracy", "entropy (bits)", "lr"]);
  assert.deepEqual(panels[0].series.map((s) => s.name), ["train_loss", "val_loss"]);
  assert.deepEqual(panels[0].series.map((s) => s.index), [2, 3], "series keep their colour index");
  assert.equal(panelKey("Accuracy"), "accuracy");
});

test("nice ticks cover the range with round steps", () => {
  assert.deepEqual(niceTicks(0, 1, 4), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0.13, 0.87, 3), [0.2, 0.4, 0.6, 0.8]);
  assert.deepEqual(niceTicks(1, 40, 4), [10, 20, 30, 40]);
  assert.deepEqual(niceTicks(5, 5), [5]);
  for (const [lo, hi] of [[0.001, 0.0042], [-3, 17], [100, 1234]]) {
    const t = niceTicks(lo, hi, 4);
    assert.ok(t.length >= 2 && t.length <= 9, `${lo}..${hi}: ${t}`);
    assert.ok(t.every((v) => v >= lo - 1e-12 && v <= hi + 1e-12));
  }
});

test("extent skips nulls and pads flat series; values format short", () => {
  assert.deepEqual(extent([[null, 2, 5], [NaN, 1]]), [1, 5]);
  assert.deepEqual(extent([[null]]), [0, 1]);
  assert.deepEqual(extent([[2, 2]]), [1.8, 2.2]);
  assert.equal(formatValue(0.70000001), "0.7");
  assert.equal(formatValue(1234.5), "1.23e+3");
  assert.equal(formatValue(null), "n/a");
  assert.equal(formatValue(123.4), "123");
  const epochs = [0, 1, 2, 3, 4];
  assert.equal(indexAtFraction(-0.2, epochs), 0);
  assert.equal(indexAtFraction(0.49, epochs), 2);
  assert.equal(indexAtFraction(3, epochs), 4);
  // uneven checkpoints: the axis is linear in epoch numbers
  assert.equal(indexAtFraction(0.3, [1, 5, 10, 40]), 2, "0.3 of 1..40 is epoch 12.7, nearest 10");
  assert.equal(epochFraction(10, [0, 5, 10, 40]), 0.25);
});
