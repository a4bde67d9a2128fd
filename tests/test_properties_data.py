"""Property tests: malformed parameters, tensors and recordings give a clear mmphate error or a
correct result, never another exception or a silently changed meaning (see tests/_clear.py)."""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
import pandas as pd
import pytest
from _clear import outcome
from _strategies import (
    examples,
    int_in,
    is_int,
    junk,
    one_of_str,
    real_in,
    seed_ok,
    text,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from mmphate import MMPHATE, Recording
from mmphate._validate import DegenerateDataWarning
from mmphate.engine import normalize_nodes

X0 = np.random.default_rng(0).normal(size=(3, 4, 5, 6)).astype(np.float32)

# parameter -> (valid values, oracle of validity); junk is mixed in below
PARAMS = {
    "n_components": (st.integers(1, 4), int_in(1)),
    "intrastep_knn": (st.integers(1, 4), int_in(1, 4)),
    "interstep_knn": (st.integers(1, 40), int_in(1)),
    "decay": (st.floats(0.1, 40), real_in(0, lo_open=True)),
    "thresh": (st.floats(0, 0.99), real_in(0, 1, hi_open=True)),
    "interstep": (st.sampled_from(["knn", "exact"]), one_of_str("knn", "exact")),
    "interstep_neighbors": (st.integers(0, 60), int_in(0)),
    "t": (
        st.one_of(st.just("auto"), st.integers(1, 300)),
        lambda v: v == "auto" if isinstance(v, str) else int_in(1)(v),
    ),
    "gamma": (st.floats(-1, 1), real_in(-1, 1)),
    "n_landmark": (st.one_of(st.none(), st.integers(1, 80)), lambda v: v is None or int_in(1)(v)),
    "padding": (st.sampled_from(["carry", "zero"]), one_of_str("carry", "zero")),
    "mds_solver": (
        st.sampled_from(["sgd", "smacof", "classic"]),
        one_of_str("sgd", "smacof", "classic"),
    ),
    "random_state": (
        st.one_of(st.none(), st.integers(0, 2**32 - 1), st.just(np.random.default_rng(0))),
        seed_ok,
    ),
    "n_jobs": (st.sampled_from([1, -1, 2]), lambda v: is_int(v) and v != 0),
    "verbose": (st.sampled_from([0, False]), lambda v: isinstance(v, numbers.Integral)),
}
# values just outside the valid ones, per parameter
NEAR = {
    "n_components": st.sampled_from([0, -1, 2.0, True]),
    "intrastep_knn": st.sampled_from([0, 5, 1.5]),
    "interstep_knn": st.sampled_from([0, -3, 25.0]),
    "decay": st.sampled_from([0, -1.0, np.nan, np.inf]),
    "thresh": st.sampled_from([1, -1e-9, np.nan, 1.0]),
    "interstep": st.sampled_from(["KNN", "", np.array(["knn"])]),
    "interstep_neighbors": st.sampled_from([-1, 75.0, None]),
    "t": st.sampled_from([0, "AUTO", 2.5, True]),
    "gamma": st.sampled_from([1.0000001, -2, np.nan]),
    "n_landmark": st.sampled_from([0, 10.0, "all"]),
    "padding": st.sampled_from(["mean", None]),
    "mds_solver": st.sampled_from(["tsne", None]),
    "random_state": st.sampled_from([1.7, -1, 2**32, "0", True]),
    "n_jobs": st.sampled_from([0, 1.0, True]),
    "verbose": st.sampled_from(["loud", 0.5, None, np.bool_(True)]),
}
VALID_PARAMS = st.fixed_dictionaries({}, optional={k: v[0] for k, v in PARAMS.items()})
ANY_PARAMS = st.fixed_dictionaries(
    {}, optional={k: st.one_of(v[0], v[0], NEAR[k], junk) for k, v in PARAMS.items()}
)


@examples(300)
@given(st.one_of(VALID_PARAMS, ANY_PARAMS))
def test_estimator_parameters(params):
    """Any parameter values: refused unless every one is valid; valid ones embed every node."""
    valid = all(PARAMS[k][1](v) for k, v in params.items())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        Y, err = outcome(lambda: MMPHATE(**params).fit_transform(X0))
    if not valid:
        assert err is not None, f"accepted invalid parameters {params}"
        return
    assert err is None, f"valid parameters {params} refused: {err}"
    assert Y.shape == (60, params.get("n_components", 2)) and np.isfinite(Y).all()


finite_or_odd = st.one_of(
    st.floats(-10, 10, width=32),
    st.sampled_from([np.nan, np.inf, -np.inf, 1e300, -1e300, 1e-300, 3e38, 1e-40, 0.0, -0.0]),
)
dtypes = st.sampled_from(
    [np.float16, np.float32, np.float64, np.int8, np.int64, np.uint8, np.bool_, np.complex64]
)
shapes = hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)


