"""Selection gestures as people make them, in JupyterLab, with exact selections in the kernel.

The grid explorer (``uitools.GRID_CELL``) puts unit ``u`` at column ``u % 4`` and row ``u // 4``
with wide gaps, so every shape below is drawn in data coordinates and its expected units are
known exactly: block A = units 0, 1, 4, 5 (bottom left), block B = 10, 11, 14, 15 (top right).
"""

from __future__ import annotations

import math

from playwright.sync_api import expect
from uitools import GridPage

BLOCK_A = ["0", "1", "4", "5"]
BLOCK_B = ["10", "11", "14", "15"]


def _circle(cx: float, cy: float, r: float, n: int = 32) -> list[tuple[float, float]]:
    ring = [
        (cx + r * math.cos(2 * math.pi * k / n), cy + r * math.sin(2 * math.pi * k / n))
        for k in range(n)
    ]
    return [*ring, ring[0]]


def test_closed_lasso_selects_what_it_encloses(grid_lab: GridPage):
    ex = grid_lab
    ex.use_tool("Lasso select")
    loop = ex.path(_circle(0.62, 0.62, 1.1))
    assert loop[0] == loop[-1]  # closed: it ends exactly where it started
    ex.drag(loop)
    assert ex.poll_selected(BLOCK_A) == sorted(BLOCK_A)
    assert ex.attr("last-gesture") == "lasso"
    ex.wait_attr("selected-count", "4")


def test_open_lasso_closes_along_its_chord(grid_lab: GridPage):
    ex = grid_lab
    ex.use_tool("Lasso select")
    # a "U" upside down around block B, its top edge never drawn
    ex.drag(ex.path([(1.7, 3.35), (1.7, 1.7), (3.5, 1.7), (3.5, 3.35)]))
    assert ex.poll_selected(BLOCK_B) == sorted(BLOCK_B)
    assert ex.attr("last-gesture") == "lasso"


def test_jitter_click_with_the_lasso_tool_picks_one_unit(grid_lab: GridPage):
    ex = grid_lab
    ex.use_tool("Lasso select")
    x, y = ex.to_page(*ex.frac(2.0, 1.0))  # unit 6 at the first timestep
    mouse = ex.page.mouse
    mouse.move(x, y)
    mouse.down()
    for dx, dy in [(2, 1), (-1, 2), (3, -2), (-2, -1), (1, 3), (4, 3)]:
        mouse.move(x + dx, y + dy)
    mouse.up()
    assert ex.poll_selected(["6"]) == ["6"]
    assert ex.attr("last-gesture") == "click"
    # a jittery click on empty space clears the selection
    x, y = ex.to_page(*ex.frac(1.6, 0.5))
    mouse.move(x, y)
    mouse.down()
    mouse.move(x + 2, y - 2)
    mouse.move(x - 1, y + 1)
    mouse.up()
    assert ex.poll_selected([]) == []


def test_drag_leaving_the_canvas_ends_where_it_is_released(grid_lab: GridPage):
    ex = grid_lab
    ex.use_tool("Box select")
    # from inside the gap below-left of block B out past the canvas's top-right corner
    start = ex.frac(1.7, 1.7)
    ex.drag([start, (0.9, 0.2), (1.08, -0.12)])
    assert ex.poll_selected(BLOCK_B) == sorted(BLOCK_B)
    assert ex.attr("last-gesture") == "box"
    assert ex.attr("dragging") is None
    # the outline is gone and the next gesture works normally
    assert not ex.page.locator(".mmphate-selection-overlay").first.is_visible()
    ex.box_drag(*ex.frac(-0.3, 1.5), *ex.frac(1.5, -0.3))
    assert ex.poll_selected(BLOCK_A) == sorted(BLOCK_A)


def test_python_write_during_a_drag(grid_lab: GridPage):
    ex = grid_lab
    ex.use_tool("Box select")
    mouse, kb = ex.page.mouse, ex.page.keyboard
    x0, y0 = ex.to_page(*ex.frac(-0.3, 1.5))
    x1, y1 = ex.to_page(*ex.frac(1.5, -0.3))
    kb.down("Shift")
    try:
        mouse.move(x0, y0)
        mouse.down()
        mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
        # the kernel changes the selection while the button is held
        ex.kernel.exec('w.selected_units = ["15"]')
        ex.wait_attr("selected-count", "1")
        assert ex.attr("dragging") == "true", "a Python write must not cancel the drag"
        expect(ex.page.locator(".mmphate-selection-overlay").first).to_be_visible()
        mouse.move(x1, y1, steps=5)
        mouse.up()
    finally:
        kb.up("Shift")
    # shift adds to the selection as it is when the drag ends, Python's write included
    assert ex.poll_selected([*BLOCK_A, "15"]) == sorted([*BLOCK_A, "15"])
    # and an epoch written during a drag: the shape tests the new epoch's points
    mouse.move(*ex.to_page(*ex.frac(1.7, 1.7)))
    mouse.down()
    mouse.move(*ex.to_page(*ex.frac(2.5, 2.5)), steps=4)
    ex.kernel.exec("w.epoch = 10")
    ex.wait_attr("epoch", "10")
    mouse.move(*ex.to_page(*ex.frac(3.5, 3.35)), steps=4)
    mouse.up()
    assert ex.poll_selected(BLOCK_B) == sorted(BLOCK_B)
