"""Inputs that used to turn into garbage or fail deep inside NumPy/pandas: each is now refused by
mmphate with one clear line, or handled exactly (see mmphate._validate)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from _clear import assert_clear
from sklearn.exceptions import NotFittedError

import mmphate
from mmphate import MMPHATE, Recording
from mmphate._validate import DegenerateDataWarning, InvalidParameterError, printable
from mmphate.engine import normalize_nodes


def _x(seed: int = 0, shape=(4, 5, 6, 10)) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).astype(np.float32)


def _fit(X, **kw) -> np.ndarray:
    return MMPHATE(verbose=0, random_state=0, n_landmark=None, **kw).fit_transform(X)


def _raises(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match) as info:
        fn(*args, **kwargs)
    assert_clear(info.value)
    return info.value


# --------------------------------------------------------------------- scale and degeneracy
@pytest.mark.parametrize("scale", [1e20, 1e-30, 2.0**100, 2.0**-120])
def test_extreme_scales_embed_like_the_original(scale):
    X = _x()
    base = _fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow / underflow on the way
        scaled = _fit((X.astype(np.float64) * scale).astype(np.float32))
    extent = np.ptp(base, axis=0).max()
    assert np.abs(scaled - base).max() < 1e-4 * extent


def test_z_scoring_is_scale_free_and_unchanged_for_ordinary_data():
    X = _x(1)
    Z = normalize_nodes(X, np.float32)
    # a power-of-two scale changes nothing, bit for bit
    np.testing.assert_array_equal(normalize_nodes(X * np.float32(2.0**60), np.float32), Z)
    np.testing.assert_array_equal(normalize_nodes(X * np.float32(2.0**-100), np.float32), Z)
    # the same as the textbook z-score in float64
    ref = X.astype(np.float64).reshape(20, 6, 10)
    ref = (ref - ref.mean(-1, keepdims=True)) / ref.std(-1, keepdims=True)
    np.testing.assert_allclose(Z, ref, atol=2e-6)
    # a constant node is merely centred (a std of 0 counts as 1)
    X[0, 0, 0] = 7.0
    assert (normalize_nodes(X, np.float32)[0, 0] == 0).all()


def test_constant_units_warn_once_in_words():
    X = _x()
    X[:, :, 2, :] = 0.5  # a dead unit
    with pytest.warns(DegenerateDataWarning) as caught:
        Y = _fit(X)
    assert len([w for w in caught if w.category is DegenerateDataWarning]) == 1
    text = str(caught[0].message)
    assert "same activation on every trace sample" in text and "unit '2'" in text
    assert "constant throughout" in text and np.isfinite(Y).all()


@pytest.mark.parametrize(
    "X, words",
    [
        (np.zeros((3, 4, 5, 6)), "every node has the same activation"),
        (_x(shape=(3, 4, 5, 1)), "single trace sample"),
    ],
)
def test_degenerate_tensors_warn_and_still_embed(X, words):
    with pytest.warns(DegenerateDataWarning, match=words) as caught:
        Y = _fit(X)
    assert sum(w.category is DegenerateDataWarning for w in caught) == 1
    assert Y.shape == (60, 2) and np.isfinite(Y).all()


def test_ordinary_data_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DegenerateDataWarning)
        _fit(_x())


# --------------------------------------------------------------------- estimator parameters
@pytest.mark.parametrize(
    "params, match",
    [
        ({"decay": np.nan}, r"decay must be a positive number; got nan"),
        ({"decay": np.inf}, "NaN and infinity are refused"),
        ({"thresh": np.nan}, r"thresh must be a number in \[0, 1\)"),
        ({"gamma": np.nan}, r"gamma must be a number in \[-1, 1\]"),
        ({"random_state": 1.7}, "random_state must be None, an integer seed"),
        ({"random_state": -1}, r"\[0, 2\*\*32 - 1\]"),
        ({"random_state": "0"}, "random_state must be"),
        ({"n_components": True}, "n_components must be a positive integer; got True"),
        ({"n_components": 2.0}, r"pass the int 2"),
        ({"t": True}, "t must be 'auto' or a positive integer"),
        ({"t": 2.5}, "t must be 'auto' or a positive integer"),
        ({"interstep": np.array(["knn"])}, "interstep must be one of 'knn', 'exact'"),
        ({"padding": ["carry"]}, "padding must be one of"),
        ({"n_landmark": 1.5}, "n_landmark must be a positive integer or None"),
        ({"n_jobs": True}, "n_jobs must be a non-zero integer"),
        ({"verbose": "loud"}, "verbose must be an integer"),
    ],
)
def test_parameters_that_would_change_meaning_are_refused(params, match):
    err = _raises(InvalidParameterError, match, MMPHATE(**{"verbose": 0, **params}).fit, _x())
    assert isinstance(err, ValueError) and isinstance(err, TypeError)


def test_seeds_accepted():
    X = _x()
    a = _fit(X, **{})
    for seed in (np.int64(0), 0):
        np.testing.assert_array_equal(
            MMPHATE(verbose=0, n_landmark=None, random_state=seed).fit_transform(X), a
        )
    MMPHATE(verbose=0, random_state=np.random.default_rng(1)).fit(X)


def test_kernel_function_refuses_nan_decay():
    _raises(
        ValueError, "decay must be a positive number", mmphate.multislice_kernel, _x(), decay=np.nan
    )


# --------------------------------------------------------------------- recording fields
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (
            {"epochs": [5, 1, 3, 7]},
            ValueError,
            r"epochs must be strictly increasing.*got 1 after 5",
        ),
        ({"timesteps": [0, 2, 1, 3, 4]}, ValueError, "timesteps must be strictly increasing"),
        ({"epochs": [0.1, 0.2, 0.3, 0.4]}, ValueError, r"whole numbers; got 0.1"),
        ({"epochs": [0, 0, 1, 2]}, ValueError, "unique; got 0 2 times"),
        ({"epochs": ["a", "b", "c", "d"]}, TypeError, "epochs must be integers"),
        ({"epochs": [True, False, True, False]}, TypeError, "epochs must be integers"),
        ({"epochs": [0, 1, 2]}, ValueError, r"one entry per integer \(4\)"),
        ({"units": ["a\x00", "b", "c", "d", "e", "f"]}, ValueError, "NUL character"),
        ({"units": ["a\udc80", "b", "c", "d", "e", "f"]}, ValueError, "lone surrogate"),
        ({"units": "abcdef"}, TypeError, "not a single string"),
        ({"units": [1, "1", 2, 3, 4, 5]}, ValueError, "'1' appears more than once"),
        ({"units": [0.5, 1, 2, 3, 4, 5]}, TypeError, "strings or integers"),
        ({"valid": np.full((5, 10), 0.5)}, TypeError, "values other than 0 and 1"),
        ({"valid": np.full((5, 10), "False")}, TypeError, "boolean array"),
        ({"sample_labels": [-1] + [0] * 9}, ValueError, "must be >= 0"),
        ({"sample_labels": np.zeros(10), "class_names": ["a"]}, TypeError, "integer class"),
        ({"class_names": "ab", "sample_labels": [0, 1] * 5}, TypeError, "not a single string"),
        ({"metadata": {1: "a"}}, TypeError, "metadata keys must be strings"),
        ({"metadata": {"s": {1, 2}}}, TypeError, "JSON-serialisable"),
        ({"metadata": ["layer"]}, TypeError, "metadata must be a mapping"),
    ],
)
def test_recording_fields_are_checked(kwargs, exc, match):
    _raises(exc, match, Recording, _x(), **kwargs)


def test_whole_float_epochs_are_accepted_exactly():
    rec = Recording(_x(), epochs=[0.0, 2.0, 4.0, 6.0], timesteps=np.arange(5.0) * 3)
    assert rec.epochs.dtype == np.int64 and rec.epochs.tolist() == [0, 2, 4, 6]
    assert rec.timesteps.tolist() == [0, 3, 6, 9, 12]


@pytest.mark.parametrize(
    "hidden, match",
    [
        (_x().astype(np.float64) * 1e300, r"beyond float32's range"),
        (_x().astype(np.float64) * 1e-300, r"below float32's smallest normal"),
        (np.array([[[[1.0, "a"]]]], dtype=object), "numeric array"),
        ([[[[1.0, 2.0]], [[1.0]]]], "does not form a regular array"),
    ],
)
def test_values_float32_cannot_hold_are_refused(hidden, match):
    _raises((ValueError, TypeError), match, Recording, hidden)


def test_metrics_are_matched_to_epochs_or_refused():
    X, epochs = _x(), [0, 2, 4, 6]
    loss = [1.0, 0.8, 0.7, 0.6]
    # wrong number of rows, and an unnamed index that is not the epochs: refused
    _raises(
        ValueError,
        "has 3 rows but the recording has 4 epochs",
        Recording,
        X,
        epochs=epochs,
        metrics={"val_loss": loss[:3]},
    )
    _raises(
        ValueError,
        r"unnamed index \[0, 1, 2, 3\]",
        Recording,
        X,
        epochs=epochs,
        metrics=pd.DataFrame({"val_loss": loss}),
    )
    _raises(
        ValueError,
        "epochs .7. are not in this recording",
        Recording,
        X,
        epochs=epochs,
        metrics=pd.DataFrame({"val_loss": [1.0]}, index=pd.Index([7], name="epoch")),
    )
    _raises(
        ValueError,
        r"whole numbers; got 0.5",
        Recording,
        X,
        epochs=epochs,
        metrics=pd.DataFrame({"epoch": [0.5], "val_loss": [1.0]}),
    )
    _raises(
        TypeError,
        r"mixes numbers and text \(1.0, 'high'\)",
        Recording,
        X,
        epochs=epochs,
        metrics={"val_loss": [1.0, "high", 0.5, 0.4]},
    )
    _raises(
        TypeError,
        "'val_loss' must hold numbers",
        Recording,
        X,
        epochs=epochs,
        metrics={"val_loss": ["high", "low", "low", "low"]},
    )
    # what says which epoch a row is: accepted, rows where they belong
    by_column = Recording(X, epochs=epochs, metrics=pd.DataFrame({"epoch": [6, 2], "v": [3, 1]}))
    assert by_column.metrics.loc[6, "v"] == 3 and by_column.metrics.loc[2, "v"] == 1
    named = pd.DataFrame({"val_loss": loss[1:]}, index=pd.Index([2, 4, 6], name="epoch"))
    assert Recording(X, epochs=epochs, metrics=named).metrics.loc[2, "val_loss"] == 0.8
    same = Recording(X, epochs=epochs, metrics=pd.DataFrame({"val_loss": loss}, index=epochs))
    assert same.metrics.index.tolist() == epochs
    positional = Recording(X, epochs=epochs, metrics={"val_loss": loss, "note": list("abcd")})
    assert positional.metrics.loc[4, "val_loss"] == 0.7


def test_select_refuses_reordering_time():
    rec = Recording(_x(), epochs=[0, 2, 4, 6])
    _raises(ValueError, "increasing order", rec.select, epochs=[4, 2])
    assert rec.select(units="3").units.tolist() == ["3"]  # one id, not its characters


# --------------------------------------------------------------------- analyses
def test_analysis_arguments_are_checked():
    rec = Recording(_x(), epochs=[0, 2, 4, 6])
    emb = np.random.default_rng(0).normal(size=(rec.n_nodes, 2))
    _raises(NotFittedError, "unfitted MMPHATE", mmphate.intrastep_entropy, MMPHATE(), rec)
    _raises(
        ValueError,
        r"bins must be an integer in \[1, 100000\]; got 0",
        mmphate.intrastep_entropy,
        emb,
        rec,
        bins=0,
    )
    _raises(TypeError, "bins must be an integer", mmphate.intrastep_entropy, emb, rec, bins=2.5)
    _raises(
        ValueError,
        "too many to count",
        mmphate.intrastep_entropy,
        np.zeros((rec.n_nodes, 9)),
        rec,
        bins=100_000,
    )
    _raises(
        ValueError,
        "grid_range bounds must be finite",
        mmphate.interstep_entropy,
        emb,
        rec,
        grid_range=(0, np.nan),
    )
    _raises(
        ValueError, "3 or 4 positive integers", mmphate.intrastep_entropy, emb[:24], (2, 3, 4.0)
    )
    _raises(TypeError, "must be a numeric", mmphate.intrastep_entropy, emb.astype(str), rec)
    _raises(ValueError, "alpha must be a number in", mmphate.training_phases, [1.0] * 8, alpha=1.5)
    _raises(ValueError, "whole numbers", mmphate.training_phases, [1.0] * 4, epochs=[0, 0.5, 1, 2])
    _raises(TypeError, "must be numeric", mmphate.training_phases, ["a"] * 6)
    _raises(ValueError, "n_clusters", mmphate.cluster_units, emb, rec, n_clusters=40)
    _raises(
        ValueError,
        "random_state must be None, an integer seed",
        mmphate.cluster_units,
        emb,
        rec,
        random_state=np.random.default_rng(0),
    )
    _raises(
        ValueError, "methods must be a list of names", mmphate.compare_methods, rec, methods="pca"
    )
    _raises(
        ValueError,
        "n_components must be a positive integer",
        mmphate.embed_baseline,
        "pca",
        rec,
        n_components=0,
    )


def test_entropy_vs_performance_needs_epoch_labels_and_numbers():
    rec = Recording(_x(shape=(6, 3, 4, 5)), epochs=[1, 2, 3, 4, 5, 6])
    curve = pd.Series(np.linspace(1, 2, 6), index=pd.Index([1, 2, 3, 4, 5, 6], name="epoch"))
    unnamed = pd.DataFrame({"val_loss": np.linspace(2, 1, 6)})  # index 0..5, epochs are 1..6
    _raises(
        ValueError,
        "must say which epoch each row is",
        mmphate.entropy_vs_performance,
        curve,
        unnamed,
    )
    text = pd.DataFrame({"val_loss": ["high"] * 6}, index=curve.index)
    _raises(
        TypeError,
        "column 'val_loss' must hold numbers; got text 'high'",
        mmphate.entropy_vs_performance,
        curve,
        text,
    )
    _raises(
        TypeError, "entropy must be an entropy table", mmphate.entropy_vs_performance, "intra", rec
    )
    ok = mmphate.entropy_vs_performance(curve, unnamed.rename_axis("epoch").set_axis(curve.index))
    assert set(ok["metric"]) == {"val_loss"}


def test_printable_escapes_terminal_controls():
    s = "ok\x1b[2J\x1b]52;c;aGk=\x07\u202etxt\udc80\nend é 中"
    out = printable(s)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out and "\n" not in out
    assert out.endswith("\\x0aend é 中") and "\\x1b[2J" in out and "\\udc80" in out


def test_a_t_too_large_to_diffuse_accurately_is_refused():
    X = _x()
    _fit(X, t=300)  # large but accurate
    _raises(ValueError, r"t=1000000000 is too large to diffuse accurately", _fit, X, t=10**9)


def test_more_inputs_that_used_to_fail_deep_inside():
    rec = Recording(_x(), epochs=[0, 2, 4, 6])
    emb = np.random.default_rng(0).normal(size=(rec.n_nodes, 2))
    _raises(
        ValueError,
        "unknown argument 'colour_by'; did you mean 'color_by'",
        mmphate.Explorer,
        emb,
        rec,
        colour_by="unit",
    )
    _raises(
        ValueError, "unknown argument 'bogus'", mmphate.export_html, emb, "x.html", rec, bogus=1
    )
    _raises(
        TypeError,
        "kernel must be a numeric",
        mmphate.cluster_units,
        emb,
        rec,
        features="affinity",
        kernel="abc",
    )
    _raises(
        ValueError,
        r"PCA gives at most min\(nodes, samples\) = 10",
        mmphate.embed_baseline,
        "pca",
        rec,
        n_components=11,
    )
    changed = Recording(_x())
    changed.hidden = changed.hidden.astype(str)
    _raises(TypeError, "Recording.hidden must be a numeric array", MMPHATE(verbose=0).fit, changed)
    _raises(TypeError, "a path must be a str or os.PathLike; got 123", Recording.load, 123)
