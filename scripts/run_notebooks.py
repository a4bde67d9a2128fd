"""Re-execute the committed notebooks in place, so their saved outputs (and the explorer's saved
state, which the documentation renders) match the current code.

    python scripts/run_notebooks.py                      # every notebook, full settings
    python scripts/run_notebooks.py notebooks/quickstart.ipynb --fast

Each notebook runs top to bottom in a fresh kernel, in a temporary folder (files it writes do not
land in the checkout), and replaces the committed file only if every cell ran without an error.
``--fast`` sets ``MMPHATE_FAST=1`` (the small settings the test suite uses); committed notebooks
are normally run without it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mmphate._atomic import atomic_write_text  # noqa: E402


def run(path: Path, *, fast: bool, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    env_before = os.environ.get("MMPHATE_FAST")
    if fast:
        os.environ["MMPHATE_FAST"] = "1"
    else:
        os.environ.pop("MMPHATE_FAST", None)
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            client = NotebookClient(
                nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": tmp}}
            )
            client.execute()
    finally:
        if env_before is None:
            os.environ.pop("MMPHATE_FAST", None)
        else:
            os.environ["MMPHATE_FAST"] = env_before
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                raise RuntimeError(f"{path.name}: {out.get('ename')}: {out.get('evalue')}")
    atomic_write_text(path, nbformat.writes(nb) + "\n")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/*.ipynb")
    parser.add_argument("--fast", action="store_true", help="the test suite's small settings")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        seconds = run(path, fast=args.fast, timeout=args.timeout)
        print(f"{path.name}: {seconds:.0f} s")


if __name__ == "__main__":
    main()