@st.composite
def tensors(draw):
    kind = draw(
        st.sampled_from(["numeric", "numeric", "numeric", "object", "text", "junk", "ragged"])
    )
    if kind == "numeric":
        dtype = np.dtype(draw(dtypes))
        shape = draw(st.one_of(shapes, st.tuples(*[st.integers(1, 4)] * 4)))
        raw = draw(hnp.arrays(np.float64, shape, elements=finite_or_odd))
        with np.errstate(all="ignore"):
            if dtype.kind in "iub":
                raw = np.nan_to_num(raw, nan=0, posinf=0, neginf=0).clip(-100, 100)
            arr = raw.astype(dtype)
        if draw(st.booleans()) and arr.ndim == 4 and arr.size:
            arr[..., :] = arr.flat[0]  # constant over samples
        return arr
    if kind == "object":
        return np.array([[[[1.0, "a"]]]], dtype=object)
    if kind == "text":
        return np.full((2, 3, 4, 2), "x")
    if kind == "ragged":
        return [[[[1.0, 2.0]], [[1.0]]]]
    return draw(junk)


def _tensor_valid(X) -> bool:
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "biuf" or X.ndim != 4 or 0 in X.shape:
        return False
    if X.dtype.kind == "f":
        if not np.isfinite(X).all():
            return False
        top = float(np.abs(X.astype(np.float64)).max())
        if X.dtype.itemsize > 4 and (
            top > float(np.finfo(np.float32).max) or 0 < top < float(np.finfo(np.float32).tiny)
        ):
            return False
    E, T, U, _ = X.shape
    return U >= 3 and E * T >= 2


