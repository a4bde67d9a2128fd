"""Checks of what crosses mmphate's public edges, shared by every subpackage.

What a *clear mmphate error* is
-------------------------------
mmphate refuses a bad input itself, before it reaches NumPy, pandas, PyTorch or traitlets, with

* a :class:`TypeError` (the wrong kind of value) or a :class:`ValueError` (the right kind, a
  wrong value).  Parameter checks raise :class:`InvalidParameterError`, which is both, so either
  ``except`` catches it; an unfitted estimator raises scikit-learn's ``NotFittedError`` (a
  ``ValueError``); the explorer's trait errors are ``traitlets.TraitError`` *and* ``ValueError``;
* an :class:`OSError` subclass (``FileNotFoundError``, ``IsADirectoryError``,
  ``NotADirectoryError``, ``FileExistsError``, ``PermissionError``, or a plain ``OSError`` for a
  full disk) for a path that cannot be read or written;
* :class:`~mmphate._optional.MissingDependencyError` (an ``ImportError``) for a missing extra;

raised from mmphate's own code, with a one-line message that says what was expected, what
arrived and, where there is one, how to fix it.  Values that would silently change meaning
(non-integer or unordered axis labels, NaN parameters, misaligned tables, numbers beyond
float32) are refused, never coerced.  Valid but degenerate data (constant nodes, a single trace
sample) is accepted with one :class:`DegenerateDataWarning` that says what it means.

The helpers return the checked value in its canonical type (``int``, ``float``, an int64 label
array, ...), so a caller writes ``k = check_int(k, "k", minimum=1)``.  They live in four small
modules (scalars, a recording's fields, per-epoch tables, the analyses' inputs) and are used
from here: ``from mmphate._validate import check_int``.
"""

from __future__ import annotations

from ._analysis import (
    as_embedding,
    check_ablation,
    check_baseline,
    check_bins,
    check_cells,
    check_diffusion,
    check_features,
    check_grid_range,
    check_kernel_arg,
    check_model_data,
    check_node_source,
    is_estimator,
    not_fitted,
)
from ._labels import (
    check_class_indices,
    check_float32_range,
    check_int_labels,
    check_mask,
    check_metadata,
    check_str_labels,
    warn_degenerate,
)
from ._scalars import (
    DegenerateDataWarning,
    InvalidParameterError,
    check_bool,
    check_choice,
    check_int,
    check_number,
    check_probability,
    check_seed,
    check_str_sequence,
    check_text,
    describe,
    printable,
)
from ._tables import (
    check_entropy_collection,
    check_entropy_input,
    check_metrics,
    check_numeric_column,
    epoch_indexed,
)

__all__ = [
    "InvalidParameterError",
    "DegenerateDataWarning",
    "describe",
    "printable",
    "check_int",
    "check_number",
    "check_bool",
    "check_choice",
    "check_seed",
    "check_text",
    "check_probability",
    "check_str_sequence",
    "check_int_labels",
    "check_str_labels",
    "check_mask",
    "check_class_indices",
    "check_metadata",
    "check_float32_range",
    "warn_degenerate",
    "check_metrics",
    "epoch_indexed",
    "check_numeric_column",
    "check_entropy_input",
    "check_entropy_collection",
    "as_embedding",
    "check_node_source",
    "is_estimator",
    "not_fitted",
    "check_bins",
    "check_cells",
    "check_grid_range",
    "check_features",
    "check_ablation",
    "check_diffusion",
    "check_kernel_arg",
    "check_baseline",
    "check_model_data",
]
