"""The linked comparison view in a real browser (JupyterLab): one slider moves every panel,
a selection in one panel highlights the matching unit ids in the others and reaches Python.

Two models with the explorer notebook's known 2-D layout (units "0".."5" on the left):
model A has epochs 1, 5, 10 and units "0".."11"; model B has epochs 1, 10 and units
"0".."5" plus "g6".."g11", so only the left-hand ids match.
"""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import expect
from uitools import ExplorerPage, JupyterServer, NotebookSession, changed_pixels

CELLS = [
    """\
import numpy as np
import mmphate

def model(epochs, units):
    E, T, U = len(epochs), 5, len(units)
    rec = mmphate.Recording(
        np.random.default_rng(0).standard_normal((E, T, U, 4)).astype(np.float32),
        epochs=epochs, timesteps=[10, 20, 30, 40, 50], units=units,
    )
    e, t, u = np.meshgrid(np.arange(E), np.arange(T), np.arange(U), indexing="ij")
    side = np.where(u < 6, -1.0, 1.0)
    x = side * (0.6 + 0.1 * ((t + 2 * e) % 5))
    y = -0.45 + 0.15 * (u % 6) + 0.03 * t + 0.05 * e
    return np.stack([x.ravel(), y.ravel()], axis=1), rec

A = model([1, 5, 10], [str(u) for u in range(12)])
B = model([1, 10], [str(u) for u in range(6)] + [f"g{u}" for u in range(6, 12)])
cv = mmphate.compare_view([A, B], names=["A", "B"], view="2d", color_by="unit", height=300)
cv
""",
]


class Panel(ExplorerPage):
    """One panel of the comparison (its own root, canvas and controls)."""

    def __init__(self, page, nb, index: int) -> None:
        super().__init__(page, nb)
        self.root = page.locator(".mmphate-panel").nth(index)
        self.canvas = self.root.locator("canvas").first


def test_compare_links_epoch_play_camera_and_selection(
    lab_server: JupyterServer, open_notebook: Callable[..., NotebookSession]
):
    nb = open_notebook(lab_server, "compare.ipynb", CELLS)
    page, kernel = nb.page, nb.kernel
    view = page.locator(".mmphate-compare").first
    view.wait_for(state="attached", timeout=60_000)
    a, b = Panel(page, nb, 0), Panel(page, nb, 1)
    a.wait_ready()
    b.wait_ready()
    expect(view).to_have_attribute("data-ready", "true")
    assert view.get_attribute("data-panels") == "2"
    assert (a.attr("epoch"), b.attr("epoch")) == ("1", "1")
    shared = view.locator(".mmphate-compare-bar")

    # --- one epoch slider: every panel follows, B shows its nearest earlier epoch
    slider = shared.get_by_label("Epoch", exact=True)
    slider.focus()
    page.keyboard.press("ArrowRight")
    a.wait_attr("epoch", "5")
    b.wait_attr("epoch", "1")
    assert b.attr("has-epoch") == "true" and b.attr("epoch-shown") == "1"
    assert kernel.poll("cv.epoch", lambda v: v == 5) == 5
    page.keyboard.press("End")
    a.wait_attr("epoch", "10")
    b.wait_attr("epoch", "10")
    assert kernel.poll("cv.epoch", lambda v: v == 10) == 10
    # and a Python write moves them all back
    kernel.exec("cv.epoch = 1")
    a.wait_attr("epoch", "1")
    b.wait_attr("epoch", "1")
    expect(slider).to_have_value("0")

    # --- one play control
    shared.get_by_label("Play", exact=True).click()
    a.wait_attr("playing", "true")
    b.wait_attr("playing", "true")
    assert kernel.poll("cv.playing", lambda v: v is True) is True
    shared.get_by_label("Play", exact=True).click()
    a.wait_attr("playing", "false")
    b.wait_attr("playing", "false")
    kernel.exec("cv.timestep = 30")
    a.wait_attr("timestep", "30")
    b.wait_attr("timestep", "30")

    # --- linked cameras: panning A redraws B
    before_b = b.stable_pixels()
    a.drag([(0.5, 0.5), (0.6, 0.55), (0.7, 0.6)])
    b.wait_pixels_change(before_b)
    page.get_by_label("Reset camera", exact=True).first.click()

    # --- linked selection: a box over A's left half selects units 0..5 everywhere
    before_b = b.stable_pixels()
    a.use_tool("Box select")
    a.box_drag(0.02, 0.02, 0.48, 0.98)
    want = [str(u) for u in range(6)]
    assert kernel.poll("cv.selected_units", lambda v: v == want) == want
    a.wait_attr("selected-units", "6")
    b.wait_attr("selected-units", "6")
    assert b.attr("selected-ids") == ",".join(want)
    after_b = b.wait_pixels_change(before_b)
    assert changed_pixels(before_b, after_b) > 30
    panel_b = kernel.eval("cv.panel('B').selected_units")
    assert panel_b == want

    # ids only one model has: each panel highlights its own
    kernel.exec("cv.selected_units = ['6', 'g7']")
    a.wait_attr("selected-ids", "6")
    b.wait_attr("selected-ids", "g7")
    a.wait_attr("selected-units", "1")
    b.wait_attr("selected-units", "1")
