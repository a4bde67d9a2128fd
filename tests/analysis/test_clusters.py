import numpy as np
import pytest
import scipy.sparse as sp

from mmphate import Recording, cluster_units


def _three_groups(E=4, T=5, U=12, seed=0):
    """Units in 3 groups; each group follows its own path, units jitter around it."""
    rng = np.random.default_rng(seed)
    group = np.repeat([0, 1, 2], U // 3)
    rng.shuffle(group)
    centres = rng.normal(scale=5.0, size=(3, E, T, 2))
    emb = centres[group].transpose(1, 2, 0, 3) + rng.normal(scale=0.1, size=(E, T, U, 2))
    return emb.reshape(-1, 2), group


def _same_partition(a, b):
    return all((a[i] == a[j]) == (b[i] == b[j]) for i in range(len(a)) for j in range(len(a)))


def test_auto_finds_three_groups_by_silhouette():
    emb, group = _three_groups()
    res = cluster_units(emb, (4, 5, 12))
    assert res.n_clusters == 3
    assert _same_partition(res.labels, group)
    assert res.labels.shape == (12,) and res.labels.dtype.kind == "i"
    assert res.scores.index.tolist() == list(range(2, 9))
    assert res.scores.idxmax() == 3
    assert "silhouette" in res.criterion
    assert res.labels[0] == 0  # canonical numbering: first unit's cluster is 0


def test_deterministic_and_agglomerative_agrees():
    emb, group = _three_groups(seed=3)
    a = cluster_units(emb, (4, 5, 12), random_state=7)
    b = cluster_units(emb, (4, 5, 12), random_state=7)
    np.testing.assert_array_equal(a.labels, b.labels)
    c = cluster_units(emb, (4, 5, 12), method="agglomerative")
    np.testing.assert_array_equal(a.labels, c.labels)


def test_fixed_k_and_recording_labels():
    emb, group = _three_groups()
    rec = Recording(np.zeros((4, 5, 12, 2)), units=[f"u{i}" for i in range(12)])
    res = cluster_units(emb, rec, n_clusters=2)
    assert res.n_clusters == 2 and len(np.unique(res.labels)) == 2
    assert res.to_frame()["unit"].tolist()[0] == "u0"
    assert res.criterion == "given: k = 2"


def test_affinity_features_from_embedding_and_kernel():
    emb, group = _three_groups()
    res = cluster_units(emb, (4, 5, 12), features="affinity")
    assert _same_partition(res.labels, group)
    # a kernel whose intra-step blocks link exactly the units of a group
    E, T, U = 4, 5, 12
    same = (group[:, None] == group[None, :]).astype(float)
    K = sp.block_diag([same] * (E * T), format="csr")
    res_k = cluster_units(emb, (E, T, U), features="affinity", kernel=K)
    assert _same_partition(res_k.labels, group)
    np.testing.assert_allclose(res_k.features, same)


def test_errors():
    emb, _ = _three_groups()
    with pytest.raises(ValueError, match="method must be"):
        cluster_units(emb, (4, 5, 12), method="dbscan")
    with pytest.raises(ValueError, match="leaves no k"):
        cluster_units(emb, (4, 5, 12), k_range=(20, 30))
    with pytest.raises(ValueError, match="N x N"):
        cluster_units(emb, (4, 5, 12), features="affinity", kernel=sp.eye(5))
