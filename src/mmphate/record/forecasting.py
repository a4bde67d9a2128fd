"""Train a small recurrent forecaster while recording its hidden states: a task that is not
classification.

:func:`train_forecaster` trains an ``rnn``/``lstm``/``gru`` network to predict every channel of
a sequence ``horizon`` steps ahead from the steps seen so far (teacher forcing: at step ``t``
the network has read ``x[0..t]`` and predicts ``x[t + horizon]``), on the sequences of one of
the bundled datasets (:mod:`mmphate.record.datasets`; the class labels are not used for
training, only to pick class-balanced trace samples).  It returns the model and a
:class:`~mmphate.Recording` of its hidden units on fixed validation sequences after every
epoch, with the training and validation mean squared error (in standardised units) and the
validation *skill* against persistence (``1 - MSE / MSE of predicting x[t]``) per epoch.

The split is that of :func:`~mmphate.record.training.train_classifier`: the dataset's training
split is divided (stratified, seeded) into the sequences trained on and a validation set; its
test split is untouched (``result.split("test")``).

PyTorch is an optional dependency: ``pip install "mmphate[torch]"``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .._optional import MissingDependencyError
from .._validate import check_bool, check_choice, check_int, check_number

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover
    raise MissingDependencyError(
        'mmphate.record.forecasting needs PyTorch, which is not installed: pip install "mmphate[torch]"'
    ) from exc

import numpy as np
import pandas as pd

from ._recording import Recording
from .datasets import Dataset, load_dataset
from .torch import HiddenStateRecorder
from .training import KINDS, _split_indices, _tensors, _trace_indices

__all__ = ["SequenceForecaster", "ForecastResult", "train_forecaster", "forecast_mse"]


class SequenceForecaster(nn.Module):
    """One recurrent layer and a linear head that reads every step's hidden state.

    Inputs are standardised inside the model (buffers ``input_mean`` and ``input_std``), and
    predictions are in standardised units: ``forward(x)`` returns ``(batch, time, channels)``,
    the prediction at step ``t`` of the standardised ``x[t + horizon]``.

    Parameters
    ----------
    n_channels : int
        Input (and predicted) features per step.
    hidden_size : int, default 32
    kind : {"lstm", "gru", "rnn"}, default "lstm"
        The recurrent layer, ``self.rnn`` (one layer, ``batch_first=True``).
    """

    def __init__(self, n_channels: int, hidden_size: int = 32, kind: str = "lstm") -> None:
        super().__init__()
        kind = str(kind).lower()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}.")
        self.kind = kind
        self.n_channels = int(n_channels)
        self.hidden_size = int(hidden_size)
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = layer(self.n_channels, self.hidden_size, batch_first=True)
        self.head = nn.Linear(self.hidden_size, self.n_channels)
        self.register_buffer("input_mean", torch.zeros(self.n_channels))
        self.register_buffer("input_std", torch.ones(self.n_channels))

    def standardise(self, x: torch.Tensor) -> torch.Tensor:
        """``(x - input_mean) / input_std``: the units the predictions are in."""
        return (x - self.input_mean) / self.input_std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predictions ``(batch, time, channels)`` of the standardised input ``horizon`` ahead."""
        if x.dim() != 3 or x.shape[2] != self.n_channels:
            raise ValueError(
                f"x must be (batch, time, {self.n_channels}); got shape {tuple(x.shape)}."
            )
        states, _ = self.rnn(self.standardise(x))
        return self.head(states)


@dataclass(eq=False)
class ForecastResult:
    """What :func:`train_forecaster` returns; unpacks as ``model, recording``.

    Attributes
    ----------
    model : SequenceForecaster
        The trained model (eval mode).
    recording : Recording
        Hidden states of ``model.rnn`` on the trace (validation) sequences at every epoch, with
        metrics ``train_loss``, ``val_loss`` (MSE) and ``val_skill``.
    history : pandas.DataFrame
        ``train_loss``, ``val_loss``, ``val_skill`` per epoch (0 is the untrained model).
    dataset : Dataset
    train_index, val_index, trace_index : numpy.ndarray
        Indices into the dataset's training split (as in ``train_classifier``).
    horizon : int
    seconds : float
    params : dict
    """

    model: SequenceForecaster
    recording: Recording
    history: pd.DataFrame
    dataset: Dataset
    train_index: np.ndarray
    val_index: np.ndarray
    trace_index: np.ndarray
    horizon: int
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Any:
        yield self.model
        yield self.recording

    def split(self, name: str) -> np.ndarray:
        """The sequences ``X`` of ``"train"``, ``"validation"`` or ``"test"``."""
        check_choice(name, "name", ("train", "validation", "test"))
        ds = self.dataset
        if name == "test":
            return ds.X_test
        return ds.X_train[self.train_index if name == "train" else self.val_index]


