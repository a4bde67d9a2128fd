"""Epoch-by-epoch similarity of a recording: linear CKA between epochs, and the distances
between epochs in a node embedding, so that MM-PHATE's picture of training can be set against a
representation-similarity baseline.

* :func:`linear_cka` is linear centred kernel alignment (Kornblith et al., ICML 2019) between
  two representations of the same examples;
* :func:`epoch_similarity` is the ``E x E`` matrix of linear CKA between the hidden states of
  every pair of epochs (examples: the valid ``(timestep, sample)`` pairs; features: the units);
* :func:`epoch_distances` is the ``E x E`` matrix of how far the embedding moves each node
  ``(t, u)`` between two epochs, averaged over the nodes (our definition).

Compute only; nothing here imports :mod:`mmphate.explorer`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validate import as_embedding, check_choice, describe

__all__ = ["linear_cka", "epoch_similarity", "epoch_distances"]


def _matrix(a: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a numeric 2-D array; got {describe(a)}.") from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(
            f"{name} must be 2-D (examples, features) with at least 2 examples; got shape "
            f"{arr.shape}."
        )
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} holds NaN or infinite values; drop or fill them first.")
    return arr


def linear_cka(X: Any, Y: Any) -> float:
    """Linear centred kernel alignment between two representations of the same examples.

    ``CKA(X, Y) = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F)``, with ``Xc`` and ``Yc`` the
    column-centred matrices (Kornblith et al., "Similarity of Neural Network Representations
    Revisited", ICML 2019).  It is 1 for identical representations, invariant to orthogonal
    transforms and isotropic scaling of either side (not to arbitrary invertible linear maps),
    and in ``[0, 1]``.

    Parameters
    ----------
    X : array of shape (n, p)
    Y : array of shape (n, q)
        Rows are the same ``n`` examples; the numbers of features may differ.

    Returns
    -------
    float
        In ``[0, 1]``; NaN when either side is constant over the examples (no variance to
        align).

    Raises
    ------
    TypeError
        If ``X`` or ``Y`` is not numeric.
    ValueError
        If either is not 2-D with at least 2 rows, holds NaN or infinite values, or they have
        different numbers of rows.
    """
    X = _matrix(X, "X")
    Y = _matrix(Y, "Y")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            f"X and Y must describe the same examples (rows); got {X.shape[0]} and {Y.shape[0]}."
        )
    Xc = X - X.mean(axis=0)
    Yc = Y - Y.mean(axis=0)
    return float(_cka_from_centred([Xc], [Yc])[0, 0])


def _cka_from_centred(xs: list[np.ndarray], ys: list[np.ndarray]) -> np.ndarray:
    """CKA between every centred matrix of ``xs`` and of ``ys`` (same rows)."""
    self_x = np.array([np.linalg.norm(x.T @ x) for x in xs])
    self_y = np.array([np.linalg.norm(y.T @ y) for y in ys])
    out = np.empty((len(xs), len(ys)))
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            denom = self_x[i] * self_y[j]
            out[i, j] = np.sum((y.T @ x) ** 2) / denom if denom > 0 else np.nan
    return np.clip(out, 0.0, 1.0)


def _recording(recording: Any, name: str = "recording") -> Any:
    rec = getattr(recording, "recording_", recording)
    if not (hasattr(rec, "hidden") and hasattr(rec, "epochs") and hasattr(rec, "units")):
        raise TypeError(
            f"{name} must be a Recording (or a fitted MMPHATE); got {type(recording).__name__}."
        )
    return rec


def epoch_similarity(recording: Any, *, padding: str = "carry") -> pd.DataFrame:
    """Linear CKA between the hidden states of every pair of epochs.

    For epoch ``e`` the representation is the matrix whose rows are the valid
    ``(timestep, sample)`` pairs of the recording and whose columns are the units, so two epochs
    are compared on the same examples (the trace samples at the same steps).  Padded steps of
    variable-length recordings are left out (``padding`` says how they would be filled; only
    steps valid for the sample enter).

    Parameters
    ----------
    recording : Recording or fitted MMPHATE
    padding : {"carry", "zero"}
        Only used to read the hidden tensor; padded rows are dropped either way.

    Returns
    -------
    pandas.DataFrame
        ``E x E``, index and columns the epoch labels, symmetric, 1 on the diagonal (NaN for an
        epoch whose hidden states are constant).  ``attrs["method"]`` is ``"linear_cka"``.

    Raises
    ------
    TypeError
        If ``recording`` is not a Recording.
    InvalidParameterError
        If ``padding`` is unknown.
    """
    rec = _recording(recording)
    check_choice(padding, "padding", ("carry", "zero"))
    hidden = np.asarray(rec.filled(padding), dtype=np.float64)  # (E, T, U, S)
    E, T, U, S = hidden.shape
    valid = getattr(rec, "valid", None)
    rows = np.ones((T, S), bool) if valid is None else np.asarray(valid, bool)
    mats = []
    for e in range(E):
        m = np.transpose(hidden[e], (0, 2, 1))[rows]  # (valid pairs, U)
        mats.append(m - m.mean(axis=0))
    if mats[0].shape[0] < 2:
        raise ValueError("the recording has fewer than 2 valid (timestep, sample) pairs.")
    cka = _cka_from_centred(mats, mats)
    cka = (cka + cka.T) / 2
    labels = pd.Index(np.asarray(rec.epochs), name="epoch")
    out = pd.DataFrame(cka, index=labels, columns=labels.rename("epoch_b"))
    out.attrs["method"] = "linear_cka"
    return out


def epoch_distances(embedding: Any, recording: Any) -> pd.DataFrame:
    """How far an embedding moves the nodes between two epochs, for every pair of epochs.

    Our definition: ``D[e, f] = mean over (t, u) of ||y(e, t, u) - y(f, t, u)||``, the
    Euclidean distance between the positions of the same node (timestep ``t``, unit ``u``) at
    epochs ``e`` and ``f``, averaged over the ``T * U`` nodes of an epoch.

    Parameters
    ----------
    embedding : array of shape (N, d) or fitted MMPHATE
        Node coordinates in slice-major order, ``node = (e * T + t) * U + u``.
    recording : Recording or fitted MMPHATE
        Supplies the shape and the epoch labels.

    Returns
    -------
    pandas.DataFrame
        ``E x E``, index and columns the epoch labels, symmetric, 0 on the diagonal.

    Raises
    ------
    TypeError
        If the embedding is not numeric or ``recording`` is not a Recording.
    ValueError
        If the embedding's rows are not the recording's nodes.
    """
    Y = as_embedding(embedding)
    rec = _recording(recording)
    E, T, U = rec.hidden.shape[:3]
    if Y.shape[0] != E * T * U:
        raise ValueError(
            f"embedding must have one row per node of the recording ({E} x {T} x {U} = "
            f"{E * T * U}); got {Y.shape[0]} rows."
        )
    Y = np.asarray(Y, dtype=np.float64).reshape(E, T * U, -1)
    D = np.zeros((E, E))
    for e in range(E):
        D[e] = np.linalg.norm(Y - Y[e], axis=2).mean(axis=1)
    D = (D + D.T) / 2
    labels = pd.Index(np.asarray(rec.epochs), name="epoch")
    return pd.DataFrame(D, index=labels, columns=labels.rename("epoch_b"))
