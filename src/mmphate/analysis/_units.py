"""Ranking hidden units by inter-step entropy ("high-information units").

Our definition: a unit's score is its mean inter-step entropy over the chosen
epochs (all by default), i.e. how much, on average, its representation moves
through the sequence.  Whether high-scoring units matter more for the task is
tested, not assumed, by :func:`~mmphate.ablation_test`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._validate import check_entropy_input, check_int_labels

__all__ = ["rank_units"]


def rank_units(interstep: pd.DataFrame, *, epochs: Sequence[int] | None = None) -> pd.DataFrame:
    """Rank units by mean inter-step entropy, highest first.

    Parameters
    ----------
    interstep : DataFrame
        The table of :func:`~mmphate.interstep_entropy` (columns ``epoch``,
        ``unit``, ``entropy``).
    epochs : sequence of int, optional
        Epoch labels to average over (default: all), e.g. only the last epoch.

    Returns
    -------
    pandas.DataFrame
        Columns ``rank`` (1 = highest), ``unit``, ``mean_entropy``,
        ``std_entropy`` (over epochs), ``last_entropy`` (at the last chosen
        epoch); sorted by rank, ties broken by unit order of first appearance.

    Raises
    ------
    ValueError
        If ``interstep`` is not an inter-step entropy table, or ``epochs`` holds labels that are
        not whole numbers or not in the table.
    TypeError
        If the table's entropies are not numbers.
    """
    if isinstance(interstep, pd.DataFrame):
        check_entropy_input(interstep, name="interstep")
    if epochs is not None:
        check_int_labels(np.atleast_1d(np.asarray(epochs)), None, "epochs", increasing=False)
    if not isinstance(interstep, pd.DataFrame) or not {"epoch", "unit", "entropy"} <= set(
        interstep.columns
    ):
        cols = list(interstep.columns) if isinstance(interstep, pd.DataFrame) else None
        raise ValueError(
            "rank_units needs the inter-step entropy table (columns 'epoch', 'unit', 'entropy'); "
            f"got {cols if cols is not None else type(interstep).__name__}."
        )
    df = interstep
    if epochs is not None:
        wanted = list(np.atleast_1d(np.asarray(epochs)).tolist())
        missing = sorted(set(wanted) - set(df["epoch"].tolist()))
        if missing:
            raise ValueError(f"epochs {missing[:10]} are not in the table.")
        df = df[df["epoch"].isin(wanted)]
    order = pd.unique(df["unit"])
    g = df.groupby("unit", sort=False)["entropy"]
    last_epoch = df["epoch"].max()
    out = pd.DataFrame(
        {
            "unit": order,
            "mean_entropy": g.mean().reindex(order).to_numpy(),
            "std_entropy": g.std(ddof=0).reindex(order).to_numpy(),
            "last_entropy": df[df["epoch"] == last_epoch]
            .set_index("unit")["entropy"]
            .reindex(order)
            .to_numpy(),
        }
    )
    out = out.sort_values("mean_entropy", ascending=False, kind="stable").reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out


def unit_scores(ranking: Any) -> pd.Series:
    """Per-unit entropy scores as a Series indexed by unit id (internal helper).

    Accepts the output of :func:`rank_units`, an inter-step table, a Series or
    a 1-D array (positional units ``"0".."U-1"``).
    """
    if isinstance(ranking, pd.DataFrame):
        if "mean_entropy" in ranking.columns:
            s = ranking.set_index("unit")["mean_entropy"]
        else:
            r = rank_units(ranking)
            s = r.set_index("unit")["mean_entropy"]
    elif isinstance(ranking, pd.Series):
        s = ranking
    else:
        arr = np.asarray(ranking, dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"unit entropy must be 1-D (one score per unit); got {arr.shape}.")
        s = pd.Series(arr, index=[str(i) for i in range(len(arr))])
    s = s.astype(float)
    s.index = pd.Index([str(i) for i in s.index], name="unit")
    return s
