// Draws the widgets of a notebook page from the widget state saved in the notebook, offline.
//
// myst-nb writes each widget output as <script type="application/vnd.jupyter.widget-view+json">
// (a model id) and the notebook's saved widget state as one
// <script type="application/vnd.jupyter.widget-state+json">.  Instead of ipywidgets' HTML manager
// (which loads require.js and every widget module from a CDN), this script mounts anywidget
// models (the mmphate explorer) with the ES module saved in their own state (`_esm`, three.js
// included) through a small model shim, the same way the standalone HTML export does, and shows
// the few core widgets the notebooks use (tqdm's progress bars: HBox, HTML, FloatProgress) as
// static elements.  There is no kernel: the explorer is fully interactive, but nothing goes back
// to Python.

const STATE_TYPE = "application/vnd.jupyter.widget-state+json";
const VIEW_TYPE = "application/vnd.jupyter.widget-view+json";

function dataView(b64) {
  const bin = atob(b64 || "");
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return new DataView(out.buffer);
}

class Model {
  constructor(state) {
    this.state = state;
    this.listeners = new Map();
  }
  get(name) {
    return this.state[name];
  }
  set(name, value) {
    const old = this.state[name];
    this.state[name] = value;
    if (old !== value) for (const cb of this.listeners.get("change:" + name) || []) cb();
  }
  on(name, cb) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(cb);
  }
  off(name, cb) {
    if (this.listeners.has(name)) this.listeners.get(name).delete(cb);
  }
  save_changes() {}
  send() {}
}

const modules = new Map();

function importSource(source) {
  if (!modules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(
      source,
      import(url).finally(() => URL.revokeObjectURL(url)),
    );
  }
  return modules.get(source);
}

function modelState(entry) {
  const state = { ...entry.state };
  for (const buffer of entry.buffers || []) {
    if (buffer.path.length === 1) state[buffer.path[0]] = dataView(buffer.data);
  }
  return state;
}

async function mountAnywidget(entry, el) {
  const state = modelState(entry);
  const mod = await importSource(state._esm);
  let widget = mod.default ?? mod;
  if (typeof widget === "function") widget = await widget();
  const model = new Model(state);
  if (typeof widget.initialize === "function") await widget.initialize({ model });
  const render = widget.render ?? mod.render;
  await render({ model, el });
}

function mountCore(entry, el, models) {
  const s = entry.state || {};
  const ref = (v) => (typeof v === "string" && v.startsWith("IPY_MODEL_") ? v.slice(10) : null);
  switch (entry.model_name) {
    case "HBoxModel":
    case "VBoxModel": {
      el.classList.add(entry.model_name === "HBoxModel" ? "mmphate-nb-hbox" : "mmphate-nb-vbox");
      for (const child of s.children || []) {
        const id = ref(child);
        if (id && models[id]) {
          const box = document.createElement("div");
          el.appendChild(box);
          mountCore(models[id], box, models);
        }
      }
      return true;
    }
    case "HTMLModel":
    case "LabelModel": {
      // shown as text: the value is the notebook's own output, but never interpreted as HTML here
      const doc = new DOMParser().parseFromString(String(s.value || ""), "text/html");
      el.textContent = doc.body.textContent;
      return true;
    }
    case "FloatProgressModel":
    case "IntProgressModel": {
      const bar = document.createElement("progress");
      bar.max = Number(s.max) - Number(s.min || 0) || 1;
      bar.value = Number(s.value) - Number(s.min || 0);
      el.appendChild(bar);
      return true;
    }
    default:
      return false;
  }
}

async function main() {
  const stateEl = document.querySelector(`script[type="${STATE_TYPE}"]`);
  const models = stateEl ? JSON.parse(stateEl.textContent).state || {} : {};
  for (const viewEl of document.querySelectorAll(`script[type="${VIEW_TYPE}"]`)) {
    const host = document.createElement("div");
    host.className = "mmphate-nb-widget";
    viewEl.after(host);
    let entry = null;
    try {
      entry = models[JSON.parse(viewEl.textContent).model_id];
    } catch (err) {
      entry = null;
    }
    try {
      if (entry && entry.model_module === "anywidget" && typeof entry.state?._esm === "string") {
        await mountAnywidget(entry, host);
        continue;
      }
      if (entry && mountCore(entry, host, models)) continue;
    } catch (err) {
      console.error("mmphate docs: a widget could not be drawn", err);
    }
    host.classList.add("mmphate-nb-missing");
    host.textContent = "(an interactive widget: open the notebook in Jupyter to use it)";
  }
}

main();
