import importlib.util

import numpy as np
import pytest

from mmphate import compare_methods
from mmphate.record.datasets import synthetic_recording


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
        "intrastep_entropy",
        "interstep_entropy",
    ):
        assert col in table.columns
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
