import numpy as np
import pandas as pd
import pytest

from mmphate import rank_units
from mmphate.analysis._units import unit_scores


def _table():
    return pd.DataFrame(
        {
            "epoch": [1, 1, 1, 2, 2, 2],
            "unit": ["a", "b", "c", "a", "b", "c"],
            "entropy": [1.0, 3.0, 2.0, 1.0, 1.0, 4.0],
        }
    )


def test_rank_by_mean_interstep_entropy():
    r = rank_units(_table())
    assert r["unit"].tolist() == ["c", "b", "a"]
    assert r["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(r["mean_entropy"], [3.0, 2.0, 1.0])
    np.testing.assert_allclose(r["std_entropy"], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(r["last_entropy"], [4.0, 1.0, 1.0])


def test_rank_restricted_to_epochs():
    r = rank_units(_table(), epochs=[1])
    assert r["unit"].tolist() == ["b", "c", "a"]
    with pytest.raises(ValueError, match="not in the table"):
        rank_units(_table(), epochs=[7])


def test_ties_keep_unit_order_and_bad_input():
    t = _table().assign(entropy=1.0)
    assert rank_units(t)["unit"].tolist() == ["a", "b", "c"]
    with pytest.raises(ValueError, match="inter-step entropy table"):
        rank_units(pd.DataFrame({"epoch": [1], "timestep": [0], "entropy": [1.0]}))


def test_unit_scores_accepts_all_forms():
    s = unit_scores(rank_units(_table()))
    assert s["c"] == 3.0 and s.index.name == "unit"
    assert unit_scores(_table())["b"] == 2.0
    a = unit_scores(np.array([0.5, 0.1]))
    assert a.index.tolist() == ["0", "1"]
