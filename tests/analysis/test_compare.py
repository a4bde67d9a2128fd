import importlib.machinery
import importlib.util
import sys
import types

import numpy as np
import pytest

from mmphate import compare_methods
from mmphate._optional import MissingDependencyError
from mmphate._validate import InvalidParameterError
from mmphate.analysis import sensitivity
from mmphate.record.datasets import synthetic_recording

NEW_COLUMNS = ("between_unit_variance", "demap_within", "stability_spearman", "stability_stress")


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_recording(n_epochs=6, n_timesteps=8, n_units=9, n_samples=20, seed=0)


def test_baselines_table_has_every_metric(synthetic):
    rec, truth = synthetic
    table, embs = compare_methods(
        rec, methods=("pca", "isomap"), ground_truth=truth, return_embeddings=True
    )
    assert table.index.tolist() == ["pca", "isomap"]
    for col in (
        "seconds",
        "np_within",
        "np_between",
        "trustworthiness",
        "continuity",
        "demap",
        *NEW_COLUMNS,
        "intrastep_entropy",
        "interstep_entropy",
    ):
        assert col in table.columns
    assert np.isfinite(table[[*NEW_COLUMNS, "demap_within_group"]].to_numpy()).all()
    assert table.attrs["demap_within_vs"] == "ground_truth"
    for key in ("between_unit_variance_features", "between_unit_variance_ground_truth"):
        assert 0 < table.attrs[key] < 1
    scores = table[["np_within", "np_between", "trustworthiness", "continuity"]].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()
    assert (table["seconds"] > 0).all()
    # latent geometry is low-dimensional and smooth: PCA of the features tracks it
    assert table.loc["pca", "demap"] > 0.5
    assert embs["pca"].shape == (rec.n_nodes, 2)
    assert table.attrs["k_within"] == 5


def test_precomputed_embeddings_are_scored(synthetic):
    rec, truth = synthetic
    noise = np.random.default_rng(0).normal(size=(rec.n_nodes, 2))
    table = compare_methods(
        rec, methods=("pca",), ground_truth=truth.latent, embeddings={"noise": noise}
    )
    assert np.isnan(table.loc["noise", "seconds"])
    assert table.loc["noise", "trustworthiness"] < table.loc["pca", "trustworthiness"]
    assert abs(table.loc["noise", "demap"]) < 0.2
    assert abs(table.loc["noise", "demap_within"]) < 0.2
    assert "demap_within_group" not in table.columns  # a bare latent array has no unit groups
    assert table.loc["noise", "between_unit_variance"] < 0.2
    assert abs(table.loc["noise", "stability_spearman"]) < 0.2
    assert table.loc["noise", "stability_stress"] > 1
    assert table.loc["pca", "stability_spearman"] > 0.5


def test_without_ground_truth_within_unit_demap_is_against_the_features(synthetic):
    rec, _ = synthetic
    table = compare_methods(rec, methods=("pca",), entropy=False)
    assert "demap" not in table.columns
    assert table.attrs["demap_within_vs"] == "features"
    assert "between_unit_variance_ground_truth" not in table.attrs
    assert 0.5 < table.loc["pca", "demap_within"] <= 1


def test_a_collapsed_embedding_scores_nan_not_an_error(synthetic):
    rec, _ = synthetic
    table = compare_methods(
        rec, methods=(), embeddings={"zero": np.zeros((rec.n_nodes, 2))}, entropy=False
    )
    assert np.isnan(table.loc["zero", "between_unit_variance"])
    assert np.isnan(table.loc["zero", "stability_spearman"])


def _fake_reference(monkeypatch, seen):
    """A stand-in ``m_phate`` module whose M_PHATE returns two feature columns."""

    class M_PHATE:
        def __init__(self, **kwargs):
            seen["kwargs"] = kwargs

        def fit_transform(self, X):
            seen["shape"] = X.shape
            return X.reshape(-1, X.shape[-1])[:, :2]

    module = types.ModuleType("m_phate")
    module.__spec__ = importlib.machinery.ModuleSpec("m_phate", None)
    module.M_PHATE = M_PHATE
    monkeypatch.setitem(sys.modules, "m_phate", module)


