// Gesture classification: what a pointer press-move-release means, from the path it drew.
//
// A press whose path stays within a few pixels of where it started is a click, however long the
// hand jittered and wherever it was released; anything larger is a box (corners: press and
// release points, as the rubber band shows it) or a lasso (the whole path, closed implicitly).
// Closing a lasso exactly on its start point is therefore a lasso, not a click.

/** Largest bounding-box side (CSS pixels) of a path that still counts as a click. */
export const CLICK_EXTENT_PX = 6;
/** Minimal distance between two recorded lasso vertices (thins pointermove floods). */
export const MIN_STEP_PX = 1.5;

/** Path length, bounding box and its largest side. */
export function pathStats(points) {
  let length = 0;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < points.length; i++) {
    const [x, y] = points[i];
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
    if (i > 0) length += Math.hypot(x - points[i - 1][0], y - points[i - 1][1]);
  }
  if (!points.length) return { length: 0, extent: 0, bbox: [0, 0, 0, 0] };
  return { length, extent: Math.max(x1 - x0, y1 - y0), bbox: [x0, y0, x1, y1] };
}

/** Append (x, y) to a path unless it is closer than `minStep` to the last vertex. */
export function appendPoint(points, x, y, minStep = MIN_STEP_PX) {
  const last = points[points.length - 1];
  if (!last || Math.hypot(x - last[0], y - last[1]) >= minStep) points.push([x, y]);
  return points;
}

/**
 * What a finished gesture means for a tool ("box", "lasso" or "click").
 * Returns {kind: "click", x, y} | {kind: "box", x0, y0, x1, y1} | {kind: "lasso", points}.
 * `points` is the whole path, press first, release last.
 */
export function classifyGesture(tool, points, { clickExtent = CLICK_EXTENT_PX } = {}) {
  if (!points.length) return { kind: "none" };
  const [px, py] = points[0];
  const stats = pathStats(points);
  if (tool === "click" || stats.extent <= clickExtent) return { kind: "click", x: px, y: py };
  const [qx, qy] = points[points.length - 1];
  if (tool === "box") return { kind: "box", x0: px, y0: py, x1: qx, y1: qy };
  return { kind: "lasso", points: points.slice() };
}
