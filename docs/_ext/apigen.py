"""The API reference pages, written from the packages' ``__all__`` at build time.

Every module in :data:`MODULES` gets a page ``api/generated/<module>.rst`` with its docstring and
a summary table of its public names; every public object gets a page of its own
(``api/generated/<module>.<name>.rst``) in the module where it is documented in full, its *home*.
A name exported by several modules (``mmphate.MMPHATE`` is ``mmphate.engine.MMPHATE``) is
documented once, at its home, and listed with a link everywhere else.  The home of an object is
the deepest documented module that exports it and contains the module defining it
(``HiddenStateRecorder`` lives in ``mmphate.record.torch``, although ``mmphate.record`` exports
it too).

The subpackages load their names lazily (``mmphate._lazy``); ``getattr`` imports the real
object, which is what autodoc documents.  Module-level constants carry no docstring of their
own: their documentation is the ``#:`` comment above their assignment in the module that defines
them, found by :func:`constant_doc`.

This module is imported by ``docs/conf.py`` and by ``tests/test_docs.py`` (which checks that
every name listed here has a numpy-style docstring), so both see the same list of names.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

#: The documented modules, in the order of the reference's table of contents, with a title.
MODULES: tuple[tuple[str, str], ...] = (
    ("mmphate", "The most used names"),
    ("mmphate.record", "Recordings"),
    ("mmphate.record.torch", "PyTorch recorder"),
    ("mmphate.record.keras", "Keras recorder"),
    ("mmphate.record.datasets", "Datasets"),
    ("mmphate.record.training", "Training helper"),
    ("mmphate.record.forecasting", "Forecasting helper"),
    ("mmphate.engine", "Engine"),
    ("mmphate.analysis", "Analyses"),
    ("mmphate.explorer", "Explorer"),
    ("mmphate.pipeline", "Pipeline and result folders"),
    ("mmphate.demo", "Demo"),
    ("mmphate.cli", "Command line"),
)

#: Public names of the modules that define no ``__all__`` (the command line's entry points).
EXTRA_NAMES: dict[str, tuple[str, ...]] = {"mmphate.cli": ("main", "build_parser")}


@dataclass(frozen=True)
class Entry:
    """One public name of one module."""

    module: str
    name: str
    obj: Any
    home: str
    kind: str  # "class", "function" or "data"
    defined_in: str  # module whose source holds the definition

    @property
    def qualname(self) -> str:
        return f"{self.home}.{self.name}"

    @property
    def is_home(self) -> bool:
        return self.module == self.home


def public_names(module: ModuleType) -> tuple[str, ...]:
    """The curated public names of ``module``: its ``__all__`` (or :data:`EXTRA_NAMES`)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = EXTRA_NAMES.get(module.__name__)
    if names is None:
        raise ValueError(f"{module.__name__} has no __all__ and no entry in EXTRA_NAMES")
    return tuple(names)


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "data"


def _candidate_modules(package: str) -> Iterator[str]:
    """``package`` and every module below it (private ones included), lazily."""
    yield package
    mod = importlib.import_module(package)
    if hasattr(mod, "__path__"):
        for info in pkgutil.walk_packages(mod.__path__, prefix=package + "."):
            yield info.name


def _assigns(module_name: str, name: str) -> bool:
    """Whether the source of ``module_name`` assigns ``name`` at top level."""
    return _assignment_line(module_name, name) is not None


@functools.cache
def _module_source(module_name: str) -> tuple[str, ast.Module] | None:
    mod = importlib.import_module(module_name)
    try:
        source = inspect.getsource(mod)
    except (OSError, TypeError):
        return None
    return source, ast.parse(source)


def _assignment_line(module_name: str, name: str) -> int | None:
    parsed = _module_source(module_name)
    if parsed is None:
        return None
    for node in parsed[1].body:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node.lineno
    return None


def defining_module(module: str, name: str, obj: Any) -> str:
    """The module whose source defines public ``name`` of ``module``."""
    if _kind(obj) != "data":
        return obj.__module__
    # the exporting module's own subtree first, then the whole package
    for top in (module, module.split(".")[0]):
        for candidate in _candidate_modules(top):
            if candidate.endswith("__main__"):
                continue
            cand = importlib.import_module(candidate)
            if getattr(cand, name, _MISSING) is obj and _assigns(candidate, name):
                return candidate
    raise LookupError(f"cannot find where {module}.{name} is assigned")


_MISSING = object()


def constant_doc(module_name: str, name: str) -> str:
    """The ``#:`` comment lines right above ``name = ...`` in ``module_name`` ('' if none)."""
    parsed = _module_source(module_name)
    line = _assignment_line(module_name, name)
    if parsed is None or line is None:
        return ""
    lines = parsed[0].splitlines()
    doc: list[str] = []
    i = line - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        doc.insert(0, lines[i].lstrip()[2:].strip())
        i -= 1
    return "\n".join(doc).strip()


