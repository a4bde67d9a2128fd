"""Property tests on the other public entry points (explorer, analyses, recorder, ablation,
datasets, training helper, pipeline and command line): a clear mmphate error or a correct
result, never another exception."""

from __future__ import annotations

import contextlib
import io
import os
import warnings

import numpy as np
import pandas as pd
import pytest
from _clear import outcome
from _strategies import examples, int_in, is_int, is_real, junk, real_in, seed_ok, text
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import mmphate
from mmphate import Recording
from mmphate._validate import DegenerateDataWarning

E, T, U, S = 4, 3, 6, 5
EPOCHS = [0, 2, 5, 9]
REC = Recording(
    np.random.default_rng(0).normal(size=(E, T, U, S)).astype(np.float32),
    epochs=EPOCHS,
    timesteps=[1, 2, 3],
    units=[f"h{i}" for i in range(U)],
    sample_labels=[0, 1, 2, 0, 1],
    class_names=["a", "b", "c"],
    metrics=pd.DataFrame(
        {"val_loss": [1.0, 0.7, 0.6, 0.8], "val_accuracy": [0.2, 0.5, 0.6, 0.55]},
        index=pd.Index(EPOCHS, name="epoch"),
    ),
)
N = REC.n_nodes
EMB = np.random.default_rng(1).normal(size=(N, 3))
INTRA = mmphate.intrastep_entropy(EMB, REC)
INTER = mmphate.interstep_entropy(EMB, REC)


def maybe(valid, n_junk: int = 1):
    return st.one_of(valid, valid, valid, junk)


# --------------------------------------------------------------------------- explorer
EXPLORER = {
    "color_by": (
        st.sampled_from(
            ["epoch", "timestep", "unit", "cluster", "class", "intrastep_entropy", "rainbow"]
        ),
        lambda v, kw: (
            isinstance(v, str)
            and v in ("epoch", "timestep", "unit", "class")
            or (v == "cluster" and kw.get("clusters") is not None)
            or (v == "intrastep_entropy" and kw.get("intrastep") is not None)
        ),
    ),
    "view": (
        st.sampled_from(["2d", "3d", "3D", "4d"]),
        lambda v, kw: isinstance(v, str) and v.lower() in ("2d", "3d"),
    ),
    "epoch": (
        st.one_of(st.none(), st.sampled_from(EPOCHS + [1, 2.0])),
        lambda v, kw: v is None or (is_int(v) and v in EPOCHS),
    ),
    "timestep": (
        st.one_of(st.none(), st.integers(0, 4)),
        lambda v, kw: v is None or (is_int(v) and v in (1, 2, 3)),
    ),
    "selected_units": (
        st.one_of(
            st.lists(st.sampled_from(["h0", "h3", "h5", "zz", 3])), st.sampled_from(["h1", "nope"])
        ),
        lambda v, kw: (
            all(str(u) in [f"h{i}" for i in range(U)] for u in ([v] if isinstance(v, str) else v))
            and all(isinstance(u, str) for u in ([v] if isinstance(v, str) else v))
        ),
    ),
    "playing": (st.booleans(), lambda v, kw: isinstance(v, (bool, np.bool_))),
    "show_context": (st.booleans(), lambda v, kw: isinstance(v, (bool, np.bool_))),
    "height": (st.integers(-10, 20000), lambda v, kw: int_in(100, 10_000)(v)),
    "clusters": (
        st.one_of(
            st.none(), st.just(np.arange(U) % 2), st.just(np.arange(U + 1)), st.just(["x"] * U)
        ),
        lambda v, kw: v is None or (isinstance(v, (list, np.ndarray)) and len(v) == U),
    ),
    "intrastep": (
        st.one_of(
            st.none(),
            st.just(INTRA),
            st.just(INTRA.assign(entropy="x")),
            st.just(np.zeros((E, T))),
            st.just(np.zeros(7)),
        ),
        lambda v, kw: (
            v is None
            or (isinstance(v, pd.DataFrame) and v["entropy"].dtype.kind == "f")
            or (isinstance(v, np.ndarray) and v.shape == (E, T))
        ),
    ),
}


