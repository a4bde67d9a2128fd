"""Checks of per-epoch tables: metrics matched to epochs, entropy curves and tables."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ._labels import check_int_labels
from ._scalars import _SHORT, _check_chars, _is_int, describe, printable

_NUMERIC_METRICS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")


def _metric_frame(metrics: Any) -> tuple[Any, bool]:
    """A DataFrame from a DataFrame or a mapping of columns; whether it came without labels."""
    import pandas as pd

    if isinstance(metrics, pd.DataFrame):
        return metrics.copy(), False
    if isinstance(metrics, Mapping):
        lengths = {}
        for key, col in metrics.items():
            if isinstance(col, (str, bytes)) or not isinstance(
                col, (Sequence, np.ndarray, pd.Series)
            ):
                raise TypeError(
                    f"metrics[{printable(repr(key))}] must be a sequence of per-epoch values; got "
                    f"{describe(col)}."
                )
            lengths[key] = len(col)
        if len(set(lengths.values())) > 1:
            raise ValueError(
                f"metrics columns must have the same length (one value per epoch); got {lengths}."
            )
        if any(isinstance(c, pd.Series) for c in metrics.values()):
            raise TypeError(
                "metrics given as a mapping of pandas Series would be aligned on their indexes; "
                "pass a DataFrame with an 'epoch' index instead."
            )
        return pd.DataFrame(
            {k: list(v) if not isinstance(v, np.ndarray) else v for k, v in metrics.items()}
        ), True
    raise TypeError(
        "metrics must be a DataFrame indexed by epoch (or with an 'epoch' column) or a mapping "
        f"of per-epoch columns; got {describe(metrics)}."
    )


def _check_metric_columns(df: Any) -> None:
    import pandas as pd

    if isinstance(df.columns, pd.MultiIndex):
        raise TypeError("metrics must have flat column names; got a MultiIndex.")
    names = list(df.columns)
    for c in names:
        if isinstance(c, str):
            _check_chars(c, "metrics column name")
        elif not (_is_int(c) or isinstance(c, (float, np.floating))):
            raise TypeError(f"metrics column names must be strings; got {describe(c)}.")
    if len(set(map(str, names))) != len(names):
        raise ValueError(f"metrics column names must be unique; got {[str(c) for c in names]}.")
    for i, c in enumerate(names):
        col = df.iloc[:, i]
        dt = col.dtype
        if isinstance(dt, np.dtype) and dt.kind in "biufcmM":
            continue
        if isinstance(getattr(dt, "numpy_dtype", None), np.dtype) and not isinstance(
            dt, pd.StringDtype
        ):
            continue  # nullable Int64 / Float64 / boolean
        values = col.tolist()
        text = [v for v in values if isinstance(v, str)]
        nums = [v for v in values if isinstance(v, (numbers.Number, np.generic)) and not _isnan(v)]
        other = [
            v
            for v in values
            if not isinstance(v, (str, numbers.Number, np.generic)) and v is not None
        ]
        if other and not all(_isnan(v) for v in other):
            raise TypeError(
                f"metrics column {printable(repr(c))} holds {describe(other[0])}; metrics must be "
                "numbers (or text)."
            )
        if text and nums:
            raise TypeError(
                f"metrics column {printable(repr(c))} mixes numbers and text ({nums[0]!r}, "
                f"{printable(repr(text[0]))}); give it numbers only."
            )
        for s in text:
            _check_chars(s, f"metrics column {printable(repr(c))} value")
        if text and str(c) in _NUMERIC_METRICS:
            raise TypeError(
                f"metrics column {c!r} must hold numbers; got text {printable(repr(text[0]))}."
            )


def _isnan(v: Any) -> bool:
    try:
        return bool(v != v)
    except Exception:  # pandas.NA and the like
        return True


def _epoch_labels(values: Any, name: str) -> np.ndarray:
    return check_int_labels(np.asarray(values), None, name, increasing=False)


def check_metrics(metrics: Any, epochs: np.ndarray) -> Any:
    """The metrics table of a recording, indexed by epoch number (int64, name ``"epoch"``).

    Epoch numbers come from an ``epoch`` column or an index named ``"epoch"``.  A mapping of
    columns without them must have one row per epoch, in order.  A DataFrame whose index is
    unnamed is accepted only when that index *is* the recording's epochs; otherwise it is
    ambiguous (labels or positions?) and refused.
    """
    import pandas as pd

    if metrics is None:
        return pd.DataFrame(index=pd.Index(epochs, name="epoch"))
    df, positional = _metric_frame(metrics)
    E = len(epochs)
    if "epoch" in df.columns:
        if df.index.name == "epoch":
            raise ValueError("metrics has both an 'epoch' column and an 'epoch' index; keep one.")
        labels = _epoch_labels(df["epoch"].to_numpy(), "metrics 'epoch' column")
        df = df.drop(columns="epoch")
    elif df.index.name == "epoch" and not positional:
        labels = _epoch_labels(df.index.to_numpy(), "metrics index")
    elif positional:
        if len(df) != E:
            raise ValueError(
                f"metrics has {len(df)} rows but the recording has {E} epochs; columns without "
                "epoch numbers need one value per epoch, in order (or add an 'epoch' column)."
            )
        labels = np.asarray(epochs, dtype=np.int64)
    else:
        idx = df.index
        same = len(idx) == E and idx.dtype.kind in "iu" and (idx.to_numpy() == epochs).all()
        if not same:
            head = printable(_SHORT.repr(idx.tolist()))
            raise ValueError(
                f"metrics has an unnamed index {head} that is not this recording's epochs "
                f"{printable(_SHORT.repr(epochs.tolist()))}, so its rows cannot be matched to "
                "epochs. If it holds epoch numbers, name it: metrics.rename_axis('epoch'); "
                "otherwise add an 'epoch' column."
            )
        labels = np.asarray(epochs, dtype=np.int64)
    unknown = sorted(set(labels.tolist()) - set(np.asarray(epochs).tolist()))
    if unknown:
        raise ValueError(
            f"metrics are indexed by epoch number; epochs {unknown[:10]} are not in this "
            f"recording's epochs {np.asarray(epochs).tolist()[:10]}."
        )
    _check_metric_columns(df)
    df.index = pd.Index(labels, name="epoch")
    return df


def epoch_indexed(metrics: Any, name: str = "metrics") -> Any:
    """A per-epoch table (DataFrame, mapping with an ``epoch`` key, or a Recording's metrics)
    indexed by integer epoch numbers; refuses tables that do not say which epoch a row is."""
    import pandas as pd

    table = getattr(metrics, "metrics", metrics)
    if isinstance(table, Mapping) and not isinstance(table, pd.DataFrame):
        if "epoch" not in table:
            raise ValueError(
                f"{name} given as a mapping needs an 'epoch' entry (the epoch of each row)."
            )
        table, _ = _metric_frame(table)
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"{name} must be a DataFrame indexed by epoch or a Recording; got {describe(metrics)}."
        )
    df = table.copy()
    if "epoch" in df.columns:
        labels = _epoch_labels(df["epoch"].to_numpy(), f"{name} 'epoch' column")
        df = df.drop(columns="epoch")
    elif df.index.name == "epoch":
        labels = _epoch_labels(df.index.to_numpy(), f"{name} index")
    else:
        raise ValueError(
            f"{name} must say which epoch each row is: an index named 'epoch' "
            f"({name}.rename_axis('epoch')) or an 'epoch' column; got an unnamed index "
            f"{printable(_SHORT.repr(df.index.tolist()))}."
        )
    _check_metric_columns(df)
    df.index = pd.Index(labels, name="epoch")
    return df


def check_entropy_input(entropy: Any, epochs: Any = None, name: str = "entropy") -> None:
    """An entropy table, a per-epoch Series or a 1-D array: numeric values, whole-number epochs.

    (Which form it is, and NaN values, are handled by the analysis itself.)
    """
    import pandas as pd

    if isinstance(entropy, (pd.DataFrame, pd.Series, np.ndarray, list, tuple)) and not len(entropy):
        raise ValueError(f"{name} is empty; an entropy curve needs at least one epoch.")
    if isinstance(entropy, pd.DataFrame):
        if not {"epoch", "entropy"} <= set(entropy.columns):
            return  # the analysis names the missing columns
        col = entropy["entropy"]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            raise TypeError(f"{name}['entropy'] must hold numbers; got dtype {col.dtype}.")
        if len(entropy):
            check_int_labels(
                entropy["epoch"].to_numpy(),
                None,
                f"{name}['epoch']",
                increasing=False,
                unique=False,
            )
        return
    if isinstance(entropy, pd.Series):
        if not pd.api.types.is_numeric_dtype(entropy) or pd.api.types.is_bool_dtype(entropy):
            raise TypeError(f"{name} must hold numbers; got dtype {entropy.dtype}.")
        if len(entropy):
            check_int_labels(
                entropy.index.to_numpy(), None, f"{name} index (epochs)", increasing=False
            )
        return
    if isinstance(entropy, (str, bytes)) or entropy is None:
        raise TypeError(
            f"{name} must be an entropy table, a Series or an array; got {describe(entropy)}."
        )
    try:
        arr = np.asarray(entropy)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a 1-D numeric array; got {describe(entropy)}.") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be numeric; got dtype {arr.dtype}.")
    if epochs is not None and arr.ndim == 1:
        check_int_labels(epochs, len(arr), "epochs", increasing=False)


def check_entropy_collection(entropy: Any) -> None:
    """An entropy input of :func:`~mmphate.entropy_vs_performance`: one table, Series or array,
    or a list/dict of them."""
    if isinstance(entropy, (str, bytes)):
        raise TypeError(
            "entropy must be an entropy table, a per-epoch Series, or a list/dict of them; "
            f"got {describe(entropy)}."
        )
    if isinstance(entropy, Mapping):
        items = list(entropy.items())
    elif isinstance(entropy, (list, tuple)):
        items = list(enumerate(entropy))
    else:
        items = [("entropy", entropy)]
    for key, item in items:
        if isinstance(item, (list, tuple)) and not all(isinstance(v, numbers.Real) for v in item):
            raise TypeError(
                f"entropy[{printable(repr(key))}] must be a table, a Series or numbers; got "
                f"{describe(item)}."
            )
        check_entropy_input(item, name=f"entropy[{printable(repr(key))}]")


def check_numeric_column(table: Any, column: str, name: str) -> None:
    """``table[column]``, if present, holds numbers (not text such as ``"high"``)."""
    import pandas as pd

    if column in table.columns:
        col = table[column]
        if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
            bad = next((v for v in col.tolist() if isinstance(v, str)), None)
            raise TypeError(
                f"{name}[{column!r}] must hold numbers; got dtype {col.dtype}"
                + (f" (e.g. {printable(repr(bad))})" if bad is not None else "")
                + "."
            )
