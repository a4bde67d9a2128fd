import { test } from "node:test";
import assert from "node:assert/strict";
import { LEGEND_W, PAD, TITLE_H, cropBox, figureLayout, fitLegend } from "../src/figure.js";
import { findUnits, legendSpec } from "../src/legend.js";
import { PALETTE } from "../src/colors.js";

test("the figure crops to the drawn points with a margin", () => {
  assert.deepEqual(cropBox([300, 100, 500, 260], 1000, 480), { x: 284, y: 84, w: 232, h: 192 });
  assert.deepEqual(cropBox([-50, -20, 2000, 900], 1000, 480), { x: 0, y: 0, w: 1000, h: 480 });
  // a single point would give a 32 px crop: too small, the whole canvas is kept
  assert.deepEqual(cropBox([500, 200, 500, 200], 1000, 480), { x: 0, y: 0, w: 1000, h: 480 });
});

test("layout: title above, legend to the right, plot at its own size", () => {
  const lay = figureLayout({ plotW: 400, plotH: 300, title: "t", legend: { kind: "bar" } });
  assert.deepEqual(lay.plot, { x: PAD, y: PAD + TITLE_H, w: 400, h: 300 });
  assert.equal(lay.width, PAD + 400 + PAD + LEGEND_W + PAD);
  assert.equal(lay.height, PAD + TITLE_H + 300 + PAD);
  assert.equal(lay.legend.x, PAD + 400 + PAD);
  const bare = figureLayout({ plotW: 400, plotH: 300, title: "", legend: null });
  assert.equal(bare.width, 400 + 2 * PAD);
  assert.equal(bare.title, null);
  const many = { kind: "swatches", items: new Array(100).fill({ color: "#000", label: "x" }), more: 0 };
  const fitted = fitLegend(many, 300);
  assert.ok(fitted.items.length < 20 && fitted.more === 100 - fitted.items.length);
});

test("legend search finds units by id, exact match first", () => {
  const units = ["0", "1", "2", "10", "11", "21", "x1"];
  assert.deepEqual(findUnits(units, "1").map((i) => units[i]), ["1", "10", "11", "21", "x1"]);
  assert.deepEqual(findUnits(units, " 10 ").map((i) => units[i]), ["10"]);
  assert.deepEqual(findUnits(units, "").length, units.length);
  assert.deepEqual(findUnits(units, "zz"), []);
});

test("legend specs: bars for continuous modes, swatches with hover targets", () => {
  const d = {
    E: 3, T: 2, U: 3, epochs: [1, 5, 10], timesteps: [0, 1], units: ["a", "b", "c"],
    clusters: Int32Array.from([1, -1, 1]), clusterNames: [], classNames: ["up", "down"],
  };
  const ranges = { intrastep_entropy: [0.5, 2.5] };
  assert.deepEqual(legendSpec("epoch", d, ranges), { kind: "bar", title: "epoch", lo: 1, hi: 10 });
  assert.deepEqual(legendSpec("intrastep_entropy", d, ranges).title, "intra-step entropy (bits)");
  const units = legendSpec("unit", d, ranges, { query: "b" });
  assert.deepEqual(units.items, [{ color: PALETTE[1], label: "b", hover: { kind: "unit", value: 1 } }]);
  const fig = legendSpec("unit", d, ranges, { figure: true, selectedUnits: [2, 0] });
  assert.deepEqual(fig.items.map((i) => i.label), ["c", "a"]);
  const cl = legendSpec("cluster", d, ranges);
  assert.deepEqual(cl.items.map((i) => i.label), ["unassigned", "cluster 1"]);
  assert.deepEqual(legendSpec("unit", d, ranges, { limit: 2 }).more, 1);
});
