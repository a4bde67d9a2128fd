"""Every notebook in notebooks/ runs top to bottom (with the small settings it
selects when ``MMPHATE_FAST`` is set)."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMPHATE_FAST", "1")
    monkeypatch.chdir(tmp_path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
        if out.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} raised: {errors[0].get('ename')}: {errors[0].get('evalue')}"
    assert all(
        cell.get("execution_count")
        for cell in nb.cells
        if cell.cell_type == "code" and cell.source.strip()
    )


def test_notebooks_exist() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert {"quickstart"} <= names, f"notebooks/ has {sorted(names)}"
    assert os.path.isdir(NOTEBOOKS[0].parent)
