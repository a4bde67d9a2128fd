"""Lazy attributes for the package and its subpackages (PEP 562).

``import mmphate`` stays fast and pulls in no optional or heavy dependency (PyTorch, the widget
stack, scikit-learn) until a name that needs it is used.  The 30 lines below do what
``lazy_loader.attach`` does; a dependency for them would cost more than it saves.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["attach"]


def attach(
    package: str, exports: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``__getattr__``, ``__dir__`` and ``__all__`` for ``package``.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    exports : mapping
        Public name -> module that defines it, relative to ``package`` (``"._kernel"``).
    submodules : iterable of str
        Submodules reachable as attributes (imported on first access).
    """
    subs = frozenset(submodules)
    names = list(exports)

    def __getattr__(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name], package), name)
            setattr(sys.modules[package], name, value)  # later look-ups skip __getattr__
            return value
        if name in subs:
            return importlib.import_module(f".{name}", package)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(names) | subs)

    return __getattr__, __dir__, names
