"""The public API: every advertised name resolves, importing stays light, 0.1 paths still work."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import mmphate
from mmphate import _moved

SUBPACKAGES = ("engine", "record", "analysis", "explorer")


def test_all_names_resolve() -> None:
    for name in mmphate.__all__:
        assert getattr(mmphate, name) is not None, name


@pytest.mark.parametrize("package", SUBPACKAGES)
def test_subpackage_names_resolve(package: str) -> None:
    module = importlib.import_module(f"mmphate.{package}")
    assert module.__all__, package
    for name in module.__all__:
        if package == "record" and name in ("HiddenStateRecorder", "train_classifier"):
            pytest.importorskip("torch")
        if package == "record" and name == "HiddenStateCallback":
            pytest.importorskip("keras")  # on the backend tests/conftest.py chooses
        assert getattr(module, name) is not None, f"mmphate.{package}.{name}"
        assert name in dir(module)


def test_top_level_names_are_the_subpackages_objects() -> None:
    assert mmphate.MMPHATE is mmphate.engine.MMPHATE
    assert mmphate.Recording is mmphate.record.Recording
    assert mmphate.view is mmphate.explorer.view
    assert mmphate.compare_methods is mmphate.analysis.compare_methods


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="does_not_exist"):
        mmphate.does_not_exist  # noqa: B018
    with pytest.raises(AttributeError, match="nope"):
        mmphate.analysis.nope  # noqa: B018


def test_import_does_not_pull_torch_or_the_widget_stack() -> None:
    code = (
        "import sys, mmphate; r = mmphate.Recording; m = mmphate.MMPHATE; "
        "print(sorted(m for m in ('torch', 'keras', 'anywidget', 'ipywidgets', 'sktime', 'umap', "
        "'openTSNE', 'mmphate.explorer') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_compute_modules_never_import_the_ui() -> None:
    code = (
        "import sys, mmphate.engine, mmphate.analysis, mmphate.pipeline; "
        "mmphate.MMPHATE; mmphate.intrastep_entropy; mmphate.compare_methods; "
        "mmphate.pipeline.analyse; mmphate.record.Recording; "
        "print(any(m.startswith('mmphate.explorer') for m in sys.modules) "
        "or 'anywidget' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_old_module_paths_warn_and_alias_the_new_module(old: str) -> None:
    new = _moved.MOVED[old]
    if new in ("record.torch", "record.training"):
        pytest.importorskip("torch")
    code = (
        "import warnings, importlib, sys\n"
        "warnings.simplefilter('error', DeprecationWarning)\n"
        f"new = importlib.import_module('mmphate.{new}')\n"
        "try:\n"
        f"    importlib.import_module('mmphate.{old}')\n"
        "except DeprecationWarning as w:\n"
        "    print(str(w))\n"
        "warnings.simplefilter('ignore')\n"
        f"old = importlib.import_module('mmphate.{old}')\n"
        "print(old is new, new.__spec__.name, new.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith(f"mmphate.{old} moved in mmphate 0.2; import from mmphate."), lines
    assert lines[1] == f"True mmphate.{new} mmphate.{new}"