def forecast_mse(model: SequenceForecaster, X: Any, horizon: int = 1) -> tuple[float, float]:
    """Mean squared error of ``model`` on sequences ``X`` and that of persistence.

    Both are in the model's standardised units, over every channel and every step ``t`` with
    ``t + horizon`` inside the sequence (equal-length sequences).  Persistence predicts
    ``x[t + horizon]`` by ``x[t]``.

    Parameters
    ----------
    model : SequenceForecaster
        A forecaster trained for ``horizon`` (its mode is restored afterwards).
    X : array-like or torch.Tensor
        Equal-length sequences ``(sequences, time, channels)`` in the dataset's own units.
    horizon : int, default 1
        Steps ahead; ``time`` must exceed it.

    Returns
    -------
    (mse, persistence_mse) : tuple of float
    """
    horizon = check_int(horizon, "horizon", minimum=1)
    Xt = _tensors(X)[0]
    if Xt.dim() != 3 or Xt.shape[1] <= horizon:
        raise ValueError(
            f"X must be (sequences, time > horizon = {horizon}, channels); got {tuple(Xt.shape)}."
        )
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            z = model.standardise(Xt)
            pred = model(Xt)[:, :-horizon]
            target = z[:, horizon:]
            mse = float(((pred - target) ** 2).mean())
            persistence = float(((z[:, :-horizon] - target) ** 2).mean())
    finally:
        model.train(was_training)
    return mse, persistence


def train_forecaster(
    dataset: str | Dataset = "basic_motions",
    kind: str = "lstm",
    hidden_size: int = 32,
    epochs: int = 50,
    *,
    horizon: int = 1,
    seed: int = 0,
    val_fraction: float = 0.25,
    n_trace: int | None = None,
    lr: float = 1e-2,
    batch_size: int = 8,
    grad_clip: float | None = 1.0,
    num_threads: int | None = 1,
    verbose: bool = False,
) -> ForecastResult:
    """Train a recurrent forecaster with a fixed seed, recording its hidden units every epoch.

    Parameters
    ----------
    dataset : str or Dataset, default "basic_motions"
        A bundled dataset of equal-length sequences (its labels only pick the trace samples).
    kind : {"lstm", "gru", "rnn"}
    hidden_size, epochs : int
    horizon : int, default 1
        Steps ahead to predict.
    seed : int
        Seeds the weights (inside ``torch.random.fork_rng``), the batch order, the split and the
        trace samples; equal arguments give equal results.
    val_fraction : float
        Share of each class of the training split held out for validation.
    n_trace : int, optional
        Trace samples (class-balanced, from the validation set; default: all of it).
    lr, batch_size, grad_clip : training hyper-parameters (Adam, gradient-norm clipping).
    num_threads : int or None, default 1
        ``torch.set_num_threads`` during training (restored afterwards).
    verbose : bool

    Returns
    -------
    ForecastResult

    Raises
    ------
    TypeError
        If ``dataset`` is neither a name nor a :class:`Dataset`.
    InvalidParameterError
        If a parameter is out of range.
    ValueError
        If the dataset has sequences of unequal lengths, or ``horizon`` is not shorter than
        them.
    """
    if not isinstance(dataset, str | Dataset):
        raise TypeError(f"dataset must be a name or a Dataset; got {type(dataset).__name__}.")
    check_choice(kind.lower() if isinstance(kind, str) else kind, "kind", KINDS)
    for name, value in (
        ("epochs", epochs),
        ("hidden_size", hidden_size),
        ("batch_size", batch_size),
    ):
        check_int(value, name, minimum=1)
    horizon = check_int(horizon, "horizon", minimum=1)
    check_int(seed, "seed", minimum=0, maximum=2**63 - 1)
    check_int(n_trace, "n_trace", minimum=1, optional=True)
    check_number(val_fraction, "val_fraction", low=0, high=1, low_open=True, high_open=True)
    check_number(lr, "lr", low=0, low_open=True)
    check_number(grad_clip, "grad_clip", low=0, low_open=True, optional=True)
    check_int(num_threads, "num_threads", minimum=1, optional=True)
    check_bool(verbose, "verbose")
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    if not ds.equal_length:
        raise ValueError(
            f"train_forecaster needs equal-length sequences; {ds.name} has unequal lengths "
            "(use basic_motions, or pad and trim the sequences yourself)."
        )
    if horizon >= ds.n_timesteps:
        raise ValueError(
            f"horizon ({horizon}) must be shorter than the sequences ({ds.n_timesteps} steps)."
        )
    params = dict(
        dataset=ds.name,
        task="forecasting",
        kind=str(kind).lower(),
        hidden_size=int(hidden_size),
        epochs=int(epochs),
        horizon=horizon,
        seed=int(seed),
        val_fraction=float(val_fraction),
        lr=float(lr),
        batch_size=int(batch_size),
        grad_clip=None if grad_clip is None else float(grad_clip),
    )
    prev_threads = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(int(num_threads))
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return _train(ds, params, n_trace, verbose)
    finally:
        torch.set_num_threads(prev_threads)