def _safe(oracle, value, kwargs) -> bool:
    try:
        return bool(oracle(value, kwargs))
    except Exception:  # noqa: BLE001 - a value the oracle cannot even inspect is invalid
        return False


VALID_EXPLORER = st.fixed_dictionaries(
    {},
    optional={
        "color_by": st.sampled_from(["epoch", "timestep", "unit", "class"]),
        "view": st.sampled_from(["2d", "3d"]),
        "epoch": st.sampled_from(EPOCHS),
        "timestep": st.sampled_from([1, 2, 3]),
        "selected_units": st.lists(st.sampled_from([f"h{i}" for i in range(U)])),
        "playing": st.booleans(),
        "show_context": st.booleans(),
        "height": st.integers(100, 10_000),
        "clusters": st.just(np.arange(U) % 3),
    },
)


@examples(300)
@given(
    st.one_of(
        VALID_EXPLORER,
        st.fixed_dictionaries({}, optional={k: maybe(v[0]) for k, v in EXPLORER.items()}),
    )
)
def test_explorer_arguments(kwargs):
    """Any view() arguments: refused unless valid; an accepted widget shows what was asked."""
    valid = all(_safe(EXPLORER[k][1], v, kwargs) for k, v in kwargs.items())
    w, err = outcome(lambda: mmphate.view(EMB, REC, **kwargs))
    if not valid:
        assert err is not None, f"accepted {kwargs}"
        return
    assert err is None, f"refused valid {kwargs}: {err}"
    if "epoch" in kwargs and kwargs["epoch"] is not None:
        assert w.epoch == kwargs["epoch"]
    if "height" in kwargs:
        assert w.height == kwargs["height"]
    assert w.color_by == kwargs.get("color_by", "epoch")


@examples(80)
@given(
    st.sampled_from(
        ["height", "epoch", "timestep", "color_by", "view", "selected_units", "playing"]
    ),
    junk,
)
def test_explorer_assignments_keep_the_old_value(name, value):
    w = mmphate.view(EMB, REC)
    before = getattr(w, name)
    try:
        setattr(w, name, value)
    except Exception as exc:  # noqa: BLE001
        import traitlets

        assert isinstance(exc, traitlets.TraitError), type(exc)
        assert getattr(w, name) == before


