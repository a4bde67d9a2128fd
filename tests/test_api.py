"""The public API: every advertised name resolves, and importing stays light."""

from __future__ import annotations

import subprocess
import sys

import mmphate


def test_all_names_resolve() -> None:
    assert set(mmphate.__all__) - {"__version__"} == set(mmphate._EXPORTS)
    for name in mmphate.__all__:
        assert getattr(mmphate, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        mmphate.does_not_exist  # noqa: B018
    except AttributeError as exc:
        assert "does_not_exist" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_does_not_pull_torch_or_the_widget_stack() -> None:
    code = (
        "import sys, mmphate; r = mmphate.Recording; "
        "print(sorted(m for m in ('torch', 'anywidget', 'ipywidgets', 'mmphate.widget') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_compute_modules_never_import_the_ui() -> None:
    code = (
        "import sys, mmphate.estimator, mmphate.entropy, mmphate.pipeline, mmphate.compare; "
        "print('mmphate.widget' in sys.modules or 'anywidget' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
