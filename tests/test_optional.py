"""Optional parts fail with one line naming the extra to install, and the core works without them.

Each check runs in a fresh interpreter in which the optional packages cannot be imported (a
meta-path finder raises ImportError for them, as for a package that is not installed).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CORE = """
import numpy as np, mmphate
X = np.random.default_rng(0).normal(size=(3, 4, 6, 12)).astype("float32")
mm = mmphate.MMPHATE(n_landmark=20, random_state=0).fit(X)
w = mmphate.view(mm)
e = mmphate.intrastep_entropy(mm.embedding_, mm.recording_)
print(mm.embedding_.shape, type(w).__name__, len(e))
"""

BLOCKER = """
import importlib.abc, sys
class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, _NotInstalled())
"""

CASES = {
    "tsne": (
        ["openTSNE"],
        "from mmphate.analysis import embed_baseline\n"
        "embed_baseline('tsne', np.zeros((2, 3, 4, 5), 'float32') + np.arange(5))",
        "the t-SNE baseline needs openTSNE",
        "baselines",
    ),
    "umap": (
        ["umap"],
        "from mmphate.analysis import embed_baseline\n"
        "embed_baseline('umap', np.zeros((2, 3, 4, 5), 'float32') + np.arange(5))",
        "the UMAP baseline needs umap-learn",
        "baselines",
    ),
    "datasets": (
        ["sktime", "sktime.datasets"],
        "from mmphate.record.datasets import load_basic_motions\nload_basic_motions()",
        "needs sktime",
        "datasets",
    ),
    "pythreejs": (
        ["pythreejs"],
        "from mmphate.explorer import to_pythreejs\n"
        "to_pythreejs(np.zeros((24, 3), 'float32'), mmphate.Recording(np.ones((1, 2, 3, 4), 'float32')))",
        "to_pythreejs needs pythreejs",
        "pythreejs",
    ),
    "torch-recorder": (
        ["torch"],
        "import mmphate.record.torch",
        "mmphate.record.torch needs PyTorch",
        "torch",
    ),
    "torch-forecasting": (
        ["torch"],
        "import mmphate.record.forecasting",
        "mmphate.record.forecasting needs PyTorch",
        "torch",
    ),
    "keras-recorder": (
        ["keras"],
        "import mmphate.record.keras",
        "mmphate.record.keras needs keras",
        "keras",
    ),
    "torch-ablation": (
        ["torch"],
        "from mmphate import ablation_test\nablation_test(None, None, None, unit_entropy=[1.0])",
        "ablation_test needs torch",
        "torch",
    ),
}


def _run(code: str, blocked: list[str]) -> subprocess.CompletedProcess[str]:
    prelude = BLOCKER.format(blocked=sorted({m.partition(".")[0] for m in blocked}))
    return subprocess.run(
        [sys.executable, "-c", prelude + "import numpy as np, mmphate\n" + code],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_missing_optional_part_names_its_extra(case: str) -> None:
    blocked, code, needs, extra = CASES[case]
    out = _run(textwrap.dedent(code), blocked)
    assert out.returncode != 0
    last = out.stderr.strip().splitlines()[-1]
    assert "MissingDependencyError" in last, out.stderr[-2000:]
    assert needs in last and f'pip install "mmphate[{extra}]"' in last, last


def test_core_works_without_any_optional_part() -> None:
    blocked = ["torch", "keras", "sktime", "umap", "openTSNE", "pythreejs", "dask", "distributed"]
    out = _run(CORE, blocked)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "(72, 2) Explorer 12", out.stdout


def test_cli_reports_a_missing_extra_in_one_line(tmp_path) -> None:
    code = (
        "from mmphate.cli import main\n"
        f"raise SystemExit(main(['demo', '--no-server', '--out', {str(tmp_path / 'd')!r}]))"
    )
    out = _run(code, ["torch"])
    assert out.returncode == 2, out.stderr[-2000:]
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and 'pip install "mmphate[torch]"' in lines[0], out.stderr
