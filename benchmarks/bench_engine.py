"""Engine benchmark: MMPHATE (exact and scalable) against the reference M-PHATE.

For each configuration, every implementation runs in its own fresh process
(``benchmarks/_measure.py``) with the same BLAS/OpenMP/numba thread count, and
the table reports the time of ``fit_transform`` (data generation excluded),
the process's peak resident memory, and ratios against the reference measured
in the same run.  The reference is ``m_phate.M_PHATE(random_state=0,
n_jobs=<threads>).fit_transform(X.reshape(E*T, U, S))`` in its own virtual
environment (``make reference``); it runs under an address-space cap and a
timeout, and a failure is reported as such.

Fidelity (``small``): k-NN overlap (k=10) between the scalable and the exact
embedding, relative to the overlap between two exact runs with different seeds.

Usage::

    python benchmarks/bench_engine.py                      # small, har, full
    python benchmarks/bench_engine.py --sizes small --threads 2
    python benchmarks/bench_engine.py --stretch            # adds 10 M nodes

Absolute times on a shared machine are noisy; compare ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _data import synthetic_hidden  # noqa: E402
from _measure import measure  # noqa: E402

REF_PYTHON = ROOT / ".venv-ref" / "bin" / "python"
SELF = f"{Path(__file__).resolve()}"

SIZES: dict[str, dict[str, Any]] = {
    "small": {"shape": (25, 20, 20, 40), "reference": True, "exact": True, "fidelity": True},
    "har": {"shape": (127, 128, 30, 6), "reference": True, "target": (30, 2)},
    "full": {"shape": (50, 600, 64, 40), "reference": False, "target": (120, 4)},
    "stretch": {"shape": (100, 512, 200, 32), "reference": False, "target": (None, 24)},
}
KNN_K = 10


# ----------------------------------------------------------------- targets (run in children)
def run_reference(data_path, threads, save_embedding=False):
    """m_phate.M_PHATE on the reshaped tensor (reference venv)."""
    import m_phate
    import numpy as np

    X = np.load(data_path)
    E, T, U, S = X.shape
    data = X.reshape(E * T, U, S).astype(np.float64)
    del X
    t0, c0 = time.perf_counter(), time.process_time()
    op = m_phate.M_PHATE(random_state=0, n_jobs=threads, verbose=0)
    Y = np.asarray(op.fit_transform(data))
    out = {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "version": m_phate.__version__,
    }
    if save_embedding:
        out["embedding"] = Y
    return out


def run_mmphate(
    data_path,
    threads,
    interstep,
    random_state=0,
    save_embedding=False,
    interstep_neighbors=None,
    params=None,
):
    """MMPHATE(interstep=..., **params).fit_transform on the tensor (project venv)."""
    import numpy as np

    import mmphate
    from mmphate.engine import MMPHATE

    X = np.load(data_path)
    t0, c0 = time.perf_counter(), time.process_time()
    est = MMPHATE(interstep=interstep, random_state=random_state, n_jobs=threads, verbose=0)
    if interstep_neighbors is not None:
        est.set_params(interstep_neighbors=interstep_neighbors)
    if params:
        est.set_params(**params)
    Y = est.fit_transform(X)
    out = {
        "wall_s": time.perf_counter() - t0,
        "cpu_s": time.process_time() - c0,
        "version": getattr(mmphate, "__version__", "?"),
        # entries the fit built (reading kernel_ would search the stored kernel's interstep
        # neighbours now, after the timing, and add to the peak memory)
        "kernel_nnz": int(est.kernel_info_.nnz_intrastep + est.kernel_info_.nnz_interstep),
        "stages_s": {k: float(v) for k, v in getattr(est, "timings_", {}).items()},
        "t": int(est.t_) if getattr(est, "t_", None) is not None else None,
        "interstep_mass": getattr(est, "interstep_mass_", None),
    }
    if save_embedding:
        out["embedding"] = Y
    return out


# ----------------------------------------------------------------- data
def make_data(shape, seed: int, kind: str, workdir: Path) -> tuple[Path, str]:
    """Write the benchmark tensor to ``workdir`` once; every implementation loads the same file.

    ``kind="recording"`` uses ``mmphate.record.datasets.synthetic_recording`` (known latent
    dynamics) where its float64 temporaries fit comfortably, else falls back to the
    chunked float32 generator in ``benchmarks/_data.py``.
    """
    import numpy as np

    E, T, U, S = shape
    path = workdir / f"data-{E}x{T}x{U}x{S}-{seed}.npy"
    used = "benchmarks._data.synthetic_hidden"
    X = None
    if kind == "recording" and E * T * U * S * 8 * 4 < 6 * 1024**3:
        try:
            from mmphate.record.datasets import synthetic_recording
        except ImportError:
            pass
        else:
            rec, _ = synthetic_recording(E, T, U, S, seed=seed)
            X = np.ascontiguousarray(rec.hidden, dtype=np.float32)
            used = "mmphate.record.datasets.synthetic_recording"
            del rec
    if X is None:
        X = synthetic_hidden(shape, seed)
    np.save(path, X)
    del X
    return path, used


# ----------------------------------------------------------------- fidelity
def knn_overlap(A, B, k: int = KNN_K) -> float:
    """Mean fraction of each point's k nearest neighbours (itself excluded) shared by A and B."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    def nbrs(Y):
        idx = NearestNeighbors(n_neighbors=k + 1).fit(Y).kneighbors(Y, return_distance=False)
        return idx[:, 1:]

    a, b = nbrs(A), nbrs(B)
    shared = [np.intersect1d(x, y, assume_unique=True).size for x, y in zip(a, b, strict=True)]
    return float(np.mean(shared) / k)


