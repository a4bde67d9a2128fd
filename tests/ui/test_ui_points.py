"""Point selection and the epoch / timestep filters, in JupyterLab and Notebook 7.

The grid explorer (``uitools.GRID_CELL``): unit ``u`` at column ``u % 4``, row ``u // 4``;
block A (units 0, 1, 4, 5) is the bottom-left 2 x 2 block. Expected selections are node indices
``(e*T + t)*U + u``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from uitools import GRID_TIMESTEPS, GridPage, grid_nodes, ink

HOSTS = pytest.mark.parametrize("host", ["lab", "notebook"], ids=["lab", "nb7"])
BLOCK_A = [0, 1, 4, 5]
ALL_T = range(len(GRID_TIMESTEPS))


def _box_a(ex: GridPage, modifier: str | None = None) -> None:
    ex.box_drag(*ex.frac(-0.3, 1.5), *ex.frac(1.5, -0.3), modifier=modifier)


def _points(ex: GridPage, expected: list[int]) -> list[int]:
    return ex.kernel.poll("w.selected_points.tolist()", lambda v: v == expected)


@HOSTS
def test_box_in_points_mode_selects_the_points_drawn(grid_pages, host):
    ex: GridPage = grid_pages(host)
    kernel = ex.kernel
    # the mode from Python reaches the page; the other epochs hidden
    kernel.exec("w.selection_mode = 'points'; w.show_context = False; w.epoch = 5")
    expect(ex.control("Selection mode")).to_have_value("points")
    ex.wait_attr("selection-mode", "points")
    ex.wait_attr("epoch", "5")
    expect(ex.control("Show other epochs")).not_to_be_checked()
    ex.use_tool("Box select")
    _box_a(ex)
    want = grid_nodes([1], ALL_T, BLOCK_A)  # the current epoch (index 1) only
    assert _points(ex, want) == want
    ex.wait_attr("selected-count", str(len(want)))
    assert kernel.eval("w.selected_units") == []
    # selected_nodes() returns exactly these points, in node order
    assert kernel.eval("w.selected_nodes()['node'].tolist()") == want
    assert kernel.eval("sorted(set(w.selected_nodes()['epoch']))") == [5]
    # with the other epochs shown, the same box also takes their points (shift adds)
    kernel.exec("w.show_context = True")
    expect(ex.control("Show other epochs")).to_be_checked()
    _box_a(ex, modifier="Shift")
    want = grid_nodes(range(3), ALL_T, BLOCK_A)
    assert _points(ex, want) == want
    # alt subtracts the current epoch's points again
    kernel.exec("w.show_context = False")
    expect(ex.control("Show other epochs")).not_to_be_checked()
    _box_a(ex, modifier="Alt")
    want = grid_nodes([0, 2], ALL_T, BLOCK_A)
    assert _points(ex, want) == want


@HOSTS
def test_filters_limit_what_a_gesture_selects(grid_pages, host):
    ex: GridPage = grid_pages(host)
    kernel = ex.kernel
    ex.control("Selection mode").select_option("points")
    assert kernel.poll("w.selection_mode", lambda v: v == "points") == "points"
    # epoch filter from the page: epochs 5..10
    ex.control("Epoch range start").select_option(label="5")
    assert kernel.poll("list(w.epoch_range)", lambda v: v == [5, 10]) == [5, 10]
    ex.wait_attr("epoch-range", "5,10")
    # timestep filter from Python: 10..20 (positions 1 and 2)
    kernel.exec("w.timestep_range = (10, 20)")
    expect(ex.control("Timestep range start")).to_have_value("1")
    expect(ex.control("Timestep range end")).to_have_value("2")
    ex.wait_attr("timestep-range", "10,20")
    ex.wait_attr("points", str(2 * 2 * 16))  # 2 epochs x 2 timesteps x 16 units drawn
    ex.use_tool("Lasso select")
    # a closed lasso around block A, started at its top-left corner (inside the canvas)
    ex.drag(ex.path([(-0.3, 1.5), (1.5, 1.5), (1.5, -0.1), (-0.3, -0.1), (-0.3, 1.5)]))
    want = grid_nodes([1, 2], [1, 2], BLOCK_A)
    assert _points(ex, want) == want
    assert kernel.eval("len(w.selected_nodes())") == len(want)
    # units mode: a unit's nodes come back within the filters only
    kernel.exec("w.selection_mode = 'units'; w.selected_units = ['5']")
    ex.wait_attr("selection-mode", "units")
    ex.wait_attr("selected-count", "1")
    assert kernel.eval("w.selected_nodes()['node'].tolist()") == grid_nodes([1, 2], [1, 2], [5])


@HOSTS
def test_python_point_selection_dims_the_rest(grid_pages, host):
    ex: GridPage = grid_pages(host)
    kernel = ex.kernel
    kernel.exec("w.selection_mode = 'points'")
    ex.wait_attr("selection-mode", "points")
    before = ex.stable_pixels()
    picked = grid_nodes([0], ALL_T, [15])
    kernel.exec(f"w.selected_points = {picked}")
    ex.wait_attr("selected-count", str(len(picked)))
    expect(ex.root).to_contain_text(f"{len(picked)} points selected")
    dimmed = ex.wait_pixels_change(before)
    assert ink(dimmed) < 0.8 * ink(before)
    # the page's Clear writes an empty selection back
    ex.control("Clear selection").click()
    assert kernel.poll("w.selected_points.tolist()", lambda v: v == []) == []
