"""Parity of the multiway multislice kernel with the reference implementation.

The fixtures in ``tests/engine/fixtures/reference`` were produced by
``scripts/make_reference_fixtures.py`` in the reference environment (m-phate 0.1.6,
graphtools 2.1): for each seeded tensor ``X`` of shape (E, T, U, S) they hold
``graphtools.Graph(m_phate.kernel.multislice_kernel(m_phate.utils.normalize(
X.reshape(E*T, U, S)), intraslice_knn=2, interslice_knn=k, decay=5), precomputed="affinity").K``.
These tests never import the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from mmphate.engine import MMPHATE, multislice_kernel

FIXTURES = Path(__file__).parent / "fixtures" / "reference"
ATOL = 1e-6


def _load(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        case = {"meta": json.loads(str(z["meta"])), "X": z["X"]}
        if "K_data" in z:
            case["K"] = sp.csr_matrix(
                (z["K_data"], z["K_indices"], z["K_indptr"]), shape=tuple(z["K_shape"])
            )
    return case


ALL = {p.stem: _load(p) for p in sorted(FIXTURES.glob("*.npz"))}
WITH_KERNEL = sorted(name for name, c in ALL.items() if "K" in c)


def _params(case: dict) -> dict:
    p = case["meta"]["params"]
    return {
        "intrastep_knn": p["intrastep_knn"],
        "interstep_knn": p["interstep_knn"],
        "decay": p["decay"],
    }


def assert_kernels_match(actual, expected, atol: float = ATOL) -> None:
    """Same support above ``atol`` and entries equal within ``atol``; reports the worst entries."""
    assert sp.issparse(actual), f"kernel must be scipy.sparse, got {type(actual).__name__}"
    assert actual.shape == expected.shape
    A = sp.csr_matrix(actual, dtype=np.float64)
    B = sp.csr_matrix(expected, dtype=np.float64)
    support_a = set(zip(*(A > atol).nonzero(), strict=True))
    support_b = set(zip(*(B > atol).nonzero(), strict=True))
    only_a = sorted(support_a - support_b)[:5]
    only_b = sorted(support_b - support_a)[:5]
    assert not only_a and not only_b, (
        f"support differs: {len(support_a - support_b)} entries only in mmphate "
        f"(e.g. {[(i, j, A[i, j]) for i, j in only_a]}), {len(support_b - support_a)} only in "
        f"the reference (e.g. {[(i, j, B[i, j]) for i, j in only_b]})"
    )
    D = abs(A - B).tocoo()
    if D.nnz:
        k = int(np.argmax(D.data))
        worst = D.data[k]
        i, j = int(D.row[k]), int(D.col[k])
        assert worst <= atol, (
            f"max |mmphate - reference| = {worst:.3g} at ({i}, {j}): {A[i, j]!r} vs {B[i, j]!r}"
        )


def _split(K, n_units: int):
    """Intrastep (same slice) and interstep (same unit, other slice) parts of a kernel."""
    C = sp.coo_matrix(K)
    same_slice = (C.row // n_units) == (C.col // n_units)
    same_unit = (C.row % n_units) == (C.col % n_units)
    intra = sp.csr_matrix((C.data[same_slice], (C.row[same_slice], C.col[same_slice])), K.shape)
    inter_mask = same_unit & ~same_slice
    inter = sp.csr_matrix((C.data[inter_mask], (C.row[inter_mask], C.col[inter_mask])), K.shape)
    other = int(np.count_nonzero((~same_slice) & (~same_unit) & (C.data != 0)))
    return intra, inter, other


def test_fixtures_present():
    assert len(WITH_KERNEL) >= 8, f"reference fixtures missing in {FIXTURES}"


@pytest.mark.parametrize("name", WITH_KERNEL)
def test_exact_kernel_matches_reference(name):
    case = ALL[name]
    K = multislice_kernel(case["X"], interstep="exact", **_params(case))
    assert_kernels_match(K, case["K"])


@pytest.mark.parametrize("name", WITH_KERNEL)
def test_estimator_exact_kernel_matches_reference(name):
    case = ALL[name]
    est = MMPHATE(interstep="exact", random_state=0, verbose=0, **_params(case))
    est.fit(case["X"])
    assert_kernels_match(est.kernel_, case["K"])
    E, T, U, _ = case["X"].shape
    assert est.embedding_.shape == (E * T * U, 2)


@pytest.mark.parametrize("name", WITH_KERNEL)
def test_scalable_kernel_agrees_with_exact(name):
    """What the scalable kernel shares with the exact one, by construction.

    * the intrastep (block-diagonal) part is the same alpha-decay kernel;
    * every interstep edge joins the same unit in two slices, and its weight is the
      exact kernel's Gaussian ``g`` (same global bandwidth, computed exactly when there
      are at most 256 slices, as in every fixture): k-NN edges are symmetrised by union
      (``max(W, W.T)``), so an edge found from one end only keeps its full weight; a
      temporal edge (``t +- 1``, ``e +- 1``) is always kept, with weight ``max(g, thresh)``;
    * each node keeps (at least) its ``interstep_neighbors`` heaviest exact interstep edges.
    So the interstep edges are a subset of the exact ones, with equal weights.
    """
    case = ALL[name]
    X = case["X"]
    E, T, U, _ = X.shape
    thresh = 1e-4
    k = 3
    exact = multislice_kernel(X, interstep="exact", thresh=thresh, **_params(case))
    fast = multislice_kernel(
        X, interstep="knn", interstep_neighbors=k, thresh=thresh, random_state=0, **_params(case)
    )
    assert abs(fast - fast.T).max() == 0, "scalable kernel must be symmetric"
    intra_e, inter_e, other_e = _split(exact, U)
    intra_f, inter_f, other_f = _split(fast, U)
    assert other_e == 0 and other_f == 0, "edges between different units in different slices"
    assert_kernels_match(intra_f, intra_e)

    fe = sp.coo_matrix(inter_f)
    g = np.asarray(inter_e[fe.row, fe.col]).ravel()  # exact weight, 0 where exact dropped it
    sa, sb = fe.row // U, fe.col // U
    ea, ta, eb, tb = sa // T, sa % T, sb // T, sb % T
    temporal = ((ea == eb) & (abs(ta - tb) == 1)) | ((ta == tb) & (abs(ea - eb) == 1))
    assert temporal.sum() == 2 * U * (E * (T - 1) + (E - 1) * T), "missing temporal edges"
    np.testing.assert_allclose(fe.data[temporal], np.maximum(g[temporal], thresh), atol=ATOL)
    other = ~temporal
    assert np.all(g[other] > 0), "a scalable interstep edge that the exact kernel does not have"
    np.testing.assert_allclose(fe.data[other], g[other], rtol=0, atol=ATOL)
    assert inter_f.nnz <= inter_e.nnz + (fe.data[temporal] <= thresh).sum()
    # every node keeps its k heaviest exact interstep edges (ties aside)
    inter_e = inter_e.tocsr()
    inter_f = inter_f.tocsr()
    for i in range(0, E * T * U, max(1, E * T * U // 50)):
        row = inter_e.getrow(i)
        if row.nnz == 0:
            continue
        kth = np.sort(row.data)[::-1][min(k, row.nnz) - 1]
        heavy = row.indices[row.data > kth + 1e-6]
        kept = set(inter_f.getrow(i).indices)
        assert set(heavy) <= kept, f"node {i} lost heavy exact edges {set(heavy) - kept}"


def test_interstep_knn_beyond_slices_is_clipped():
    """interstep_knn >= number of slices: the reference raises (np.partition out of bounds);
    mmphate clips interstep_knn to slices - 1, as documented."""
    case = ALL["knn_too_large_3x4x10x20"]
    assert case["meta"]["error"].startswith("ValueError")
    X = case["X"]
    E, T, _, _ = X.shape
    too_large = multislice_kernel(X, interstep="exact", interstep_knn=25)
    clipped = multislice_kernel(X, interstep="exact", interstep_knn=E * T - 1)
    smaller = multislice_kernel(X, interstep="exact", interstep_knn=E * T - 3)
    assert_kernels_match(too_large, clipped, atol=1e-12)
    assert abs(too_large - smaller).max() > 1e-6  # the bandwidth does depend on interstep_knn