def procrustes_disparity(A, B) -> float:
    from scipy.spatial import procrustes

    return float(procrustes(A, B)[2])


# ----------------------------------------------------------------- driver
def reference_memory_floor_gb(shape) -> float:
    """Lower bound of the reference's memory: per unit, a dense slices x slices distance
    matrix and its Gaussian are both held (float64) before the sparse kernel is built."""
    E, T, U, _ = shape
    return 2 * U * (E * T) ** 2 * 8 / 1024**3


def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="MMPHATE engine benchmark vs the reference.")
    p.add_argument(
        "--families",
        default=",".join(FAMILIES),
        help="comma list of " + ",".join(FAMILIES) + " (fidelity per data family; '' for none)",
    )
    p.add_argument(
        "--sizes", default="", help="comma list of " + ",".join(SIZES) + " (time and memory)"
    )
    p.add_argument("--stretch", action="store_true", help="add the 10 M-node configuration")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP/numba threads and n_jobs")
    p.add_argument("--reference", choices=("auto", "all", "none"), default="auto")
    p.add_argument("--ref-mem-gb", type=float, default=16.0, help="address-space cap, reference")
    p.add_argument("--ref-timeout", type=float, default=1800.0)
    p.add_argument(
        "--interstep-neighbors",
        type=int,
        default=None,
        help="interstep edges per node of the scalable kernel (default: MMPHATE's)",
    )
    p.add_argument("--mem-gb", type=float, default=22.0, help="address-space cap, mmphate")
    p.add_argument("--timeout", type=float, default=1800.0)
    p.add_argument("--seed", type=int, default=0, help="data seed")
    p.add_argument(
        "--data",
        choices=("recording", "builtin"),
        default="recording",
        help="mmphate.record.datasets.synthetic_recording (falls back when too large) or _data.py",
    )
    p.add_argument("--out", type=Path, default=HERE / "results")
    p.add_argument("--report", type=Path, help="reprint the tables of a saved results JSON")
    args = p.parse_args(argv)
    if args.report:
        return report(json.loads(args.report.read_text()))

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.stretch and "stretch" not in sizes:
        sizes.append("stretch")
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        p.error(f"unknown sizes {unknown}; choose from {list(SIZES)}")
    ref_ok = REF_PYTHON.exists()
    if args.reference != "none" and not ref_ok:
        print(f"reference venv missing ({REF_PYTHON}); run `make reference`. Skipping it.")

    work = Path(tempfile.mkdtemp(prefix="mmphate-bench-"))
    common = {"threads": args.threads, "workdir": work}
    machine = {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "threads": args.threads,
        "loadavg_start": os.getloadavg(),
    }
    print(
        f"threads={args.threads} (OMP/OPENBLAS/MKL/NUMBA_NUM_THREADS, threadpoolctl, n_jobs); "
        f"{machine['cpus']} CPUs; load average {machine['loadavg_start'][0]:.2f}"
    )
    results: dict[str, Any] = {"machine": machine, "args": vars(args) | {"out": str(args.out)}}
    rows = []
    json_path = args.out / f"bench_engine-{time.strftime('%Y%m%d-%H%M%S')}.json"
    families = [f.strip() for f in args.families.split(",") if f.strip()]
    bad = [f for f in families if f not in FAMILIES]
    if bad:
        p.error(f"unknown families {bad}; choose from {list(FAMILIES)}")
    for name in families:
        results[name] = run_families(args, [name], work, common)[name]
        save(results, json_path)
    for size in sizes:
        cfg = SIZES[size]
        shape = cfg["shape"]
        E, T, U, S = shape
        n = E * T * U
        print(f"\n== {size}: {E}x{T}x{U}x{S} = {n:,} nodes ==", flush=True)
        data_path, generator = make_data(shape, args.seed, args.data, work)
        print(f"  data: {generator}(seed={args.seed})", flush=True)
        kw = {"data_path": str(data_path), "threads": args.threads}
        entry: dict[str, Any] = {"shape": list(shape), "nodes": n, "data": generator}
        fid = cfg.get("fidelity", False)
        want_ref = args.reference == "all" or (args.reference == "auto" and cfg["reference"])
        if want_ref and ref_ok:
            print("  reference m_phate ...", flush=True)
            entry["reference"] = measure(
                f"{SELF}:run_reference",
                kw | {"save_embedding": fid},
                python=str(REF_PYTHON),
                mem_limit_gb=args.ref_mem_gb,
                timeout_s=args.ref_timeout,
                **common,
            )
        elif want_ref or args.reference == "none":
            entry["reference"] = {"status": "not run (--reference none or no reference venv)"}
        else:
            floor = reference_memory_floor_gb(shape)
            entry["reference"] = {
                "status": f"not run (its dense interstep arrays alone need >= {floor:,.0f} GB)"
            }
        if cfg.get("exact"):
            print("  mmphate exact ...", flush=True)
            entry["exact"] = measure(
                f"{SELF}:run_mmphate",
                kw | {"interstep": "exact", "save_embedding": fid},
                mem_limit_gb=args.mem_gb,
                timeout_s=args.timeout,
                **common,
            )
        print("  mmphate scalable ...", flush=True)
        entry["scalable"] = measure(
            f"{SELF}:run_mmphate",
            kw
            | {
                "interstep": "knn",
                "save_embedding": fid,
                "interstep_neighbors": args.interstep_neighbors,
            },
            mem_limit_gb=args.mem_gb,
            timeout_s=args.timeout,
            **common,
        )
        if fid:
            print("  mmphate exact, second seed (fidelity) ...", flush=True)
            entry["exact_seed1"] = measure(
                f"{SELF}:run_mmphate",
                kw | {"interstep": "exact", "random_state": 1, "save_embedding": True},
                mem_limit_gb=args.mem_gb,
                timeout_s=args.timeout,
                **common,
            )
            entry["fidelity"] = fidelity(entry)
        results[size] = entry
        data_path.unlink(missing_ok=True)
        save(results, json_path)
        rows.extend(table_rows(size, entry, cfg))
        print_table([r for r in rows if r[0] == size])

    print("\n== summary ==")
    print_table(rows)
    print(NOTE)
    for size in sizes:
        f = results[size].get("fidelity")
        if f:
            print_fidelity(f)
    results["machine"]["loadavg_end"] = os.getloadavg()
    save(results, json_path)
    print(f"\nwrote {json_path}")
    return 0


