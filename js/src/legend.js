// The legend over the canvas: a colour bar (continuous modes) or swatches (units, clusters,
// classes). In unit mode a search box finds units by id; hovering an entry highlights its points
// and clicking it selects the unit. All text goes in with textContent.
import { MISSING, MODE_LABELS, categoricalHex, gradientCss } from "./colors.js";
import { formatValue } from "./chart-scale.js";

/** Units (positions) whose id contains the query (case-insensitive); exact matches first. */
export function findUnits(units, query) {
  const q = String(query || "").trim().toLowerCase();
  const all = units.map((_, i) => i);
  if (!q) return all;
  const exact = [];
  const partial = [];
  units.forEach((id, i) => {
    const s = String(id).toLowerCase();
    if (s === q) exact.push(i);
    else if (s.includes(q)) partial.push(i);
  });
  return [...exact, ...partial];
}

/**
 * What the legend shows for a colour mode: {kind: "bar", title, lo, hi} or
 * {kind: "swatches", title, items: [{color, label, hover}], more}.
 * For units: the units matching `query`, or for figures (`figure: true`) the selected units
 * (else the first ones); at most `limit` entries.
 */
export function legendSpec(mode, d, ranges, { query = "", selectedUnits = [], figure = false, limit = 200 } = {}) {
  if (mode === "epoch") return { kind: "bar", title: "epoch", lo: d.epochs[0], hi: d.epochs[d.E - 1] };
  if (mode === "timestep") return { kind: "bar", title: "timestep", lo: d.timesteps[0], hi: d.timesteps[d.T - 1] };
  if (mode === "intrastep_entropy" || mode === "interstep_entropy") {
    const [lo, hi] = ranges[mode];
    return { kind: "bar", title: `${MODE_LABELS[mode]} (bits)`, lo, hi };
  }
  let entries;
  let title;
  if (mode === "unit") {
    title = "unit";
    let order = findUnits(d.units, query);
    if (figure && selectedUnits.length) order = selectedUnits.slice();
    entries = order.map((u) => ({ color: categoricalHex(u), label: d.units[u], hover: { kind: "unit", value: u } }));
  } else if (mode === "cluster") {
    title = "unit cluster";
    const ids = d.clusters ? Array.from(new Set(d.clusters)).sort((a, b) => a - b) : [];
    entries = ids.map((k) => ({
      color: k < 0 ? MISSING : categoricalHex(k),
      label: k < 0 ? "unassigned" : d.clusterNames[k] ?? `cluster ${k}`,
      hover: { kind: "cluster", value: k },
    }));
  } else {
    title = "sample class (strongest mean activation)";
    entries = d.classNames.map((name, k) => ({ color: categoricalHex(k), label: name, hover: { kind: "class", value: k } }));
  }
  const shown = entries.slice(0, limit);
  return { kind: "swatches", title, items: shown, more: entries.length - shown.length };
}

function h(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "className") node.className = v;
    else node.setAttribute(k, v);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

export class Legend {
  /** onHover({kind, value} | null), onPick({kind, value}, event) */
  constructor(container, { onHover, onPick }) {
    this.onHover = onHover;
    this.onPick = onPick;
    this.el = h("div", { className: "mmphate-legend", "aria-label": "Legend", role: "region" });
    this.search = h("input", {
      type: "search",
      "aria-label": "Find unit",
      placeholder: "find unit id",
      className: "mmphate-legend-search",
      "data-lm-suppress-shortcuts": "true",
    });
    this.search.addEventListener("input", () => this.refresh());
    this.search.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Enter" && this.spec && this.spec.items.length) {
        ev.preventDefault();
        this.onPick(this.spec.items[0].hover, ev);
      }
    });
    this.list = h("div", { className: "mmphate-legend-items", role: "list" });
    this.el.addEventListener("pointerdown", (ev) => ev.stopPropagation());
    this.el.addEventListener("wheel", (ev) => ev.stopPropagation(), { passive: true });
    container.appendChild(this.el);
    this.args = null;
  }

  update(mode, data, ranges) {
    this.args = { mode, data, ranges };
    this.refresh();
  }

  refresh() {
    if (!this.args) return;
    const { mode, data, ranges } = this.args;
    const spec = legendSpec(mode, data, ranges, { query: this.search.value });
    this.spec = spec;
    const title = h("div", { className: "mmphate-legend-title" }, spec.title);
    if (spec.kind === "bar") {
      const bar = h("div", { className: "mmphate-colorbar" });
      bar.style.background = gradientCss();
      const ticks = h("div", { className: "mmphate-colorbar-ticks" });
      const fmt = (v) => (Number.isInteger(v) ? String(v) : formatValue(v));
      ticks.append(h("span", {}, fmt(spec.lo)), h("span", {}, fmt(spec.hi)));
      this.el.replaceChildren(title, bar, ticks);
      this.el.dataset.kind = "bar";
      return;
    }
    this.el.dataset.kind = "swatches";
    const items = spec.items.map((it) => {
      const item = h("div", {
        className: "mmphate-legend-item",
        role: "listitem",
        tabindex: "0",
        "data-lm-suppress-shortcuts": "true",
      });
      item.dataset.kind = it.hover.kind;
      item.dataset.value = String(it.hover.value);
      item.dataset.label = it.label;
      const sw = h("span", { className: "mmphate-swatch" });
      sw.style.background = it.color;
      item.append(sw, h("span", {}, it.label));
      const enter = () => this.onHover(it.hover);
      const leave = () => this.onHover(null);
      item.addEventListener("pointerenter", enter);
      item.addEventListener("pointerleave", leave);
      item.addEventListener("focus", enter);
      item.addEventListener("blur", leave);
      item.addEventListener("click", (ev) => this.onPick(it.hover, ev));
      item.addEventListener("keydown", (ev) => {
        if (ev.key === "Enter" || ev.key === " ") {
          ev.preventDefault();
          ev.stopPropagation();
          this.onPick(it.hover, ev);
        }
      });
      return item;
    });
    this.list.replaceChildren(...items);
    const parts = [title];
    if (mode === "unit") parts.push(this.search);
    parts.push(this.list);
    if (spec.more > 0) parts.push(h("div", { className: "mmphate-legend-more" }, `+ ${spec.more} more`));
    if (mode === "unit" && !spec.items.length) parts.push(h("div", { className: "mmphate-legend-more" }, "no unit matches"));
    const hadFocus = document.activeElement === this.search;
    this.el.replaceChildren(...parts);
    if (hadFocus) this.search.focus();
  }

  dispose() {
    this.el.remove();
  }
}
