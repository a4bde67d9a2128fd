"""Checks of the explorer's arguments, made before anything reaches traitlets or the payload.

Errors are :class:`ExplorerError`: a ``traitlets.TraitError`` (so a refused assignment rolls
back like any trait error) that is also a ``ValueError`` and a ``TypeError`` (mmphate's
:class:`~mmphate._validate.InvalidParameterError`), with a one-line message.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import traitlets

from .._validate import (
    InvalidParameterError,
    check_bool,
    check_int,
    describe,
    is_estimator,
    not_fitted,
    printable,
)
from ._assets import COLOR_MODES, VIEWS

__all__ = ["ExplorerError", "MIN_HEIGHT", "MAX_HEIGHT", "check_source", "check_arguments"]

#: Bounds of the drawing area's height, in pixels.
MIN_HEIGHT, MAX_HEIGHT = 100, 10_000


class ExplorerError(traitlets.TraitError, InvalidParameterError):
    """A bad explorer argument or trait value (a TraitError, a ValueError and a TypeError)."""


def _fail(message: str) -> ExplorerError:
    return ExplorerError(message)


def check_source(source: Any, recording: Any) -> None:
    """Refuse an unfitted estimator, and sources that are neither embeddings nor estimators."""
    if hasattr(source, "embedding_"):
        return
    if is_estimator(source):
        raise not_fitted(source)
    if isinstance(source, pd.DataFrame):
        return
    if isinstance(source, (str, bytes, dict)) or source is None:
        raise TypeError(
            "source must be a fitted MMPHATE, an embedding array (nodes, 2 | 3) or a DataFrame "
            f"with x, y(, z); got {describe(source)}."
        )
    try:
        arr = np.asarray(source)
    except (TypeError, ValueError):
        raise TypeError(
            f"the embedding must be a numeric array (nodes, 2 | 3); got {describe(source)}."
        ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"the embedding must be numeric; got dtype {arr.dtype}.")


def check_height(value: Any) -> int:
    try:
        return check_int(value, "height (pixels)", minimum=MIN_HEIGHT, maximum=MAX_HEIGHT)
    except InvalidParameterError as exc:
        raise _fail(str(exc)) from None


def check_arguments(
    *,
    color_by: Any,
    view: Any,
    epoch: Any,
    timestep: Any,
    selected_units: Any,
    playing: Any,
    show_context: Any,
    height: Any,
) -> None:
    """Types and ranges of the constructor's arguments (what traitlets would otherwise check
    with its own messages, or accept: ``height=-5``, ``epoch=2.7``)."""
    try:
        if not isinstance(color_by, str) or color_by not in COLOR_MODES:
            raise InvalidParameterError(
                f"color_by must be one of {', '.join(COLOR_MODES)}; got {describe(color_by)}."
            )
        if not isinstance(view, str) or view.lower() not in VIEWS:
            raise InvalidParameterError(f"view must be '2d' or '3d'; got {describe(view)}.")
        check_int(epoch, "epoch (an epoch number of the recording)", optional=True)
        check_int(timestep, "timestep (a timestep label of the recording)", optional=True)
        check_bool(playing, "playing")
        check_bool(show_context, "show_context")
        if not isinstance(selected_units, str):
            if isinstance(selected_units, (bytes, dict)) or not hasattr(selected_units, "__iter__"):
                raise InvalidParameterError(
                    f"selected_units must be a unit id or a sequence of unit ids; got "
                    f"{describe(selected_units)}."
                )
            for u in selected_units:
                if not isinstance(u, (str, int, np.integer, np.str_)) or isinstance(u, bool):
                    raise InvalidParameterError(
                        f"selected_units must hold unit ids (strings or integers); got "
                        f"{printable(describe(u))}."
                    )
    except InvalidParameterError as exc:
        raise _fail(str(exc)) from None
    check_height(height)


def check_entropy_table(table: Any, second: str, name: str) -> None:
    """An entropy table: a DataFrame [epoch, ``second``, entropy] with numeric entropies and
    one row per pair, or a numeric array (its shape is checked against the recording later)."""
    if table is None:
        return
    if isinstance(table, pd.DataFrame):
        need = ["epoch", second, "entropy"]
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise ValueError(
                f"{name} must have columns [epoch, {second}, entropy]; got "
                f"{printable(list(table.columns)[:10])}."
            )
        if not pd.api.types.is_numeric_dtype(table["entropy"]) or pd.api.types.is_bool_dtype(
            table["entropy"]
        ):
            raise TypeError(
                f"{name}['entropy'] must hold numbers (bits); got dtype {table['entropy'].dtype}."
            )
        dup = table.duplicated(["epoch", second])
        if dup.any():
            e, x = (table.loc[dup, c].iloc[0] for c in ("epoch", second))
            e, x = (v.item() if isinstance(v, np.generic) else v for v in (e, x))
            raise ValueError(
                f"{name} has more than one row for epoch {printable(e)}, {second} "
                f"{printable(x)}; give one entropy per pair."
            )
        return
    try:
        arr = np.asarray(table)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a DataFrame or a numeric array; got {describe(table)}."
        ) from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a DataFrame or a numeric array; got dtype {arr.dtype}.")


def check_extra_arguments(cls: type, kwargs: dict[str, Any], extra: tuple[str, ...] = ()) -> None:
    """Extra keyword arguments must be public traits of the widget (``layout``, ``tooltip``...):
    a misspelt argument (``colour_by=``) would otherwise be dropped without a word."""
    import difflib

    names = set(cls.class_trait_names())  # type: ignore[attr-defined]
    public = sorted(n for n in names if not n.startswith("_"))
    for key in kwargs:
        if key.startswith("_") or key not in names:
            close = difflib.get_close_matches(
                key, public + ["intrastep", "interstep", "clusters", "recording", *extra], n=1
            )
            hint = f"; did you mean {close[0]!r}?" if close else "."
            raise _fail(f"{cls.__name__} got an unknown argument {printable(repr(key))}{hint}")