def report(results) -> int:
    m = results.get("machine", {})
    print(f"threads={m.get('threads')}; {m.get('cpus')} CPUs; {m.get('platform')}")
    rows = []
    for size, cfg in SIZES.items():
        if size in results:
            rows.extend(table_rows(size, results[size], cfg))
    print_table(rows)
    print(NOTE)
    for size in SIZES:
        if results.get(size, {}).get("fidelity"):
            print_fidelity(results[size]["fidelity"])
    return 0


def save(results, path: Path) -> None:
    from mmphate._atomic import atomic_write_text  # a crash never leaves half a results file

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(results, indent=2, default=str))


def fidelity(entry) -> dict[str, Any]:
    import numpy as np

    emb = {}
    for key in ("exact", "exact_seed1", "scalable", "reference"):
        r = entry.get(key, {})
        if r.get("status") == "ok" and isinstance(r.get("embedding"), str):
            emb[key] = np.load(r["embedding"])
    out: dict[str, Any] = {"k": KNN_K}
    pairs = [
        ("exact", "exact_seed1"),
        ("scalable", "exact"),
        ("scalable", "exact_seed1"),
        ("reference", "exact"),
    ]
    for a, b in pairs:
        if a in emb and b in emb:
            out[f"overlap[{a},{b}]"] = knn_overlap(emb[a], emb[b])
            out[f"procrustes[{a},{b}]"] = procrustes_disparity(emb[a], emb[b])
    base = out.get("overlap[exact,exact_seed1]")
    if base and "overlap[scalable,exact]" in out:
        scal = np.mean([out["overlap[scalable,exact]"], out["overlap[scalable,exact_seed1]"]])
        out["overlap_scalable_vs_exact_mean"] = float(scal)
        out["ratio"] = float(scal / base)
    return out