# --------------------------------------------------------------------------- analyses
ANALYSES = {
    "intrastep_entropy": (
        lambda kw: mmphate.intrastep_entropy(
            kw.pop("embedding", EMB), kw.pop("recording", REC), **kw
        ),
        {
            "estimator": st.sampled_from(["coarse", "histogram", "knn", "kde"]),
            "bins": st.one_of(st.integers(-1, 40), st.lists(st.integers(0, 6), max_size=4)),
            "k": st.integers(-1, 8),
            "grid_range": st.one_of(
                st.none(), st.just("robust"), st.tuples(st.floats(-3, 3), st.floats(-3, 3))
            ),
            "embedding": st.one_of(
                st.just(EMB),
                st.just(EMB[:-1]),
                hnp.arrays(
                    np.float64, (N, 2), elements=st.floats(allow_nan=True, allow_infinity=True)
                ),
                st.just(EMB.astype(str)),
            ),
            "recording": st.one_of(
                st.just(REC), st.just((E, T, U)), st.just((E, T, U + 0.5)), st.just((0, T, U))
            ),
        },
    ),
    "training_phases": (
        lambda kw: mmphate.training_phases(kw.pop("entropy", INTRA), **kw),
        {
            "entropy": st.one_of(
                st.just(INTRA),
                st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), max_size=12),
                st.lists(st.floats(-5, 5), min_size=6, max_size=12),
                st.just(pd.Series([1.0, 2.0, 3.0], index=[0.5, 1.0, 2.0])),
                st.just(INTRA.assign(entropy="x")),
            ),
            "min_segment": st.integers(-1, 8),
            "alpha": st.floats(-0.5, 1.5),
            "n_boot": st.integers(-1, 60),
            "random_state": st.one_of(st.none(), st.integers(-1, 5)),
        },
    ),
    "entropy_vs_performance": (
        lambda kw: mmphate.entropy_vs_performance(
            kw.pop("entropy", INTRA), kw.pop("metrics", REC), **kw
        ),
        {
            "entropy": st.one_of(
                st.just(INTRA), st.just([INTRA, INTER]), st.just({"a": INTRA}), st.just("intra")
            ),
            "metrics": st.one_of(
                st.just(REC),
                st.just(REC.metrics),
                st.just(REC.metrics.reset_index(drop=True)),
                st.just(REC.metrics.reset_index()),
                st.just(REC.metrics.assign(val_loss="high")),
                st.just({"epoch": EPOCHS, "val_loss": [1, 2, 3, 4]}),
            ),
            "tolerance": st.integers(-2, 5),
            "val_loss": st.sampled_from(["val_loss", "missing"]),
        },
    ),
    "rank_units": (
        lambda kw: mmphate.rank_units(kw.pop("interstep", INTER), **kw),
        {
            "interstep": st.one_of(
                st.just(INTER), st.just(INTER.assign(entropy="x")), st.just(INTRA)
            ),
            "epochs": st.one_of(
                st.none(), st.lists(st.sampled_from(EPOCHS + [1, 0.5]), max_size=3)
            ),
        },
    ),
    "cluster_units": (
        lambda kw: mmphate.cluster_units(EMB, REC, **kw),
        {
            "n_clusters": st.one_of(st.just("auto"), st.integers(-1, U + 2)),
            "k_range": st.one_of(st.tuples(st.integers(0, 5), st.integers(0, 9)), st.just((2,))),
            "method": st.sampled_from(["kmeans", "agglomerative", "dbscan"]),
            "random_state": st.one_of(st.none(), st.integers(-1, 5)),
        },
    ),
    "embed_baseline": (
        lambda kw: mmphate.embed_baseline(kw.pop("method", "pca"), kw.pop("X", REC), **kw),
        {
            "method": st.sampled_from(["pca", "isomap", "PCA", "lle"]),
            "X": st.one_of(
                st.just(REC),
                st.just(REC.hidden),
                st.just(np.zeros((10, 3))),
                st.just(np.full((10, 3), np.nan)),
            ),
            "n_components": st.integers(-1, 8),
            "random_state": st.one_of(st.none(), st.integers(-1, 5)),
            "padding": st.sampled_from(["carry", "zero", "mean"]),
        },
    ),
    "neighborhood_preservation_within": (
        lambda kw: mmphate.analysis.neighborhood_preservation_within(EMB, REC, **kw),
        {"k": st.integers(-1, 6), "max_slices": st.one_of(st.none(), st.integers(-1, 20))},
    ),
    "trustworthiness_continuity": (
        lambda kw: mmphate.analysis.trustworthiness_continuity(EMB, kw.pop("features", REC), **kw),
        {
            "features": st.one_of(
                st.just(REC),
                st.just(REC.hidden),
                st.just(np.zeros((N, 2))),
                st.just(np.zeros((N - 1, 2))),
            ),
            "n_neighbors": st.integers(-1, 80),
            "max_samples": st.one_of(st.none(), st.integers(-1, 100)),
        },
    ),
    "kernel_fidelity": (
        lambda kw: mmphate.analysis.kernel_fidelity(EMB, kw.pop("reference", EMB[:, ::-1]), **kw),
        {
            "reference": st.one_of(st.just(EMB[:, ::-1]), st.just(EMB[:-1]), st.just(EMB[:, :2])),
            "k": st.integers(-1, 80),
            "max_samples": st.one_of(st.none(), st.integers(-1, 100)),
        },
    ),
}


