"""Embedding stages: the diffusion time chosen as PHATE chooses it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from phate.vne import compute_von_neumann_entropy, find_knee_point

from mmphate.engine import MMPHATE
from mmphate.engine._embedding import select_t

FIXTURES = Path(__file__).parent / "fixtures" / "reference"


def _drift(E, T, U, S, seed, noise=0.0):
    rng = np.random.default_rng(seed)
    X = np.cumsum(rng.normal(scale=0.5, size=(E, T, U, S)), axis=1)
    X += np.cumsum(rng.normal(scale=0.3, size=(E, 1, U, S)), axis=0)
    X += noise * rng.normal(size=X.shape)
    return np.tanh(X).astype(np.float32)


def _fixture_tensors():
    out = []
    for p in sorted(FIXTURES.glob("*.npz"))[:2]:
        with np.load(p, allow_pickle=False) as z:
            out.append(z["X"])
    return out


CASES = [
    ("drift, landmarks", _drift(6, 10, 8, 12, 0), {"n_landmark": 80}),
    ("drift, no landmarks", _drift(4, 6, 6, 10, 1), {"n_landmark": None}),
    ("noisy, landmarks", _drift(8, 12, 10, 16, 2, noise=1.0), {"n_landmark": 120}),
    ("white noise", np.random.default_rng(3).normal(size=(5, 8, 10, 20)), {"n_landmark": 100}),
    ("drift, exact kernel", _drift(5, 8, 8, 12, 4), {"n_landmark": 60, "interstep": "exact"}),
] + [
    (f"reference fixture {i}", X, {"n_landmark": 50, "interstep": "exact"})
    for i, X in enumerate(_fixture_tensors())
]


@pytest.mark.filterwarnings("ignore:.*same activation on every trace sample")
@pytest.mark.parametrize("name,X,params", CASES, ids=[c[0] for c in CASES])
def test_auto_t_equals_phate_vne_on_the_same_operator(name, X, params):
    m = MMPHATE(random_state=0, verbose=0, t="auto", **params).fit(X)
    op = m.operator_.dense()
    h = compute_von_neumann_entropy(op, t_max=100)
    t_phate = int(find_knee_point(y=h, x=np.arange(100)))
    np.testing.assert_allclose(m.entropy_, h, rtol=1e-9, atol=1e-9)
    assert m.t_ == max(t_phate, 1), (name, m.t_, t_phate)


def test_select_t_is_not_the_eigenvalue_knee():
    # the operator is not symmetric: singular values differ from |eigenvalues|, and the curve
    # follows the singular values (PHATE), not the eigenvalues
    m = MMPHATE(random_state=0, verbose=0, n_landmark=80).fit(_drift(6, 10, 8, 12, 0))
    t, h = select_t(m.operator_)
    s = np.linalg.svd(m.operator_.dense(), compute_uv=False)
    assert not np.allclose(np.sort(s), np.sort(np.abs(m.operator_.eigvals)), rtol=1e-3)
    p = s / s.sum() + np.finfo(float).eps
    assert h[0] == pytest.approx(-np.sum(p * np.log(p)), rel=1e-9)


def test_operator_with_landmarks_of_tiny_weight_still_diffuses_to_row_sums_of_one():
    # landmarks whose weights are 1e-8 of the others amplify float32 rounding in op ** t
    # (row sums off by 0.04); the operator is then decomposed in float64
    from scipy import sparse

    from mmphate._validate._analysis import check_diffusion
    from mmphate.engine._embedding import build_operator, diffuse, row_sum_drift

    N, L = 3000, 300
    cl = np.repeat(np.arange(L), N // L)
    R = sparse.random(N, N, density=0.02, random_state=1, dtype=np.float64)
    s = np.ones(N)
    s[cl < 20] = 1e-8
    K = (sparse.diags(s) @ (R + R.T) @ sparse.diags(s)).tocsr().astype(np.float32)
    op = build_operator(K, cl)
    assert op.weights.min() / op.weights.max() < 1e-7
    for t in (1, 50, 100):
        assert row_sum_drift(op.eigvals, op.eigvecs, op.weights, t) < 1e-4
    check_diffusion(diffuse(op, 100), 100)
