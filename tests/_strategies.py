"""Hypothesis strategies for malformed (and well-formed) inputs of mmphate's public API."""

from __future__ import annotations

import math
import numbers
import os
from typing import Any

import numpy as np
from hypothesis import settings
from hypothesis import strategies as st

#: Multiply every property's example count (``MMPHATE_HYPOTHESIS_SCALE=10`` for a long run).
SCALE = float(os.environ.get("MMPHATE_HYPOTHESIS_SCALE", "1"))


def examples(n: int) -> settings:
    return settings(max_examples=max(1, round(n * SCALE)))


ODD_CHARS = ["\x00", "\udc80", "\ud800", "\x1b", "\n", "\u202e", "\x07", "é", "中", " "]

#: Text with the characters that break files and terminals (NUL, lone surrogates, escapes).
text = st.lists(
    st.one_of(st.characters(max_codepoint=0x2FFF), st.sampled_from(ODD_CHARS)), max_size=6
).map("".join)

#: Anything a caller might pass by mistake.
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.binary(max_size=3),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    st.sampled_from(
        [
            np.nan,
            np.inf,
            -np.inf,
            1e300,
            -0.0,
            2**63,
            complex(1, 1),
            np.float32(2.0),
            np.int64(3),
            np.bool_(True),
            np.array([1, 2]),
            np.array(2.0),
            object(),
        ]
    ),
)


def is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def is_real(v: Any) -> bool:
    return (
        isinstance(v, numbers.Real)
        and not isinstance(v, (bool, np.bool_))
        and math.isfinite(float(v))
    )


def int_in(lo: int, hi: int | None = None):
    """Oracle: an int (not bool) in [lo, hi]."""
    return lambda v: is_int(v) and v >= lo and (hi is None or v <= hi)


def real_in(lo: float, hi: float | None = None, lo_open: bool = False, hi_open: bool = False):
    def ok(v: Any) -> bool:
        if not is_real(v):
            return False
        x = float(v)
        if x < lo or (lo_open and x == lo):
            return False
        return hi is None or not (x > hi or (hi_open and x == hi))

    return ok


def one_of_str(*choices: str):
    return lambda v: isinstance(v, str) and v in choices


def seed_ok(v: Any) -> bool:
    return (
        v is None
        or isinstance(v, np.random.Generator | np.random.RandomState)
        or int_in(0, 2**32 - 1)(v)
    )


def mixed(valid, n_junk: int = 1):
    """Mostly plausible values, sometimes junk."""
    return st.one_of(*([valid] * 3), junk)
