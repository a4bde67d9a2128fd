"""partial_fit benchmark: latency per appended epoch and agreement with a full refit.

For each data family, a model is fitted on the first half of the epochs, then the
remaining epochs are appended one at a time with ``partial_fit`` (no refit:
``drift_threshold=1``).  After ``k`` appended epochs the embedding is compared with
``fit`` on the same epochs (same seed) by k-NN overlap (k=10, over all nodes and over
the appended nodes only) and Procrustes disparity; the floor is the same measures
between two full fits with different seeds.  A second pass appends the same epochs
with the default rule (``drift_threshold=0.2``, background refits), each call after
``--epoch-seconds`` of simulated training (default 3 s, about one refit here), and
reports the latency, the refits swapped in and the alignment disparity of each swap.

Families: ``synthetic`` (benchmarks/_data.py, noise 0.2), ``noisy`` (noise 1.0) and
``basic_motions`` (an LSTM trained on the bundled UEA BasicMotions data, every fourth
timestep; needs torch and sktime, skipped otherwise).

Usage::

    python benchmarks/bench_partial.py [--families synthetic noisy basic_motions] [--epoch-seconds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _data import synthetic_hidden  # noqa: E402


def _family(name: str) -> np.ndarray:
    if name == "synthetic":
        return synthetic_hidden((20, 20, 20, 40), seed=0, noise=0.2)
    if name == "noisy":
        return synthetic_hidden((20, 20, 20, 40), seed=0, noise=1.0)
    if name == "basic_motions":
        from mmphate.record import train_classifier

        res = train_classifier("basic_motions", hidden_size=16, epochs=19, seed=0, verbose=False)
        rec = res.recording
        return rec.select(timesteps=rec.timesteps[::4]).filled()
    raise SystemExit(f"unknown family {name!r}")


def _model(seed: int):
    from mmphate import MMPHATE

    return MMPHATE(random_state=seed, verbose=0, n_landmark=1000)


def _compare(ref: np.ndarray, Y: np.ndarray, new: np.ndarray) -> tuple[float, float, float]:
    from scipy.spatial import procrustes

    from mmphate.analysis import knn_overlap

    return (
        knn_overlap(ref, Y, 10),
        knn_overlap(ref, Y, 10, idx=new),
        float(procrustes(ref, Y)[2]),
    )


def run(name: str, epoch_seconds: float) -> None:
    X = _family(name)
    E, T, U, S = X.shape
    E0 = E // 2
    print(f"\n== {name}: X {X.shape}, fit on {E0} epochs, append {E - E0} one at a time")
    t0 = time.perf_counter()
    m = _model(0).fit(X[:E0])
    print(f"fit on {E0} epochs: {time.perf_counter() - t0:.2f} s")
    checkpoints = sorted({1, 2, 4, E - E0})
    print(
        "  k  drift  partial s  full s | knn all  knn new  disparity | "
        "floor: knn all  knn new  disparity"
    )
    lat = []
    for k in range(1, E - E0 + 1):
        t0 = time.perf_counter()
        m.partial_fit(X[E0 + k - 1 : E0 + k], drift_threshold=1)
        lat.append(time.perf_counter() - t0)
        if k not in checkpoints:
            continue
        t0 = time.perf_counter()
        full = _model(0).fit_transform(X[: E0 + k])
        t_full = time.perf_counter() - t0
        floor = _model(1).fit_transform(X[: E0 + k])
        new = np.arange(E0 * T * U, (E0 + k) * T * U)
        a = _compare(full, m.embedding_, new)
        f = _compare(full, floor, new)
        print(
            f"{k:3d}  {m.partial_info_['drift']:.3f}  {lat[-1]:9.3f}  {t_full:6.2f} | "
            f"{a[0]:7.3f}  {a[1]:7.3f}  {a[2]:9.4f} | "
            f"       {f[0]:7.3f}  {f[1]:7.3f}  {f[2]:9.4f}"
        )
    print(f"partial_fit latency per epoch: median {np.median(lat):.3f} s, max {max(lat):.3f} s")
    # default rule: background refits past drift 0.2
    m = _model(0).fit(X[:E0])
    swaps, lat = [], []
    for e in range(E0, E):
        time.sleep(epoch_seconds)  # training the next epoch (the refit runs meanwhile)
        t0 = time.perf_counter()
        m.partial_fit(X[e : e + 1])
        lat.append(time.perf_counter() - t0)
        info = m.partial_info_
        if info["refitted"]:
            swaps.append((e, info["fitted_epochs"], info["alignment_disparity"]))
    t0 = time.perf_counter()
    while m.wait_refit():
        swaps.append(
            ("wait", m.partial_info_["fitted_epochs"], m.partial_info_["alignment_disparity"])
        )
    print(
        f"default rule: latency median {np.median(lat):.3f} s, max {max(lat):.3f} s; "
        f"final wait {time.perf_counter() - t0:.2f} s; swaps (at epoch, fitted epochs, "
        f"alignment disparity): {[(s[0], s[1], round(s[2], 4)) for s in swaps]}"
    )
    full = _model(0).fit_transform(X)
    new = np.arange(E0 * T * U, E * T * U)
    a = _compare(full, m.embedding_, new)
    print(
        f"default rule, end vs full fit: knn all {a[0]:.3f}, knn new {a[1]:.3f}, "
        f"disparity {a[2]:.4f} (drift {m.partial_info_['drift']:.3f})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", nargs="+", default=["synthetic", "noisy", "basic_motions"])
    ap.add_argument(
        "--epoch-seconds", type=float, default=3.0, help="simulated training time per epoch"
    )
    args = ap.parse_args()
    for name in args.families:
        if name == "basic_motions":
            try:
                import sktime  # noqa: F401
                import torch  # noqa: F401
            except ImportError:
                print("\n== basic_motions: skipped (needs torch and sktime)")
                continue
        run(name, args.epoch_seconds)


if __name__ == "__main__":
    main()