VALID_ANALYSES = {
    "intrastep_entropy": {
        "estimator": st.sampled_from(["coarse", "histogram", "knn"]),
        "bins": st.one_of(st.integers(1, 40), st.lists(st.integers(1, 6), min_size=3, max_size=3)),
        "k": st.integers(1, 5),
        "grid_range": st.one_of(st.none(), st.just("robust"), st.just((-3.0, 3.0))),
    },
    "training_phases": {
        "entropy": st.one_of(st.just(INTRA), st.lists(st.floats(-5, 5), min_size=6, max_size=12)),
        "min_segment": st.integers(1, 4),
        "alpha": st.floats(0.01, 0.5),
        "n_boot": st.integers(1, 60),
        "random_state": st.one_of(st.none(), st.integers(0, 5)),
    },
    "entropy_vs_performance": {
        "entropy": st.one_of(st.just(INTRA), st.just([INTRA, INTER])),
        "metrics": st.one_of(
            st.just(REC), st.just(REC.metrics), st.just(REC.metrics.reset_index())
        ),
        "tolerance": st.integers(0, 5),
    },
    "rank_units": {
        "epochs": st.one_of(st.none(), st.lists(st.sampled_from(EPOCHS), min_size=1, max_size=3))
    },
    "cluster_units": {
        "n_clusters": st.one_of(st.just("auto"), st.integers(1, U)),
        "method": st.sampled_from(["kmeans", "agglomerative"]),
        "random_state": st.one_of(st.none(), st.integers(0, 5)),
    },
    "embed_baseline": {
        "method": st.sampled_from(["pca", "isomap"]),
        "n_components": st.integers(1, 3),
        "random_state": st.one_of(st.none(), st.integers(0, 5)),
        "padding": st.sampled_from(["carry", "zero"]),
    },
    "neighborhood_preservation_within": {
        "k": st.integers(1, 3),
        "max_slices": st.one_of(st.none(), st.integers(1, 20)),
    },
    "trustworthiness_continuity": {
        "n_neighbors": st.integers(1, 20),
        "max_samples": st.one_of(st.none(), st.integers(50, 100)),
    },
    "kernel_fidelity": {
        "k": st.integers(1, 20),
        "max_samples": st.one_of(st.none(), st.integers(30, 100)),
    },
}


@st.composite
def analysis_calls(draw):
    name = draw(st.sampled_from(sorted(ANALYSES)))
    fn, params = ANALYSES[name]
    if draw(st.booleans()):
        kwargs = draw(st.fixed_dictionaries({}, optional=VALID_ANALYSES[name]))
    else:
        kwargs = draw(st.fixed_dictionaries({}, optional={k: maybe(v) for k, v in params.items()}))
    return name, fn, kwargs


@examples(600)
@given(analysis_calls())
def test_analysis_arguments(call):
    """Any arguments to the analyses: a clear error or a result of the documented shape."""
    name, fn, kwargs = call
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out, err = outcome(lambda: fn(dict(kwargs)))
    if err is not None:
        return
    if name in ("intrastep_entropy",):
        assert len(out) == E * T and np.isfinite(out["entropy"]).all()
        if kwargs.get("estimator", "histogram") == "histogram":
            assert (out["entropy"] >= 0).all()
    elif name == "training_phases":
        assert out.change_epoch is None or out.change_epoch in out.curve.index
    elif name == "rank_units":
        assert out["rank"].tolist() == list(range(1, len(out) + 1))
    elif name == "cluster_units":
        assert len(out.labels) == U
    elif name == "embed_baseline":
        assert out.ndim == 2 and np.isfinite(out).all()
    elif name in ("neighborhood_preservation_within",):
        assert 0 <= out <= 1


# --------------------------------------------------------------------------- recorder
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(3, 4, batch_first=True)

    def forward(self, x, lengths=None):
        return self.rnn(x)[0][:, -1]


NET = _Net()