def collect() -> list[Entry]:
    """Every public name of every documented module, with its home."""
    documented = [m for m, _ in MODULES]
    raw: list[tuple[str, str, Any, str]] = []
    for module_name in documented:
        module = importlib.import_module(module_name)
        for name in public_names(module):
            obj = getattr(module, name)
            raw.append((module_name, name, obj, defining_module(module_name, name, obj)))
    entries = []
    for module_name, name, obj, where in raw:
        exporters = [m for m, n, o, _ in raw if n == name and o is obj]
        containing = [m for m in exporters if where == m or where.startswith(m + ".")]
        home = max(containing or exporters, key=lambda m: m.count("."))
        entries.append(Entry(module_name, name, obj, home, _kind(obj), where))
    return entries


def summary_line(entry: Entry) -> str:
    """First line of an entry's documentation."""
    if entry.kind == "data":
        doc = constant_doc(entry.defined_in, entry.name)
    else:
        doc = inspect.getdoc(entry.obj) or ""
    return doc.strip().split("\n\n")[0].replace("\n", " ")


# ----------------------------------------------------------------------------- writing pages
def _title(text: str, char: str = "=") -> str:
    return f"{text}\n{char * len(text)}\n"


def _plain_signature(obj: Any) -> str:
    """``obj``'s call signature without annotations ('' when it has none)."""
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return ""
    empty = inspect.Parameter.empty
    params = [p.replace(annotation=empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def _is_own_base(cls: type) -> bool:
    return cls.__module__.startswith("mmphate.")


def _object_page(entry: Entry) -> str:
    q = entry.qualname
    if entry.kind == "class":
        # the constructor's signature as Python reports it: autodoc would show
        # ``(*args, **kwargs)`` for classes whose metaclass or base defines ``__new__``
        # (traitlets, hence the widget)
        body = (
            f".. autoclass:: {q}{_plain_signature(entry.obj)}\n"
            "   :members:\n   :show-inheritance:\n"
        )
        # methods a class inherits from a private mmphate base (the recorders' shared
        # ``record``, ``subscribe``, ``to_recording``) are part of its documented API; those
        # of other libraries' bases (a Keras callback's ``on_*`` hooks) are not
        if any(_is_own_base(b) for b in entry.obj.__mro__[1:]):
            foreign = sorted({b.__name__ for b in entry.obj.__mro__[1:] if not _is_own_base(b)})
            body += f"   :inherited-members: {', '.join(foreign)}\n"
    elif entry.kind == "function":
        body = f".. autofunction:: {q}\n"
    else:
        doc = constant_doc(entry.defined_in, entry.name)
        value = repr(entry.obj)
        if callable(getattr(entry.obj, "items", None)):  # a mapping of callables: show the keys
            value = "{" + ", ".join(f"{k!r}: ..." for k in entry.obj) + "}"
        body = (
            f".. py:data:: {entry.name}\n   :module: {entry.home}\n   :value: {value}\n\n"
            + "".join(f"   {line}\n" for line in doc.splitlines())
        )
    return _title(q) + "\n" + f".. currentmodule:: {entry.home}\n\n" + body


def _module_page(module_name: str, title: str, entries: list[Entry]) -> str:
    lines = [_title(f"{module_name}: {title}"), ""]
    lines.append(f".. automodule:: {module_name}\n   :no-members:\n")
    own = [e for e in entries if e.module == module_name]
    if own:
        lines.append(".. list-table::\n   :widths: 30 70\n   :class: mmphate-api-summary\n")
        for e in own:
            role = {"class": "class", "function": "func", "data": "data"}[e.kind]
            where = "" if e.is_home else f" (documented in :mod:`{e.home}`)"
            lines.append(f"   * - :py:{role}:`{e.name} <{e.qualname}>`")
            lines.append(f"     - {summary_line(e)}{where}")
        lines.append("")
        homes = [e for e in own if e.is_home]
        if homes:
            lines.append(".. toctree::\n   :hidden:\n")
            lines.extend(f"   {e.qualname}" for e in homes)
            lines.append("")
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` unless it already holds it (keeps incremental builds cheap)."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_api(out: Path) -> list[Path]:
    """Write every API page under ``out`` (``docs/api/generated``); return the paths written."""
    entries = collect()
    wanted: dict[Path, str] = {}
    for module_name, title in MODULES:
        wanted[out / f"{module_name}.rst"] = _module_page(module_name, title, entries)
    for e in entries:
        if e.is_home:
            wanted[out / f"{e.qualname}.rst"] = _object_page(e)
    toc = [".. toctree::", "   :maxdepth: 1", ""]
    toc.extend(f"   generated/{m}" for m, _ in MODULES)
    wanted[out / "toc.rst.inc"] = "\n".join(toc) + "\n"
    for path, text in wanted.items():
        _write(path, text)
    for stale in out.glob("*.rst"):
        if stale not in wanted:
            stale.unlink()
    return sorted(wanted)
