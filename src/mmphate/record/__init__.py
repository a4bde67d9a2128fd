"""Recordings of hidden states: the :class:`Recording` container and file format, the PyTorch
recorder (:mod:`mmphate.record.torch`), the Keras 3 callback (:mod:`mmphate.record.keras`),
offline datasets (:mod:`mmphate.record.datasets`) and training helpers for classification
(:mod:`mmphate.record.training`) and forecasting (:mod:`mmphate.record.forecasting`).

Compute only: nothing here imports :mod:`mmphate.explorer`.  PyTorch is imported only by the
``torch``, ``training`` and ``forecasting`` submodules, Keras only by ``keras``; sktime only when a bundled
dataset is loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    {
        "Recording": "._recording",
        "check_hidden": "._recording",
        "fill_padding": "._recording",
        "embedding_frame": "._recording",
        "concat_epochs": "._recording",
        "PADDING_MODES": "._recording",
        "RECORDING_FORMAT": "._format",
        "RECORDING_VERSION": "._format",
        "SnapshotRecorder": "._snapshots",
        "HiddenStateRecorder": ".torch",
        "HiddenStateCallback": ".keras",
        "load_dataset": ".datasets",
        "synthetic_recording": ".datasets",
        "train_classifier": ".training",
        "train_forecaster": ".forecasting",
    },
    submodules=("torch", "keras", "datasets", "training", "forecasting"),
)

if TYPE_CHECKING:  # pragma: no cover
    from ._format import RECORDING_FORMAT, RECORDING_VERSION
    from ._recording import (
        PADDING_MODES,
        Recording,
        check_hidden,
        concat_epochs,
        embedding_frame,
        fill_padding,
    )
    from ._snapshots import SnapshotRecorder
    from .datasets import load_dataset, synthetic_recording
    from .forecasting import train_forecaster
    from .keras import HiddenStateCallback
    from .torch import HiddenStateRecorder
    from .training import train_classifier
