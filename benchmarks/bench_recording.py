"""Cost of recording hidden states every epoch while training.

Trains the same 32-unit LSTM on BasicMotions (same seed) with
``record_every=1`` (a snapshot of the 40 trace samples after every epoch) and
with ``record_every=0`` (no recording), each run in its own subprocess so peak
memory is measured per configuration, alternating the order, and prints the
median training time of each, their ratio and the peak resident memory.

Torch runs on one thread (``train_classifier``'s default), with
``OMP_NUM_THREADS=1``.

    python benchmarks/bench_recording.py [--epochs 50] [--repeats 3]

Results also go to ``--out`` (default ``benchmarks/results``) as ``bench_recording-<time>.json``
(the format ``benchmarks/render.py`` reads; copy it to ``bench_recording.json`` to publish it).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(record_every: int, epochs: int) -> None:
    import resource

    from mmphate.record.training import train_classifier

    res = train_classifier(
        "basic_motions",
        kind="lstm",
        hidden_size=32,
        epochs=epochs,
        record_every=record_every,
        seed=0,
        verbose=False,
    )
    rec = res.recording
    print(
        json.dumps(
            {
                "seconds": res.seconds,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "recording_mb": 0.0 if rec is None else rec.hidden.nbytes / 2**20,
                "shape": None if rec is None else list(rec.shape),
                "val_accuracy": float(res.history["val_accuracy"].iloc[-1]),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=HERE / "results", help="folder for the JSON")
    args = parser.parse_args()
    if args.child is not None:
        _child(args.child, args.epochs)
        return
    load_start = os.getloadavg()

    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    runs: dict[int, list[dict]] = {0: [], 1: []}
    for rep in range(args.repeats):
        for every in (1, 0) if rep % 2 == 0 else (0, 1):
            out = subprocess.run(
                [sys.executable, __file__, "--epochs", str(args.epochs), "--child", str(every)],
                check=True,
                capture_output=True,
                text=True,
                env=env,
            )
            runs[every].append(json.loads(out.stdout.strip().splitlines()[-1]))

    def med(every: int, key: str) -> float:
        return statistics.median(r[key] for r in runs[every])

    t_rec, t_none = med(1, "seconds"), med(0, "seconds")
    print(
        f"32-unit LSTM on BasicMotions, {args.epochs} epochs, torch threads 1, {args.repeats} runs each"
    )
    print(
        f"  recording every epoch : {t_rec:7.2f} s (median)  peak RSS {med(1, 'peak_rss_mb'):7.0f} MB"
    )
    print(
        f"  no recording          : {t_none:7.2f} s (median)  peak RSS {med(0, 'peak_rss_mb'):7.0f} MB"
    )
    print(
        f"  recording tensor      : {runs[1][0]['shape']} float32 = "
        f"{runs[1][0]['recording_mb']:.1f} MB"
    )
    print(
        f"  ratio (record / none) : {t_rec / t_none:.3f}  (overhead {100 * (t_rec / t_none - 1):+.1f}%)"
    )
    print(f"  final val accuracy    : {runs[1][0]['val_accuracy']:.3f}")
    data = {
        "benchmark": "recording",
        "command": f"python benchmarks/bench_recording.py --epochs {args.epochs} "
        f"--repeats {args.repeats}",
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gb": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3,
            "platform": platform.platform(),
            "python": platform.python_version(),
            "threads": 1,
            "loadavg_start": list(load_start),
            "loadavg_end": list(os.getloadavg()),
            "date": time.strftime("%Y-%m-%d"),
        },
        "model": "32-unit LSTM on BasicMotions (train_classifier, seed 0, torch threads 1)",
        "epochs": args.epochs,
        "repeats": args.repeats,
        "runs": {"record_every_1": runs[1], "record_every_0": runs[0]},
        "summary": {
            "seconds_recording": t_rec,
            "seconds_none": t_none,
            "ratio": t_rec / t_none,
            "peak_rss_mb_recording": med(1, "peak_rss_mb"),
            "peak_rss_mb_none": med(0, "peak_rss_mb"),
            "recording_shape": runs[1][0]["shape"],
            "recording_mb": runs[1][0]["recording_mb"],
            "val_accuracy": runs[1][0]["val_accuracy"],
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench_recording-{time.strftime('%Y%m%d-%H%M%S')}.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