def table_rows(size, entry, cfg):
    ref = entry.get("reference", {})
    ref_ok = ref.get("status") == "ok"
    target = cfg.get("target")
    rows = []
    for key, label in (
        ("reference", "m_phate"),
        ("exact", "mmphate exact"),
        ("scalable", "mmphate"),
    ):
        r = entry.get(key)
        if r is None:
            continue
        ok = r.get("status") == "ok"
        status = r.get("status", "?")
        if status == "timeout":
            status = f"did not finish in {r['timeout_s']:.0f} s"
        elif status == "out of memory" and r.get("mem_limit_gb"):
            status = f"out of memory (cap {r['mem_limit_gb']:.0f} GB) after {r['process_s']:.0f} s"
        elif status == "error":
            status = f"error: {r.get('error', '?')[:60]}"
        t = r.get("wall_s") if ok else None
        m = r.get("peak_rss_mb")
        speed = cpu_speed = mem = None
        if ok and ref_ok and key != "reference":
            speed = ref["wall_s"] / t
            if ref.get("cpu_s") and r.get("cpu_s"):
                cpu_speed = ref["cpu_s"] / r["cpu_s"]
            mem = ref["peak_rss_mb"] / m
        tgt = ""
        if key == "scalable" and target and ok:
            ts, gb = target
            checks = []
            if ts is not None:
                cpu = r.get("cpu_s") or t
                verdict = "yes" if t < ts else "yes (cpu time)" if cpu < ts else "NO"
                checks.append(f"<{ts}s:{verdict}")
            checks.append(f"<{gb}GB:{'yes' if m / 1024 < gb else 'NO'}")
            tgt = " ".join(checks)
        if key == "scalable" and speed is not None and size == "small":
            best = min(speed, cpu_speed or speed)
            tgt = f">=20x:{'yes' if best >= 20 else 'wall only' if speed >= 20 else 'NO'}"
        rows.append(
            (
                size,
                f"{entry['nodes']:,}",
                label,
                status,
                fmt(t),
                fmt(r.get("cpu_s") if ok else None),
                fmt(max(r["loadavg_1min"]), ".1f") if "loadavg_1min" in r else "-",
                fmt(m, ".0f") if m else "-",
                fmt(speed, ".1f"),
                fmt(cpu_speed, ".1f"),
                fmt(mem, ".1f"),
                tgt,
            )
        )
    return rows


HEAD = (
    "size",
    "nodes",
    "implementation",
    "status",
    "time s",
    "cpu s",
    "load",
    "peak MB",
    "speedup",
    "cpu speedup",
    "mem x",
    "target",
)


NOTE = (
    "time s: wall time of fit_transform (data loading excluded); cpu s: CPU time of the process "
    "meanwhile; load: 1-min load average (max of start/end; > threads means other work shared "
    "the CPUs); peak MB: peak resident memory of the whole process; speedup (wall time), cpu "
    "speedup (CPU time) and mem x: reference divided by this row. On a loaded machine the CPU-time "
    "ratio is the fairer one (single-threaded runs); a time target met only in CPU time says so."
)


