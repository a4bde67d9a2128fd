"""Explorer widget without a browser: traits, binary payload, validation, selection helpers."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import traitlets
from ipywidgets.widgets.widget import _remove_buffers

from mmphate.explorer import COLOR_MODES, Explorer, view
from mmphate.record import Recording

E, T, U, S = 4, 3, 5, 6
EPOCHS = [0, 5, 10, 20]
UNITS = [f"h{i}" for i in range(U)]


@pytest.fixture
def rec() -> Recording:
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(E, T, U, S)).astype(np.float32)
    return Recording(
        hidden,
        epochs=EPOCHS,
        timesteps=[1, 2, 3],
        units=UNITS,
        sample_labels=[0, 1, 2, 0, 1, 2],
        class_names=["up", "down", "flat"],
        metrics={"train_loss": [1.0, 0.5, 0.3, np.nan], "val_accuracy": [0.3, 0.6, 0.7, 0.8]},
        metadata={"layer": "lstm"},
    )


@pytest.fixture
def emb() -> np.ndarray:
    return np.random.default_rng(1).normal(size=(E * T * U, 3))


def test_defaults_and_traits(rec, emb):
    w = Explorer(emb, rec)
    assert w.epoch == 0 and w.timestep == 1
    assert (w.playing, w.color_by, w.view, w.selected_units) == (False, "epoch", "3d", [])
    assert w._shape == [E, T, U]
    assert w._labels["epochs"] == EPOCHS
    assert w._labels["units"] == UNITS
    assert w._labels["class_names"] == ["up", "down", "flat"]
    assert w._labels["layer"] == "lstm"
    w.epoch = 20
    w.timestep = 3
    w.view = "2D"
    assert (w.epoch, w.timestep, w.view) == (20, 3, "2d")


def test_positions_cross_as_float32_bytes(rec, emb):
    w = Explorer(emb, rec)
    assert isinstance(w._positions, bytes)
    assert len(w._positions) == E * T * U * 3 * 4
    got = np.frombuffer(w._positions, dtype=np.float32).reshape(-1, 3)
    np.testing.assert_array_equal(got, emb.astype(np.float32))
    # node order is slice-major: node (e, t, u) = (e*T + t)*U + u
    e, t, u = 2, 1, 3
    np.testing.assert_array_equal(
        got[(e * T + t) * U + u], emb[(e * T + t) * U + u].astype(np.float32)
    )


def test_payload_is_binary_and_compact(rec, emb):
    intra = np.ones((E, T))
    inter = np.ones((E, U))
    w = Explorer(emb, rec, intrastep=intra, interstep=inter, clusters=np.arange(U) % 2)
    state, paths, buffers = _remove_buffers(w.get_state())
    buffer_paths = {p[0] for p in paths}
    assert {"_positions", "_node_class", "_clusters", "_intrastep", "_interstep"} <= buffer_paths
    # no per-node values travel as JSON
    assert all(len(v) < 50 for v in state["_labels"].values() if isinstance(v, list))
    n = E * T * U
    assert w.payload_bytes == n * 12 + n * 1 + U * 4 + E * T * 4 + E * U * 4
    # per point: 12 (xyz) + 1 (class code); per-unit / per-slice arrays amortise
    big = Recording(np.zeros((2, 50, 100, 1), np.float32), sample_labels=[0])
    wb = Explorer(np.zeros((big.n_nodes, 3)), big)
    assert wb.payload_bytes / big.n_nodes <= 16


def test_2d_embedding_sends_two_components(rec):
    emb2 = np.arange(E * T * U * 2, dtype=float).reshape(-1, 2)
    w = Explorer(emb2, rec, view="2d")
    assert w._n_components == 2
    assert len(w._positions) == E * T * U * 2 * 4


def test_class_codes_are_the_strongest_class(rec):
    # unit u responds to class u % 3 only
    hidden = np.zeros((E, T, U, S), np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    for u in range(U):
        hidden[:, :, u, labels == u % 3] = 1.0 + u
    r = Recording(hidden, sample_labels=labels, class_names=["a", "b", "c"])
    w = Explorer(np.zeros((r.n_nodes, 3)), r, color_by="class")
    codes = np.frombuffer(w._node_class, np.uint8).reshape(E, T, U)
    assert (codes == (np.arange(U) % 3)[None, None, :]).all()


def test_class_codes_skip_padded_steps():
    hidden = np.zeros((1, 2, 1, 2), np.float32)
    hidden[0, 1, 0, 0] = 5.0  # class 0's only sample is padded at t=1
    hidden[0, :, 0, 1] = 1.0
    valid = np.array([[True, True], [False, True]])
    r = Recording(hidden, valid=valid, sample_labels=[0, 1], class_names=["a", "b"])
    codes = np.frombuffer(Explorer(np.zeros((2, 2)), r)._node_class, np.uint8)
    assert codes.tolist() == [1, 1]


def test_no_sample_labels_means_no_class_mode(emb):
    r = Recording(np.zeros((E, T, U, S), np.float32))
    w = Explorer(emb, r)
    assert w._node_class == b""
    with pytest.raises(traitlets.TraitError, match="sample_labels"):
        w.color_by = "class"


def test_entropy_tables_from_dataframes(rec, emb):
    intra = pd.DataFrame(
        [(e, t, 0.1 * i) for i, (e, t) in enumerate((e, t) for e in EPOCHS for t in [1, 2, 3])],
        columns=["epoch", "timestep", "entropy"],
    )
    inter = pd.DataFrame(
        {"epoch": np.repeat(EPOCHS, U), "unit": UNITS * E, "entropy": np.arange(E * U, dtype=float)}
    ).sample(frac=1.0, random_state=0)  # order does not matter
    w = Explorer(emb, rec, intrastep=intra, interstep=inter, color_by="interstep_entropy")
    got_intra = np.frombuffer(w._intrastep, np.float32)
    np.testing.assert_allclose(got_intra, 0.1 * np.arange(E * T), rtol=1e-6)
    got_inter = np.frombuffer(w._interstep, np.float32).reshape(E, U)
    np.testing.assert_array_equal(got_inter, np.arange(E * U).reshape(E, U))
    names = [s["name"] for s in w._metrics["series"]]
    assert names == [
        "train_loss",
        "val_accuracy",
        "intra-step entropy (mean)",
        "inter-step entropy (mean)",
    ]
    assert w._metrics["series"][0]["values"][-1] is None  # NaN travels as null
    assert w._metrics["epochs"] == EPOCHS


def test_entropy_table_errors(rec, emb):
    with pytest.raises(ValueError, match=r"shape \(4, 3\)"):
        Explorer(emb, rec, intrastep=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="columns"):
        Explorer(emb, rec, intrastep=pd.DataFrame({"epoch": [0], "entropy": [1.0]}))
    bad = pd.DataFrame({"epoch": [7], "timestep": [1], "entropy": [1.0]})
    with pytest.raises(ValueError, match="epoch 7"):
        Explorer(emb, rec, intrastep=bad)
    bad_unit = pd.DataFrame({"epoch": [0], "unit": ["nope"], "entropy": [1.0]})
    with pytest.raises(ValueError, match="unit 'nope'"):
        Explorer(emb, rec, interstep=bad_unit)


def test_clusters_from_result_or_array(rec, emb):
    result = SimpleNamespace(labels=np.array([0, 0, 1, 1, -1]))
    w = Explorer(emb, rec, clusters=result, color_by="cluster")
    assert np.frombuffer(w._clusters, np.int32).tolist() == [0, 0, 1, 1, -1]
    w2 = Explorer(emb, rec, clusters=["b", "a", "b", "a", "c"])
    assert np.frombuffer(w2._clusters, np.int32).tolist() == [1, 0, 1, 0, 2]
    assert w2._labels["cluster_names"] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="one label per unit"):
        Explorer(emb, rec, clusters=[0, 1])


def test_fitted_estimator_and_frame_sources(rec, emb):
    model = SimpleNamespace(embedding_=emb, recording_=rec)
    w = view(model, color_by="unit")
    assert isinstance(w, Explorer)
    np.testing.assert_array_equal(w.embedding, emb.astype(np.float32))
    nodes = rec.nodes() if callable(rec.nodes) else rec.nodes
    frame = nodes.assign(x=emb[:, 0], y=emb[:, 1], z=emb[:, 2])
    w2 = Explorer(frame, rec)
    np.testing.assert_array_equal(w2.embedding, emb.astype(np.float32))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"color_by": "rainbow"}, traitlets.TraitError, "color_by must be one of"),
        ({"color_by": "cluster"}, traitlets.TraitError, "needs clusters"),
        ({"color_by": "intrastep_entropy"}, traitlets.TraitError, "needs intrastep"),
        ({"view": "4d"}, traitlets.TraitError, "'2d' or '3d'"),
        ({"epoch": 3}, traitlets.TraitError, r"epoch 3 is not in the recording"),
        ({"timestep": 0}, traitlets.TraitError, "timestep 0 is not in the recording"),
        ({"selected_units": ["h1", "zz"]}, traitlets.TraitError, r"unknown unit ids \['zz'\]"),
    ],
)
def test_bad_arguments_raise_clear_errors(rec, emb, kwargs, error, match):
    with pytest.raises(error, match=match):
        Explorer(emb, rec, **kwargs)


def test_bad_assignments_keep_the_old_value(rec, emb):
    w = Explorer(emb, rec, selected_units=["h1"])
    with pytest.raises(traitlets.TraitError, match="unknown unit ids"):
        w.selected_units = ["h9"]
    with pytest.raises(traitlets.TraitError, match="epoch 1 is not"):
        w.epoch = 1
    assert w.selected_units == ["h1"] and w.epoch == 0


def test_bad_shapes_raise_clear_errors(rec, emb):
    with pytest.raises(ValueError, match=r"has 59 rows but the recording has 60 nodes"):
        Explorer(emb[:-1], rec)
    with pytest.raises(ValueError, match=r"\(nodes, 2\) or \(nodes, 3\)"):
        Explorer(np.zeros((E * T * U, 4)), rec)
    with pytest.raises(ValueError, match="needs the Recording"):
        Explorer(emb)
    with pytest.raises(ValueError, match="NaN"):
        Explorer(np.full_like(emb, np.nan), rec)
    with pytest.raises(TypeError, match="mmphate.Recording"):
        Explorer(emb, recording="not a recording")


def test_all_color_modes_available_with_all_data(rec, emb):
    w = Explorer(
        emb, rec, intrastep=np.zeros((E, T)), interstep=np.zeros((E, U)), clusters=np.zeros(U, int)
    )
    for mode in COLOR_MODES:
        w.color_by = mode
        assert w.color_by == mode


def test_selection_order_and_duplicates(rec, emb):
    w = Explorer(emb, rec)
    w.selected_units = ["h3", "h1", "h3"]
    assert w.selected_units == ["h1", "h3"]
    r = Recording(np.zeros((1, 1, 3, 1), np.float32))  # default ids "0", "1", "2"
    w2 = Explorer(np.zeros((3, 2)), r, selected_units=[2, "0"])
    assert w2.selected_units == ["0", "2"]


def test_selected_nodes_and_hidden(rec, emb):
    w = Explorer(emb, rec, clusters=np.arange(U), intrastep=np.arange(E * T, dtype=float))
    with pytest.raises(ValueError, match="nothing is selected"):
        w.selected_hidden()
    assert len(w.selected_nodes()) == 0
    w.selected_units = ["h4", "h2"]
    nodes = w.selected_nodes()
    assert len(nodes) == 2 * E * T
    assert set(nodes["unit"]) == {"h2", "h4"}
    assert list(nodes.columns[:7]) == ["node", "epoch", "timestep", "unit", "x", "y", "z"]
    row = nodes.iloc[5]
    np.testing.assert_allclose(row[["x", "y", "z"]].to_numpy(float), emb[row["node"]], rtol=1e-6)
    e = EPOCHS.index(row["epoch"])
    t = [1, 2, 3].index(row["timestep"])
    assert row["node"] == (e * T + t) * U + UNITS.index(row["unit"])
    assert (nodes["cluster"] == nodes["unit"].str[1:].astype(int)).all()
    assert (nodes["intrastep_entropy"] == (nodes["node"] // U)).all()
    sub = w.selected_hidden()
    assert sub.units.tolist() == ["h2", "h4"]
    np.testing.assert_array_equal(sub.hidden, rec.hidden[:, :, [2, 4], :])


# --------------------------------------------------------------------------- argument checks
def _clear(exc_type, match, fn, *args, **kwargs):
    from _clear import assert_clear

    with pytest.raises(exc_type, match=match) as info:
        fn(*args, **kwargs)
    assert_clear(info.value)
    return info.value


def test_unfitted_estimator_says_it_is_not_fitted(rec):
    from sklearn.exceptions import NotFittedError

    from mmphate import MMPHATE, export_html

    _clear(NotFittedError, "unfitted MMPHATE; call .fit", view, MMPHATE())
    _clear(NotFittedError, "unfitted MMPHATE", export_html, MMPHATE(), "x.html")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"height": -5}, r"height \(pixels\) must be an integer in \[100, 10000\]; got -5"),
        ({"height": 480.0}, "height"),
        ({"height": 10**9}, "got 1000000000"),
        ({"epoch": 5.7}, "epoch .* must be an integer"),
        ({"timestep": "1"}, "timestep .* must be an integer"),
        ({"playing": "yes"}, "playing must be True or False"),
        ({"show_context": 1}, "show_context must be True or False"),
        ({"color_by": 3}, "color_by must be one of"),
        ({"view": None}, "view must be '2d' or '3d'"),
        ({"selected_units": 5}, "selected_units must be a unit id or a sequence"),
        ({"selected_units": [1.5]}, "selected_units must hold unit ids"),
    ],
)
def test_arguments_are_checked_before_traitlets(rec, emb, kwargs, match):
    err = _clear(traitlets.TraitError, match, view, emb, rec, **kwargs)
    assert isinstance(err, ValueError)


def test_assigned_values_are_checked_and_rolled_back(rec, emb):
    w = view(emb, rec, height=300)
    _clear(traitlets.TraitError, "height", setattr, w, "height", -5)
    assert w.height == 300
    w.height = 100
    assert w.height == 100


def test_entropy_tables_are_checked(rec, emb):
    intra = pd.DataFrame(
        {"epoch": np.repeat(EPOCHS, T), "timestep": np.tile([1, 2, 3], E), "entropy": 1.0}
    )
    _clear(
        TypeError,
        r"intrastep\['entropy'\] must hold numbers",
        view,
        emb,
        rec,
        intrastep=intra.assign(entropy="high"),
    )
    _clear(
        ValueError,
        "more than one row for epoch 0, timestep 1",
        view,
        emb,
        rec,
        intrastep=pd.concat([intra, intra.iloc[:1]]),
    )
    _clear(TypeError, "numeric array; got dtype <U", view, emb, rec, interstep=np.full((E, U), "x"))
    assert view(emb, rec, intrastep=intra).color_by == "epoch"
