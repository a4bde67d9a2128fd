// Screen-space selection: box and lasso tests against projected points, and how a new hit set
// combines with the previous selection. Pure functions except the SVG overlay class.

export function pointInPolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A predicate (x, y) -> bool for a box or lasso shape (screen coordinates). */
export function shapeTest(shape) {
  if (shape.kind === "box") {
    const x0 = Math.min(shape.x0, shape.x1);
    const x1 = Math.max(shape.x0, shape.x1);
    const y0 = Math.min(shape.y0, shape.y1);
    const y1 = Math.max(shape.y0, shape.y1);
    return (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
  }
  const poly = shape.points || [];
  if (poly.length < 3) return () => false;
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (const [x, y] of poly) {
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1 && pointInPolygon(x, y, poly);
}

/**
 * Indices i (into `projected`, 2 floats per point; NaN = not drawn) whose point lies inside the
 * shape, for which `keep(i)` holds. Returns a Uint32Array in increasing order.
 */
export function pointsInShape(projected, shape, keep = () => true) {
  const inside = shapeTest(shape);
  const n = projected.length / 2;
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = projected[2 * i];
    const y = projected[2 * i + 1];
    if (x === x && inside(x, y) && keep(i)) out.push(i);
  }
  return Uint32Array.from(out);
}

/** Units (i % U) having at least one projected point inside the shape (and kept). */
export function unitsInShape(projected, U, shape, keep = () => true) {
  const hit = new Set();
  for (const i of pointsInShape(projected, shape, keep)) hit.add(i % U);
  return hit;
}

/** Combine a previous selection (Set) with new hits: replace, add (shift) or subtract (alt). */
export function combine(previous, hits, op) {
  if (op === "add") return new Set([...previous, ...hits]);
  if (op === "subtract") {
    const out = new Set(previous);
    for (const h of hits) out.delete(h);
    return out;
  }
  return new Set(hits);
}

/** The same for a point selection held as a 0/1 mask (Uint8Array); returns a new mask. */
export function combineMask(mask, hits, op) {
  const out = op === "replace" ? new Uint8Array(mask.length) : Uint8Array.from(mask);
  const v = op === "subtract" ? 0 : 1;
  for (const i of hits) out[i] = v;
  return out;
}

/** Sorted indices of the set entries of a mask. */
export function maskToIndices(mask) {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  const out = new Uint32Array(n);
  for (let i = 0, k = 0; i < mask.length; i++) if (mask[i]) out[k++] = i;
  return out;
}

/** A mask of length n from indices (out-of-range indices are ignored). */
export function indicesToMask(indices, n) {
  const mask = new Uint8Array(n);
  for (const i of indices) if (i >= 0 && i < n) mask[i] = 1;
  return mask;
}

export function modifierOp(event) {
  if (event.altKey) return "subtract";
  if (event.shiftKey) return "add";
  return "replace";
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG overlay drawing the box / lasso outline while dragging. */
export class SelectionOverlay {
  constructor(container) {
    this.svg = document.createElementNS(SVG_NS, "svg");
    this.svg.setAttribute("class", "mmphate-selection-overlay");
    this.svg.setAttribute("aria-hidden", "true");
    this.shape = document.createElementNS(SVG_NS, "polygon");
    this.svg.appendChild(this.shape);
    container.appendChild(this.svg);
    this.clear();
  }

  drawBox(x0, y0, x1, y1) {
    this.drawPolygon([
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ]);
  }

  drawPolygon(points) {
    this.shape.setAttribute("points", points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" "));
    this.svg.style.display = "block";
  }

  clear() {
    this.shape.setAttribute("points", "");
    this.svg.style.display = "none";
  }

  dispose() {
    this.svg.remove();
  }
}
