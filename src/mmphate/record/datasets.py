"""Data for examples, notebooks and tests, available offline.

* :func:`load_basic_motions` and :func:`load_japanese_vowels` read two UEA
  multivariate time-series classification datasets from the files that ship
  inside the installed ``sktime`` package (no network access).
* :func:`synthetic_recording` generates a :class:`~mmphate.Recording`
  from known latent dynamics, together with its ground truth, so that embedding
  quality can be measured against the truth (e.g. DEMaP on geodesic distances).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._optional import require
from .._validate import check_int, check_number, check_seed, check_text
from ._recording import Recording

__all__ = [
    "Dataset",
    "SyntheticTruth",
    "load_basic_motions",
    "load_japanese_vowels",
    "load_dataset",
    "synthetic_recording",
    "DATASETS",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A sequence-classification dataset as time-major arrays.

    Attributes
    ----------
    name : str
        Dataset name (``"basic_motions"``, ``"japanese_vowels"``).
    X_train, X_test : float32 arrays of shape (n, time, channels)
        Sequences, batch first and time-major per sample (ready for
        ``nn.LSTM(batch_first=True)``).  Sequences shorter than ``time`` are
        zero-padded at the end.
    y_train, y_test : int64 arrays of shape (n,)
        Class index of each sequence, indexing ``class_names``.
    lengths_train, lengths_test : int64 arrays of shape (n,)
        Number of real steps of each sequence (all equal to ``time`` for
        equal-length data).
    class_names : list of str
        Name of each class.
    channel_names : list of str
        Name of each input channel.
    description : str
        One-line description and source.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    lengths_train: np.ndarray
    lengths_test: np.ndarray
    class_names: list[str]
    channel_names: list[str] = field(default_factory=list)
    description: str = ""

    @property
    def n_classes(self) -> int:
        """Number of classes."""
        return len(self.class_names)

    @property
    def n_channels(self) -> int:
        """Number of input channels."""
        return int(self.X_train.shape[2])

    @property
    def n_timesteps(self) -> int:
        """Padded sequence length (the longest sequence over both splits)."""
        return int(self.X_train.shape[1])

    @property
    def equal_length(self) -> bool:
        """``True`` if every sequence has ``n_timesteps`` real steps."""
        T = self.n_timesteps
        return bool((self.lengths_train == T).all() and (self.lengths_test == T).all())

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}: train {len(self.y_train)}, test {len(self.y_test)}, "
            f"time {self.n_timesteps}{'' if self.equal_length else ' (max; unequal lengths)'}, "
            f"channels {self.n_channels}, classes {self.n_classes})"
        )


def _nested_to_arrays(X: pd.DataFrame) -> tuple[list[np.ndarray], list[str]]:
    """sktime 'nested_univ' frame (one series per cell) -> list of (time, channels) arrays."""
    seqs = []
    for i in range(len(X)):
        cols = [np.asarray(X.iloc[i, j], dtype=np.float64) for j in range(X.shape[1])]
        n = {len(c) for c in cols}
        if len(n) != 1:
            raise ValueError(f"sequence {i} has channels of different lengths {sorted(n)}")
        seqs.append(np.stack(cols, axis=1))
    return seqs, [str(c) for c in X.columns]


def _pad(seqs: list[np.ndarray], T: int) -> tuple[np.ndarray, np.ndarray]:
    C = seqs[0].shape[1]
    out = np.zeros((len(seqs), T, C), dtype=np.float32)
    lengths = np.empty(len(seqs), dtype=np.int64)
    for i, s in enumerate(seqs):
        out[i, : len(s)] = s
        lengths[i] = len(s)
    return out, lengths


@functools.lru_cache(maxsize=4)
def _load_uea(name: str) -> tuple:
    skd = require("sktime.datasets", "datasets", f"the bundled {name} data", package="sktime")
    loader = {"basic_motions": skd.load_basic_motions, "japanese_vowels": skd.load_japanese_vowels}[
        name
    ]
    splits = {}
    for split in ("train", "test"):
        X, y = loader(split=split, return_type="nested_univ")
        seqs, channels = _nested_to_arrays(X)
        splits[split] = (seqs, np.asarray(y).astype(str))
    labels = np.concatenate([splits["train"][1], splits["test"][1]])
    uniq = np.unique(labels)
    # numeric class labels ("1".."9") sort as numbers
    if all(u.lstrip("-").isdigit() for u in uniq):
        uniq = np.array(sorted(uniq, key=int))
    T = max(len(s) for split in splits.values() for s in split[0])
    out = []
    for split in ("train", "test"):
        seqs, y = splits[split]
        X, lengths = _pad(seqs, T)
        out += [X, _index(uniq, y), lengths]
    return tuple(out), [str(u) for u in uniq], channels


def _index(classes: np.ndarray, y: np.ndarray) -> np.ndarray:
    lookup = {c: i for i, c in enumerate(classes.tolist())}
    return np.array([lookup[v] for v in y.tolist()], dtype=np.int64)


def _dataset(name: str, description: str, channel_names: list[str] | None = None) -> Dataset:
    (Xtr, ytr, ltr, Xte, yte, lte), classes, channels = _load_uea(name)
    return Dataset(
        name=name,
        X_train=Xtr.copy(),
        y_train=np.asarray(ytr, dtype=np.int64).copy(),
        X_test=Xte.copy(),
        y_test=np.asarray(yte, dtype=np.int64).copy(),
        lengths_train=ltr.copy(),
        lengths_test=lte.copy(),
        class_names=list(classes),
        channel_names=list(channel_names or channels),
        description=description,
    )


def load_basic_motions() -> Dataset:
    """BasicMotions (UEA): smartwatch accelerometer + gyroscope, 4 activities.

    40 training and 40 test sequences of 100 steps with 6 channels (3-D
    accelerometer and 3-D gyroscope); classes badminton, running, standing,
    walking.  Read from the copy bundled with ``sktime`` (no network).

    Returns
    -------
    Dataset
        ``X_train``/``X_test`` of shape (40, 100, 6) float32, integer labels,
        ``lengths`` all 100, ``class_names`` in sorted order.
    """
    return _dataset(
        "basic_motions",
        "BasicMotions (UEA archive, via sktime): 4 activities recorded by a smartwatch's "
        "accelerometer and gyroscope; 6 channels, 100 steps.",
    )


def load_japanese_vowels() -> Dataset:
    """JapaneseVowels (UEA): 12 LPC cepstrum coefficients of utterances by 9 speakers.

    270 training and 370 test sequences of 7 to 29 steps (unequal lengths),
    12 channels, 9 classes (speakers ``"1"`` .. ``"9"``).  Sequences are
    zero-padded at the end to 29 steps; ``lengths_train``/``lengths_test`` give
    the real lengths.  Read from the copy bundled with ``sktime`` (no network).
    """
    return _dataset(
        "japanese_vowels",
        "JapaneseVowels (UEA archive, via sktime): 9 speakers uttering /ae/; 12 LPC "
        "cepstrum coefficients per step, 7-29 steps.",
    )


#: Loaders by name, as accepted by :func:`load_dataset` and ``train_classifier``.
DATASETS = {"basic_motions": load_basic_motions, "japanese_vowels": load_japanese_vowels}


def load_dataset(name: str) -> Dataset:
    """Load a bundled dataset by name (see :data:`DATASETS`).

    Case, ``-`` and ``_`` are ignored: ``"BasicMotions"``, ``"basic-motions"``
    and ``"basic_motions"`` all work.

    Parameters
    ----------
    name : str
        ``"basic_motions"`` or ``"japanese_vowels"``.

    Returns
    -------
    Dataset

    Raises
    ------
    ValueError
        If ``name`` is not a bundled dataset, or is not a string.
    MissingDependencyError
        If sktime (``mmphate[datasets]``) is not installed.
    """
    check_text(name, "name")
    squash = "".join(ch for ch in str(name).lower() if ch.isalnum())
    for key, loader in DATASETS.items():
        if key.replace("_", "") == squash:
            return loader()
    raise ValueError(f"unknown dataset {name!r}; available: {sorted(DATASETS)}.")


# --------------------------------------------------------------------- synthetic
@dataclass(frozen=True, eq=False)
class SyntheticTruth:
    """Ground truth of :func:`synthetic_recording`.

    Attributes
    ----------
    latent : float64 array of shape (n_nodes, 3)
        Latent coordinates of every node ``(epoch, timestep, unit)`` in the
        recording's node order (``node = (e * T + t) * U + u``).
    unit_groups : int64 array of shape (n_units,)
        The group each unit belongs to (units in a group share dynamics).
    progress : float64 array of shape (n_epochs,)
        Training progress ``p_e`` in [0, 1] of each epoch.
    """

    latent: np.ndarray
    unit_groups: np.ndarray
    progress: np.ndarray


def synthetic_recording(
    n_epochs: int = 20,
    n_timesteps: int = 25,
    n_units: int = 24,
    n_samples: int = 40,
    n_groups: int = 3,
    *,
    separation: float = 3.0,
    radius: float = 1.0,
    depth: float = 2.0,
    unit_spread: float = 0.15,
    noise: float = 0.02,
    seed: int | None = 0,
) -> tuple[Recording, SyntheticTruth]:
    """A recording generated from known latent dynamics, with its ground truth.

    Every node ``(e, t, u)`` has a latent position ``z`` in 3-D:

    * training progress ``p_e = e / (E - 1)`` and separation ``s_e = p_e ** 0.5``
      (fast early change that slows down, as in a learning curve);
    * units are split into ``n_groups`` contiguous groups; group ``g`` has a
      direction ``a_g = 2 pi g / G`` and a phase ``phi_g = 2 pi g / G``;
    * ``z = (separation * s_e * cos(a_g) + radius * cos(w_t + phi_g),
      separation * s_e * sin(a_g) + radius * sin(w_t + phi_g),
      depth * p_e) + delta_u`` with ``w_t = 2 pi t / T`` and a fixed per-unit
      offset ``delta_u ~ N(0, unit_spread^2)``.

    So within an epoch every group circles through the timesteps (its own
    phase); across epochs the groups start together and drift apart along
    their directions while the whole picture moves along the third axis.

    Activations are a smooth, generic map of ``z`` to the ``n_samples`` trace
    samples: ``hidden[e, t, u, s] = tanh(W_s . z + b_s) + noise``, with random
    ``W`` (rows of norm about 1) and ``b``, and Gaussian noise of std ``noise``.

    Parameters
    ----------
    n_epochs, n_timesteps, n_units, n_samples : int
        Shape of the recording.
    n_groups : int
        Number of groups of units sharing dynamics.
    separation, radius, depth, unit_spread : float
        Geometry of the latent manifold (see above).
    noise : float
        Std of additive Gaussian noise on the activations.
    seed : int or None
        Seed of a local generator (global RNG state is untouched).

    Returns
    -------
    recording : Recording
        Hidden tensor (E, T, U, S); ``units`` are ``"g{group}.u{index}"``;
        synthetic metrics (``train_loss``, ``val_loss``, ``train_accuracy``,
        ``val_accuracy``) that improve with progress; metadata
        ``{"dataset": "synthetic", ...}`` with the parameters.
    truth : SyntheticTruth
        ``latent`` (N, 3) in node order and ``unit_groups`` (U,).

    Raises
    ------
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If a count is not a positive integer, a
        geometry parameter is not finite, ``unit_spread`` or ``noise`` is negative, or
        ``seed`` is not an integer or None.
    ValueError
        If ``n_groups`` exceeds ``n_units``.
    """
    for name, v in (
        ("n_epochs", n_epochs),
        ("n_timesteps", n_timesteps),
        ("n_units", n_units),
        ("n_samples", n_samples),
        ("n_groups", n_groups),
    ):
        check_int(v, name, minimum=1)
    for name, v in (("separation", separation), ("radius", radius), ("depth", depth)):
        check_number(v, name)
    check_number(unit_spread, "unit_spread", low=0)
    check_number(noise, "noise", low=0)
    check_seed(seed, "seed")
    if float(n_epochs) * n_timesteps * n_units * n_samples > 2**32:
        raise ValueError(
            f"a synthetic recording of {n_epochs} x {n_timesteps} x {n_units} x {n_samples} "
            "activations is too large (at most 2**32 values); make it smaller."
        )
    if n_groups > n_units:
        raise ValueError(f"n_groups ({n_groups}) cannot exceed n_units ({n_units}).")
    E, T, U, S, G = int(n_epochs), int(n_timesteps), int(n_units), int(n_samples), int(n_groups)
    rng = np.random.default_rng(seed)
    groups = (np.arange(U) * G) // U  # contiguous, as equal as possible
    progress = np.arange(E) / (E - 1) if E > 1 else np.zeros(1)
    sep = np.sqrt(progress)
    angle = 2 * np.pi * np.arange(G) / G
    omega = 2 * np.pi * np.arange(T) / T
    offsets = rng.normal(scale=unit_spread, size=(U, 3))

    e_sep = sep[:, None, None]  # (E,1,1)
    a = angle[groups][None, None, :]  # (1,1,U)
    phase = omega[None, :, None] + angle[groups][None, None, :]  # (1,T,U)
    z = np.empty((E, T, U, 3))
    z[..., 0] = separation * e_sep * np.cos(a) + radius * np.cos(phase)
    z[..., 1] = separation * e_sep * np.sin(a) + radius * np.sin(phase)
    z[..., 2] = depth * progress[:, None, None]
    z += offsets[None, None, :, :]

    W = rng.normal(scale=1 / np.sqrt(3), size=(S, 3))
    b = rng.normal(scale=1.0, size=S)
    hidden = np.tanh(np.einsum("etud,sd->etus", z, W) + b)
    if noise:
        hidden = hidden + rng.normal(scale=noise, size=hidden.shape)

    # a learning curve that follows progress
    curve = np.exp(-3 * progress)
    metrics = pd.DataFrame(
        {
            "train_loss": 0.05 + 1.3 * curve,
            "val_loss": 0.15 + 1.2 * curve,
            "train_accuracy": 1.0 - 0.75 * curve,
            "val_accuracy": 0.95 - 0.7 * curve,
        },
        index=pd.Index(np.arange(E), name="epoch"),
    )
    units = [f"g{g}.u{u}" for u, g in enumerate(groups)]
    rec = Recording(
        hidden.astype(np.float32),
        units=units,
        sample_labels=None,
        metrics=metrics,
        metadata={
            "dataset": "synthetic",
            "kind": "synthetic",
            "n_groups": G,
            "separation": separation,
            "radius": radius,
            "depth": depth,
            "unit_spread": unit_spread,
            "noise": noise,
            "seed": seed,
        },
    )
    truth = SyntheticTruth(
        latent=z.reshape(E * T * U, 3), unit_groups=groups.astype(np.int64), progress=progress
    )
    return rec, truth
