"""The front end's pure logic under ``node --test`` (js/test/), and its colours against Python's."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from mmphate.explorer import COLOR_MODES, Explorer, node_colors
from mmphate.record import Recording

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("node is not installed (the JS unit tests need Node.js >= 20)")
        pytest.skip("node is not installed")
    return path


def test_js_unit_tests_pass(node):
    proc = subprocess.run(
        [node, "--test", "test/"], cwd=ROOT / "js", capture_output=True, text=True, timeout=120
    )
    summary = [ln for ln in proc.stdout.splitlines() if ln.startswith(("# pass", "# fail"))]
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    passed = int(summary[0].split()[-1])
    assert passed >= 25, f"only {passed} JS tests ran"


def test_front_end_and_python_draw_the_same_colours(node):
    rng = np.random.default_rng(0)
    E, T, U, S = 4, 3, 40, 6
    rec = Recording(
        rng.normal(size=(E, T, U, S)).astype(np.float32),
        sample_labels=[0, 1, 2, 0, 1, 2],
        class_names=["a", "b", "c"],
    )
    intra = rng.random((E, T))
    intra[1, 2] = np.nan
    w = Explorer(
        rng.normal(size=(rec.n_nodes, 3)),
        rec,
        intrastep=intra,
        interstep=rng.random((E, U)) * 3 + 1,
        clusters=np.r_[np.arange(U - 2) % 25, -1, -1],
    )

    def ints(name: str, dtype: type) -> list[int]:
        return np.frombuffer(w._array(name), dtype).astype(int).tolist()

    def floats(name: str) -> list[float | None]:
        v = np.frombuffer(w._array(name), np.float32)
        return [float(x) if np.isfinite(x) else None for x in v]

    spec = {
        "E": E,
        "T": T,
        "U": U,
        "clusters": ints("_clusters", np.int32),
        "nodeClass": ints("_node_class", np.uint8),
        "intrastep": floats("_intrastep"),
        "interstep": floats("_interstep"),
        "modes": list(COLOR_MODES),
    }
    proc = subprocess.run(
        [node, str(ROOT / "js" / "tools" / "node-colors.mjs")],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    js = json.loads(proc.stdout)
    for mode in COLOR_MODES:
        py = node_colors(w, mode)
        np.testing.assert_allclose(np.array(js[mode]), py, atol=1e-6, err_msg=mode)
    # colour by unit: 32 different colours before any repeats
    by_unit = node_colors(w, "unit")[:U]
    assert len({tuple(c) for c in by_unit[:32]}) == 32