def test_reference_row_when_m_phate_is_importable(synthetic, monkeypatch):
    rec, _ = synthetic
    seen = {}
    _fake_reference(monkeypatch, seen)
    table, embs = compare_methods(
        rec,
        methods=("m_phate", "pca"),
        params={"m_phate": {"t": 7}},
        entropy=False,
        return_embeddings=True,
    )
    E, T, U, S = rec.shape
    assert seen["shape"] == (E * T, U, S)  # the reference's (slices, points, features) tensor
    assert seen["kwargs"]["t"] == 7 and seen["kwargs"]["random_state"] == 0
    np.testing.assert_array_equal(embs["m_phate"], rec.filled("carry").reshape(-1, S)[:, :2])
    assert table.index.tolist() == ["m_phate", "pca"]
    assert np.isfinite(table.loc["m_phate", list(NEW_COLUMNS)].to_numpy(float)).all()


def test_reference_runs_by_default_only_when_importable(synthetic, monkeypatch):
    from mmphate.analysis import _compare

    rec, _ = synthetic
    calls = []
    monkeypatch.setattr(
        _compare, "_embed", lambda m, *a: calls.append(m) or np.asarray(a[1])[:, :2]
    )
    monkeypatch.setattr(_compare, "_reference_installed", lambda: False)
    compare_methods(rec, entropy=False)
    assert calls == list(_compare.DEFAULT_METHODS)
    calls.clear()
    monkeypatch.setattr(_compare, "_reference_installed", lambda: True)
    compare_methods(rec, entropy=False)
    assert calls == [*_compare.DEFAULT_METHODS, "m_phate"]


def test_reference_missing_is_one_clear_error(synthetic, monkeypatch):
    rec, _ = synthetic
    monkeypatch.setitem(sys.modules, "m_phate", None)  # import fails
    with pytest.raises(MissingDependencyError, match="pip install m-phate"):
        compare_methods(rec, methods=("m_phate",))


def test_unknown_method(synthetic):
    rec, _ = synthetic
    with pytest.raises(ValueError, match="unknown methods"):
        compare_methods(rec, methods=("pca", "lle"))


@pytest.mark.skipif(
    importlib.util.find_spec("mmphate.engine") is None, reason="estimator not available"
)
def test_mmphate_scalable_vs_exact(synthetic):
    rec, truth = synthetic
    table = compare_methods(
        rec, methods=("mmphate", "mmphate_exact"), ground_truth=truth, entropy=False
    )
    assert {"knn_overlap_vs_exact", "procrustes_vs_exact"} <= set(table.columns)
    assert table.loc["mmphate_exact", "knn_overlap_vs_exact"] == pytest.approx(1.0)
    assert table.loc["mmphate_exact", "procrustes_vs_exact"] == pytest.approx(0.0, abs=1e-9)
    assert 0 <= table.loc["mmphate", "knn_overlap_vs_exact"] <= 1


@pytest.fixture(scope="module")
def tiny():
    return synthetic_recording(n_epochs=4, n_timesteps=5, n_units=6, n_samples=10, seed=0)


@pytest.mark.skipif(
    importlib.util.find_spec("mmphate.engine") is None, reason="estimator not available"
)
def test_sensitivity_grid(tiny):
    rec, truth = tiny
    table = sensitivity(rec, t=[3, 10], gamma=[1.0], ground_truth=truth)
    assert table.index.names == ["t", "gamma"]
    assert table.index.tolist() == [(3, 1.0), (10, 1.0)]
    assert table["t_used"].tolist() == [3, 10]
    assert np.isfinite(table[["demap", *NEW_COLUMNS]].to_numpy()).all()
    assert 0 < table.attrs["between_unit_variance_ground_truth"] < 1


def test_sensitivity_errors(tiny):
    rec, _ = tiny
    with pytest.raises(InvalidParameterError, match="t must be a non-empty list"):
        sensitivity(rec, t="auto")
    with pytest.raises(InvalidParameterError, match="gamma values"):
        sensitivity(rec, t=[5], gamma=[2.0])
    with pytest.raises(InvalidParameterError, match="t values"):
        sensitivity(rec, t=[0])
    with pytest.raises(InvalidParameterError, match="must not set"):
        sensitivity(rec, t=[5], params={"gamma": 0.5})
    with pytest.raises(TypeError, match="Recording"):
        sensitivity(np.zeros((4, 5, 6, 10)), t=[5])
