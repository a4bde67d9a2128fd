"""Live view benchmark: how long each recorded epoch takes to reach the view, and how long
``recorder.record()`` blocks the training loop.

For each family, epochs are recorded one at a time with a :class:`mmphate.explorer.LiveExplorer`
subscribed to the recorder (no browser: the widget's traits are set as for a notebook).  It
reports, per family:

- ``record()`` with the live view subscribed against a second recorder on the same model with
  no view, in the same loop (the cost of the recording itself): mean and max milliseconds;
- the update latency from ``live.latency`` (snapshot taken -> new data set on the widget):
  median, 90th percentile and max seconds, and how many background refits were swapped in;
- the reference in the same run: one full ``MMPHATE.fit`` on every epoch recorded, i.e. what
  each epoch would cost a view that refits; the ratio median latency / full fit;
- the final live embedding (seed 0) against a full fit on the same epochs with seed 1 (k-NN
  overlap, k=10), beside the floor: full fits with seeds 0 and 1;
- the process's peak resident memory.

Families: ``lstm`` and ``gru`` (the demo's recording: 32 units trained on the bundled UEA
BasicMotions data, 100 timesteps, 12 trace samples; trained in the loop, so training competes
with the view for the CPU; needs torch and sktime), ``synthetic`` (benchmarks/_data.py, noise
0.2) and ``noisy`` (noise 1.0), replayed.  Every epoch adds ``--epoch-seconds`` of busy work
(one core) before it is recorded, as a slower training step would; BasicMotions alone trains
an epoch in about 0.15 s, faster than any embedding update, so at 0 the view batches epochs.

Usage::

    python benchmarks/bench_live.py [--families lstm gru synthetic noisy] [--epochs 40]
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _data import synthetic_hidden  # noqa: E402


def _model(seed: int):
    from mmphate import MMPHATE

    return MMPHATE(n_components=3, random_state=seed, verbose=0)


class _Replay:
    """Recorders fed from a precomputed (E, T, U, S) array, one epoch per record()."""

    def __init__(self, hidden: np.ndarray) -> None:
        from mmphate.record import SnapshotRecorder

        class Replay(SnapshotRecorder):
            layer_name = "replay"

            def __init__(self, data: np.ndarray) -> None:
                super().__init__()
                self.data, self.i = data, 0

            def capture(self):
                T, U = self.data.shape[1:3]
                return self.data[self.i].copy(), None, [str(u) for u in range(U)]

            def _layer_info(self):
                return {"layer": "replay"}

        self.live, self.plain = Replay(hidden), Replay(hidden)

    def step(self, epoch: int) -> None:
        self.live.i = self.plain.i = epoch


def _busy(seconds: float) -> None:
    end = time.perf_counter() + seconds
    x = np.random.default_rng(0).normal(size=(200, 200))
    while time.perf_counter() < end:
        x = np.tanh(x @ x.T / 200)


def _train_loop(kind: str, epochs: int):
    """Yield after each epoch of a BasicMotions classifier, with two recorders on it."""
    import torch

    from mmphate.record import HiddenStateRecorder
    from mmphate.record.datasets import load_basic_motions

    torch.set_num_threads(1)
    data = load_basic_motions()
    Xtr, ytr = torch.tensor(data.X_train), torch.tensor(data.y_train)
    trace = np.concatenate(
        [np.flatnonzero(data.y_test == c)[:3] for c in range(data.n_classes)]
    )  # 12 samples, as the demo's validation set

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
            self.rnn = rnn(data.n_channels, 32, batch_first=True)
            self.head = torch.nn.Linear(32, data.n_classes)

        def forward(self, x):
            return self.head(self.rnn(x)[0][:, -1])

    torch.manual_seed(0)
    net = Net()
    x = torch.tensor(data.X_test[trace])
    live = HiddenStateRecorder(net, "rnn", x)
    plain = HiddenStateRecorder(net, "rnn", x)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    loss_fn = torch.nn.CrossEntropyLoss()
    yield live, plain
    for epoch in range(epochs + 1):
        if epoch:
            net.train()
            for batch in torch.randperm(len(Xtr)).split(8):
                opt.zero_grad()
                loss_fn(net(Xtr[batch]), ytr[batch]).backward()
                opt.step()
        net.eval()
        yield epoch


def run(name: str, epochs: int, epoch_seconds: float) -> dict:
    from mmphate.analysis import knn_overlap
    from mmphate.explorer import LiveExplorer

    if name in ("lstm", "gru"):
        loop = _train_loop(name, epochs)
        live_rec, plain_rec = next(loop)
        steps = loop
        replay = None
    else:
        noise = {"synthetic": 0.2, "noisy": 1.0}[name]
        hidden = synthetic_hidden((epochs + 1, 100, 32, 12), seed=0, noise=noise)
        replay = _Replay(hidden)
        live_rec, plain_rec = replay.live, replay.plain
        steps = range(epochs + 1)

    view = LiveExplorer(live_rec, model=_model(0))
    with_view, without = [], []
    for epoch in steps:
        _busy(epoch_seconds)
        if replay is not None:
            replay.step(epoch)
        t0 = time.perf_counter()
        live_rec.record(epoch)
        with_view.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plain_rec.record(epoch)
        without.append(time.perf_counter() - t0)
    view.wait()
    lat = view.latency
    view.stop()
    rec = view.model.recording_
    t0 = time.perf_counter()
    full0 = _model(0).fit(rec).embedding_
    full_s = time.perf_counter() - t0
    full1 = _model(1).fit(rec).embedding_
    if getattr(view.model, "partial_info_", {}).get("refit_pending"):
        view.model.wait_refit()
    row = {
        "family": name,
        "nodes": rec.n_nodes,
        "record_ms_view": 1000 * float(np.mean(with_view)),
        "record_ms_view_max": 1000 * float(np.max(with_view)),
        "record_ms_plain": 1000 * float(np.mean(without)),
        "updates": len(lat),
        "latency_median_s": float(lat.seconds.median()),
        "latency_p90_s": float(lat.seconds.quantile(0.9)),
        "latency_max_s": float(lat.seconds.max()),
        "refits": int(lat.refit.sum()),
        "full_fit_s": full_s,
        "ratio": float(lat.seconds.median()) / full_s,
        "knn_live_vs_full": knn_overlap(np.asarray(view.model.embedding_), full1, k=10),
        "knn_floor": knn_overlap(full1, full0, k=10),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", nargs="+", default=["lstm", "gru", "synthetic", "noisy"])
    ap.add_argument("--epochs", type=int, default=40, help="epochs after epoch 0 (40, the demo's)")
    ap.add_argument(
        "--epoch-seconds",
        type=float,
        default=2.0,
        help="busy work added to every epoch, as a slower training step (2 s; the trained "
        "families train on top of it; 0: as fast as BasicMotions trains)",
    )
    args = ap.parse_args()
    import os

    print(
        f"# {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
        f"{time.strftime('%Y-%m-%d')}; python benchmarks/bench_live.py "
        f"--families {' '.join(args.families)} --epochs {args.epochs} "
        f"--epoch-seconds {args.epoch_seconds}"
    )
    cols = (
        "family nodes record_ms_view record_ms_view_max record_ms_plain updates "
        "latency_median_s latency_p90_s latency_max_s refits full_fit_s ratio "
        "knn_live_vs_full knn_floor peak_rss_mb"
    ).split()
    print("\t".join(cols), flush=True)
    for name in args.families:
        row = run(name, args.epochs, args.epoch_seconds)
        print(
            "\t".join(f"{row[c]:.3g}" if isinstance(row[c], float) else str(row[c]) for c in cols),
            flush=True,
        )
    print(f"# load at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
