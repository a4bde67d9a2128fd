"""Atomic file writes for the explorer's exports (HTML pages, figures)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["atomic_path"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike[str], suffix: str = ".tmp") -> Iterator[str]:
    """A temporary path next to ``target``, renamed over it when the block succeeds.

    A failure part-way leaves any previous file untouched and removes the temporary one. The
    file gets the permissions a plain ``open(target, "w")`` would give it (not mkstemp's 0600).
    """
    target = os.fspath(target)
    directory = os.path.dirname(os.path.abspath(target))
    fd, tmp = tempfile.mkstemp(prefix=".mmphate-", suffix=suffix, dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
