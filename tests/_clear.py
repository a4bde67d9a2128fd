"""What the tests mean by "a clear mmphate error" (see ``mmphate._validate``), as an assertion."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import mmphate

PACKAGE = Path(mmphate.__file__).resolve().parent
CLEAR_TYPES = (ValueError, TypeError, OSError, ImportError)
# what a message from deep inside NumPy, pandas or torch looks like
FOREIGN = ("allow_pickle", "Traceback", "could not convert string", "truth value of an array")


def origin(exc: BaseException) -> str:
    """The file of the frame that raised ``exc``."""
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    return last.tb_frame.f_code.co_filename if last is not None else "?"


def assert_clear(exc: BaseException) -> None:
    """``exc`` is a clear mmphate error: a ValueError/TypeError (or OSError for a path,
    ImportError for a missing extra) raised by mmphate's own code, with a one-line message."""
    where = origin(exc)
    text = str(exc)
    assert isinstance(exc, CLEAR_TYPES), f"{type(exc).__name__} from {where}: {text}"
    assert Path(where).resolve().is_relative_to(PACKAGE), (
        f"{type(exc).__name__} raised inside {where}, not by mmphate: {text}"
    )
    assert text.strip(), f"empty {type(exc).__name__} message from {where}"
    assert "\n" not in text and "\r" not in text, f"multi-line message: {text!r}"
    assert len(text) <= 1200, f"message of {len(text)} characters: {text[:200]}..."
    assert not any(f in text for f in FOREIGN), f"foreign message: {text}"


def outcome(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    """Run ``fn``: its result and None, or None and a clear error (anything else fails).

    Inside a Hypothesis test, each outcome is counted (``--hypothesis-show-statistics``).
    """
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - the point is to classify every exception
        assert_clear(exc)
        _event(f"refused ({type(exc).__name__})")
        return None, exc
    _event("accepted")
    return result, None


def _event(name: str) -> None:
    try:
        from hypothesis import event

        event(name)
    except Exception:  # noqa: BLE001 - outside a Hypothesis test
        pass


@contextlib.contextmanager
def no_hang(seconds: float = 20.0) -> Iterator[None]:
    """Fail (instead of blocking forever) if the body runs longer than ``seconds``."""

    def alarm(signum: int, frame: Any) -> None:
        raise TimeoutError(f"hung for more than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def snapshot(folder: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every entry of ``folder`` (recursively): contents (or link target) and mode."""
    out: dict[str, tuple[bytes | str, int]] = {}
    for root, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            p = Path(root) / name
            rel = str(p.relative_to(folder))
            st = p.lstat()
            if p.is_symlink():
                out[rel] = (os.readlink(p), st.st_mode)
            elif p.is_file():
                out[rel] = (p.read_bytes(), st.st_mode)
            else:
                out[rel] = (b"", st.st_mode)
    return out
