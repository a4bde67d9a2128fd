// Screen-space projection of the point cloud (CPU side, for selection, picking and cropping).

/**
 * Project nodes [start, start + count) of `positions` (xyz per node) with the column-major 4x4
 * view-projection matrix `m` into `out` (2 floats per node, CSS pixels from the top-left of a
 * width x height canvas). Nodes behind the camera, or of a hidden slice (`visible[node / U]`
 * below 0.5), get NaN.
 */
export function projectPoints(positions, start, count, m, width, height, out, { visible = null, U = 1 } = {}) {
  const w2 = width / 2;
  const h2 = height / 2;
  for (let k = 0; k < count; k++) {
    const i = start + k;
    if (visible && visible[Math.floor(i / U)] < 0.5) {
      out[2 * k] = NaN;
      out[2 * k + 1] = NaN;
      continue;
    }
    const x = positions[3 * i];
    const y = positions[3 * i + 1];
    const z = positions[3 * i + 2];
    const w = m[3] * x + m[7] * y + m[11] * z + m[15];
    if (w <= 0) {
      out[2 * k] = NaN;
      out[2 * k + 1] = NaN;
      continue;
    }
    out[2 * k] = ((m[0] * x + m[4] * y + m[8] * z + m[12]) / w + 1) * w2;
    out[2 * k + 1] = (1 - (m[1] * x + m[5] * y + m[9] * z + m[13]) / w) * h2;
  }
  return out;
}

/** Index of the projected point nearest to (x, y) within `radius` pixels, or -1 (NaN skipped). */
export function nearestIn(pr, x, y, radius) {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0, n = pr.length / 2; i < n; i++) {
    const dx = pr[2 * i] - x;
    const dy = pr[2 * i + 1] - y;
    const dd = dx * dx + dy * dy;
    if (dd <= bestD) {
      bestD = dd;
      best = i;
    }
  }
  return best;
}

/** [x0, y0, x1, y1] of the finite projected points; the whole canvas when there are none. */
export function boundsOf(pr, width, height) {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < pr.length; i += 2) {
    const x = pr[i];
    if (x !== x) continue;
    const y = pr[i + 1];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) return [0, 0, width, height];
  return [x0, y0, x1, y1];
}
