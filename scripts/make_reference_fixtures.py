"""Generate the reference fixtures for the multislice-kernel parity tests.

Run with the reference environment only (m-phate 0.1.6, phate 2.0, graphtools 2.1)::

    make reference
    .venv-ref/bin/python scripts/make_reference_fixtures.py

For every case it draws a small seeded tensor ``X`` of shape (E, T, U, S), computes

    K = m_phate.kernel.multislice_kernel(
        m_phate.utils.normalize(X.reshape(E * T, U, S)),
        intraslice_knn=2, interslice_knn=<knn>, decay=5, n_jobs=1)
    K = graphtools.Graph(K, precomputed="affinity").K

and writes ``X`` (float32) and ``K`` (CSR parts, float64) to
``tests/engine/fixtures/reference/<case>.npz``, with a JSON ``meta`` field recording the
parameters and library versions.  The reference runs on ``X`` cast to float64, so
the fixture is exact for the stored float32 values.  Cases where the reference
raises (for example ``interslice_knn >= E * T``) store ``X`` and the error instead
of a kernel.  One case also stores the reference ``M_PHATE`` embedding, for
information only (the tests do not compare embeddings).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import warnings
from pathlib import Path

import numpy as np

try:
    import graphtools
    import m_phate
    import m_phate.kernel
    import m_phate.utils
    import phate
    import scipy
    import sklearn
except ImportError as exc:  # pragma: no cover - environment guard
    sys.exit(
        f"{exc}: run this script with the reference environment "
        "(make reference; .venv-ref/bin/python scripts/make_reference_fixtures.py)"
    )

OUT = Path(__file__).resolve().parents[1] / "tests" / "engine" / "fixtures" / "reference"

INTRA_KNN = 2
DECAY = 5


def smooth_recording(shape: tuple[int, int, int, int], seed: int, noise: float = 0.3) -> np.ndarray:
    """Seeded tensor with structure: each unit follows a smooth latent trajectory.

    Every unit's activation on every sample is a sum of a few sinusoids in
    (epoch, timestep) with unit- and sample-specific phases, plus Gaussian noise,
    so neighbouring slices are similar and units differ from each other.
    """
    E, T, U, S = shape
    rng = np.random.default_rng(seed)
    e = np.linspace(0.0, 1.0, E)[:, None, None, None]
    t = np.linspace(0.0, 1.0, T)[None, :, None, None]
    freq = rng.uniform(0.5, 3.0, size=(1, 1, U, S))
    phase = rng.uniform(0.0, 2 * np.pi, size=(1, 1, U, S))
    amp = rng.uniform(0.5, 2.0, size=(1, 1, U, S))
    drift = rng.normal(size=(1, 1, U, S))
    X = amp * np.sin(2 * np.pi * freq * (t + 0.5 * e) + phase) + drift * e
    X = np.tanh(X + noise * rng.normal(size=shape))
    return X.astype(np.float32)


def gaussian(shape: tuple[int, int, int, int], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def constant_units(shape: tuple[int, int, int, int], seed: int) -> np.ndarray:
    """Smooth tensor where some units are constant over samples (std 0 after centring)."""
    X = smooth_recording(shape, seed)
    X[:, :, 2, :] = 0.25  # constant in every slice
    X[:, :, 5, :] = -1.0  # a second constant unit: duplicates of unit 2 after z-scoring
    X[0, :, 3, :] = 0.5  # constant in the first epoch only
    return X


# name, generator, shape, interslice_knn, seed, note
CASES: list[tuple[str, object, tuple[int, int, int, int], int, int, str]] = [
    ("smooth_2x13x10x20", smooth_recording, (2, 13, 10, 20), 25, 1, "default parameters"),
    ("gauss_6x5x7x30", gaussian, (6, 5, 7, 30), 25, 2, "unstructured data"),
    ("smooth_30x1x12x15", smooth_recording, (30, 1, 12, 15), 25, 3, "one timestep"),
    ("smooth_1x32x9x100", smooth_recording, (1, 32, 9, 100), 25, 4, "one epoch, S=100"),
    ("constant_3x10x8x20", constant_units, (3, 10, 8, 20), 25, 5, "constant units"),
    ("smooth_3x4x10x20_knn3", smooth_recording, (3, 4, 10, 20), 3, 6, "interslice_knn=3"),
    ("smooth_4x8x4x12", smooth_recording, (4, 8, 4, 12), 25, 7, "U=4, smallest unclamped"),
    ("har_like_4x8x10x6", smooth_recording, (4, 8, 10, 6), 25, 8, "S=6 (HAR-like)"),
    ("smooth_5x6x20x40_knn10", smooth_recording, (5, 6, 20, 40), 10, 9, "interslice_knn=10"),
    # Edge cases where the reference itself deviates or fails.
    (
        "clamped_3x10x3x10",
        smooth_recording,
        (3, 10, 3, 10),
        25,
        10,
        "U=3: graphtools lowers intraslice knn from 2 to U-2=1",
    ),
    (
        "knn_too_large_3x4x10x20",
        smooth_recording,
        (3, 4, 10, 20),
        25,
        11,
        "interslice_knn >= E*T: the reference raises",
    ),
]

EMBED_CASE = "smooth_2x13x10x20"


def reference_kernel(X: np.ndarray, interslice_knn: int):
    E, T, U, S = X.shape
    data = m_phate.utils.normalize(X.astype(np.float64).reshape(E * T, U, S))
    K = m_phate.kernel.multislice_kernel(
        data,
        intraslice_knn=INTRA_KNN,
        interslice_knn=interslice_knn,
        decay=DECAY,
        n_jobs=1,
    )
    return graphtools.Graph(K, precomputed="affinity", verbose=0).K.tocsr()


def reference_embedding(X: np.ndarray, interslice_knn: int) -> np.ndarray:
    E, T, U, S = X.shape
    op = m_phate.M_PHATE(
        n_components=2,
        intraslice_knn=INTRA_KNN,
        interslice_knn=interslice_knn,
        decay=DECAY,
        random_state=0,
        n_jobs=1,
        verbose=0,
    )
    return np.asarray(op.fit_transform(X.astype(np.float64).reshape(E * T, U, S)))


def versions() -> dict[str, str]:
    return {
        "m_phate": m_phate.__version__,
        "phate": phate.__version__,
        "graphtools": graphtools.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    vers = versions()
    for name, gen, shape, knn, seed, note in CASES:
        X = gen(shape, seed)
        E, T, U, S = shape
        meta = {
            "case": name,
            "shape": list(shape),
            "seed": seed,
            "generator": gen.__name__,
            "note": note,
            "call": (
                "graphtools.Graph(m_phate.kernel.multislice_kernel("
                "m_phate.utils.normalize(X.astype(float64).reshape(E*T, U, S)), "
                f"intraslice_knn={INTRA_KNN}, interslice_knn={knn}, decay={DECAY}, "
                "n_jobs=1), precomputed='affinity').K"
            ),
            "params": {"intrastep_knn": INTRA_KNN, "interstep_knn": knn, "decay": DECAY},
            "versions": vers,
            "warnings": [],
            "error": None,
        }
        arrays: dict[str, np.ndarray] = {"X": X}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                K = reference_kernel(X, knn)
            except Exception as exc:  # the reference's own failure is part of the fixture
                meta["error"] = f"{type(exc).__name__}: {exc}"
                K = None
        meta["warnings"] = sorted({str(w.message) for w in caught})
        if K is not None:
            K.sum_duplicates()
            K.sort_indices()
            arrays.update(
                K_data=K.data.astype(np.float64),
                K_indices=K.indices.astype(np.int32),
                K_indptr=K.indptr.astype(np.int64),
                K_shape=np.asarray(K.shape, dtype=np.int64),
            )
            meta["nnz"] = int(K.nnz)
        if name == EMBED_CASE:
            arrays["embedding"] = reference_embedding(X, knn)
            meta["embedding_call"] = (
                "m_phate.M_PHATE(n_components=2, intraslice_knn=2, interslice_knn="
                f"{knn}, decay=5, random_state=0, n_jobs=1).fit_transform("
                "X.astype(float64).reshape(E*T, U, S))"
            )
        arrays["meta"] = np.asarray(json.dumps(meta, sort_keys=True))
        path = args.out / f"{name}.npz"
        np.savez_compressed(path, **arrays)
        status = meta["error"] or f"nnz={meta['nnz']}"
        print(f"{path.name:34s} {str(shape):18s} knn={knn:<3d} {status}")


if __name__ == "__main__":
    main()
