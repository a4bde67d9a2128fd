"""Standalone HTML export, pythreejs export, and the JS bundle inside the wheel."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mmphate.explorer import (
    COLOR_MODES,
    Explorer,
    export_html,
    node_colors,
    standalone_html,
    to_pythreejs,
)
from mmphate.explorer._assets import BUNDLE
from mmphate.record import Recording

ROOT = Path(__file__).resolve().parents[2]
EVIL = '<img src=x onerror="alert(1)">'
E, T, U, S = 3, 2, 4, 3


@pytest.fixture
def explorer() -> Explorer:
    rng = np.random.default_rng(0)
    rec = Recording(
        rng.normal(size=(E, T, U, S)).astype(np.float32),
        epochs=[1, 2, 3],
        units=["a", EVIL, "c&d", "</script>"],
        sample_labels=[0, 1, 1],
        class_names=[EVIL, "b<b>"],
        metadata={"layer": "<b>gru</b>"},
        metrics={"train_loss": [1.0, 0.5, 0.25]},
    )
    emb = rng.normal(size=(rec.n_nodes, 3))
    return Explorer(
        emb, rec, clusters=[0, 1, 1, -1], intrastep=np.ones((E, T)), interstep=np.ones((E, U))
    )


def _state(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="mmphate-state">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_export_html_is_standalone(explorer, tmp_path):
    path = export_html(explorer, tmp_path / "explorer.html")
    page = Path(path).read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # nothing is loaded from anywhere: no external scripts, styles or URLs
    assert not re.search(r"https?://", page)
    assert not re.search(r"<(script|link|img)[^>]*\s(src|href)=", page)
    # the bundled module (three.js inside) is inlined, byte for byte
    m = re.search(r'<script type="text/plain" id="mmphate-esm">(.*?)</script>', page, re.S)
    bundle = base64.b64decode(m.group(1))
    assert bundle == BUNDLE.read_bytes()
    code = bundle.decode("utf-8")
    assert "WebGLRenderer" in code or "WebGL" in code
    urls = set(re.findall(r"https?://[^\s\"'`)]+", code))
    assert urls <= {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg"}, urls
    assert not re.search(r"\bimport\s*\(?\s*[\"']https?:", code)
    for cdn in ("unpkg", "jsdelivr", "cdnjs", "esm.sh", "skypack"):
        assert cdn not in code and cdn not in page


def test_export_keeps_data_and_state(explorer, tmp_path):
    explorer.epoch = 2
    explorer.selected_units = ["a", "c&d"]
    explorer.color_by = "cluster"
    state = _state(standalone_html(explorer))
    assert state["epoch"] == 2 and state["color_by"] == "cluster"
    assert state["selected_units"] == ["a", "c&d"]
    pos = np.frombuffer(base64.b64decode(state["_positions"]["$b64"]), np.float32)
    np.testing.assert_array_equal(pos.reshape(-1, 3), explorer.embedding)
    assert state["_shape"] == [E, T, U]


def test_labels_are_escaped_never_markup(explorer, tmp_path):
    page = standalone_html(explorer, title=f"run {EVIL}")
    # no label, class name, layer or title appears as live markup
    assert EVIL not in page
    assert "<b>gru</b>" not in page and "b<b>" not in page
    assert page.count("</script>") == 3  # only the page's own three script elements
    assert "<title>run &lt;img src=x onerror=&quot;alert(1)&quot;&gt;</title>" in page
    # ... but the data still carry the exact strings, for textContent in the page
    labels = _state(page)["_labels"]
    assert labels["units"] == ["a", EVIL, "c&d", "</script>"]
    assert labels["class_names"] == [EVIL, "b<b>"]
    assert labels["layer"] == "<b>gru</b>"
    # the front end writes labels with textContent only
    src = "\n".join(p.read_text() for p in (ROOT / "js" / "src").glob("*.js"))
    assert not re.search(r"\.(innerHTML|outerHTML)\b|insertAdjacentHTML|document\.write", src)


def test_save_html_method(explorer, tmp_path):
    explorer.color_by = "unit"
    path = explorer.save_html(tmp_path / "w.html", title="t")
    assert _state(Path(path).read_text())["color_by"] == "unit"


def test_export_from_source_and_errors(explorer, tmp_path):
    path = export_html(explorer.embedding, tmp_path / "x.html", explorer.recording, color_by="unit")
    assert _state(Path(path).read_text())["color_by"] == "unit"
    with pytest.raises(TypeError, match="either an Explorer"):
        export_html(explorer, tmp_path / "y.html", color_by="unit")


def test_pythreejs_scene(explorer):
    p3 = pytest.importorskip("pythreejs")
    scene = to_pythreejs(explorer, color_by="cluster")
    assert isinstance(scene, p3.Scene)
    points = [c for c in scene.children if isinstance(c, p3.Points)]
    assert len(points) == 1
    geom = points[0].geometry
    assert isinstance(geom, p3.BufferGeometry)
    pos = geom.attributes["position"].array
    col = geom.attributes["color"].array
    assert pos.shape == (E * T * U, 3) and pos.dtype == np.float32
    assert col.shape == pos.shape and 0 <= col.min() and col.max() <= 1
    # cluster colours: equal clusters, equal colours; the unassigned unit is grey
    c = col.reshape(E, T, U, 3)
    np.testing.assert_array_equal(c[:, :, 1], c[:, :, 2])
    assert not np.array_equal(c[0, 0, 0], c[0, 0, 1])
    np.testing.assert_allclose(c[:, :, 3], 0.6, atol=1e-6)
    one = to_pythreejs(explorer, epoch=2)
    arr = (
        [c for c in one.children if isinstance(c, p3.Points)][0]
        .geometry.attributes["position"]
        .array
    )
    np.testing.assert_array_equal(arr, explorer.embedding[T * U : 2 * T * U])
    with pytest.raises(ValueError, match="epoch 9 is not in the recording"):
        to_pythreejs(explorer, epoch=9)


def test_pythreejs_2d_gets_zero_z():
    pytest.importorskip("pythreejs")
    rec = Recording(np.zeros((1, 2, 2, 1), np.float32))
    scene = to_pythreejs(np.ones((4, 2)), rec)
    pos = scene.children[0].geometry.attributes["position"].array
    assert (pos[:, 2] == 0).all() and (pos[:, :2] == 1).all()


def test_node_colors_every_mode(explorer):
    for mode in COLOR_MODES:
        col = node_colors(explorer, mode)
        assert col.shape == (E * T * U, 3)
        assert np.isfinite(col).all()
    by_epoch = node_colors(explorer, "epoch").reshape(E, T * U, 3)
    assert (by_epoch == by_epoch[:, :1]).all() and not np.array_equal(by_epoch[0], by_epoch[-1])
    with pytest.raises(ValueError, match="color_by must be one of"):
        node_colors(explorer, "nope")


def _source_copy(dest: Path) -> Path:
    """The package sources (no built bundle, shared node_modules) in a scratch directory."""
    shutil.copytree(
        ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__", "*.js")
    )
    shutil.copytree(ROOT / "js", dest / "js", ignore=shutil.ignore_patterns("node_modules"))
    if (ROOT / "js" / "node_modules").is_dir():
        (dest / "js" / "node_modules").symlink_to(ROOT / "js" / "node_modules")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy(ROOT / name, dest / name)
    if not (dest / "README.md").exists():  # the wheel needs one; its text does not matter here
        (dest / "README.md").write_text("mmphate\n")
    return dest


@pytest.mark.slow
def test_wheel_contains_the_bundle(tmp_path):
    """Building the wheel runs the npm build (hatch-jupyter-builder) and ships explorer/static/widget.js."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed")
    pytest.importorskip("hatchling")
    pytest.importorskip("hatch_jupyter_builder")
    src = _source_copy(tmp_path / "src-copy")
    assert not (src / "src" / "mmphate" / "explorer" / "static" / "widget.js").exists()
    out = tmp_path / "wheelhouse"
    cmd = [sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation"]
    proc = subprocess.run(
        [*cmd, "-w", str(out), "-q"], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list(out.glob("mmphate-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as zf:
        names = zf.namelist()
        assert "mmphate/explorer/static/widget.js" in names
        # the colour definitions both sides read
        assert "mmphate/explorer/palette.json" in names
        code = zf.read("mmphate/explorer/static/widget.js").decode("utf-8")
    assert len(code) > 100_000  # three.js is inside
    assert "export" in code and "render" in code
    assert not any(n.startswith(("js/", "mmphate/node_modules")) for n in names)
