"""The documentation's sources, checked without building Sphinx.

* every public name (each documented module's ``__all__``, see ``docs/_ext/apigen.py``) has a
  numpy-style docstring: a summary line and, for callables that take parameters, every parameter
  documented (dataclass fields may be documented as Attributes); constants have a ``#:`` comment;
* public methods and properties defined on those classes have a summary line;
* every public module of the package is in the reference, and the generated pages list every name;
* the README's benchmark tables are what ``benchmarks/render.py`` makes of the committed results,
  and the renderer shows new implementations, configurations and failures without changes;
* the command-line reference covers every command.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import inspect
import json
import pkgutil
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import apigen  # noqa: E402

numpydoc = pytest.importorskip("numpydoc.docscrape")


def _load(name: str, path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _load("_bench_render", ROOT / "benchmarks" / "render.py")
ENTRIES = apigen.collect()
HOMES = [e for e in ENTRIES if e.is_home]


# ----------------------------------------------------------------------------- docstrings
def _signature_params(obj: Any) -> list[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values() if p.name not in ("self", "cls")]


def _documented(section: list[Any]) -> set[str]:
    names = set()
    for param in section:
        for name in param.name.split(","):
            names.add(name.strip().lstrip("*"))
    return names


def docstring_problems(entry: apigen.Entry) -> list[str]:
    """What is missing from an entry's documentation (empty when fine)."""
    if entry.kind == "data":
        doc = apigen.constant_doc(entry.defined_in, entry.name)
        return [] if len(doc.split()) >= 3 else ["no '#:' comment above the assignment"]
    doc = inspect.getdoc(entry.obj)
    if entry.kind == "class" and entry.obj.__doc__ is None:
        doc = None  # a docstring inherited from a base class does not describe this one
    if not doc:
        return ["no docstring"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            parsed = numpydoc.NumpyDocString(doc)
        except Exception as exc:  # numpydoc raises or warns on malformed sections
            return [f"not numpy style: {exc}"]
    problems = []
    summary = " ".join(parsed["Summary"]).strip()
    if len(summary.split()) < 3:
        problems.append(f"summary line too short: {summary!r}")
    params = _signature_params(entry.obj)
    documented = _documented(parsed["Parameters"])
    if entry.kind == "class" and dataclasses.is_dataclass(entry.obj):
        documented |= _documented(parsed["Attributes"])
    missing = [p for p in params if p not in documented]
    if params and not parsed["Parameters"] and not documented:
        problems.append(f"no Parameters section (takes {', '.join(params)})")
    elif missing:
        problems.append(f"parameters not documented: {', '.join(missing)}")
    return problems


def test_every_public_name_has_a_numpy_docstring() -> None:
    problems = {e.qualname: docstring_problems(e) for e in HOMES}
    bad = {k: v for k, v in problems.items() if v}
    assert not bad, "\n".join(f"{k}: {'; '.join(v)}" for k, v in sorted(bad.items()))


def test_public_members_of_documented_classes_have_a_summary() -> None:
    missing = []
    for e in HOMES:
        if e.kind != "class":
            continue
        for name, member in vars(e.obj).items():
            if name.startswith("_"):
                continue
            target = member.fget if isinstance(member, property) else member
            if isinstance(member, staticmethod | classmethod):
                target = member.__func__
            if not (inspect.isfunction(target) or isinstance(member, property)):
                continue
            if not (getattr(target, "__doc__", None) or "").strip():
                missing.append(f"{e.qualname}.{name}")
    assert not missing, "members without a docstring: " + ", ".join(missing)


def test_the_checks_catch_what_they_are_for() -> None:
    def no_params(x: int, y: int) -> int:
        """Add two numbers together."""
        return x + y

    def one_missing(x: int, y: int) -> int:
        """Add two numbers together.

        Parameters
        ----------
        x : int
            First.
        """
        return x + y

    def fine(x: int, *, y: int = 0, **kwargs: Any) -> int:
        """Add two numbers together.

        Parameters
        ----------
        x, y : int
            The numbers.
        **kwargs
            Ignored.
        """
        return x + y

    def entry(obj: Any) -> apigen.Entry:
        return apigen.Entry("m", obj.__name__, obj, "m", "function", "m")

    assert docstring_problems(entry(no_params)) == ["no Parameters section (takes x, y)"]
    assert docstring_problems(entry(one_missing)) == ["parameters not documented: y"]
    assert docstring_problems(entry(fine)) == []
    assert docstring_problems(entry(lambda: None)) == ["no docstring"]


# ----------------------------------------------------------------------------- reference pages
def test_every_public_module_is_in_the_reference() -> None:
    import mmphate

    documented = {m for m, _ in apigen.MODULES}
    public = {"mmphate"}
    for info in pkgutil.walk_packages(mmphate.__path__, prefix="mmphate."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts):
            continue
        public.add(info.name)
    assert public == documented, f"undocumented: {public - documented}; gone: {documented - public}"


def test_generated_pages_list_every_name(tmp_path: Path) -> None:
    written = {p.name for p in apigen.write_api(tmp_path)}
    for module, _ in apigen.MODULES:
        page = (tmp_path / f"{module}.rst").read_text()
        for name in apigen.public_names(importlib.import_module(module)):
            assert f":`{name} <" in page, f"{module} page lacks {name}"
    for e in HOMES:
        assert f"{e.qualname}.rst" in written
        body = (tmp_path / f"{e.qualname}.rst").read_text()
        assert e.qualname in body
    # a name re-exported elsewhere is documented once, at its home
    assert "mmphate.MMPHATE.rst" not in written and "mmphate.engine.MMPHATE.rst" in written
    home = {
        e.qualname for e in ENTRIES if e.module == "mmphate.record" and e.name == "load_dataset"
    }
    assert home == {"mmphate.record.datasets.load_dataset"}
    stale = tmp_path / "mmphate.gone.rst"
    stale.write_text("x")
    apigen.write_api(tmp_path)
    assert not stale.exists()


def test_cli_reference_covers_every_command() -> None:
    import mmphate_docs

    from mmphate.cli import build_parser

    text = mmphate_docs.cli_reference()
    commands = mmphate_docs._subparsers(build_parser())
    assert set(commands) == {"demo", "embed", "export", "info"}
    for name in commands:
        assert f"### `mmphate {name}`" in text
    assert "--interstep-neighbors" in text and "--color-by" in text and "usage: mmphate" in text


# ----------------------------------------------------------------------------- benchmarks
def test_readme_tables_are_rendered_from_the_published_results() -> None:
    blocks = render.readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert set(blocks) == set(render.NAMES), f"README blocks: {sorted(blocks)}"
    for name in render.NAMES:
        assert blocks[name] == render.render(name), (
            f"the README's {name} table differs from benchmarks/results/bench_{name}.json: "
            "run python benchmarks/render.py --update-readme"
        )


def test_published_results_name_machine_and_load() -> None:
    for name in render.NAMES:
        data = render.load(name)
        machine = data["machine"]
        assert machine["cpus"] and machine["platform"], name
        assert len(machine["loadavg_start"]) == 3 and len(machine["loadavg_end"]) == 3, name
        assert "load average" in render.render(name)


def _measurement(status: str = "ok", **kw: Any) -> dict[str, Any]:
    return {"status": status, "wall_s": 10.0, "cpu_s": 9.0, "peak_rss_mb": 2048.0} | kw


def test_engine_renderer_follows_the_json() -> None:
    data = {
        "machine": {"cpus": 8, "platform": "Linux", "python": "3.12", "threads": 4},
        "tiny": {
            "shape": [2, 3, 4, 5],
            "nodes": 24,
            "data": "gen",
            "reference": _measurement(wall_s=100.0, cpu_s=90.0, peak_rss_mb=4096.0),
            "streamed": _measurement(wall_s=4.0, cpu_s=3.0),
            "quality": {"agreement": 0.5, "label": "ignored"},
        },
        "huge": {
            "shape": [9, 9, 9, 9],
            "nodes": 729,
            "reference": _measurement(
                "out of memory", mem_limit_gb=16, process_s=301.0, wall_s=None
            ),
            "streamed": _measurement("timeout", timeout_s=1800.0),
        },
    }
    text = render.render_engine(data)
    assert "8 CPUs" in text and "4 BLAS/OpenMP threads" in text
    assert "`streamed`" in text  # an implementation the renderer has no label for
    assert "25.0x / 30.0x" in text  # time and CPU ratios against the reference
    assert "2.0x" in text  # memory ratio
    assert "out of memory (cap 16 GB) after 301 s" in text
    assert "did not finish in 1800 s" in text
    assert "| agreement | 0.500 |" in text and "ignored" not in text
    assert text.count("(huge)") == 2


def test_readme_update_rewrites_only_the_blocks(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    for name in render.NAMES:
        (results / f"bench_{name}.json").write_text(json.dumps(render.load(name)))
    readme = tmp_path / "README.md"
    blocks = "".join(
        f"before {n}\n<!-- bench:{n}:start -->\nstale\n<!-- bench:{n}:end -->\nafter {n}\n"
        for n in render.NAMES
    )
    readme.write_text("# Title\n" + blocks)
    assert render.update_readme(readme, results)
    text = readme.read_text()
    assert "stale" not in text and text.startswith("# Title\nbefore engine\n")
    assert render.readme_blocks(text) == {n: render.render(n, results) for n in render.NAMES}
    assert not render.update_readme(readme, results)  # already up to date
    readme.write_text("no markers")
    with pytest.raises(ValueError, match="bench:engine:start"):
        render.update_readme(readme, results)
