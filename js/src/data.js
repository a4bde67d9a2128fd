// Decoding of the widget's data traits into typed arrays (binary buffers arrive as DataView).

export function toTyped(value, Ctor) {
  if (value == null) return new Ctor(0);
  let buffer;
  let offset;
  let length;
  if (value instanceof ArrayBuffer) {
    buffer = value;
    offset = 0;
    length = value.byteLength;
  } else if (ArrayBuffer.isView(value)) {
    buffer = value.buffer;
    offset = value.byteOffset;
    length = value.byteLength;
  } else {
    throw new Error(`expected a binary buffer, got ${typeof value}`);
  }
  const n = Math.floor(length / Ctor.BYTES_PER_ELEMENT);
  if (offset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buffer, offset, n);
  return new Ctor(buffer.slice(offset, offset + n * Ctor.BYTES_PER_ELEMENT));
}

/** Read every data trait of the model; throws with a readable message on inconsistency. */
export function decode(model) {
  const shape = model.get("_shape") || [];
  if (shape.length !== 3) throw new Error("the widget has no data (missing _shape)");
  const [E, T, U] = shape.map(Number);
  const N = E * T * U;
  const nc = Number(model.get("_n_components"));
  const raw = toTyped(model.get("_positions"), Float32Array);
  if (raw.length !== N * nc) {
    throw new Error(`positions hold ${raw.length} values; expected ${N} x ${nc}`);
  }
  let positions;
  if (nc === 3) {
    positions = raw;
  } else {
    positions = new Float32Array(N * 3);
    for (let i = 0; i < N; i++) {
      positions[3 * i] = raw[nc * i];
      positions[3 * i + 1] = nc > 1 ? raw[nc * i + 1] : 0;
    }
  }
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < 3; k++) {
      const v = positions[3 * i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  if (N === 0) {
    min.fill(-1);
    max.fill(1);
  }
  const nodeClass = toTyped(model.get("_node_class"), Uint8Array);
  const clusters = toTyped(model.get("_clusters"), Int32Array);
  const intrastep = toTyped(model.get("_intrastep"), Float32Array);
  const interstep = toTyped(model.get("_interstep"), Float32Array);
  const labels = model.get("_labels") || {};
  const metrics = model.get("_metrics") || { epochs: [], series: [] };
  return {
    E,
    T,
    U,
    N,
    nComponents: nc,
    positions,
    bbox: { min, max },
    nodeClass: nodeClass.length === N ? nodeClass : null,
    clusters: clusters.length === U ? clusters : null,
    intrastep: intrastep.length === E * T ? intrastep : null,
    interstep: interstep.length === E * U ? interstep : null,
    epochs: (labels.epochs || []).map(Number),
    timesteps: (labels.timesteps || []).map(Number),
    units: (labels.units || []).map(String),
    classNames: (labels.class_names || []).map(String),
    clusterNames: (labels.cluster_names || []).map(String),
    layer: labels.layer == null ? "" : String(labels.layer),
    metrics,
  };
}

export function finiteRange(arr) {
  let lo = Infinity;
  let hi = -Infinity;
  if (arr) {
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  if (!Number.isFinite(lo)) return [0, 1];
  if (hi === lo) return [lo, lo + 1e-6];
  return [lo, hi];
}

/** Node index decomposition (slice-major: node = (e*T + t)*U + u). */
export function nodeIndex(d, e, t, u) {
  return (e * d.T + t) * d.U + u;
}
