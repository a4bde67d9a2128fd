"""Static small-multiples figures: panels, shared limits, one colour key, the widget's colours,
atomic PDF / SVG / PNG output."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from mmphate.explorer import Explorer, node_colors, save_figure, small_multiples
from mmphate.record import Recording

E, T, U = 5, 6, 8


@pytest.fixture
def w() -> Explorer:
    rng = np.random.default_rng(0)
    rec = Recording(
        rng.normal(size=(E, T, U, 3)).astype(np.float32),
        epochs=[1, 2, 4, 8, 16],
        units=[f"u{i}" for i in range(U)],
    )
    emb = rng.normal(size=(rec.n_nodes, 2)) + np.repeat(np.arange(E), T * U)[:, None]
    return Explorer(emb, rec, color_by="epoch", title="run 1")


def _scatter(ax):
    return [c for c in ax.collections if isinstance(c, matplotlib.collections.PathCollection)][0]


def test_panels_share_limits_and_use_the_widget_colours(w):
    fig = small_multiples(w, epochs=[2, 16])
    panels = [ax for ax in fig.axes if ax.get_title().startswith("epoch")]
    assert [ax.get_title() for ax in panels] == ["epoch 2", "epoch 16"]
    assert len(fig.axes) == 3, "two panels and one colour bar"
    assert panels[0].get_xlim() == panels[1].get_xlim()
    assert panels[0].get_ylim() == panels[1].get_ylim()
    lo, hi = panels[0].get_xlim()
    shown = w.embedding[np.r_[T * U : 2 * T * U, 4 * T * U : 5 * T * U], 0]
    assert lo < shown.min() and shown.max() < hi  # every point of both panels, with a margin
    assert hi - lo < 1.2 * (shown.max() - shown.min())
    colours = node_colors(w)
    for ax, e in zip(panels, (1, 4), strict=True):
        sc = _scatter(ax)
        nodes = np.arange(e * T * U, (e + 1) * T * U)
        np.testing.assert_allclose(sc.get_offsets(), w.embedding[nodes])
        np.testing.assert_allclose(sc.get_facecolors()[:, :3], colours[nodes], atol=1e-6)
    assert fig.texts[0].get_text() == "run 1"
    bar = fig.axes[-1]
    assert [t.get_text() for t in bar.get_yticklabels()] == ["1", "2", "4", "8", "16"]


def test_categorical_modes_get_one_legend_and_selections_fade(w):
    w.selected_units = ["u3"]
    w.timestep_range = (1, 3)
    fig = small_multiples(w, color_by="unit", epochs=[1], trajectories=True)
    assert len(fig.axes) == 1 and len(fig.legends) == 1
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["u3"]
    sc = _scatter(fig.axes[0])
    assert len(sc.get_offsets()) == 3 * U, "timesteps outside the filter are left out"
    face = sc.get_facecolors()[:, :3]
    # the selected unit keeps its colour (drawn last, on top); the others fade toward white
    np.testing.assert_allclose(face[-3:], node_colors(w, "unit")[[3, 3, 3]], atol=1e-6)
    assert face[:-3].mean() > face[-3:].mean()
    assert len(fig.axes[0].collections) == 2, "the selected unit's trajectory"


def test_default_epochs_3d_and_errors(w):
    rec = w.recording
    w3 = Explorer(np.random.default_rng(2).normal(size=(rec.n_nodes, 3)), rec, color_by="unit")
    fig = small_multiples(w3)
    assert [ax.get_title() for ax in fig.axes if ax.name == "3d"] == [
        f"epoch {e}" for e in (1, 2, 4, 8, 16)
    ]
    assert len(small_multiples(w3, view="2d", epochs=4).axes) == 1
    with pytest.raises(ValueError, match="epoch 3 is not in the recording"):
        small_multiples(w, epochs=[3])
    with pytest.raises(ValueError, match="epochs is empty"):
        small_multiples(w, epochs=[])


def test_files_are_written_atomically_in_their_format(w, tmp_path):
    magic = {"pdf": b"%PDF", "svg": b"<?xml", "png": b"\x89PNG"}
    for fmt, head in magic.items():
        path = tmp_path / f"fig.{fmt}"
        small_multiples(w, epochs=[1, 16], path=path, dpi=60)
        assert path.read_bytes()[: len(head)] == head
    target = tmp_path / "fig.pdf"
    before = target.read_bytes()
    fig = small_multiples(w, epochs=[1])
    with pytest.raises(ValueError, match="use one of"):
        save_figure(fig, tmp_path / "fig.nope")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    fig.savefig = broken
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert target.read_bytes() == before, "a failed save leaves the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.pdf", "fig.png", "fig.svg"]


def test_written_files_get_ordinary_permissions(w, tmp_path):
    import os

    from mmphate.explorer import export_html

    mask = os.umask(0o022)
    try:
        small_multiples(w, epochs=[1], path=tmp_path / "f.png", dpi=40)
        export_html(w, tmp_path / "p.html")
    finally:
        os.umask(mask)
    for name in ("f.png", "p.html"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644, name
