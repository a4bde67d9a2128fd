"""Every public entry point, every argument, one bad value at a time: each call gives a clear
mmphate error (see tests/_clear.py) or a result, never another exception or a hang.

A deterministic, exhaustive complement to the property tests: about 7,000 calls.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import os
import shutil
import tempfile
import warnings

import numpy as np
import pandas as pd
import pytest
from _clear import assert_clear, no_hang

import mmphate
from mmphate import MMPHATE, Recording

torch = pytest.importorskip("torch")

from mmphate.pipeline import analyse, read_result, write_result  # noqa: E402
from mmphate.record.torch import HiddenStateRecorder  # noqa: E402
from mmphate.record.training import SequenceClassifier, evaluate  # noqa: E402

warnings.filterwarnings("ignore", category=mmphate.DegenerateDataWarning)

rng = np.random.default_rng(0)
E, T, U, S = 4, 3, 6, 5
REC = Recording(
    rng.normal(size=(E, T, U, S)).astype(np.float32),
    epochs=[0, 2, 5, 9],
    units=[f"h{i}" for i in range(U)],
    sample_labels=[0, 1, 2, 0, 1],
    class_names=list("abc"),
    metrics=pd.DataFrame(
        {"val_loss": [1, 0.7, 0.6, 0.8]}, index=pd.Index([0, 2, 5, 9], name="epoch")
    ),
)
N = REC.n_nodes
EMB = rng.normal(size=(N, 3))
FIT = MMPHATE(verbose=0, random_state=0, n_components=3).fit(REC)
INTRA = mmphate.intrastep_entropy(EMB, REC)
INTER = mmphate.interstep_entropy(EMB, REC)
TMP = tempfile.mkdtemp(prefix="mmphate-entry-")
atexit.register(shutil.rmtree, TMP, True)
JUNK = [
    None,
    True,
    -1,
    0,
    2.5,
    np.nan,
    np.inf,
    1e300,
    -1e300,
    "",
    "abc",
    "\x00",
    "\udc80",
    b"x",
    [],
    [1, 2],
    {},
    {"a": 1},
    np.array([]),
    np.array([[1, 2]]),
    np.array(["a"]),
    object(),
    pd.DataFrame(),
    pd.Series(dtype=float),
    2**70,
    complex(1, 1),
    np.float32(np.nan),
    (1, 2, 3),
    lambda: 0,
    REC,
    EMB,
    FIT,
    MMPHATE(),
]
CLS = SequenceClassifier(3, 2, hidden_size=U, kind="gru")
XA = rng.normal(size=(10, 5, 3)).astype(np.float32)
YA = np.arange(10) % 2
AN = analyse(EMB, REC)
REC.save(os.path.join(TMP, "r.npz"))
write_result(AN, os.path.join(TMP, "res"))
CALLS = {
    "MMPHATE.fit": (
        lambda **k: MMPHATE(**{"verbose": 0, **k}).fit(REC),
        dict(
            n_components=2,
            intrastep_knn=2,
            interstep_knn=25,
            decay=5,
            thresh=1e-4,
            interstep="knn",
            interstep_neighbors=75,
            t="auto",
            gamma=0,
            n_landmark=2000,
            padding="carry",
            mds_solver="sgd",
            random_state=0,
            n_jobs=1,
        ),
    ),
    "MMPHATE.fit(X)": (lambda X: MMPHATE(verbose=0).fit(X), dict(X=REC)),
    "multislice_kernel": (
        lambda **k: mmphate.multislice_kernel(**k),
        dict(
            X=REC.hidden,
            intrastep_knn=2,
            interstep_knn=25,
            decay=5,
            thresh=1e-4,
            interstep="knn",
            interstep_neighbors=75,
            normalize=True,
            random_state=0,
            n_jobs=1,
        ),
    ),
    "Recording": (
        lambda **k: Recording(**k),
        dict(
            hidden=REC.hidden,
            epochs=[0, 2, 5, 9],
            timesteps=[0, 1, 2],
            units=list("abcdef"),
            valid=np.ones((T, S), bool),
            sample_labels=[0, 1, 2, 0, 1],
            class_names=list("abc"),
            metrics={"val_loss": [1, 2, 3, 4]},
            metadata={"k": 1},
        ),
    ),
    "Recording.select": (
        lambda **k: REC.select(**k),
        dict(epochs=[0, 2], timesteps=[1], units=["h1"], samples=[0, 1]),
    ),
    "Recording.save": (
        lambda **k: REC.save(**k),
        dict(path=os.path.join(TMP, "r.npz"), compress=False),
    ),
    "Recording.load": (lambda **k: Recording.load(**k), dict(path=os.path.join(TMP, "r.npz"))),
    "Recording.filled": (lambda **k: REC.filled(**k), dict(padding="carry")),
    "intrastep_entropy": (
        lambda **k: mmphate.intrastep_entropy(**k),
        dict(embedding=EMB, recording=REC, estimator="histogram", bins=10, k=3, grid_range=None),
    ),
    "interstep_entropy": (
        lambda **k: mmphate.interstep_entropy(**k),
        dict(embedding=EMB, recording=REC, estimator="knn", bins=10, k=2, grid_range=None),
    ),
    "training_phases": (
        lambda **k: mmphate.training_phases(**k),
        dict(entropy=INTRA, epochs=None, min_segment=3, alpha=0.05, n_boot=19, random_state=0),
    ),
    "entropy_vs_performance": (
        lambda **k: mmphate.entropy_vs_performance(**k),
        dict(entropy=INTRA, metrics=REC, tolerance=2, val_loss="val_loss", phases=None),
    ),
    "rank_units": (lambda **k: mmphate.rank_units(**k), dict(interstep=INTER, epochs=None)),
    "cluster_units": (
        lambda **k: mmphate.cluster_units(**k),
        dict(
            embedding=EMB,
            recording=REC,
            n_clusters="auto",
            k_range=(2, 4),
            method="kmeans",
            features="trajectory",
            kernel=None,
            random_state=0,
        ),
    ),
    "embed_baseline": (
        lambda **k: mmphate.embed_baseline(**k),
        dict(
            method="pca",
            X=REC,
            n_components=2,
            random_state=0,
            n_jobs=1,
            padding="carry",
            max_isomap_nodes=5000,
        ),
    ),
    "compare_methods": (
        lambda **k: mmphate.compare_methods(**k),
        dict(
            recording=REC,
            methods=["pca"],
            ground_truth=None,
            n_components=2,
            random_state=0,
            params=None,
            embeddings=None,
            k_within=None,
            k_between=5,
            n_neighbors=5,
            max_samples=50,
            entropy=True,
            return_embeddings=False,
        ),
    ),
    "np_within": (
        lambda **k: mmphate.analysis.neighborhood_preservation_within(**k),
        dict(embedding=EMB, recording=REC, features=None, k=2, max_slices=100, random_state=0),
    ),
    "np_between": (
        lambda **k: mmphate.analysis.neighborhood_preservation_between(**k),
        dict(
            embedding=EMB, recording=REC, features=None, k=3, max_nodes_per_unit=100, random_state=0
        ),
    ),
    "trust": (
        lambda **k: mmphate.analysis.trustworthiness_continuity(**k),
        dict(embedding=EMB, features=REC, n_neighbors=5, max_samples=100, random_state=0),
    ),
    "demap": (
        lambda **k: mmphate.analysis.demap(**k),
        dict(embedding=EMB, ground_truth=EMB[:, :2], n_neighbors=5, max_samples=50, random_state=0),
    ),
    "kernel_fidelity": (
        lambda **k: mmphate.analysis.kernel_fidelity(**k),
        dict(embedding=EMB, reference=EMB[:, ::-1], k=5, max_samples=50, random_state=0),
    ),
    "knn_overlap": (
        lambda **k: mmphate.analysis.knn_overlap(**k),
        dict(a=EMB, b=EMB, k=5, idx=None),
    ),
    "node_features": (
        lambda **k: mmphate.analysis.node_features(**k),
        dict(X=REC, padding="carry"),
    ),
    "ablation_test": (
        lambda **k: mmphate.ablation_test(**k),
        dict(
            model=CLS,
            X=XA,
            y=YA,
            lengths=None,
            unit_entropy=np.arange(U, dtype=float),
            k=2,
            n_random=2,
            seed=0,
            units=None,
            module=None,
            evaluate=None,
            single_unit=True,
            alpha=0.05,
        ),
    ),
    "view": (
        lambda **k: mmphate.view(**k),
        dict(
            source=EMB,
            recording=REC,
            intrastep=INTRA,
            interstep=INTER,
            clusters=np.arange(U) % 2,
            color_by="epoch",
            view="3d",
            epoch=None,
            timestep=None,
            selected_units=(),
            playing=False,
            show_context=True,
            height=480,
        ),
    ),
    "compare_view": (
        lambda **k: mmphate.compare_view(**k),
        dict(
            models=[(EMB, REC), (EMB[: E * T * U // 2], REC.select(epochs=[0, 2]))],
            names=["a", "b"],
            intrastep=[INTRA, None],
            interstep=None,
            clusters=[np.arange(U) % 2, None],
            share_colors=True,
            color_by="epoch",
            view="3d",
            epoch=None,
            timestep=None,
            selected_units=(),
            playing=False,
            show_context=True,
            link_cameras=True,
            height=400,
        ),
    ),
    "export_html": (
        lambda **k: mmphate.export_html(**k),
        dict(widget_or_source=EMB, path=os.path.join(TMP, "x.html"), recording=REC, title="t"),
    ),
    "analyse": (
        lambda **k: analyse(**k),
        dict(embedding=EMB, recording=REC, bins=10, tolerance=2, random_state=0, params=None),
    ),
    "write_result": (
        lambda **k: write_result(**k),
        dict(analysis=AN, directory=os.path.join(TMP, "res")),
    ),
    "read_result": (lambda **k: read_result(**k), dict(directory=os.path.join(TMP, "res"))),
    "HiddenStateRecorder": (
        lambda **k: HiddenStateRecorder(**k).record(0),
        dict(
            model=CLS,
            layer="rnn",
            trace_inputs=torch.randn(5, 4, 3),
            lengths=None,
            sample_labels=None,
            class_names=None,
            layer_index=None,
            batch_first=None,
            every=1,
            forward_kwargs=None,
            metadata=None,
        ),
    ),
    "record": (
        lambda **k: HiddenStateRecorder(CLS, "rnn", torch.randn(5, 4, 3)).record(**k),
        dict(epoch=0, force=False),
    ),
    "evaluate": (
        lambda **k: evaluate(**k),
        dict(model=CLS, X=XA, y=YA, lengths=None, unit_mask=None, batch_size=8),
    ),
    "synthetic_recording": (
        lambda **k: mmphate.record.synthetic_recording(**k),
        dict(
            n_epochs=3,
            n_timesteps=3,
            n_units=4,
            n_samples=4,
            n_groups=2,
            separation=3.0,
            radius=1.0,
            depth=2.0,
            unit_spread=0.1,
            noise=0.02,
            seed=0,
        ),
    ),
    "load_dataset": (lambda **k: mmphate.record.load_dataset(**k), dict(name="basic_motions")),
    "to_pythreejs": (
        lambda **k: mmphate.explorer.to_pythreejs(**k),
        dict(
            widget_or_source=EMB,
            recording=REC,
            color_by=None,
            epoch=None,
            point_size=3.0,
            background="white",
        ),
    ),
    "standalone_html": (
        lambda **k: mmphate.explorer.standalone_html(**k),
        dict(explorer=mmphate.view(EMB, REC), title=None),
    ),
    "node_colors": (
        lambda **k: mmphate.explorer.node_colors(**k),
        dict(explorer=mmphate.view(EMB, REC), color_by="epoch"),
    ),
    "embedding_frame": (
        lambda **k: mmphate.record.embedding_frame(**k),
        dict(embedding=EMB, recording=REC),
    ),
    "check_hidden": (
        lambda **k: mmphate.record.check_hidden(**k),
        dict(hidden=REC.hidden, name="X"),
    ),
    "fill_padding": (
        lambda **k: mmphate.record.fill_padding(**k),
        dict(hidden=REC.hidden, valid=np.ones((T, S), bool), mode="carry"),
    ),
}


try:  # the Keras recorder, on the backend tests/conftest.py chooses
    import keras

    from mmphate.record.keras import HiddenStateCallback
except ImportError:  # pragma: no cover - keras not installed
    keras = None
if keras is not None:
    _inp = keras.Input((4, 3))
    KMODEL = keras.Model(
        _inp, keras.layers.GRU(U, return_sequences=True, name="rnn")(_inp), name="kgru"
    )
    XK = rng.normal(size=(5, 4, 3)).astype(np.float32)
    CALLS["HiddenStateCallback"] = (
        lambda **k: HiddenStateCallback(**k).record(0),
        dict(
            model=KMODEL,
            layer="rnn",
            trace_inputs=XK,
            lengths=None,
            sample_labels=None,
            class_names=None,
            every=1,
            initial=True,
            metadata=None,
        ),
    )
    CALLS["HiddenStateCallback.record"] = (
        lambda **k: HiddenStateCallback(KMODEL, "rnn", XK).record(**k),
        dict(epoch=0, force=False),
    )


@pytest.mark.parametrize("name", sorted(CALLS))
def test_one_bad_argument_at_a_time(name, tmp_path, monkeypatch):
    # junk strings are also tried as paths: whatever they write lands in a scratch folder
    monkeypatch.chdir(tmp_path)
    fn, base = CALLS[name]
    with no_hang(120):
        fn(**base)  # the valid call works
    problems = []
    for param in base:
        for junk in JUNK:
            kwargs = {**base, param: junk}
            try:
                with (
                    no_hang(60),
                    warnings.catch_warnings(),
                    contextlib.redirect_stdout(io.StringIO()),
                    contextlib.redirect_stderr(io.StringIO()),
                ):
                    warnings.simplefilter("ignore")
                    fn(**kwargs)
            except Exception as exc:  # noqa: BLE001
                try:
                    assert_clear(exc)
                except AssertionError as why:
                    problems.append(f"{param}={type(junk).__name__} {str(junk)[:20]!r}: {why}")
    assert not problems, f"{len(problems)} unclear errors:\n" + "\n".join(problems[:20])
