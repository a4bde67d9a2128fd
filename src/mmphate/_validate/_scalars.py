"""Scalar checks (integers, numbers, choices, seeds, text), the error and warning classes,
and how values are shown in messages."""

from __future__ import annotations

import numbers
import reprlib
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np


class InvalidParameterError(ValueError, TypeError):
    """A parameter has the wrong type or value; catch it as ``ValueError`` or ``TypeError``."""


class DegenerateDataWarning(UserWarning):
    """The data are valid but carry little or no information (constant nodes, one sample)."""


_SHORT = reprlib.Repr()


_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlist = 8
_SHORT.maxtuple = 8
_SHORT.maxdict = 6


def describe(value: Any) -> str:
    """A short, one-line description of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}, dtype {value.dtype}"
    mod = type(value).__module__.partition(".")[0]
    if mod == "pandas":
        shape = getattr(value, "shape", None)
        return f"a {type(value).__name__}" + (f" of shape {shape}" if shape is not None else "")
    if mod == "torch" and hasattr(value, "shape"):
        return f"a {type(value).__name__} of shape {tuple(value.shape)}, dtype {value.dtype}"
    if value is None or isinstance(value, (str, bytes, numbers.Number, np.generic)):
        text = _SHORT.repr(value.item() if isinstance(value, np.generic) else value)
        kind = type(value).__name__
        return text if isinstance(value, (str, int, float)) or value is None else f"{text} ({kind})"
    if isinstance(value, (list, tuple)):
        return printable(_SHORT.repr(value))
    return f"a {type(value).__name__}"


_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def printable(text: Any) -> str:
    """``text`` with control characters, lone surrogates and bidi overrides escaped.

    Safe to print to a terminal: no escape sequence, no line break, no reordering; ordinary
    Unicode (accents, CJK, emoji) is kept as it is.
    """
    s = str(text)
    out = []
    for ch in s:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cs") or ch in _BIDI:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _int_kind(minimum: Any, maximum: Any) -> str:
    if minimum is not None and maximum is not None:
        return f"an integer in [{minimum}, {maximum}]"
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    if minimum is not None:
        return f"an integer >= {minimum}"
    if maximum is not None:
        return f"an integer <= {maximum}"
    return "an integer"


def _number_kind(low: Any, high: Any, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"a number in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    if low == 0 and high is None:
        return "a positive number" if low_open else "a non-negative number"
    if low is not None:
        return f"a number {'>' if low_open else '>='} {low}"
    if high is not None:
        return f"a number {'<' if high_open else '<='} {high}"
    return "a finite number"


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(
    value: Any,
    name: str,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    optional: bool = False,
) -> Any:
    """``value`` as an ``int`` (``None`` passes when ``optional``); bools and floats are refused.

    Raises
    ------
    InvalidParameterError
        If ``value`` is not an integer (``2.0``, ``True``, ``"3"``) or is out of bounds.
    """
    if value is None and optional:
        return None
    kind = _int_kind(minimum, maximum) + (" or None" if optional else "")
    if not _is_int(value):
        hint = ""
        if isinstance(value, float) and np.isfinite(value) and value == int(value):
            hint = f" (pass the int {int(value)})"
        raise InvalidParameterError(f"{name} must be {kind}; got {describe(value)}{hint}.")
    v = int(value)
    if (minimum is not None and v < minimum) or (maximum is not None and v > maximum):
        raise InvalidParameterError(f"{name} must be {kind}; got {v}.")
    return v


def check_number(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    optional: bool = False,
) -> Any:
    """``value`` as a finite ``float`` in the given interval (``None`` passes when ``optional``).

    NaN and infinities are always refused: they would silently switch off whatever they
    parametrise (``decay=nan`` drops every intrastep edge).

    Raises
    ------
    InvalidParameterError
        If ``value`` is not a real number, is not finite, or is outside the interval.
    """
    if value is None and optional:
        return None
    kind = _number_kind(low, high, low_open, high_open) + (" or None" if optional else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be {kind}; got {describe(value)}.")
    v = float(value)
    if not np.isfinite(v):
        raise InvalidParameterError(
            f"{name} must be {kind}; got {v} (NaN and infinity are refused)."
        )
    if (low is not None and (v < low or (low_open and v == low))) or (
        high is not None and (v > high or (high_open and v == high))
    ):
        raise InvalidParameterError(f"{name} must be {kind}; got {value!r}.")
    return v


def check_bool(value: Any, name: str) -> bool:
    """``value`` as a ``bool``; only ``True``/``False`` (and NumPy bools) are accepted."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidParameterError(f"{name} must be True or False; got {describe(value)}.")


def check_choice(value: Any, name: str, choices: Sequence[str], *, optional: bool = False) -> Any:
    """``value`` if it is one of the strings ``choices`` (exact match)."""
    if value is None and optional:
        return None
    if isinstance(value, str) and value in choices:
        return value
    opts = ", ".join(repr(c) for c in choices)
    raise InvalidParameterError(f"{name} must be one of {opts}; got {describe(value)}.")


def check_seed(value: Any, name: str = "random_state", *, generator: bool = True) -> Any:
    """A seed: ``None``, an int in ``[0, 2**32 - 1]``, a NumPy ``RandomState`` or (with
    ``generator``) a NumPy ``Generator``.

    Floats are refused (``1.7`` would silently become ``1``).
    """
    if value is None or isinstance(value, np.random.RandomState):
        return value
    if generator and isinstance(value, np.random.Generator):
        return value
    if not _is_int(value):
        what = "a numpy Generator" if generator else "a numpy RandomState"
        raise InvalidParameterError(
            f"{name} must be None, an integer seed in [0, 2**32 - 1] or {what}; "
            f"got {describe(value)}."
        )
    v = int(value)
    if not 0 <= v <= 2**32 - 1:
        raise InvalidParameterError(f"{name} must be an integer seed in [0, 2**32 - 1]; got {v}.")
    return v


def _unencodable(s: str) -> int | None:
    """Position of the first character UTF-8 cannot encode (a lone surrogate), or None."""
    try:
        s.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def check_text(value: Any, name: str, *, optional: bool = False) -> Any:
    """``value`` as a ``str`` that can be written as UTF-8 and holds no NUL character."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        extra = " or None" if optional else ""
        raise InvalidParameterError(f"{name} must be a string{extra}; got {describe(value)}.")
    _check_chars(str(value), name)
    return str(value)


def _check_chars(s: str, what: str) -> None:
    if "\x00" in s:
        raise ValueError(
            f"{what} {printable(repr(s))} contains a NUL character (\\x00), which text files "
            "and NumPy strings cannot hold; remove it."
        )
    pos = _unencodable(s)
    if pos is not None:
        raise ValueError(
            f"{what} {printable(repr(s))} contains a lone surrogate ({printable(s[pos])} at "
            f"position {pos}), which cannot be written as UTF-8; fix the text (e.g. "
            "s.encode('utf-8', 'replace').decode())."
        )


def check_probability(value: Any, name: str) -> float:
    """A significance level or probability strictly between 0 and 1."""
    return check_number(value, name, low=0, high=1, low_open=True, high_open=True)


def check_str_sequence(values: Any, name: str) -> list[str]:
    """A list of strings given as a sequence (a single string is refused, not split)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise InvalidParameterError(
            f"{name} must be a list of names; got {describe(values)}"
            + (f" (write [{values!r}])" if isinstance(values, str) else "")
            + "."
        )
    for v in values:
        if not isinstance(v, str):
            raise InvalidParameterError(f"{name} must hold strings; got {describe(v)}.")
    return list(values)