@examples(300)
@given(tensors())
def test_fit_any_tensor(X):
    """Any tensor: refused unless numeric, 4-D, finite and float32-representable with enough
    units and slices; otherwise a finite embedding of every node (degenerate data warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DegenerateDataWarning)
        Y, err = outcome(lambda: MMPHATE(verbose=0, random_state=0).fit_transform(X))
    if not _tensor_valid(X):
        assert err is not None, f"accepted an invalid tensor {getattr(X, 'shape', X)!r}"
        return
    assert err is None, f"refused a valid tensor: {err}"
    E, T, U, _ = X.shape
    assert Y.shape == (E * T * U, 2) and np.isfinite(Y).all()


@examples(100)
@given(
    hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(2, 8)),
        elements=st.floats(-1, 1, width=32),
    ),
    st.integers(-120, 120),
)
def test_z_scoring_does_not_depend_on_scale(X, exponent):
    """normalize_nodes(X * 2**k) == normalize_nodes(X) bit for bit, and 10**k close to it."""
    Z = normalize_nodes(X, np.float32)

    def normal(a: np.ndarray) -> bool:  # every nonzero value still a normal float32
        nz = np.abs(a[X != 0])
        return bool(
            np.isfinite(a).all() and (nz.size == 0 or nz.min() >= np.finfo(np.float32).tiny)
        )

    scaled = X * np.float32(2.0**exponent)
    if normal(scaled):
        np.testing.assert_array_equal(normalize_nodes(scaled, np.float32), Z)
    decimal = (X.astype(np.float64) * 10.0 ** (exponent / 4)).astype(np.float32)
    if normal(decimal):
        ref = normalize_nodes(decimal.astype(np.float64), np.float64)
        np.testing.assert_allclose(normalize_nodes(decimal, np.float32), ref, atol=1e-3)


# --------------------------------------------------------------------------- recordings
E, T, U, S = 3, 4, 5, 6
HIDDEN = np.random.default_rng(1).normal(size=(E, T, U, S)).astype(np.float32)


def _labels(n: int):
    sorted_ints = st.lists(st.integers(-5, 50), min_size=n, max_size=n, unique=True).map(sorted)
    return st.one_of(
        st.none(),
        sorted_ints,
        sorted_ints.map(lambda v: [float(x) for x in v]),
        sorted_ints.map(np.array),
        st.lists(st.integers(-5, 50), min_size=n, max_size=n),  # any order, duplicates
        st.lists(st.floats(allow_nan=True), min_size=n, max_size=n),
        st.lists(st.integers(0, 9), min_size=max(n - 1, 0), max_size=n + 1),
        st.lists(st.booleans(), min_size=n, max_size=n),
        junk,
    )


def _labels_ok(v, n: int) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, bytes, dict)) or not hasattr(v, "__len__"):
        return False
    try:
        vals = list(v)
    except TypeError:  # a 0-d array
        return False
    if len(vals) != n or any(isinstance(x, (bool, np.bool_)) for x in vals):
        return False
    if not all(isinstance(x, (int, float, np.integer, np.floating)) for x in vals):
        return False
    if not all(
        math.isfinite(float(x)) and float(x) == int(x) and abs(float(x)) <= 2**53 for x in vals
    ):
        return False
    ints = [int(x) for x in vals]
    return all(b > a for a, b in zip(ints, ints[1:], strict=False))


ids = st.one_of(text, st.integers(-3, 30))
units_st = st.one_of(
    st.none(),
    st.lists(ids, min_size=U, max_size=U),
    st.lists(ids, min_size=U - 1, max_size=U + 1),
    text,
    junk,
)


def _units_ok(v) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, bytes, dict)) or not isinstance(v, list) or len(v) != U:
        return False
    if not all(isinstance(x, str) or is_int(x) for x in v):
        return False
    s = [str(x) for x in v]
    bad = any("\x00" in x or any(0xD800 <= ord(c) <= 0xDFFF for c in x) for x in s)
    return not bad and len(set(s)) == len(s)


valid_st = st.one_of(
    st.none(),
    hnp.arrays(np.bool_, (T, S)),
    hnp.arrays(np.int64, (T, S), elements=st.integers(0, 1)),
    hnp.arrays(np.float64, (T, S), elements=st.sampled_from([0.0, 1.0, 0.5])),
    hnp.arrays(np.bool_, (S, T)),
    junk,
)


def _valid_ok(v) -> bool:
    if v is None:
        return True
    if not isinstance(v, np.ndarray) or v.shape != (T, S):
        return False
    if v.dtype.kind != "b" and not np.isin(v, (0, 1)).all():
        return False
    return bool(v.astype(bool).any(axis=0).all())


samples_st = st.one_of(
    st.none(),
    st.lists(st.integers(-1, 3), min_size=S, max_size=S),
    st.lists(st.integers(0, 2), min_size=S - 1, max_size=S + 1),
    st.lists(st.floats(0, 2), min_size=S, max_size=S),
    junk,
)


def _samples_ok(v, names) -> bool:
    if v is None:
        return True
    if not isinstance(v, list) or len(v) != S or not all(is_int(x) for x in v):
        return False
    if min(v) < 0:
        return False
    return names is None or max(v) < len(names)


names_st = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=4, unique=True),
    text,
)

metadata_st = st.one_of(
    st.none(),
    st.dictionaries(
        text, st.one_of(st.integers(), st.floats(allow_nan=False), text, st.none()), max_size=3
    ),
    st.dictionaries(st.integers(), st.integers(), min_size=1, max_size=2),
    st.just({"s": {1, 2}}),
    junk,
)


def _metadata_ok(v) -> bool:
    if v is None:
        return True
    if not isinstance(v, dict):
        return False

    def ok_text(s):
        return "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)

    for k, x in v.items():
        if not isinstance(k, str) or not ok_text(k):
            return False
        if isinstance(x, str) and not ok_text(x):
            return False
        if not isinstance(x, (str, int, float, type(None))):
            return False
    return True


@st.composite
def metrics_tables(draw, epochs):
    """A metrics table and where each of its values should land: {(epoch, column): value}."""
    kind = draw(
        st.sampled_from(
            ["none", "good", "good", "good", "named", "column", "unnamed", "positional", "junk"]
        )
    )
    values = st.one_of(st.floats(-10, 10), st.sampled_from(["high", 1.5, np.nan]))
    if kind == "none":
        return None, {}
    if kind == "good":  # numbers at a subset of the epochs, labelled one way or another
        labels = draw(st.lists(st.sampled_from(list(epochs)), min_size=1, unique=True))
        col = draw(st.lists(st.floats(-10, 10), min_size=len(labels), max_size=len(labels)))
        style = draw(st.sampled_from(["index", "column", "dict"]))
        if style == "index":
            df = pd.DataFrame({"val_loss": col}, index=pd.Index(labels, name="epoch"))
        elif style == "column":
            df = pd.DataFrame({"epoch": labels, "val_loss": col})
        else:
            df = {"epoch": labels, "val_loss": col}
        return df, {(lab, "val_loss"): v for lab, v in zip(labels, col, strict=True)}
    if kind == "junk":
        value = draw(junk)
        return value, ({} if value is None else None)
    n = len(epochs)
    if kind == "positional":
        rows = draw(st.integers(n - 1, n + 1))
        col = draw(st.lists(values, min_size=rows, max_size=rows))
        expect = (
            {(e, "val_loss"): v for e, v in zip(epochs, col, strict=False)} if rows == n else None
        )
        return {"val_loss": col}, expect
    labels = draw(
        st.lists(
            st.one_of(st.sampled_from(list(epochs)), st.integers(-2, 60), st.floats(-2, 60)),
            min_size=1,
            max_size=n + 1,
        )
    )
    col = draw(st.lists(values, min_size=len(labels), max_size=len(labels)))
    if kind == "named":
        df = pd.DataFrame({"val_loss": col}, index=pd.Index(labels, name="epoch"))
    elif kind == "column":
        df = pd.DataFrame({"epoch": labels, "val_loss": col})
    else:
        df = pd.DataFrame({"val_loss": col}, index=labels)
    expect = {(lab, "val_loss"): v for lab, v in zip(labels, col, strict=True)}
    return df, expect


clean_text = text.filter(
    lambda s: "\x00" not in s and not any(0xD800 <= ord(c) <= 0xDFFF for c in s)
)


def _with_a_true_per_column(m: np.ndarray) -> np.ndarray:
    m = m.copy()
    m[0, :] = True
    return m


VALID_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "epochs": st.lists(st.integers(-5, 50), min_size=E, max_size=E, unique=True).map(sorted),
        "timesteps": st.lists(st.integers(0, 99), min_size=T, max_size=T, unique=True).map(sorted),
        "units": st.lists(
            st.one_of(clean_text, st.integers(0, 99)), min_size=U, max_size=U, unique_by=str
        ),
        "valid": hnp.arrays(np.bool_, (T, S)).map(_with_a_true_per_column),
        "sample_labels": st.lists(st.integers(0, 3), min_size=S, max_size=S),
        "class_names": st.just(["a", "b", "c", "d"]),
        "metadata": st.dictionaries(clean_text, st.one_of(st.integers(), clean_text), max_size=3),
    },
)
ANY_FIELDS = st.fixed_dictionaries(
    {},
    optional={
        "epochs": _labels(E),
        "timesteps": _labels(T),
        "units": units_st,
        "valid": valid_st,
        "sample_labels": samples_st,
        "class_names": names_st,
        "metadata": metadata_st,
    },
)


@examples(500)
@given(st.one_of(VALID_FIELDS, ANY_FIELDS), st.data())
def test_recording_fields(tmp_path, fields, data):
    """Any fields: refused where invalid; an accepted Recording holds exactly what was given
    (labels, metrics at the epoch they were given for) and survives a save/load round trip."""
    epochs = fields.get("epochs")
    epoch_list = (
        list(range(E)) if not _labels_ok(epochs, E) or epochs is None else [int(x) for x in epochs]
    )
    metrics, expect = data.draw(metrics_tables(epoch_list))
    kwargs = {**fields, "metrics": metrics}
    rec, err = outcome(lambda: Recording(HIDDEN, **kwargs))
    names = fields.get("class_names")
    names_ok = names is None or (isinstance(names, list))
    simple_ok = (
        _labels_ok(fields.get("epochs"), E)
        and _labels_ok(fields.get("timesteps"), T)
        and _units_ok(fields.get("units"))
        and _valid_ok(fields.get("valid"))
        and names_ok
        and _samples_ok(fields.get("sample_labels"), names if names_ok else None)
        and _metadata_ok(fields.get("metadata"))
    )
    if not simple_ok:
        assert err is not None, f"accepted invalid fields {fields}"
        return
    if expect is None:  # junk or a wrong number of unlabelled rows
        assert err is not None, f"accepted metrics {metrics!r}"
        return
    if err is not None:
        return  # a metrics problem: refused clearly (label not an epoch, text in val_loss, ...)
    assert rec.epochs.tolist() == epoch_list
    if fields.get("units") is not None:
        assert rec.units.tolist() == [str(u) for u in fields["units"]]
    for (label, col), value in expect.items():
        assert float(label) == int(label) and int(label) in epoch_list
        got = rec.metrics.loc[int(label), col]
        if isinstance(got, pd.Series):
            pytest.fail(f"epoch {label} has several metrics rows")
        same = (got == value) or (pd.isna(got) and pd.isna(value))
        assert same, f"metric for epoch {label}: {got!r} != {value!r}"
    path = tmp_path / "rec.npz"
    rec.save(path)
    assert Recording.load(path).equals(rec)
