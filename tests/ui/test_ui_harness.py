"""The browser harness itself: servers, kernel readiness, Run All, kernel access."""

from __future__ import annotations

import os
import sys

CELLS = [
    "import sys, json\nvalues = [i * i for i in range(10)]",
    "total = sum(values)\nprint(total)",
]


def test_notebook_runs_in_test_environment(server, open_notebook):
    nb = open_notebook(server, "harness.ipynb", CELLS)
    # the kernel is this environment's interpreter
    exe = nb.kernel.eval("sys.executable")
    assert os.path.realpath(exe) == os.path.realpath(sys.executable)
    # Run All executed every cell, in order, in the kernel we talk to
    assert nb.kernel.eval("total") == 285
    # a cell typed into the page and run with Control+Enter reaches the same kernel
    nb.run_cell("total2 = total + 1")
    assert nb.kernel.eval("total2") == 286
    # and state set from the test is visible to the notebook
    nb.kernel.exec("from_test = 7")
    nb.run_cell("print(from_test * 6)")
    out = nb.page.locator(".jp-OutputArea-output").last
    assert out.inner_text().strip() == "42"