@st.composite
def trace_inputs(draw):
    kind = draw(
        st.sampled_from(["good", "good", "good", "tensor", "tensor", "numpy", "tuple", "junk"])
    )
    if kind == "good":
        return torch.randn(draw(st.integers(1, 4)), draw(st.integers(1, 5)), 3)
    dims = draw(st.lists(st.integers(0, 4), min_size=0, max_size=4))
    if draw(st.booleans()) and len(dims) == 3:
        dims[2] = 3
    dtype = draw(
        st.sampled_from(
            [torch.float32, torch.float32, torch.float64, torch.int64, torch.bool, torch.float16]
        )
    )
    x = torch.zeros(dims).normal_() if dtype.is_floating_point else torch.zeros(dims)
    x = x.to(dtype)
    if draw(st.booleans()) and x.numel() and dtype.is_floating_point:
        x.view(-1)[0] = draw(st.sampled_from([float("nan"), float("inf"), 1e30]))
    if kind == "numpy":
        return x.numpy()
    if kind == "tuple":
        return (x, draw(junk))
    if kind == "junk":
        return draw(junk)
    return x


def _first(x):
    return x[0] if isinstance(x, tuple) and x else x


def _trace_ok(x) -> bool:
    """Trace inputs the GRU(3, 4) takes: float32, (batch, time, 3) or unbatched (time, 3)."""
    x = _first(x)
    if not isinstance(x, torch.Tensor) or x.dtype != torch.float32 or x.dim() not in (2, 3):
        return False
    return min(x.shape) >= 1 and x.shape[-1] == 3 and bool(torch.isfinite(x).all())


metric_values = st.one_of(
    st.floats(allow_nan=True),
    st.integers(),
    st.booleans(),
    text,
    st.just(torch.tensor(0.5)),
    st.just(torch.ones(2)),
)


