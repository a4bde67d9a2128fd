"""The explorer widget in a real browser: JupyterLab 4 (all checks) and Notebook 7 (core checks).

The notebook (see ``conftest.explorer_cells``) shows a synthetic recording of 3 epochs x 5
timesteps x 12 units whose 2-D layout is known: units "0".."5" on the left, "6".."11" on the
right, and every epoch moves the points.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import expect
from uitools import (
    EPOCHS,
    LEFT_UNITS,
    RIGHT_UNITS,
    TIMESTEPS,
    ExplorerPage,
    changed_pixels,
    decode_png,
    explorer_cells,
    ink,
    ink_bbox,
    ink_mask,
    save_png,
)

ALL_UNITS = LEFT_UNITS + RIGHT_UNITS
N_POINTS = len(EPOCHS) * len(TIMESTEPS) * len(ALL_UNITS)
ONE_EPOCH = len(TIMESTEPS) * len(ALL_UNITS)


# ---------------------------------------------------------------------------------------
# core checks: JupyterLab and Notebook 7
# ---------------------------------------------------------------------------------------


def test_canvas_is_drawn(explorer: ExplorerPage):
    ex = explorer
    assert ex.attr("view") == "2d"
    assert ex.attr("epoch") in {str(e) for e in EPOCHS}
    assert int(ex.attr("points") or 0) >= len(TIMESTEPS) * len(ALL_UNITS)
    assert ex.attr("error") is None
    assert ex.canvas.get_attribute("data-lm-suppress-shortcuts") == "true"
    px = ex.stable_pixels()
    mask = ink_mask(px)
    assert mask.sum() > 100, f"canvas looks blank ({mask.sum()} drawn pixels)"
    # the known layout: points on both sides of the 2-D view
    half = mask.shape[1] // 2
    assert mask[:, :half].sum() > 30 and mask[:, half:].sum() > 30


def test_epoch_slider_drives_kernel_and_pixels(explorer: ExplorerPage):
    ex, kernel = explorer, explorer.kernel
    kernel.exec(f"w.epoch = {EPOCHS[0]}")
    ex.wait_attr("epoch", str(EPOCHS[0]))
    before = ex.stable_pixels()

    slider = ex.control("Epoch")
    slider.focus()
    ex.page.keyboard.press("ArrowRight")
    assert kernel.poll("w.epoch", lambda v: v == EPOCHS[1]) == EPOCHS[1]
    expect(slider).to_have_value("1")
    ex.wait_attr("epoch", str(EPOCHS[1]))
    ex.wait_attr("epoch-index", "1")
    ex.wait_pixels_change(before)

    # a mouse drag of the thumb to the right end reaches the last epoch
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    ex.page.mouse.move(box["x"] + box["width"] / 2, y)
    ex.page.mouse.down()
    ex.page.mouse.move(box["x"] + box["width"] - 1, y, steps=10)
    ex.page.mouse.up()
    assert kernel.poll("w.epoch", lambda v: v == EPOCHS[-1]) == EPOCHS[-1]
    ex.wait_attr("epoch", str(EPOCHS[-1]))


def test_python_epoch_moves_slider(explorer: ExplorerPage):
    ex = explorer
    slider = ex.control("Epoch")
    ex.kernel.exec(f"w.epoch = {EPOCHS[-1]}")
    expect(slider).to_have_value(str(len(EPOCHS) - 1))
    ex.wait_attr("epoch", str(EPOCHS[-1]))
    before = ex.stable_pixels()
    # the same from a cell typed into the notebook and run with Control+Enter
    ex.nb.run_cell(f"w.epoch = {EPOCHS[1]}")
    expect(slider).to_have_value("1")
    ex.wait_attr("epoch", str(EPOCHS[1]))
    ex.wait_attr("epoch-index", "1")
    ex.wait_pixels_change(before)
    # the slider's visible label shows the epoch number, not its index
    expect(ex.root).to_contain_text(str(EPOCHS[1]))
    # the timestep follows Python the same way (labels, not indices)
    ex.kernel.exec(f"w.timestep = {TIMESTEPS[3]}")
    expect(ex.control("Timestep")).to_have_value("3")
    ex.wait_attr("timestep", str(TIMESTEPS[3]))


def test_box_selection_replace_add_subtract(explorer: ExplorerPage):
    ex = explorer
    ex.use_tool("Box select")
    ex.wait_attr("tool", "box")
    # left part of the canvas: exactly the left units
    ex.box_drag(0.01, 0.01, 0.45, 0.99)
    assert ex.poll_selected(LEFT_UNITS) == sorted(LEFT_UNITS)
    ex.wait_attr("selected-count", str(len(LEFT_UNITS)))
    # shift adds the right units
    ex.box_drag(0.55, 0.01, 0.99, 0.99, modifier="Shift")
    assert ex.poll_selected(ALL_UNITS) == sorted(ALL_UNITS)
    ex.wait_attr("selected-count", str(len(ALL_UNITS)))
    # alt subtracts the left ones again
    ex.box_drag(0.01, 0.01, 0.45, 0.99, modifier="Alt")
    assert ex.poll_selected(RIGHT_UNITS) == sorted(RIGHT_UNITS)
    ex.wait_attr("selected-count", str(len(RIGHT_UNITS)))
    # a plain drag replaces the selection
    ex.box_drag(0.01, 0.01, 0.45, 0.99)
    assert ex.poll_selected(LEFT_UNITS) == sorted(LEFT_UNITS)


# ---------------------------------------------------------------------------------------
# JupyterLab only
# ---------------------------------------------------------------------------------------


def test_play_advances_timestep(lab_explorer: ExplorerPage):
    ex, kernel = lab_explorer, lab_explorer.kernel
    t0 = kernel.eval("w.timestep")
    assert t0 in TIMESTEPS
    assert ex.attr("timestep") == str(t0)
    play = ex.control("Play")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    ex.wait_attr("playing", "true")
    expect(ex.root).not_to_have_attribute("data-timestep", str(t0), timeout=10_000)
    t1 = kernel.poll("w.timestep", lambda v: v != t0)
    assert t1 != t0 and t1 in TIMESTEPS
    assert kernel.poll("w.playing", lambda v: v is True) is True
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    ex.wait_attr("playing", "false")
    assert kernel.poll("w.playing", lambda v: v is False) is False
    # once stopped, kernel and page agree on the timestep
    t_end = kernel.poll("w.timestep", lambda v: str(v) == ex.attr("timestep"))
    assert str(t_end) == ex.attr("timestep")


def _dense_ink_points(px: np.ndarray, k: int = 5, n: int = 40) -> list[tuple[float, float]]:
    """Canvas fractions of the most densely drawn pixels (centres of points), best first."""
    mask = ink_mask(px).astype(np.int32)
    dense = np.zeros_like(mask)
    for dy in range(-(k // 2), k // 2 + 1):
        for dx in range(-(k // 2), k // 2 + 1):
            dense += np.roll(np.roll(mask, dy, 0), dx, 1)
    h, w = mask.shape
    out = []
    for idx in np.argsort(dense.ravel())[::-1][:n]:
        y, x = divmod(int(idx), w)
        out.append(((x + 0.5) / w, (y + 0.5) / h))
    return out


def test_lasso_and_click_selection(lab_explorer: ExplorerPage):
    ex = lab_explorer
    ex.use_tool("Lasso select")
    ex.wait_attr("tool", "lasso")
    polygon = [(0.55, 0.01), (0.99, 0.01), (0.99, 0.99), (0.55, 0.99), (0.55, 0.02)]
    ex.drag(polygon)
    assert ex.poll_selected(RIGHT_UNITS) == sorted(RIGHT_UNITS)
    ex.wait_attr("selected-count", str(len(RIGHT_UNITS)))
    # a triangle that only covers the left half selects the left units
    ex.drag([(0.01, 0.01), (0.45, 0.5), (0.01, 0.99), (0.01, 0.02)])
    assert ex.poll_selected(LEFT_UNITS) == sorted(LEFT_UNITS)
    # click on a drawn point of the right half selects exactly one right unit
    ex.control("Clear selection").click()
    ex.wait_attr("selected-count", "0")
    ex.use_tool("Click select")
    px = ex.stable_pixels()
    fx, fy = next(p for p in _dense_ink_points(px) if p[0] > 0.55)
    ex.page.mouse.click(*ex.to_page(fx, fy))
    ex.wait_attr("selected-count", "1")
    picked = ex.kernel.poll("list(w.selected_units)", lambda v: len(v) == 1)
    assert len(picked) == 1 and picked[0] in RIGHT_UNITS
    # clicking empty space (the middle gap) clears it
    ex.page.mouse.click(*ex.to_page(0.5, 0.5))
    ex.wait_attr("selected-count", "0")
    assert ex.poll_selected([]) == []


def test_metrics_chart_click_jumps_to_epoch(lab_explorer: ExplorerPage):
    ex, kernel = lab_explorer, lab_explorer.kernel
    chart = ex.control("Metrics chart")
    chart.scroll_into_view_if_needed()
    expect(ex.root).to_contain_text("train_loss")
    box = chart.bounding_box()
    chart.click(position={"x": box["width"] - 3, "y": box["height"] / 2})
    assert kernel.poll("w.epoch", lambda v: v == EPOCHS[-1]) == EPOCHS[-1]
    ex.wait_attr("epoch", str(EPOCHS[-1]))
    chart.click(position={"x": 3, "y": box["height"] / 2})
    assert kernel.poll("w.epoch", lambda v: v == EPOCHS[0]) == EPOCHS[0]
    ex.wait_attr("epoch", str(EPOCHS[0]))


def test_pan_and_reset_camera(lab_explorer: ExplorerPage, ui_artifacts: Path):
    ex = lab_explorer
    expect(ex.control("Orbit")).to_have_attribute("aria-pressed", "true")
    framed = ex.stable_pixels()
    # in 2-D the orbit tool pans: the points move
    ex.drag([(0.5, 0.5), (0.6, 0.6), (0.7, 0.65)])
    panned = ex.wait_pixels_change(framed)
    assert ex.kernel.eval("list(w.selected_units)") == []
    ex.control("Reset camera").click()
    reset = ex.wait_pixels_change(panned)
    box0, box1, box2 = ink_bbox(framed), ink_bbox(panned), ink_bbox(reset)
    try:
        assert max(abs(p - q) for p, q in zip(box0, box1, strict=True)) > 20, (
            "the pan did not move the points"
        )
        assert max(abs(p - q) for p, q in zip(box0, box2, strict=True)) <= 2, (
            f"Reset camera does not return to the initial framing: {box2} vs {box0}"
        )
    except AssertionError:
        for name, px in (("framed", framed), ("panned", panned), ("reset", reset)):
            save_png(px, ui_artifacts / f"pan_reset_{name}.png")
        raise


def _assert_framed(px: np.ndarray, when: str = "") -> None:
    """The 2-D view frames all points: centred horizontally, ~5% margin on the limiting axis."""
    h, w = px.shape[:2]
    when = f" ({when}; canvas {w}x{h})"
    left, right, top, bottom = ink_bbox(px)
    assert left > 0.02 * w and right < 0.98 * w, f"points cut off: x in [{left}, {right}]{when}"
    assert top > 0.02 * h and bottom < 0.98 * h, f"points cut off: y in [{top}, {bottom}]{when}"
    assert abs(left - (w - 1 - right)) <= 3, (
        f"not centred: margins {left} and {w - 1 - right}{when}"
    )
    fill = max((right - left) / w, (bottom - top) / h)
    assert 0.8 < fill < 0.97, f"points fill {fill:.0%} of the canvas, expected ~90%{when}"


def test_2d_view_frames_all_points_after_resize(lab_explorer: ExplorerPage):
    ex = lab_explorer
    _assert_framed(ex.stable_pixels(), "as first drawn")
    for width in (960, 1500):
        before = ex.canvas.bounding_box()["width"]
        ex.page.set_viewport_size({"width": width, "height": 900})
        ex.page.wait_for_function(
            "([c, w]) => Math.abs(c.getBoundingClientRect().width - w) > 50",
            arg=[ex.canvas.element_handle(), before],
        )
        _assert_framed(ex.stable_pixels(), f"after resizing the page to {width} px")


def test_other_epochs_toggle_and_save_png(lab_explorer: ExplorerPage, tmp_path: Path):
    ex = lab_explorer
    context = ex.control("Show other epochs")
    expect(context).to_be_checked()
    ex.wait_attr("points", str(N_POINTS))
    before = ex.stable_pixels()
    context.uncheck()
    ex.wait_attr("points", str(ONE_EPOCH))
    ex.wait_pixels_change(before, min_changed=10)
    # Save PNG downloads what the canvas shows
    with ex.page.expect_download() as info:
        ex.control("Save PNG").click()
    download = info.value
    assert download.suggested_filename.endswith(".png")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    saved = decode_png(target.read_bytes())
    assert ink_mask(saved).sum() > 100, "the saved PNG is blank"
    # a composed figure (see test_ui_figures.py), its size reported on the root
    assert ex.attr("last-figure") == f"{saved.shape[1]}x{saved.shape[0]}"


def test_show_context_syncs_both_ways(lab_explorer: ExplorerPage):
    ex = lab_explorer
    context = ex.control("Show other epochs")
    expect(context).to_be_checked()
    context.uncheck()
    ex.wait_attr("points", str(ONE_EPOCH))
    assert ex.kernel.poll("w.show_context", lambda v: v is False) is False
    ex.kernel.exec("w.show_context = True")
    expect(context).to_be_checked()
    ex.wait_attr("points", str(N_POINTS))


def test_python_selection_dims_others(lab_explorer: ExplorerPage):
    ex = lab_explorer
    before = ex.stable_pixels()
    ex.kernel.exec('w.selected_units = ["3"]')
    ex.wait_attr("selected-count", "1")
    dimmed = ex.wait_pixels_change(before)
    assert ink(dimmed) < 0.8 * ink(before), (
        f"selecting one unit of 12 should dim the others: ink {ink(dimmed):.0f} vs {ink(before):.0f}"
    )
    ex.control("Clear selection").click()
    ex.wait_attr("selected-count", "0")
    assert ex.poll_selected([]) == []
    restored = ex.wait_pixels_change(dimmed)
    assert changed_pixels(restored, before) < 0.05 * ink_mask(before).sum() + 10


def test_colour_mode_and_view_change_pixels(lab_explorer: ExplorerPage):
    ex = lab_explorer
    select = ex.control("Colour by")
    expect(select).to_have_value("unit")
    before = ex.stable_pixels()
    select.select_option("timestep")
    ex.wait_attr("color-by", "timestep")
    assert ex.kernel.poll("w.color_by", lambda v: v == "timestep") == "timestep"
    by_timestep = ex.wait_pixels_change(before)
    ex.kernel.exec('w.color_by = "epoch"')
    expect(select).to_have_value("epoch")
    ex.wait_attr("color-by", "epoch")
    by_epoch = ex.wait_pixels_change(by_timestep)
    # the 3-D view draws the same points differently
    view = ex.control("View")
    view.select_option("3d")
    ex.wait_attr("view", "3d")
    assert ex.kernel.poll("w.view", lambda v: v == "3d") == "3d"
    in_3d = ex.wait_pixels_change(by_epoch)
    assert ink_mask(in_3d).sum() > 100, "3-D view looks blank"


def test_labels_are_inserted_as_text(lab_server, open_notebook):
    evil = '<img src=x onerror="window.__mmphate_xss=1">'
    units = [f"{evil}{u}" for u in range(12)]
    nb = open_notebook(lab_server, "labels.ipynb", explorer_cells(units, loss_name=evil + "loss"))
    ex = ExplorerPage(nb.page, nb)
    ex.wait_ready()
    px = ex.stable_pixels()
    # hover drawn points (densest ink first) until the tooltip shows one
    tooltip = ex.page.locator(".mmphate-tooltip").first
    shown = False
    for fx, fy in _dense_ink_points(px):
        ex.page.mouse.move(*ex.to_page(fx, fy))
        try:
            expect(tooltip).to_contain_text("<img", timeout=1000)
            shown = True
            break
        except AssertionError:
            continue
    assert shown, "no tooltip with the unit label appeared over the drawn points"
    # the metric's name is shown as text in the chart's key
    expect(ex.root).to_contain_text(evil + "loss")
    assert ex.page.locator(".mmphate-root img, .mmphate-tooltip img").count() == 0
    assert ex.page.evaluate("() => window.__mmphate_xss") is None
    assert nb.kernel.eval("list(w.selected_units)") == []
