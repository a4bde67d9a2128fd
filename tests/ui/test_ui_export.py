"""The standalone HTML export renders from file:// without any network access."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import expect
from uitools import EPOCHS, PAGE_ERROR_WHITELIST, TIMESTEPS, ExplorerPage, ink_mask

import mmphate

EVIL = '</script><img src=x onerror="window.__mmphate_xss=1">'


def _explorer(units: list[str]) -> Any:
    E, T, U = len(EPOCHS), len(TIMESTEPS), len(units)
    rec = mmphate.Recording(
        np.random.default_rng(0).standard_normal((E, T, U, 3)).astype(np.float32),
        epochs=EPOCHS,
        timesteps=TIMESTEPS,
        units=units,
    )
    e, t, u = np.meshgrid(np.arange(E), np.arange(T), np.arange(U), indexing="ij")
    side = np.where(u < U // 2, -1.0, 1.0)
    x = side * (0.6 + 0.1 * ((t + 2 * e) % 5))
    y = -0.45 + 0.15 * (u % 6) + 0.03 * t + 0.05 * e
    emb = np.stack([x.ravel(), y.ravel()], axis=1)
    return mmphate.Explorer(emb, recording=rec, view="2d", color_by="unit")


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    units = [f"{EVIL}{i}" for i in range(12)]
    w = _explorer(units)
    path = tmp_path / "explorer.html"
    mmphate.export_html(w, path, title=EVIL)
    assert path.is_file() and path.stat().st_size > 0
    return path


def test_export_renders_offline(browser, exported: Path, ui_artifacts: Path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console.error: {msg.text}") if msg.type == "error" else None,
    )

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url.startswith(("http:", "https:", "ws:", "wss:")):
            r.abort()
        else:
            r.continue_()

    page.route("**/*", route)
    try:
        page.goto(exported.as_uri(), wait_until="load")
        ex = ExplorerPage(page)
        ex.wait_ready(timeout=30)
        px = ex.stable_pixels()
        assert ink_mask(px).sum() > 100, "exported page's canvas looks blank"
        network = [u for u in requests if not u.startswith(("file:", "data:", "blob:"))]
        assert network == [], f"the exported page made network requests: {network}"
        # labels stay text: nothing injected, no handler ran
        assert page.locator("img").count() == 0
        assert page.evaluate("() => window.__mmphate_xss") is None
        # the page works without a kernel: the epoch slider redraws
        slider = ex.control("Epoch")
        start = ex.attr("epoch")
        slider.focus()
        page.keyboard.press("ArrowRight" if start != str(EPOCHS[-1]) else "ArrowLeft")
        expect(ex.root).not_to_have_attribute("data-epoch", start or "")
        ex.wait_pixels_change(px)
        # and selection works without a kernel too
        ex.use_tool("Box select")
        ex.box_drag(0.01, 0.01, 0.45, 0.99)
        ex.wait_attr("selected-count", "6")
        # unmounting (the cleanup render returns) removes the view and its listeners
        page.evaluate("() => window.mmphate.cleanup()")
        expect(page.locator(".mmphate-root")).to_have_count(0)
        page.mouse.move(10, 10)
        page.keyboard.press("ArrowRight")
        bad = [e for e in errors if not any(w in e for w in PAGE_ERROR_WHITELIST)]
        assert not bad, "page errors:\n" + "\n".join(bad)
    except Exception:
        shot = ui_artifacts / "test_export_renders_offline.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}\nrequests: {requests}\nerrors: {errors}")
        raise
    finally:
        context.close()