@examples(300)
@given(
    trace_inputs(),
    st.one_of(
        st.fixed_dictionaries(
            {}, optional={"every": st.integers(1, 3), "batch_first": st.just(True)}
        ),
        st.fixed_dictionaries(
            {},
            optional={
                "every": maybe(st.integers(-1, 3)),
                "lengths": maybe(st.lists(st.integers(-1, 5), max_size=5)),
                "sample_labels": maybe(st.lists(st.integers(-1, 3), max_size=5)),
                "batch_first": maybe(st.booleans()),
            },
        ),
    ),
    st.lists(
        st.tuples(
            st.one_of(st.integers(-1, 5), st.booleans()),
            st.dictionaries(
                st.sampled_from(["val_loss", "acc", "force"]), metric_values, max_size=2
            ),
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_recorder_inputs(x, kwargs, records):
    """Any trace inputs, arguments and metric values: a clear error or a Recording of the
    layer's states (timesteps x 4 units x samples) with the metrics as logged."""
    from mmphate.record.torch import HiddenStateRecorder

    rec, err = outcome(lambda: HiddenStateRecorder(NET, "rnn", x, **kwargs))
    if err is not None:
        return
    assert isinstance(_first(x), torch.Tensor), f"accepted trace inputs {type(x)}"
    taken = 0
    for epoch, metrics in records:
        ok, err = outcome(lambda e=epoch, m=metrics: rec.record(e, **m))
        if err is None:
            taken += bool(ok)
    if taken:
        r, err = outcome(rec.to_recording)
        assert err is None
        first = _first(x)
        assert r.shape[2] == 4 and r.shape[3] == (first.shape[0] if first.dim() == 3 else 1)
        assert _trace_ok(x), "recorded states from trace inputs that should have been refused"


# --------------------------------------------------------------------------- ablation
from mmphate.record.training import SequenceClassifier  # noqa: E402

with torch.random.fork_rng(devices=[]):
    torch.manual_seed(0)
    CLS = SequenceClassifier(3, 2, hidden_size=4, kind="gru")
XA = np.random.default_rng(2).normal(size=(20, 5, 3)).astype(np.float32)
YA = (XA[:, :, 0].sum(1) > 0).astype(int)


VALID_ABLATION = st.fixed_dictionaries(
    {"k": st.integers(1, 4)},
    optional={
        "unit_entropy": st.lists(st.floats(-5, 5), min_size=4, max_size=4),
        "n_random": st.integers(0, 4),
        "seed": st.integers(0, 3),
        "alpha": st.floats(0.01, 0.5),
        "lengths": st.one_of(st.none(), st.lists(st.integers(1, 5), min_size=20, max_size=20)),
        "single_unit": st.booleans(),
    },
)


@examples(150)
@given(
    VALID_ABLATION
    | st.fixed_dictionaries(
        {},
        optional={
            "unit_entropy": maybe(
                st.one_of(
                    st.lists(st.floats(allow_nan=True), min_size=1, max_size=6),
                    st.just(pd.Series([1.0, 2.0, 3.0, 4.0], index=["a", "b", "c", "d"])),
                )
            ),
            "units": maybe(
                st.one_of(
                    st.none(),
                    st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=6, unique=True),
                )
            ),
            "k": maybe(st.integers(-1, 6)),
            "n_random": maybe(st.integers(-1, 4)),
            "seed": maybe(st.integers(-1, 3)),
            "alpha": maybe(st.floats(-0.5, 1.5)),
            "lengths": maybe(
                st.one_of(st.none(), st.lists(st.integers(0, 6), min_size=20, max_size=20))
            ),
            "single_unit": maybe(st.booleans()),
        },
    )
)
def test_ablation_arguments(kwargs):
    kwargs.setdefault("unit_entropy", [1.0, 2.0, 3.0, 4.0])
    kwargs.setdefault("n_random", 2)
    res, err = outcome(lambda: mmphate.ablation_test(CLS, XA, YA, **kwargs))
    if err is not None:
        return
    k = kwargs.get("k", 5)
    assert len(res.top_units) == k == len(res.bottom_units)
    assert 0 <= res.baseline_accuracy <= 1 and 0 < res.p_value <= 1
    units = kwargs.get("units")
    assert units is None or len(units) == 4, "accepted unit ids that do not match the 4-unit layer"


# --------------------------------------------------------------------------- datasets, training
SYNTH = {
    "n_epochs": (st.integers(-1, 4), int_in(1)),
    "n_timesteps": (st.integers(-1, 4), int_in(1)),
    "n_units": (st.integers(-1, 5), int_in(1)),
    "n_samples": (st.integers(-1, 5), int_in(1)),
    "n_groups": (st.integers(-1, 4), int_in(1)),
    "separation": (st.floats(-5, 5), lambda v: is_real(v)),
    "noise": (st.floats(-1, 1), real_in(0)),
    "unit_spread": (st.floats(-1, 1), real_in(0)),
    "seed": (st.one_of(st.none(), st.integers(-1, 5)), seed_ok),
}


@examples(100)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "n_epochs": st.integers(1, 4),
            "n_timesteps": st.integers(1, 4),
            "n_units": st.integers(3, 5),
            "n_samples": st.integers(1, 5),
            "n_groups": st.integers(1, 3),
            "noise": st.floats(0, 1),
            "seed": st.integers(0, 5),
        },
    )
    | st.fixed_dictionaries({}, optional={k: maybe(v[0]) for k, v in SYNTH.items()})
)
def test_synthetic_recording_parameters(kwargs):
    from mmphate.record.datasets import synthetic_recording

    valid = all(SYNTH[k][1](v) for k, v in kwargs.items())
    valid = valid and kwargs.get("n_groups", 3) <= kwargs.get("n_units", 24)
    out, err = outcome(lambda: synthetic_recording(**kwargs))
    assert (err is None) == valid, (kwargs, err)
    if out is not None:
        rec, truth = out
        assert truth.latent.shape == (rec.n_nodes, 3)


TRAIN_BAD = {
    "kind": st.sampled_from(["lstm2", 3, None]),
    "hidden_size": st.sampled_from([0, -1, 2.5, True]),
    "epochs": st.sampled_from([0, 1.5, "5"]),
    "lr": st.sampled_from([0.0, -1.0, float("nan"), float("inf")]),
    "weight_decay": st.sampled_from([-1e-3, float("nan")]),
    "grad_clip": st.sampled_from([0.0, -1.0, float("inf")]),
    "n_trace": st.sampled_from([0, 2.5]),
    "val_fraction": st.sampled_from([0.0, 1.0, -0.1, float("nan"), "0.2"]),
    "seed": st.sampled_from([-1, 1.7, "0"]),
    "num_threads": st.sampled_from([0, 1.5]),
    "record_every": st.sampled_from([-1, 0.5]),
    "verbose": st.sampled_from(["yes", 2]),
    "dataset": st.sampled_from(["no_such_dataset", 5, None]),
}


