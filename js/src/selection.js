// Screen-space selection: box and lasso tests against projected points, click picking.

export function pointInPolygon(x, y, poly) {
  let inside = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Units (positions within the unit axis) having at least one projected point inside the shape. */
export function unitsInShape(projected, U, shape) {
  const hit = new Set();
  const n = projected.length / 2;
  if (shape.kind === "box") {
    const x0 = Math.min(shape.x0, shape.x1);
    const x1 = Math.max(shape.x0, shape.x1);
    const y0 = Math.min(shape.y0, shape.y1);
    const y1 = Math.max(shape.y0, shape.y1);
    for (let i = 0; i < n; i++) {
      const x = projected[2 * i];
      const y = projected[2 * i + 1];
      if (x >= x0 && x <= x1 && y >= y0 && y <= y1) hit.add(i % U);
    }
  } else {
    const poly = shape.points;
    if (poly.length < 3) return hit;
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
    for (let i = 0; i < n; i++) {
      const u = i % U;
      if (hit.has(u)) continue;
      const x = projected[2 * i];
      const y = projected[2 * i + 1];
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      if (pointInPolygon(x, y, poly)) hit.add(u);
    }
  }
  return hit;
}

/** Combine a previous selection with new hits: replace, add (shift) or subtract (alt). */
export function combine(previous, hits, op) {
  if (op === "add") return new Set([...previous, ...hits]);
  if (op === "subtract") {
    const out = new Set(previous);
    for (const h of hits) out.delete(h);
    return out;
  }
  return new Set(hits);
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
