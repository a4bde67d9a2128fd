// Pure logic of the linked comparison view (no DOM, no three.js): which of a panel's labels
// stands for the shared epoch / timestep, the shared selection after one panel's change, and
// the camera state carried from one panel to another.

/**
 * Index of the last label <= `value` in the sorted `labels` (the panel's nearest earlier epoch
 * or timestep), or -1 when every label is later (the panel has none at or before it).
 */
export function atOrBefore(labels, value) {
  let found = -1;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] <= value) found = i;
    else break;
  }
  return found;
}

/**
 * What a panel shows for the shared label `value`: the index it draws (its nearest earlier
 * label, or its first when it has none) and whether it has a label at or before `value`.
 */
export function panelIndex(labels, value) {
  const i = atOrBefore(labels, value);
  return { index: i < 0 ? 0 : i, label: labels[i < 0 ? 0 : i], has: i >= 0, exact: i >= 0 && labels[i] === value };
}

/**
 * The shared unit selection after one panel selected `ids`: the panel's own ids replace its
 * share, and ids the panel does not have (selected in other panels) are kept.
 * `order` gives the order of the result (the union of all panels' unit ids).
 */
export function mergeSelection(shared, ids, panelUnits, order) {
  const known = new Set(panelUnits);
  const keep = new Set(shared.filter((u) => !known.has(u)));
  for (const u of ids) keep.add(u);
  return order.filter((u) => keep.has(u));
}

const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a, s) => [a[0] * s, a[1] * s, a[2] * s];
const norm = (a) => Math.hypot(a[0], a[1], a[2]);

/**
 * A camera in a panel's own units: the direction and distance of the camera from its target
 * (distance in bounding radii), the target's offset from the data centre (in radii), up, zoom.
 * Panels have different coordinates, so they share this normalised state, not raw positions.
 */
export function cameraState({ position, target, up, zoom }, { center, radius }) {
  const r = radius > 0 ? radius : 1;
  const off = sub(position, target);
  const d = norm(off) || 1;
  return { dir: scale(off, 1 / d), dist: d / r, pan: scale(sub(target, center), 1 / r), up: [...up], zoom };
}

/** The camera (position, target, up, zoom) that puts `state` into a panel of `frame`. */
export function applyCameraState(state, { center, radius }) {
  const r = radius > 0 ? radius : 1;
  const target = add(center, scale(state.pan, r));
  const position = add(target, scale(state.dir, state.dist * r));
  return { position, target, up: [...state.up], zoom: state.zoom };
}

