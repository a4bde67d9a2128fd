// The live view's bar: a "Follow latest epoch" toggle and the kernel's status line. The data of a
// live explorer grows while the network trains; index.js redraws it on each `_revision`.
import { h } from "./ui.js";

export class LiveBar {
  constructor(root, model, signal) {
    this.model = model;
    this.el = h("div", { className: "mmphate-toolbar mmphate-live" });
    this.follow = h("input", {
      type: "checkbox",
      "aria-label": "Follow latest epoch",
      "data-lm-suppress-shortcuts": "true",
    });
    const label = h("label", { className: "mmphate-group" });
    label.append(this.follow, h("span", {}, "Follow latest epoch"));
    this.status = h("span", { className: "mmphate-live-status", role: "status", "aria-live": "polite" });
    this.el.append(label, this.status);
    root.appendChild(this.el);
    this.root = root;
    this.follow.addEventListener(
      "change",
      () => {
        const on = this.follow.checked;
        model.set("follow_latest", on);
        if (on) {
          // jump at once (the kernel may be busy training and answer only later)
          const epochs = (model.get("_labels") || {}).epochs || [];
          if (epochs.length) model.set("epoch", Number(epochs[epochs.length - 1]));
        }
        model.save_changes();
        this.sync();
      },
      { signal },
    );
    this.sync();
  }

  /** Show the model's toggle and status. */
  sync() {
    const follow = this.model.get("follow_latest") !== false;
    this.follow.checked = follow;
    this.root.dataset.follow = follow ? "true" : "false";
    this.status.textContent = String(this.model.get("live_status") || "");
  }
}

/** Placeholder drawn by a live view before its first epoch arrives. */
export function waitingStage(root, height, text) {
  const stage = h("div", { className: "mmphate-stage mmphate-waiting", role: "status" }, text);
  stage.style.height = `${height}px`;
  root.appendChild(stage);
  return stage;
}
