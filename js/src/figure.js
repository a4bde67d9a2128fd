// "Save PNG": a figure composed for a paper, not the bare canvas. The plot is cropped to the
// drawn points, rendered at the chosen scale, and framed with a title, an epoch / timestep label
// and the legend (colour bar with ticks, or swatches). Text is drawn with fillText (never markup).
import { VIRIDIS } from "./colors.js";
import { formatValue, niceTicks } from "./chart-scale.js";

export const PAD = 12;
export const TITLE_H = 24;
export const LEGEND_W = 160;
export const ROW_H = 16;

/** Crop box (CSS px) around drawn points: padded, clamped to the canvas, at least 40 px a side. */
export function cropBox([x0, y0, x1, y1], width, height, pad = 16) {
  let left = Math.max(0, Math.floor(x0 - pad));
  let top = Math.max(0, Math.floor(y0 - pad));
  let right = Math.min(width, Math.ceil(x1 + pad));
  let bottom = Math.min(height, Math.ceil(y1 + pad));
  if (!(right - left >= 40)) [left, right] = [0, width];
  if (!(bottom - top >= 40)) [top, bottom] = [0, height];
  return { x: left, y: top, w: right - left, h: bottom - top };
}

/** Where title, plot and legend go (CSS px, before scaling). */
export function figureLayout({ plotW, plotH, title, legend }) {
  const titleH = title ? TITLE_H : 0;
  const legendW = legend ? LEGEND_W : 0;
  let legendH = 0;
  if (legend && legend.kind === "bar") legendH = Math.min(plotH, 200);
  else if (legend) legendH = 22 + ROW_H * (legend.items.length + (legend.more > 0 ? 1 : 0));
  const bodyH = Math.max(plotH, legendH);
  return {
    width: PAD + plotW + (legendW ? PAD + legendW : 0) + PAD,
    height: PAD + titleH + bodyH + PAD,
    title: title ? { x: PAD, y: PAD } : null,
    plot: { x: PAD, y: PAD + titleH, w: plotW, h: plotH },
    legend: legendW ? { x: PAD + plotW + PAD, y: PAD + titleH, w: legendW, h: legendH } : null,
  };
}

/** Rows of swatches that fit in `maxH`, with the count of those left out added to `more`. */
export function fitLegend(legend, maxH) {
  if (!legend || legend.kind !== "swatches") return legend;
  const rows = Math.max(1, Math.floor((maxH - 22) / ROW_H) - 1);
  if (legend.items.length <= rows) return legend;
  return { ...legend, items: legend.items.slice(0, rows), more: legend.more + legend.items.length - rows };
}

function drawLegend(ctx, legend, box, theme, font) {
  ctx.fillStyle = theme.foreground;
  ctx.font = `600 12px ${font}`;
  ctx.textBaseline = "top";
  ctx.textAlign = "left";
  ctx.fillText(legend.title, box.x, box.y, box.w);
  if (legend.kind === "bar") {
    const x = box.x;
    const y = box.y + 20;
    const w = 14;
    const hgt = Math.max(40, box.h - 28);
    for (let i = 0; i < 256; i++) {
      ctx.fillStyle = VIRIDIS[255 - i];
      ctx.fillRect(x, y + (i * hgt) / 256, w, hgt / 256 + 1);
    }
    ctx.strokeStyle = theme.border;
    ctx.strokeRect(x + 0.5, y + 0.5, w, hgt);
    const lo = Number(legend.lo);
    const hi = Number(legend.hi);
    const ticks = hi > lo ? niceTicks(lo, hi, 4) : [lo];
    ctx.font = `11px ${font}`;
    ctx.textBaseline = "middle";
    ctx.fillStyle = theme.foreground;
    for (const v of ticks) {
      const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
      const ty = y + hgt - f * hgt;
      ctx.fillRect(x + w, ty, 4, 1);
      ctx.fillText(Number.isInteger(v) ? String(v) : formatValue(v), x + w + 7, ty, box.w - w - 8);
    }
    return;
  }
  ctx.font = `11px ${font}`;
  ctx.textBaseline = "middle";
  legend.items.forEach((it, i) => {
    const y = box.y + 22 + i * ROW_H;
    ctx.fillStyle = it.color;
    ctx.fillRect(box.x, y + 2, 11, 11);
    ctx.fillStyle = theme.foreground;
    ctx.fillText(String(it.label), box.x + 16, y + 8, box.w - 16);
  });
  if (legend.more > 0) {
    ctx.fillStyle = theme.muted;
    ctx.fillText(`+ ${legend.more} more`, box.x, box.y + 22 + legend.items.length * ROW_H + 8, box.w);
  }
}

/**
 * Compose the figure into a new canvas. `scene` is the PointScene; `legend` a legendSpec;
 * `label` e.g. "epoch 30 · timestep 12"; `scale` the pixel scale (2 = twice the on-screen size).
 */
export function composeFigure({ scene, scale, title, label, legend, theme }) {
  const font = theme.font || "sans-serif";
  const crop = cropBox(scene.drawnBounds(), scene.width, scene.height);
  const fitted = fitLegend(legend, Math.max(crop.h, 200));
  const lay = figureLayout({ plotW: crop.w, plotH: crop.h, title, legend: fitted });
  const out = document.createElement("canvas");
  out.width = Math.round(lay.width * scale);
  out.height = Math.round(lay.height * scale);
  const ctx = out.getContext("2d");
  ctx.scale(scale, scale);
  ctx.fillStyle = theme.background;
  ctx.fillRect(0, 0, lay.width, lay.height);
  scene.renderScaled(scale, (canvas, ratio) => {
    ctx.drawImage(canvas, crop.x * ratio, crop.y * ratio, crop.w * ratio, crop.h * ratio, lay.plot.x, lay.plot.y, crop.w, crop.h);
  });
  if (lay.title) {
    ctx.fillStyle = theme.foreground;
    ctx.font = `600 15px ${font}`;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    ctx.fillText(title, lay.title.x, lay.title.y, lay.width - 2 * PAD);
  }
  if (label) {
    ctx.font = `12px ${font}`;
    ctx.textBaseline = "top";
    ctx.textAlign = "left";
    const w = ctx.measureText(label).width;
    ctx.globalAlpha = 0.8;
    ctx.fillStyle = theme.background;
    ctx.fillRect(lay.plot.x + 4, lay.plot.y + 4, w + 8, 18);
    ctx.globalAlpha = 1;
    ctx.fillStyle = theme.foreground;
    ctx.fillText(label, lay.plot.x + 8, lay.plot.y + 7);
  }
  if (lay.legend && fitted) drawLegend(ctx, fitted, lay.legend, theme, font);
  return { canvas: out, layout: lay, crop };
}

