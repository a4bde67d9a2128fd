// Colours of every node as the front end computes them (colors.js), for the Python tests that
// check the static figures use the same colours. Reads JSON on stdin:
// {E, T, U, clusters, intrastep, interstep, nodeClass, modes}; writes {mode: [[r, g, b], ...]}.
import { nodeColor } from "../src/colors.js";
import { finiteRange } from "../src/data.js";

const chunks = [];
for await (const c of process.stdin) chunks.push(c);
const inp = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const f32 = (a) => (a ? Float32Array.from(a.map((v) => (v === null ? NaN : v))) : null);
const d = {
  E: inp.E,
  T: inp.T,
  U: inp.U,
  clusters: inp.clusters ? Int32Array.from(inp.clusters) : null,
  intrastep: f32(inp.intrastep),
  interstep: f32(inp.interstep),
  nodeClass: inp.nodeClass ? Uint8Array.from(inp.nodeClass) : null,
};
const ranges = { intrastep_entropy: finiteRange(d.intrastep), interstep_entropy: finiteRange(d.interstep) };
const out = {};
for (const mode of inp.modes) {
  const cols = [];
  for (let e = 0; e < d.E; e++) for (let t = 0; t < d.T; t++) for (let u = 0; u < d.U; u++) cols.push(nodeColor(mode, e, t, u, d, ranges));
  out[mode] = cols;
}
process.stdout.write(JSON.stringify(out));