@examples(60)
@given(st.sampled_from(sorted(TRAIN_BAD)), st.data())
def test_train_classifier_refuses_bad_parameters_before_training(name, data):
    from mmphate.record.training import train_classifier

    value = data.draw(TRAIN_BAD[name])
    _, err = outcome(
        lambda: train_classifier(**{name: value, "epochs": 1 if name != "epochs" else value})
    )
    assert err is not None, f"train_classifier accepted {name}={value!r}"


# --------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    REC.save(root / "run.npz")
    from mmphate.pipeline import analyse, write_result

    write_result(analyse(EMB, REC), root / "result")
    (root / "notes.txt").write_text("not a recording")
    (root / "empty").mkdir()
    os.mkfifo(root / "fifo")
    return root


OPTION_VALUES = st.sampled_from(
    [
        "nan",
        "inf",
        "-1",
        "0",
        "1",
        "2",
        "3",
        "1e308",
        "abc",
        "",
        "1.5",
        "auto",
        "knn",
        "exact",
        "\x1b[2J",
    ]
)
VALID_OPTIONS = {
    "--n-components": ["2", "3"],
    "--intrastep-knn": ["1", "2"],
    "--interstep-knn": ["5", "25"],
    "--interstep-neighbors": ["0", "10"],
    "--decay": ["5", "2.5"],
    "--thresh": ["0", "1e-4"],
    "--interstep": ["knn", "exact"],
    "--t": ["auto", "5"],
    "--gamma": ["0", "-1", "1"],
    "--padding": ["carry", "zero"],
    "--random-state": ["0", "7"],
    "--bins": ["5", "10"],
    "--color-by": ["epoch", "cluster", "class", "interstep_entropy"],
    "--view": ["2d", "3d"],
    "--title": ["a title", "<b>x</b>"],
}
OPTIONS = sorted(VALID_OPTIONS)


@st.composite
def argv(draw, root):
    cmd = draw(st.sampled_from(["embed", "export", "info"]))
    inputs = ["run.npz", "result", "notes.txt", "empty", "fifo", "missing.npz", "/dev/zero"]
    args = ["-q", cmd, str(root / draw(st.sampled_from(inputs)))]
    if cmd != "info":
        out = draw(
            st.just("new_out")
            | st.sampled_from(
                ["new_out", "notes.txt", "empty", "result", "missing/x", "/dev/full", "notes.txt/x"]
            )
        )
        if cmd == "export" and out in ("new_out", "empty"):
            out += ".html"
        args += ["-o", str(root / out) if not out.startswith("/") else out]
        for opt in draw(st.lists(st.sampled_from(OPTIONS), max_size=3, unique=True)):
            if cmd == "embed" and opt in ("--color-by", "--view", "--title"):
                continue
            valid = st.sampled_from(VALID_OPTIONS[opt])
            args += [opt, draw(st.one_of(valid, valid, OPTION_VALUES))]
    return args


@examples(120)
@given(st.data())
def test_command_line_never_shows_a_traceback(cli_files, data):
    """Any command line: exit 0, or exit 2 with one line on stderr; never an internal error."""
    from mmphate.cli import main

    args = data.draw(argv(cli_files))
    err, out = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stderr(err),
        contextlib.redirect_stdout(out),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore", DegenerateDataWarning)
        try:
            code = main(args)
        except SystemExit as exc:
            code = exc.code
    text_err = err.getvalue()
    from hypothesis import event

    event(f"exit {code}")
    assert code in (0, 2), (args, code, text_err)
    assert "Traceback" not in text_err
    if code == 2:
        assert text_err.count("\n") == 1, (args, text_err)
    for leftover in cli_files.glob(".*"):
        pytest.fail(f"temporary file left: {leftover}")
