"""Real-browser test tier: JupyterLab 4 and Notebook 7 driven by Playwright and Chromium.

Fixtures
--------
``lab_server`` / ``nb7_server``
    One Jupyter server per application and session, started on 127.0.0.1 with
    ``sys.executable -m jupyter lab|notebook`` (so the default ``python3``
    kernel runs in the same environment as the tests) and killed as a
    process group at the end.
``browser``
    Debian's Chromium launched by Playwright (never a downloaded browser).
    Missing Chromium skips the tier locally and fails it under ``CI``.
``open_notebook``
    Copies a pristine notebook into the server root, opens it, waits until a
    single kernel is connected and idle, runs all cells and returns a
    :class:`NotebookSession` (page + kernel client).  Collected page errors fail
    the test; a screenshot is saved when a test fails.
``explorer`` / ``lab_explorer``
    The explorer widget on a synthetic recording with a known 2-D layout, displayed
    in a freshly executed notebook (both applications / JupyterLab only).
``grid_pages``
    ``grid_pages(host)``: the "grid" explorer (units on a 4 x 4 grid, positions streamed in
    chunks), opened once per application and session and shared by the tests that use it;
    each test starts with :meth:`uitools.GridPage.reset`.

Failure screenshots go to ``$MMPHATE_UI_ARTIFACTS`` (default: a new temporary folder,
printed with the failure).  Run only this tier with ``pytest -m ui``; skip it with
``-m "not ui"``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from uitools import (
    CHROMIUM_ARGS,
    KERNEL_READY_TIMEOUT,
    PAGE_ERROR_WHITELIST,
    RUN_ALL_TIMEOUT,
    ExplorerPage,
    GridPage,
    JupyterServer,
    Kernel,
    NotebookSession,
    explorer_cells,
    grid_cells,
    launch_server,
    rerun_all_cells,
    run_all_cells,
    stop_server,
    wait_kernel_settled,
    wait_server,
    write_notebook,
)

UI_DIR = Path(__file__).resolve().parent

# the machines running the suite are small and busy: give web-first assertions some slack
expect.set_options(timeout=15_000)

# --------------------------------------------------------------------------------------
# pytest hooks
# --------------------------------------------------------------------------------------


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if UI_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ui)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture(scope="session")
def ui_artifacts() -> Path:
    """Folder for failure screenshots (kept after the run)."""
    d = Path(os.environ.get("MMPHATE_UI_ARTIFACTS") or tempfile.mkdtemp(prefix="mmphate-ui-"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _apps_needed(session: pytest.Session) -> set[str]:
    """Which servers the selected tests use (so that they can start side by side)."""
    apps = set()
    for item in session.items:
        names = getattr(item, "fixturenames", ())
        if "lab_server" in names:
            apps.add("lab")
        if "nb7_server" in names:
            apps.add("notebook")
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            for key in ("server", "host"):
                if key in callspec.params:
                    apps.add(callspec.params[key])
        if "grid_lab" in names:
            apps.add("lab")
    return apps


@pytest.fixture(scope="session")
def _jupyter_servers(
    request: pytest.FixtureRequest, chromium_path: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, JupyterServer]]:
    """Launches every server the session needs at once; each is waited for on first use."""
    servers: dict[str, JupyterServer] = {}
    try:
        for app in sorted(_apps_needed(request.session)):
            servers[app] = launch_server(app, tmp_path_factory.mktemp(f"jupyter-{app}"))
        yield servers
    finally:
        for server in servers.values():
            stop_server(server)


def _server(app: str, servers: dict[str, JupyterServer], tmp_path_factory) -> JupyterServer:
    if app not in servers:  # e.g. requested through getfixturevalue by an unforeseen test
        servers[app] = launch_server(app, tmp_path_factory.mktemp(f"jupyter-{app}"))
    return wait_server(servers[app])


@pytest.fixture(scope="session")
def lab_server(
    _jupyter_servers: dict[str, JupyterServer], tmp_path_factory: pytest.TempPathFactory
) -> JupyterServer:
    return _server("lab", _jupyter_servers, tmp_path_factory)


@pytest.fixture(scope="session")
def nb7_server(
    _jupyter_servers: dict[str, JupyterServer], tmp_path_factory: pytest.TempPathFactory
) -> JupyterServer:
    return _server("notebook", _jupyter_servers, tmp_path_factory)


@pytest.fixture(params=["lab", "notebook"], ids=["lab", "nb7"])
def server(request: pytest.FixtureRequest) -> JupyterServer:
    """Parametrises a test over JupyterLab 4 and Notebook 7."""
    name = "lab_server" if request.param == "lab" else "nb7_server"
    return request.getfixturevalue(name)


# --------------------------------------------------------------------------------------
# Browser
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        msg = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(msg, pytrace=False)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def open_session(
    browser: Any,
    server: JupyterServer,
    name: str,
    cells: list[str],
    run_all: bool,
    opened: list[tuple[Any, NotebookSession | None, JupyterServer]],
) -> tuple[Any, NotebookSession]:
    """Write, open and (optionally) run a notebook; records (context, session, server) in opened."""
    write_notebook(server.root / name, cells)
    server.shutdown_kernels()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console.error: {msg.text}") if msg.type == "error" else None,
    )
    opened.append((context, None, server))
    page.goto(server.notebook_url(name), wait_until="domcontentloaded")
    page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
    kernel_id = wait_kernel_settled(page, KERNEL_READY_TIMEOUT)
    kernel = Kernel(server.runtime_dir / f"kernel-{kernel_id}.json")
    session = NotebookSession(page, server, name, kernel_id, kernel, errors)
    opened[-1] = (context, session, server)
    if run_all:
        run_all_cells(page, RUN_ALL_TIMEOUT)
    return context, session


@pytest.fixture
def open_notebook(
    browser: Any, ui_artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Callable[..., NotebookSession]]:
    """Factory: ``open_notebook(server, name, cells)`` -> a ready, fully executed notebook."""
    opened: list[tuple[Any, NotebookSession | None, JupyterServer]] = []

    def _open(
        server: JupyterServer, name: str, cells: list[str], *, run_all: bool = True
    ) -> NotebookSession:
        context, session = open_session(browser, server, name, cells, run_all, opened)
        return session

    yield _open

    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    for i, (context, session, server) in enumerate(opened):
        if failed:
            shot = ui_artifacts / f"{request.node.name}-{i}.png".replace("/", "_")
            try:
                context.pages[0].screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot: {shot}")
                if session is not None:
                    print("page errors:", *session.errors, sep="\n  ")
            except Exception as exc:  # noqa: BLE001 - best effort diagnostics
                print(f"\nscreenshot failed: {exc}")
            print(f"server log tail ({server.app}):\n{server.log_tail(2000)}")
        if session is not None:
            session.kernel.close()
        context.close()
        server.shutdown_kernels()
    if not failed:
        for _, session, _ in opened:
            if session is not None:
                session.check_errors()


@pytest.fixture(scope="session")
def _explorer_pages(
    browser: Any,
    request: pytest.FixtureRequest,
    ui_artifacts: Path,
    _jupyter_servers: dict[str, JupyterServer],
) -> Iterator[Callable[[JupyterServer], ExplorerPage]]:
    """``get(server)``: the explorer notebook of that application, executed afresh.

    The notebook, its page and its kernel stay open all session; each call drops cells a test
    added, clears the outputs and runs every cell again, so each test gets a new widget (new
    state, new front end) without the seconds of a page load and a kernel start.
    """
    sessions: dict[str, NotebookSession] = {}
    opened: list[tuple[Any, NotebookSession | None, JupyterServer]] = []
    cells = explorer_cells()

    def get(server: JupyterServer) -> ExplorerPage:
        if server.app not in sessions:
            _, session = open_session(
                browser, server, f"explorer-{server.app}.ipynb", cells, True, opened
            )
            server.keep.add(session.kernel_id)
            sessions[server.app] = session
        else:
            session = sessions[server.app]
            rerun_all_cells(session.page, len(cells), RUN_ALL_TIMEOUT)
        ex = ExplorerPage(session.page, session)
        ex.wait_ready()
        return ex

    yield get

    failed = request.session.testsfailed > 0
    for i, (context, session, server) in enumerate(opened):
        if failed:
            try:
                shot = ui_artifacts / f"explorer-{server.app}-{i}.png"
                context.pages[0].screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot: {shot}")
            except Exception as exc:  # noqa: BLE001 - best effort diagnostics
                print(f"\nscreenshot failed: {exc}")
        if session is not None:
            session.kernel.close()
            server.keep.discard(session.kernel_id)
        context.close()


def _fresh_explorer(
    get: Callable[[JupyterServer], ExplorerPage],
    server: JupyterServer,
    request: pytest.FixtureRequest,
    ui_artifacts: Path,
) -> Iterator[ExplorerPage]:
    ex = get(server)
    assert ex.nb is not None
    seen = len(ex.nb.errors)
    yield ex
    failed = any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False)
        for when in ("setup", "call")
    )
    new = ex.nb.errors[seen:]
    if failed:
        shot = ui_artifacts / f"{request.node.name}.png".replace("/", "_")
        try:
            ex.page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot: {shot}")
            print("page errors:", *new, sep="\n  ")
        except Exception as exc:  # noqa: BLE001 - best effort diagnostics
            print(f"\nscreenshot failed: {exc}")
    else:
        bad = [e for e in new if not any(w in e for w in PAGE_ERROR_WHITELIST)]
        assert not bad, "page errors:\n" + "\n".join(bad)


@pytest.fixture
def explorer(
    server: JupyterServer,
    _explorer_pages: Callable[[JupyterServer], ExplorerPage],
    request: pytest.FixtureRequest,
    ui_artifacts: Path,
) -> Iterator[ExplorerPage]:
    """The explorer in a freshly executed notebook (JupyterLab and Notebook 7)."""
    yield from _fresh_explorer(_explorer_pages, server, request, ui_artifacts)


@pytest.fixture
def lab_explorer(
    lab_server: JupyterServer,
    _explorer_pages: Callable[[JupyterServer], ExplorerPage],
    request: pytest.FixtureRequest,
    ui_artifacts: Path,
) -> Iterator[ExplorerPage]:
    """The explorer in a freshly executed JupyterLab notebook."""
    yield from _fresh_explorer(_explorer_pages, lab_server, request, ui_artifacts)


@pytest.fixture(scope="session")
def grid_pages(
    browser: Any,
    request: pytest.FixtureRequest,
    ui_artifacts: Path,
    _jupyter_servers: dict[str, JupyterServer],
) -> Iterator[Callable[[str], GridPage]]:
    """``grid_pages("lab" | "notebook")``: the shared grid explorer of that application."""
    pages: dict[str, GridPage] = {}
    opened: list[tuple[Any, NotebookSession | None, JupyterServer]] = []

    def get(host: str) -> GridPage:
        if host not in pages:
            server = request.getfixturevalue("lab_server" if host == "lab" else "nb7_server")
            # a different name than the per-test notebooks: this one stays open all session
            _, session = open_session(
                browser, server, f"grid-{host}.ipynb", grid_cells(), True, opened
            )
            server.keep.add(session.kernel_id)
            page = GridPage(session.page, session)
            page.wait_ready()
            page.assert_points_drawn()
            pages[host] = page
        page = pages[host]
        page.reset()
        return page

    yield get

    failed = request.session.testsfailed > 0
    for i, (context, session, server) in enumerate(opened):
        if failed:
            try:
                shot = ui_artifacts / f"grid-{server.app}-{i}.png"
                context.pages[0].screenshot(path=str(shot), full_page=True)
                print(f"\nscreenshot: {shot}")
                if session is not None:
                    print("page errors:", *session.errors, sep="\n  ")
            except Exception as exc:  # noqa: BLE001 - best effort diagnostics
                print(f"\nscreenshot failed: {exc}")
        if session is not None:
            session.kernel.close()
            server.keep.discard(session.kernel_id)
            if not failed:
                session.check_errors()
        context.close()


@pytest.fixture
def grid_lab(grid_pages: Callable[[str], GridPage]) -> GridPage:
    """The shared grid explorer in JupyterLab, reset."""
    return grid_pages("lab")
