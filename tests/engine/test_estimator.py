"""API contract of the MMPHATE estimator."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from sklearn.base import clone

from mmphate import MMPHATE, Recording


def _tensor(E=4, T=5, U=6, S=10, seed=0):
    rng = np.random.default_rng(seed)
    drift = np.cumsum(rng.normal(scale=0.5, size=(E, T, U, S)), axis=1)
    drift += np.cumsum(rng.normal(scale=0.3, size=(E, 1, U, S)), axis=0)
    return (rng.normal(size=(1, 1, U, S)) + drift).astype(np.float32)


def _fast(**kw):
    params = dict(random_state=0, verbose=0, n_landmark=40)
    params.update(kw)
    return MMPHATE(**params)


def test_get_set_params_and_clone():
    m = MMPHATE(n_components=3, interstep="exact", t=7, n_landmark=None)
    p = m.get_params()
    assert p["n_components"] == 3 and p["interstep"] == "exact" and p["t"] == 7
    assert p["n_landmark"] is None and p["padding"] == "carry"
    m2 = clone(m)
    assert m2.get_params() == p and m2 is not m
    assert m.set_params(gamma=1) is m and m.gamma == 1


def test_fit_returns_self_and_shapes():
    X = _tensor()
    E, T, U, _ = X.shape
    m = _fast()
    assert m.fit(X) is m
    N = E * T * U
    assert m.embedding_.shape == (N, 2)
    assert m.kernel_.shape == (N, N)
    assert isinstance(m.t_, int) and m.t_ >= 1
    assert isinstance(m.recording_, Recording)
    assert np.isfinite(m.embedding_).all()
    Y3 = _fast(n_components=3).fit_transform(X)
    assert Y3.shape == (N, 3)


def test_no_landmarks_and_exact_mode():
    X = _tensor(3, 4, 5, 8)
    Y = _fast(n_landmark=None, interstep="exact").fit_transform(X)
    assert Y.shape == (3 * 4 * 5, 2) and np.isfinite(Y).all()


def test_slice_major_order():
    """Node (e, t, u) sits at row (e*T + t)*U + u: permuting units permutes rows alike."""
    X = _tensor()
    E, T, U, _ = X.shape
    m = _fast(n_landmark=None, mds_solver="classic").fit(X)
    perm = np.array([2, 0, 1, 5, 3, 4])
    m2 = _fast(n_landmark=None, mds_solver="classic").fit(X[:, :, perm])
    K = m.kernel_.toarray()
    nodes = np.arange(E * T * U).reshape(E, T, U)[:, :, perm].ravel()
    np.testing.assert_allclose(m2.kernel_.toarray(), K[np.ix_(nodes, nodes)], atol=1e-6)
    df = m.to_frame()
    row = (2 * T + 3) * U + 4
    assert df.loc[row, ["epoch", "timestep", "unit"]].tolist() == [2, 3, "4"]


def test_to_frame_uses_recording_labels():
    X = _tensor()
    E, T, U, _ = X.shape
    rec = Recording(
        X,
        epochs=[10 * i for i in range(E)],
        timesteps=[100 + t for t in range(T)],
        units=[f"h{u}" for u in range(U)],
    )
    m = _fast(n_components=3).fit(rec)
    df = m.to_frame()
    assert list(df.columns) == ["epoch", "timestep", "unit", "x", "y", "z"]
    assert len(df) == E * T * U
    assert df["epoch"].iloc[-1] == 10 * (E - 1) and df["timestep"].iloc[U] == 101
    assert df["unit"].iloc[1] == "h1"
    np.testing.assert_array_equal(df[["x", "y", "z"]].to_numpy(), m.embedding_)
    assert m.recording_ is rec


@pytest.mark.parametrize("padding", ["carry", "zero"])
def test_padding_via_recording_filled(padding):
    X = _tensor(3, 6, 5, 8)
    valid = np.ones((6, 8), dtype=bool)
    valid[4:, :3] = False  # three short samples
    rec = Recording(X, valid=valid)
    m = _fast(padding=padding, n_landmark=None).fit(rec)
    ref = _fast(n_landmark=None).fit(rec.filled(padding))
    np.testing.assert_allclose(m.kernel_.toarray(), ref.kernel_.toarray())
    other = "zero" if padding == "carry" else "carry"
    assert abs(m.kernel_ - _fast(n_landmark=None).fit(rec.filled(other)).kernel_).max() > 0


def test_random_state_bit_for_bit():
    X = _tensor(5, 8, 6, 12, seed=4)
    Y1 = _fast(random_state=3).fit_transform(X)
    Y2 = _fast(random_state=3).fit_transform(X)
    np.testing.assert_array_equal(Y1, Y2)
    Y3 = _fast(random_state=4).fit_transform(X)
    assert not np.array_equal(Y1, Y3)


def test_retransform_reuses_kernel():
    X = _tensor()
    m = _fast(t=5).fit(X)
    K, op = m.kernel_, m.operator_
    assert m.n_kernel_builds_ == 1
    Y_first = m.embedding_.copy()
    Y = m.set_params(t=9).transform()
    assert m.kernel_ is K and m.operator_ is op and m.n_kernel_builds_ == 1 and m.t_ == 9
    assert not np.allclose(Y, Y_first)
    m.set_params(gamma=1).transform()
    m.set_params(n_components=3)
    assert m.transform().shape == (X.shape[0] * X.shape[1] * X.shape[2], 3)
    assert m.kernel_ is K and m.n_kernel_builds_ == 1
    assert "kernel" not in m.timings_
    # back to the original parameters: same embedding as the first fit
    m.set_params(t=5, gamma=0, n_components=2)
    np.testing.assert_allclose(m.transform(), Y_first)
    # a kernel parameter does rebuild
    m.set_params(interstep_knn=3).transform()
    assert m.n_kernel_builds_ == 2 and m.kernel_ is not K
    K2 = m.kernel_
    m.set_params(interstep_neighbors=5).transform()
    assert m.n_kernel_builds_ == 3 and m.kernel_.nnz < K2.nnz
    assert m.kernel_info_.interstep_neighbors == 5


def test_transform_rejects_other_data():
    X = _tensor()
    m = _fast().fit(X)
    np.testing.assert_array_equal(m.transform(X), m.embedding_)
    with pytest.raises(ValueError, match="no out-of-sample"):
        m.transform(X + 1)


def test_not_fitted():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        MMPHATE().transform()
    with pytest.raises(NotFittedError):
        MMPHATE().to_frame()


def test_verbose_zero_is_silent(capsys, caplog):
    caplog.set_level(logging.DEBUG)
    _fast(verbose=0).fit(_tensor())
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert not [r for r in caplog.records if r.name.startswith("mmphate")]


def test_verbose_logs(caplog):
    caplog.set_level(logging.INFO, logger="mmphate")
    _fast(verbose=1).fit(_tensor())
    assert any("kernel" in r.getMessage() for r in caplog.records)


def test_phate_logger_level_restored():
    lg = logging.getLogger("graphtools")
    before = lg.level
    _fast(verbose=0).fit(_tensor())
    assert lg.level == before


@pytest.mark.parametrize(
    "X, exc, match",
    [
        (
            np.zeros((4, 5, 6)),
            ValueError,
            r"must be 4-D \(epochs, timesteps, units, samples\); got shape \(4, 5, 6\)",
        ),
        (np.full((2, 3, 4, 5), "a"), TypeError, "must be a numeric array"),
        (np.zeros((2, 3, 2, 5)), ValueError, "has 2 units but intrastep_knn=2 needs at least 3"),
        (np.zeros((1, 1, 6, 5)), ValueError, "single slice"),
    ],
)
def test_bad_input(X, exc, match):
    with pytest.raises(exc, match=match):
        MMPHATE(verbose=0).fit(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_input(bad):
    X = _tensor()
    X[1, 2, 3, 4] = bad
    with pytest.raises(ValueError, match=r"NaN or infinite.*\(1, 2, 3, 4\)"):
        MMPHATE(verbose=0).fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_components": 0}, "n_components must be a positive integer"),
        ({"interstep": "full"}, "interstep must be one of"),
        ({"t": "best"}, "t must be 'auto' or a positive integer"),
        ({"t": 0}, "t must be 'auto' or a positive integer"),
        ({"gamma": 2}, r"gamma must be a number in \[-1, 1\]"),
        ({"n_landmark": 0}, "n_landmark must be a positive integer or None"),
        ({"padding": "mean"}, "padding must be one of"),
        ({"mds_solver": "tsne"}, "mds_solver must be one of"),
        ({"intrastep_knn": 1.5}, "intrastep_knn must be a positive integer"),
        ({"interstep_knn": -1}, "interstep_knn must be a positive integer"),
        ({"interstep_neighbors": -1}, "interstep_neighbors must be a non-negative integer"),
        ({"interstep_neighbors": 2.0}, "interstep_neighbors must be a non-negative integer"),
        ({"decay": 0}, "decay must be a positive number"),
        ({"thresh": -0.1}, r"thresh must be a number in \[0, 1\)"),
        ({"n_jobs": 0}, "n_jobs must be a non-zero integer or None"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MMPHATE(verbose=0, **params).fit(_tensor())


def test_stored_kernel_is_built_when_first_read():
    import pickle

    from mmphate.engine._kernel import build_kernel

    X = _tensor(E=6, T=8)
    m = _fast(interstep_neighbors=6).fit(X)
    assert "_kernel" not in m.__dict__  # the fit did not search the interstep neighbours
    Y = m.embedding_.copy()
    copy = pickle.loads(pickle.dumps(m))
    m.set_params(decay=20)  # not yet transformed: the kernel is the fitted one
    K = m.kernel_
    want, info = build_kernel(
        X, intrastep_knn=2, interstep_knn=25, decay=5, thresh=1e-4, interstep_neighbors=6,
        random_state=m._seed(0),
    )  # fmt: skip
    assert (K != want).nnz == 0 and K.nnz > info.nnz_intrastep
    assert m.kernel_info_ == info and m.kernel_ is K
    assert "kernel (interstep neighbours)" in m.timings_
    np.testing.assert_array_equal(m.embedding_, Y)
    assert (copy.kernel_ != want).nnz == 0
    # the operator is the same whether it reads the stored kernel or the fit's intrastep part
    m.set_params(decay=5, n_landmark=30).transform()
    fresh = _fast(interstep_neighbors=6, n_landmark=30).fit(X)
    assert "_kernel" in m.__dict__ and "_kernel" not in fresh.__dict__
    np.testing.assert_array_equal(m.embedding_, fresh.embedding_)
    with pytest.raises(AttributeError):
        _ = MMPHATE().kernel_
