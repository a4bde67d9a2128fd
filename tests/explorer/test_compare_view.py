"""CompareView without a browser: payload per panel, shared traits, union epochs, validation."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers
from sklearn.exceptions import NotFittedError

import mmphate
from mmphate.explorer import CompareView, Explorer, compare_view
from mmphate.explorer._checks import ExplorerError
from mmphate.record import Recording


def _rec(epochs, units, T=3, S=4, seed=0, **kw):
    rng = np.random.default_rng(seed)
    hidden = rng.normal(size=(len(epochs), T, len(units), S)).astype(np.float32)
    return Recording(hidden, epochs=epochs, timesteps=kw.pop("timesteps", None), units=units, **kw)


@pytest.fixture
def pair():
    a = _rec([0, 5, 10], [f"h{i}" for i in range(4)], metadata={"model": "lstm"})
    b = _rec([5, 20], ["h1", "h3", "x0"], seed=1, metadata={"model": "gru"})
    ea = np.random.default_rng(2).normal(size=(a.n_nodes, 3))
    eb = np.random.default_rng(3).normal(size=(b.n_nodes, 2))
    return (ea, a), (eb, b)


def test_each_panel_carries_the_explorers_payload(pair):
    (ea, a), (eb, b) = pair
    cv = compare_view([(ea, a), (eb, b)], names=["A", "B"])
    assert isinstance(cv, CompareView) and cv.names == ["A", "B"]
    assert [p["name"] for p in cv._panels] == ["A", "B"]
    for spec, (emb, rec) in zip(cv._panels, pair, strict=True):
        single = Explorer(emb, rec)
        for key in ("_shape", "_n_components", "_positions", "_labels", "_metrics"):
            assert spec[key] == getattr(single, key), key
        assert "ranges" not in spec
    # binary arrays leave the state as buffers (never nested lists of floats)
    state, paths, buffers = _remove_buffers(cv.get_state())
    assert ["_panels", 0, "_positions"] in paths and ["_panels", 1, "_positions"] in paths
    pos = buffers[paths.index(["_panels", 1, "_positions"])]
    assert np.array_equal(np.frombuffer(pos, np.float32).reshape(-1, 2), eb.astype(np.float32))


def test_default_names_come_from_the_recordings(pair):
    cv = compare_view(list(pair))
    assert cv.names == ["lstm", "gru"]
    (ea, a), _ = pair
    assert compare_view([(ea, a), (ea, a)]).names == ["model 1", "model 2"]


def test_fitted_estimators_are_accepted():
    fit = SimpleNamespace(
        embedding_=np.zeros((2 * 3 * 4, 2)), recording_=_rec([0, 1], list("abcd"))
    )
    cv = compare_view([fit, fit], names=["one", "two"])
    assert cv.panel("two").recording is fit.recording_


def test_slider_covers_the_union_and_panels_show_nearest_earlier(pair):
    cv = compare_view(list(pair), names=["A", "B"])
    assert cv.epochs == [0, 5, 10, 20] and cv._epochs == [0, 5, 10, 20]
    assert cv.epoch == 0
    state = cv.panel_state().set_index("model")
    # B's first epoch is 5: at epoch 0 it has none and shows its first
    assert (state.loc["B", "epoch"], state.loc["B", "has_epoch"]) == (5, False)
    cv.epoch = 10
    assert (cv.panel("A").epoch, cv.panel("B").epoch) == (10, 5)
    assert cv.panel("B").has_epoch
    cv.epoch = 20
    assert (cv.panel("A").epoch, cv.panel("B").epoch) == (10, 20)
    with pytest.raises(ExplorerError, match="epoch 7 is in none of the models"):
        cv.epoch = 7
    assert cv.epoch == 20


def test_timesteps_may_differ():
    a = _rec([0], ["u"], T=3, timesteps=[1, 2, 3])
    b = _rec([0], ["u"], T=2, timesteps=[2, 4])
    cv = compare_view([(np.zeros((3, 2)), a), (np.zeros((2, 2)), b)], names=["a", "b"])
    assert cv.timesteps == [1, 2, 3, 4] and cv.timestep == 1
    cv.timestep = 3
    assert (cv.panel("a").timestep, cv.panel("b").timestep) == (3, 2)
    with pytest.raises(ExplorerError, match="timestep 9"):
        cv.timestep = 9


def test_one_selection_applies_where_unit_ids_match(pair):
    cv = compare_view(list(pair), names=["A", "B"], selected_units=["x0", "h3", "h1"])
    # union order: A's units, then B's new ones
    assert cv._units == ["h0", "h1", "h2", "h3", "x0"]
    assert cv.selected_units == ["h1", "h3", "x0"]
    assert cv.panel("A").selected_units == ["h1", "h3"]
    assert cv.panel("B").selected_units == ["h1", "h3", "x0"]
    nodes = cv.selected_nodes()
    assert list(nodes.columns[:2]) == ["model", "node"]
    sizes = nodes.groupby("model").size()
    assert sizes["A"] == 3 * 3 * 2 and sizes["B"] == 2 * 3 * 3
    assert set(cv.selected_nodes("A")["unit"]) == {"h1", "h3"}
    assert cv.panel(1).selected_hidden().units.tolist() == ["h1", "h3", "x0"]
    cv.selected_units = ["x0"]
    with pytest.raises(ValueError, match="no unit of model 'A' is selected"):
        cv.panel("A").selected_hidden()
    with pytest.raises(ExplorerError, match="no model has"):
        cv.selected_units = ["nope"]
    assert cv.selected_units == ["x0"]


def test_colour_scales_are_per_panel_unless_shared(pair):
    (ea, a), (eb, b) = pair
    intra = [np.full((3, 3), 1.0), np.linspace(2, 4, 6).reshape(2, 3)]
    own = compare_view(list(pair), names=["A", "B"], intrastep=intra)
    assert all("ranges" not in p for p in own._panels) and not own.share_colors
    shared = compare_view(list(pair), names=["A", "B"], intrastep=intra, share_colors=True)
    assert shared.share_colors
    assert [p["ranges"] for p in shared._panels] == [{"intrastep_entropy": [1.0, 4.0]}] * 2
    # a mode that only one model has data for is allowed; the other shows epoch colours
    shared.color_by = "intrastep_entropy"
    with pytest.raises(ExplorerError, match="no model was given"):
        shared.color_by = "cluster"


def test_shared_traits_round_trip(pair):
    cv = compare_view(list(pair), names=["A", "B"], view="2D", epoch=5, timestep=2, playing=True)
    assert (cv.view, cv.epoch, cv.timestep, cv.playing) == ("2d", 5, 2, True)
    cv.names = ["left", "right"]
    assert cv.panel("right").index == 1 and cv.panel_state()["model"].tolist() == cv.names
    state = cv.get_state()
    for key in ("epoch", "timestep", "playing", "selected_units", "names", "link_cameras"):
        assert key in state
    with pytest.raises(ExplorerError, match="distinct"):
        cv.names = ["a", "a"]


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda p: compare_view(p[0]), "needs a list of models"),
        (lambda p: compare_view([]), "1 to 8 models; got 0"),
        (lambda p: compare_view(list(p) * 5), "1 to 8 models; got 10"),
        (lambda p: compare_view([p[0], "x"]), r"models\[1\] must be a fitted MMPHATE"),
        (lambda p: compare_view([p[0], (p[1][0], "rec")]), "second item is"),
        (lambda p: compare_view(list(p), names=["a"]), "one name per model"),
        (lambda p: compare_view(list(p), names="ab"), "list of 2 strings"),
        (lambda p: compare_view(list(p), names=["a", "a"]), "distinct"),
        (lambda p: compare_view(list(p), names=["a", ""]), "non-empty"),
        (lambda p: compare_view(list(p), intrastep=[None]), "one entry per model"),
        (lambda p: compare_view(list(p), clusters=np.arange(4)), "list with one entry per model"),
        (lambda p: compare_view(list(p), epoch=3), "epoch 3 is in none"),
        (lambda p: compare_view(list(p), share_colors="yes"), "share_colors must be True"),
        (lambda p: compare_view(list(p), color_by="colour"), "color_by must be one of"),
        (lambda p: CompareView(list(p), colour_by="unit"), "CompareView got an unknown argument"),
    ],
)
def test_invalid_arguments_give_one_line(pair, call, match):
    with pytest.raises((ExplorerError, TypeError, ValueError), match=match) as info:
        call(pair)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, (traitlets.TraitError, TypeError, ValueError))


def test_a_mismatched_embedding_names_its_entry(pair):
    (ea, a), (eb, b) = pair
    with pytest.raises(ValueError, match=r"^models\[1\]: the embedding has 5 rows") as info:
        compare_view([(ea, a), (eb[:5], b)], names=["A", "B"])
    assert "\n" not in str(info.value)


def test_unfitted_estimator_is_refused(pair):
    with pytest.raises(NotFittedError):
        compare_view([pair[0], mmphate.MMPHATE()])


def test_public_names():
    assert mmphate.compare_view is compare_view and mmphate.CompareView is CompareView
    assert {"compare_view", "CompareView"} <= set(mmphate.__all__)
    assert isinstance(compare_view([(np.zeros((1, 2)), _rec([0], ["u"], T=1))]).panels, tuple)
    assert isinstance(CompareView.__doc__, str) and "union" in CompareView.__doc__
    assert pd.api.types.is_bool_dtype(
        compare_view([(np.zeros((1, 2)), _rec([0], ["u"], T=1))]).panel_state()["has_epoch"]
    )
