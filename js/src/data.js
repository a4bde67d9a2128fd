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
  } else if (Array.isArray(value)) {
    return Ctor.from(value);
  } else {
    throw new Error(`expected a binary buffer, got ${typeof value}`);
  }
  const n = Math.floor(length / Ctor.BYTES_PER_ELEMENT);
  if (offset % Ctor.BYTES_PER_ELEMENT === 0) return new Ctor(buffer, offset, n);
  return new Ctor(buffer.slice(offset, offset + n * Ctor.BYTES_PER_ELEMENT));
}

/**
 * Read every data trait of the model; throws with a readable message on inconsistency.
 * `overrides` holds arrays that arrived in chunks instead of in their traits.
 */
export function decode(model, overrides = {}) {
  const get = (name) => (name in overrides ? overrides[name] : model.get(name));
  const shape = get("_shape") || [];
  if (shape.length !== 3) throw new Error("the widget has no data (missing _shape)");
  const [E, T, U] = shape.map(Number);
  const N = E * T * U;
  const nc = Number(get("_n_components"));
  const raw = toTyped(get("_positions"), Float32Array);
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
  const nodeClass = toTyped(get("_node_class"), Uint8Array);
  const clusters = toTyped(get("_clusters"), Int32Array);
  const intrastep = toTyped(get("_intrastep"), Float32Array);
  const interstep = toTyped(get("_interstep"), Float32Array);
  const labels = get("_labels") || {};
  const metrics = get("_metrics") || { epochs: [], series: [] };
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

/** Node indices of a `selected_points` value (binary uint32, or a plain list). */
export function pointIndices(value) {
  if (value == null) return new Uint32Array(0);
  return toTyped(value, Uint32Array);
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

/**
 * Slice visibility under the epoch and timestep filters: Uint8Array(E*T), 1 where
 * lo <= epoch <= hi and lo <= timestep <= hi (labels, not positions; null = no bound).
 */
export function sliceVisibility(d, epochRange, timeRange) {
  const inside = (v, r) => !r || ((r[0] == null || v >= r[0]) && (r[1] == null || v <= r[1]));
  const out = new Uint8Array(d.E * d.T);
  for (let e = 0; e < d.E; e++) {
    if (!inside(d.epochs[e], epochRange)) continue;
    for (let t = 0; t < d.T; t++) out[e * d.T + t] = inside(d.timesteps[t], timeRange) ? 1 : 0;
  }
  return out;
}
