// Pointer handling of the canvas: selection drags (classified by gesture.js when they end) and
// the hover tooltip. The pointer is captured, so a drag that leaves the canvas keeps reporting and
// ends where it is released; a release the page never saw (outside the window) ends the drag at
// the next move. Python writes during a drag do not touch it: the gesture combines with the
// selection as it is when the drag ends.
import { appendPoint, classifyGesture } from "./gesture.js";
import { modifierOp } from "./selection.js";

/**
 * Wire the canvas. `tool()` is the active tool ("orbit" drags move the camera instead);
 * `onGesture(gesture, op)` receives the classified gesture and the modifier operation;
 * `onHover(x, y)` is called at most once per frame while the pointer moves without a button.
 */
export function attachPointer({ canvas, root, overlay, tooltip, signal, tool, onGesture, onHover }) {
  const opts = { signal };
  let drag = null;
  let hoverAt = null;
  let hoverReq = 0;
  signal.addEventListener("abort", () => hoverReq && cancelAnimationFrame(hoverReq));
  const local = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  const cancel = () => {
    drag = null;
    overlay.clear();
    delete root.dataset.dragging;
  };
  const finish = (ev) => {
    if (!drag) return;
    const d = drag;
    cancel();
    if (ev && Number.isFinite(ev.clientX)) {
      const [x, y] = local(ev);
      const last = d.points[d.points.length - 1];
      if (x !== last[0] || y !== last[1]) d.points.push([x, y]);
    }
    const g = classifyGesture(tool(), d.points);
    root.dataset.lastGesture = g.kind;
    onGesture(g, d.op);
  };
  canvas.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    tooltip.hide();
    if (tool() === "orbit") return;
    const [x, y] = local(ev);
    drag = { points: [[x, y]], op: modifierOp(ev) };
    root.dataset.dragging = "true";
    try {
      canvas.setPointerCapture(ev.pointerId);
    } catch {
      // synthetic events without an active pointer: the window listeners below still end it
    }
    ev.preventDefault();
  }, opts);
  const onMove = (ev) => {
    if (drag) {
      if (ev.buttons === 0 && ev.pointerType !== "touch") {
        finish(ev);
        return;
      }
      const [x, y] = local(ev);
      appendPoint(drag.points, x, y);
      const p0 = drag.points[0];
      if (tool() === "box") overlay.drawBox(p0[0], p0[1], x, y);
      else if (tool() === "lasso") overlay.drawPolygon(drag.points);
      return;
    }
    if (ev.target !== canvas || ev.buttons) return;
    hoverAt = local(ev);
    if (!hoverReq) {
      hoverReq = requestAnimationFrame(() => {
        hoverReq = 0;
        if (hoverAt && !drag) onHover(hoverAt[0], hoverAt[1]);
      });
    }
  };
  canvas.addEventListener("pointermove", onMove, opts);
  // without capture (or once it is lost) the window still sees the pointer
  window.addEventListener("pointermove", (ev) => drag && ev.target !== canvas && onMove(ev), opts);
  canvas.addEventListener("pointerup", (ev) => finish(ev), opts);
  window.addEventListener("pointerup", (ev) => drag && finish(ev), opts);
  canvas.addEventListener("pointercancel", cancel, opts);
  canvas.addEventListener("pointerleave", () => {
    hoverAt = null;
    tooltip.hide();
  }, opts);
  return { cancel, dragging: () => !!drag };
}