def _train(
    ds: Dataset, params: dict[str, Any], n_trace: int | None, verbose: bool
) -> ForecastResult:
    from tqdm.auto import tqdm

    start = time.perf_counter()
    seed, h = params["seed"], params["horizon"]
    model = SequenceForecaster(ds.n_channels, params["hidden_size"], params["kind"])
    train_index, val_index = _split_indices(ds.y_train, params["val_fraction"], seed)
    Xtr = _tensors(ds.X_train[train_index])[0]
    Xva = _tensors(ds.X_train[val_index])[0]
    steps = Xtr.reshape(-1, Xtr.shape[2]).double()
    std = steps.std(dim=0, unbiased=False)
    model.input_mean.copy_(steps.mean(dim=0).float())
    model.input_std.copy_(torch.where(std > 0, std, torch.ones_like(std)).float())

    local = _trace_indices(ds.y_train[val_index], n_trace, seed)
    trace = val_index[local]
    recorder = HiddenStateRecorder(
        model,
        "rnn",
        Xva[local],
        sample_labels=ds.y_train[trace],
        class_names=ds.class_names,
        metadata={**params, "trace_split": "validation", "trace_index": trace.tolist()},
    )
    optimiser = torch.optim.Adam(model.parameters(), lr=params["lr"])
    generator = torch.Generator().manual_seed(seed)
    history: list[dict[str, Any]] = []

    def log(epoch: int) -> dict[str, float]:
        tl, _ = forecast_mse(model, Xtr, h)
        vl, vp = forecast_mse(model, Xva, h)
        row = {"train_loss": tl, "val_loss": vl, "val_skill": 1.0 - vl / vp if vp > 0 else 0.0}
        history.append({"epoch": epoch, **row})
        recorder.record(epoch, **row)
        return row

    log(0)
    n = len(Xtr)
    bar = tqdm(range(1, params["epochs"] + 1), disable=not verbose, leave=False,
               desc=f"{params['kind']} forecaster on {ds.name}")  # fmt: skip
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=generator)
        for b in range(0, n, params["batch_size"]):
            x = Xtr[order[b : b + params["batch_size"]]]
            pred = model(x)[:, :-h]
            loss = nn.functional.mse_loss(pred, model.standardise(x)[:, h:])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            if params["grad_clip"] is not None:
                nn.utils.clip_grad_norm_(model.parameters(), params["grad_clip"])
            optimiser.step()
        row = log(epoch)
        bar.set_postfix(val_loss=f"{row['val_loss']:.3f}")
    model.eval()
    return ForecastResult(
        model=model,
        recording=recorder.to_recording(),
        history=pd.DataFrame(history).set_index("epoch"),
        dataset=ds,
        train_index=train_index,
        val_index=val_index,
        trace_index=trace,
        horizon=h,
        seconds=time.perf_counter() - start,
        params=params,
    )
