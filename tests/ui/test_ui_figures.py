"""Figures and reading aids in JupyterLab: the composed PNG, the metrics chart, the legend's unit
search and hover highlight, and trajectories that show which way time runs (grid explorer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import expect
from uitools import GRID_STEP_T, GRID_TIMESTEPS, GridPage, changed_pixels, decode_png, ink, ink_mask

PAD, TITLE_H, LEGEND_W = 12, 24, 160  # js/src/figure.js


def _save_png(ex: GridPage, scale: str, tmp_path: Path) -> np.ndarray:
    ex.control("PNG scale").select_option(scale)
    with ex.page.expect_download() as info:
        ex.control("Save PNG").click()
    target = tmp_path / f"{scale}-{info.value.suggested_filename}"
    info.value.save_as(target)
    png = decode_png(target.read_bytes())
    assert ex.attr("last-figure") == f"{png.shape[1]}x{png.shape[0]}"
    return png


def _colour_count(px: np.ndarray, hex_colour: str) -> int:
    rgb = [int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]
    return int((px == np.array(rgb)).all(axis=-1).sum())


def test_save_png_composes_plot_legend_label_and_title(grid_lab: GridPage, tmp_path: Path):
    ex = grid_lab
    canvas_w = ex.canvas.bounding_box()["width"]
    one = _save_png(ex, "1", tmp_path)
    two = _save_png(ex, "2", tmp_path)
    # the chosen scale: twice the pixels in each direction
    assert abs(two.shape[1] - 2 * one.shape[1]) <= 2 and abs(two.shape[0] - 2 * one.shape[0]) <= 2
    h, w = one.shape[:2]
    plot_w = w - 3 * PAD - LEGEND_W
    plot = one[PAD + TITLE_H : h - PAD, PAD : PAD + plot_w]
    # cropped to the points: no wide empty margins (the canvas itself is much wider)
    assert plot_w < 0.8 * canvas_w, f"plot {plot_w} px wide for a {canvas_w:.0f} px canvas"
    left, right = np.nonzero(ink_mask(plot).any(axis=0))[0][[0, -1]]
    assert left < 40 and plot_w - right < 40, f"plot margins {left} and {plot_w - right} px"
    # the points in their palette colours (unit 0 blue, unit 15 the 16th colour)
    assert _colour_count(plot, "#1f77b4") > 20
    assert ink_mask(plot).sum() > 500
    # the legend beside the plot: solid swatches of the unit colours
    legend = one[PAD + TITLE_H :, PAD + plot_w + PAD :]
    for colour in ("#1f77b4", "#ff7f0e", "#2ca02c"):
        assert _colour_count(legend, colour) >= 100, f"no {colour} swatch in the legend"
    # a title above and the epoch label in the plot's corner are drawn as text
    assert ink_mask(one[PAD : PAD + TITLE_H, PAD : PAD + 120]).sum() > 30, "no title"
    corner = one[PAD + TITLE_H + 4 : PAD + TITLE_H + 22, PAD + 4 : PAD + 70]
    assert ink_mask(corner).sum() > 30, "no epoch label"


def test_metrics_chart_has_axes_hover_values_and_the_epoch_marker(grid_lab: GridPage):
    ex = grid_lab
    chart = ex.control("Metrics chart")
    chart.scroll_into_view_if_needed()
    # loss and accuracy on separate, labelled panels
    assert chart.get_attribute("data-panels") == "loss|accuracy"
    assert chart.get_attribute("data-current-epoch") == "1"
    box = chart.bounding_box()
    tooltip = ex.page.locator(".mmphate-chart-tooltip").first
    shown = None
    for k in range(4, 60):
        ex.page.mouse.move(box["x"] + k * box["width"] / 120, box["y"] + box["height"] / 2)
        if chart.get_attribute("data-hover-epoch") == "5":
            shown = tooltip.inner_text()
            break
    assert shown is not None, "hovering the loss panel never reached epoch 5"
    assert shown.split("\n") == ["epoch 5", "train_loss 0.5", "val_loss 0.7"]
    ex.page.mouse.move(0, 0)
    expect(tooltip).to_be_hidden()
    before = decode_png(chart.screenshot())
    ex.kernel.exec("w.epoch = 10")
    assert chart.get_attribute("data-current-epoch") is not None
    expect(chart).to_have_attribute("data-current-epoch", "10")
    after = decode_png(chart.screenshot())
    assert changed_pixels(before, after) > 100, "the epoch marker did not move"


def test_legend_finds_a_unit_and_highlights_it(grid_lab: GridPage):
    ex = grid_lab
    search = ex.control("Find unit")
    items = ex.root.locator(".mmphate-legend-item")
    expect(items).to_have_count(16)
    search.fill("1")
    expect(items).to_have_count(7)
    labels = [items.nth(i).get_attribute("data-label") for i in range(7)]
    assert labels == ["1", "10", "11", "12", "13", "14", "15"]
    before = ex.stable_pixels()
    items.nth(3).hover()
    ex.wait_attr("highlight", "unit:12")
    lit = ex.wait_pixels_change(before)
    assert ink(lit) < 0.8 * ink(before), "hovering a legend entry should dim the other units"
    ex.page.mouse.move(0, 0)
    expect(ex.root).not_to_have_attribute("data-highlight", "unit:12")
    # the search box picks the unit it finds
    search.fill("13")
    expect(items).to_have_count(1)
    search.press("Enter")
    assert ex.poll_selected(["13"]) == ["13"]
    search.fill("")
    expect(items).to_have_count(16)


def test_trajectories_show_which_way_time_runs(grid_lab: GridPage):
    ex = grid_lab
    ex.kernel.exec("w.show_context = False; w.selected_units = ['5']")
    ex.wait_attr("selected-count", "1")
    ex.wait_attr("trajectories", "1")
    assert int(ex.attr("arrows")) == len(GRID_TIMESTEPS) - 1
    with_paths = ex.stable_pixels()
    toggle = ex.control("Show trajectories")
    toggle.uncheck()
    ex.wait_attr("trajectories", "0")
    without = ex.wait_pixels_change(with_paths, min_changed=10)
    toggle.check()
    ex.wait_attr("trajectories", "1")
    # the line and arrowheads of unit 5 (column 1, row 1), from its first timestep to its last
    diff = np.abs(with_paths - without).sum(axis=-1) > 60
    ys, xs = np.nonzero(diff)
    assert xs.size > 15, f"only {xs.size} pixels of trajectory"
    h, w = diff.shape
    x0, y0 = ex.frac(1.0, 1.0)
    x1, y1 = ex.frac(1.0 + 3 * GRID_STEP_T, 1.0 + 3 * GRID_STEP_T)
    d = np.array([(x1 - x0) * w, (y1 - y0) * h])
    along = ((xs - x0 * w) * d[0] + (ys - y0 * h) * d[1]) / (d @ d)
    assert along.min() > -0.3 and along.max() < 1.3, "trajectory pixels away from unit 5's path"
    shade = with_paths[ys, xs].mean(axis=-1)  # darker = later on the light theme's ramp
    early, late = shade[along < 0.5].mean(), shade[along >= 0.5].mean()
    assert late < early - 20, f"the path does not darken along time ({early:.0f} -> {late:.0f})"


def test_every_control_is_labelled_and_keeps_its_keys(grid_lab: GridPage):
    ex = grid_lab
    missing = ex.root.evaluate(
        """r => [...r.querySelectorAll('input, select, button, canvas, [tabindex]')]
            .filter(n => !n.getAttribute('aria-label') && !n.textContent.trim())
            .map(n => n.outerHTML.slice(0, 80))"""
    )
    assert missing == [], f"controls without an accessible name: {missing}"
    unguarded = ex.root.evaluate(
        """r => [...r.querySelectorAll('input, select, button, canvas, [tabindex]')]
            .filter(n => n.getAttribute('data-lm-suppress-shortcuts') !== 'true').length"""
    )
    assert unguarded == 0, "notebook shortcuts would steal keys from these controls"
    for label in (
        "Selection mode",
        "Epoch range start",
        "Epoch range end",
        "Timestep range start",
        "Timestep range end",
        "PNG scale",
        "Save PNG",
        "Show trajectories",
        "Find unit",
        "Metrics chart",
    ):
        expect(ex.control(label)).to_be_attached()
    # state for tests and assistive tools lives on the root
    for name in ("ready", "epoch", "timestep", "selected-count", "selection-mode", "points"):
        assert ex.attr(name) is not None, name
