"""Sphinx extension of the mmphate documentation: pages generated from the code at build time.

On ``builder-inited`` (before Sphinx looks for source files) it writes

* the API reference, ``api/generated/`` (see :mod:`apigen`);
* the command-line reference, ``_generated/cli.md``, from ``mmphate.cli.build_parser()``;
* the performance tables, ``_generated/bench_<name>.md``, from the published benchmark results
  ``benchmarks/results/bench_<name>.json`` (``benchmarks/render.py``);
* copies of the committed notebooks, ``notebooks/*.ipynb`` (rendered from their saved outputs;
  never executed).

All of these are git-ignored.  A file is rewritten only when its content changes, so an
incremental build re-reads only what changed.

It also resolves references to re-exported names: ``mmphate.MMPHATE`` and
``mmphate.record.HiddenStateRecorder`` point to the page of the object's home
(``mmphate.engine.MMPHATE``, ``mmphate.record.torch.HiddenStateRecorder``).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
from pathlib import Path
from typing import Any

import apigen

DOCS = Path(__file__).resolve().parents[1]
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
NOTEBOOKS = ROOT / "notebooks"

#: Width the command-line help is formatted at (argparse reads ``COLUMNS``).
HELP_COLUMNS = 80


def _write(path: Path, text: str) -> None:
    apigen._write(path, text)


# ----------------------------------------------------------------------------- CLI
def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _help(parser: argparse.ArgumentParser) -> str:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(HELP_COLUMNS)
    try:
        return parser.format_help()
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def cli_reference() -> str:
    """Markdown: ``mmphate --help`` and ``mmphate COMMAND --help`` for every command."""
    from mmphate.cli import build_parser

    parser = build_parser()
    out = [
        "(cli-reference)=",
        "## Reference",
        "",
        "Generated from the parser of `mmphate.cli`.",
        "",
    ]
    out += ["### `mmphate`", "", "```text", _help(parser).rstrip(), "```", ""]
    for name, sub in _subparsers(parser).items():
        out += [f"(cli-{name})=", f"### `mmphate {name}`", ""]
        out += ["```text", _help(sub).rstrip(), "```", ""]
    return "\n".join(out)


# ----------------------------------------------------------------------------- benchmarks
def _renderer() -> Any:
    spec = importlib.util.spec_from_file_location("_bench_render", ROOT / "benchmarks/render.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ----------------------------------------------------------------------------- notebooks
def copy_notebooks(dest: Path) -> list[Path]:
    """Copy ``notebooks/*.ipynb`` into ``dest`` (only those that changed); remove stale ones."""
    dest.mkdir(parents=True, exist_ok=True)
    wanted = sorted(NOTEBOOKS.glob("*.ipynb"))
    for src in wanted:
        target = dest / src.name
        if not target.exists() or target.read_bytes() != src.read_bytes():
            tmp = target.with_name(f".{target.name}.tmp")
            shutil.copyfile(src, tmp)
            tmp.replace(target)
    names = {p.name for p in wanted}
    for stale in dest.glob("*.ipynb"):
        if stale.name not in names:
            stale.unlink()
    return [dest / p.name for p in wanted]


# ----------------------------------------------------------------------------- hooks
def generate(app: Any) -> None:
    apigen.write_api(DOCS / "api" / "generated")
    _write(GENERATED / "cli.md", cli_reference())
    _renderer().write_markdown(GENERATED)
    copy_notebooks(DOCS / "notebooks")


_ALIASES: dict[str, str] = {}


def _aliases() -> dict[str, str]:
    if not _ALIASES:
        for e in apigen.collect():
            if not e.is_home:
                _ALIASES[f"{e.module}.{e.name}"] = e.qualname
    return _ALIASES


def resolve_alias(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference``: retry a re-exported name at its home."""
    if node.get("refdomain") != "py":
        return None
    target = node.get("reftarget", "")
    candidates = [target]
    modname = node.get("py:module")
    if modname and not target.startswith("mmphate"):
        candidates.insert(0, f"{modname}.{target}")
    for cand in candidates:
        home = _aliases().get(cand)
        if home:
            domain = env.get_domain("py")
            node["reftarget"] = home
            return domain.resolve_xref(
                env, node["refdoc"], app.builder, node["reftype"], home, node, contnode
            )
    return None


def setup(app: Any) -> dict[str, Any]:
    app.connect("builder-inited", generate)
    app.connect("missing-reference", resolve_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
