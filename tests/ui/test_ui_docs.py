"""The notebooks' explorers on the documentation's pages: drawn from the saved widget state,
offline (also from file://), and interactive without a kernel.

A one-page Sphinx project with the documentation's notebook settings (``nb_ipywidgets_js`` and
the static folder of ``docs/``) renders a committed notebook from its saved outputs, as
``make docs`` does; the page is then opened in Chromium.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uitools import PAGE_ERROR_WHITELIST, ExplorerPage, ink_mask

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
NOTEBOOK = ROOT / "notebooks" / "transformer_layer.ipynb"


def _conf_value(name: str) -> Any:
    """A literal setting of docs/conf.py (read, not executed)."""
    tree = ast.parse((DOCS / "conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == name for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise LookupError(f"docs/conf.py sets no {name}")


@pytest.fixture(scope="module")
def notebook_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("docs-widgets")
    src = base / "src"
    src.mkdir()
    (src / "index.ipynb").write_bytes(NOTEBOOK.read_bytes())
    conf = {
        "project": "widgets",
        "extensions": ["myst_nb"],
        "nb_execution_mode": "off",
        "nb_ipywidgets_js": _conf_value("nb_ipywidgets_js"),
        "html_static_path": [str(DOCS / "_static")],
    }
    (src / "conf.py").write_text("".join(f"{k} = {v!r}\n" for k, v in conf.items()))
    out = base / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out / "index.html"


def test_notebook_explorer_is_drawn_offline(browser, notebook_page: Path, ui_artifacts: Path):
    html = notebook_page.read_text(encoding="utf-8")
    assert "application/vnd.jupyter.widget-state+json" in html
    assert "cdn." not in html and "unpkg" not in html, "the page loads widget code from a CDN"
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
        page.goto(notebook_page.as_uri(), wait_until="load")
        ex = ExplorerPage(page)
        ex.wait_ready(timeout=60)
        assert ex.attr("points") == "24800"  # 31 epochs x 25 positions x 32 units, from the state
        assert ex.attr("color-by") == "intrastep_entropy"  # the saved trait values
        px = ex.stable_pixels()
        assert ink_mask(px).sum() > 100, "the explorer's canvas looks blank"
        network = [u for u in requests if not u.startswith(("file:", "data:", "blob:"))]
        assert network == [], f"the page made network requests: {network}"
        # interactive without a kernel: the epoch slider redraws
        slider = ex.control("Epoch")
        slider.focus()
        page.keyboard.press("End")
        expect(ex.root).to_have_attribute("data-epoch", "30")
        ex.wait_pixels_change(px)
        bad = [e for e in errors if not any(w in e for w in PAGE_ERROR_WHITELIST)]
        assert not bad, "page errors:\n" + "\n".join(bad)
        assert page.locator(".mmphate-nb-missing").count() == 0
    except Exception:
        shot = ui_artifacts / "test_notebook_explorer_is_drawn_offline.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}\nrequests: {requests}\nerrors: {errors}")
        raise
    finally:
        context.close()