def print_table(rows):
    widths = [max(len(str(x)) for x in col) for col in zip(HEAD, *rows, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(HEAD, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(r, widths, strict=True)))


def print_fidelity(f):
    if len(f) <= 1:
        print("\nfidelity: not available (an embedding is missing)")
        return
    print(f"\nfidelity (k={f['k']} nearest-neighbour overlap; Procrustes disparity):")
    for key, val in f.items():
        if key.startswith(("overlap[", "procrustes[")):
            print(f"  {key:36s} {val:.3f}")
    if "ratio" in f:
        verdict = "yes" if f["ratio"] >= 0.9 else "NO"
        print(
            f"  scalable-vs-exact / exact-vs-exact = {f['overlap_scalable_vs_exact_mean']:.3f} / "
            f"{f['overlap[exact,exact_seed1]']:.3f} = {f['ratio']:.3f}  (target >= 0.9: {verdict})"
        )


# ----------------------------------------------------------------- data families (fidelity)
#: Families of recordings on which the scalable default is checked against the exact kernel.
FAMILIES: dict[str, dict[str, Any]] = {
    "smooth": {"gen": "smooth", "shape": (25, 20, 20, 40), "reference": True},
    "noisy": {"gen": "noisy", "shape": (25, 20, 20, 40)},
    "lstm": {"gen": "basic_motions", "kind": "lstm"},
    "gru": {"gen": "basic_motions", "kind": "gru"},
    "long": {"gen": "smooth", "shape": (40, 100, 12, 20)},
    "far": {"gen": "smooth", "shape": (100, 100, 3, 6)},
    "far_noisy": {"gen": "noisy", "shape": (100, 100, 3, 6)},
}
FAMILY_TEXT = {
    "smooth": "benchmarks/_data.py, noise 0.2 (smooth latent trajectories)",
    "noisy": "benchmarks/_data.py, noise 1.0 (noise comparable to the signal)",
    "lstm": "LSTM on BasicMotions (record.training.train_classifier), every 5th timestep",
    "gru": "GRU on BasicMotions (record.training.train_classifier), every 5th timestep",
    "long": "benchmarks/_data.py, noise 0.2, 4,000 slices per unit",
    "far": "benchmarks/_data.py, noise 0.2, 10,000 slices per unit, 6 samples (far field aggregated)",
    "far_noisy": "benchmarks/_data.py, noise 1.0, 10,000 slices per unit, 6 samples (far field aggregated)",
}
SPEARMAN_NODES = 1500


def make_family(name: str, seed: int, workdir: Path) -> tuple[Path, str]:
    """Write a family's tensor to ``workdir``; returns the path and a description."""
    import numpy as np

    cfg = FAMILIES[name]
    if cfg["gen"] == "basic_motions":
        from mmphate.record.training import train_classifier

        res = train_classifier(
            "basic_motions", kind=cfg["kind"], hidden_size=32, epochs=15, seed=seed, verbose=False
        )
        X = np.ascontiguousarray(res.recording.hidden[:, ::5], dtype=np.float32)
    else:
        noise = 1.0 if cfg["gen"] == "noisy" else 0.2
        X = synthetic_hidden(cfg["shape"], seed, noise=noise)
    path = workdir / f"family-{name}-{seed}.npy"
    np.save(path, X)
    return path, FAMILY_TEXT[name]


def distance_spearman(A, B, n: int = SPEARMAN_NODES, seed: int = 0) -> float:
    """Spearman correlation of the pairwise distances of a seeded sample of nodes."""
    import numpy as np
    from scipy.spatial.distance import pdist
    from scipy.stats import spearmanr

    idx = np.random.default_rng(seed).choice(len(A), min(n, len(A)), replace=False)
    return float(spearmanr(pdist(A[idx]), pdist(B[idx])).statistic)


def family_fidelity(entry) -> dict[str, Any]:
    """Cross-seed agreement of the scalable and the exact embeddings, against exact vs exact."""
    import numpy as np

    emb = {}
    for key in ("exact", "exact_seed1", "scalable_seed1", "reference"):
        r = entry.get(key, {})
        if r.get("status") == "ok" and isinstance(r.get("embedding"), str):
            emb[key] = np.load(r["embedding"])
    out: dict[str, Any] = {"k": KNN_K}
    for a, b in (("exact_seed1", "exact"), ("scalable_seed1", "exact"), ("reference", "exact")):
        if a in emb and b in emb:
            out[f"overlap[{a},{b}]"] = knn_overlap(emb[a], emb[b])
            out[f"spearman[{a},{b}]"] = distance_spearman(emb[a], emb[b])
    for m in ("overlap", "spearman"):
        base = out.get(f"{m}[exact_seed1,exact]")
        if base and f"{m}[scalable_seed1,exact]" in out:
            out[f"{m}_ratio"] = out[f"{m}[scalable_seed1,exact]"] / base
    mass = entry.get("scalable_seed1", {}).get("interstep_mass")
    if mass:
        out["mass_median"] = mass["median"]
        out["mass_p01"] = mass["p01"]
    return out


def run_families(args, names, work, common) -> dict[str, Any]:
    """Each family: exact (seeds 0, 1), scalable (seed 1); the reference where asked."""
    out = {}
    ref_ok = REF_PYTHON.exists() and args.reference != "none"
    for name in names:
        data_path, text = make_family(name, args.seed, work)
        import numpy as np

        E, T, U, S = np.load(data_path, mmap_mode="r").shape
        n = E * T * U
        print(f"\n== family {name}: {E}x{T}x{U}x{S} = {n:,} nodes ({text}) ==", flush=True)
        kw = {"data_path": str(data_path), "threads": args.threads, "save_embedding": True}
        lim = {"mem_limit_gb": args.mem_gb, "timeout_s": args.timeout, **common}
        entry: dict[str, Any] = {"shape": [E, T, U, S], "nodes": n, "data": text}
        if FAMILIES[name].get("reference") and ref_ok:
            print("  reference m_phate (defaults: 4000 landmarks, SMACOF) ...", flush=True)
            entry["reference"] = measure(
                f"{SELF}:run_reference",
                kw,
                python=str(REF_PYTHON),
                mem_limit_gb=args.ref_mem_gb,
                timeout_s=args.ref_timeout,
                threads=args.threads,
                workdir=work,
            )
        runs = [
            ("exact", {"interstep": "exact", "random_state": 0}),
            ("exact_seed1", {"interstep": "exact", "random_state": 1}),
            ("scalable_seed1", {"interstep": "knn", "random_state": 1}),
        ]
        if FAMILIES[name].get("reference"):
            runs += [
                ("scalable", {"interstep": "knn", "random_state": 0}),
                (
                    "scalable_matched",
                    {
                        "interstep": "knn",
                        "random_state": 0,
                        "params": {"n_landmark": 4000, "mds_solver": "smacof"},
                    },
                ),
            ]
        for key, extra in runs:
            print(f"  mmphate {key} ...", flush=True)
            entry[key] = measure(f"{SELF}:run_mmphate", kw | extra, **lim)
        entry["fidelity"] = family_fidelity(entry)
        data_path.unlink(missing_ok=True)
        out[name] = entry
        f = entry["fidelity"]
        print(
            "  mass median {:.3f} p1 {:.3f}; overlap ratio {:.3f}; distance Spearman {:.3f} "
            "(exact vs exact {:.3f}, ratio {:.3f})".format(
                f.get("mass_median", float("nan")),
                f.get("mass_p01", float("nan")),
                f.get("overlap_ratio", float("nan")),
                f.get("spearman[scalable_seed1,exact]", float("nan")),
                f.get("spearman[exact_seed1,exact]", float("nan")),
                f.get("spearman_ratio", float("nan")),
            ),
            flush=True,
        )
        for key, r in entry.items():
            if isinstance(r, dict) and "status" in r:
                print(
                    f"    {key:18s} {r.get('status')}: {fmt(r.get('wall_s'))} s, "
                    f"{fmt(r.get('peak_rss_mb'), '.0f')} MB",
                    flush=True,
                )
    return out


if __name__ == "__main__":
    sys.exit(main())
