"""Train a small recurrent classifier while recording its hidden states.

:func:`train_classifier` trains an ``rnn``/``lstm``/``gru`` classifier on one of
the bundled datasets (:mod:`mmphate.record.datasets`) with a fixed seed and returns the
model and a :class:`~mmphate.Recording` of its hidden units on fixed
trace samples, with train/validation loss and accuracy per epoch.  The
validation set is carved out of the dataset's training split; the test split is
left for held-out evaluation (ablation).

The model, :class:`SequenceClassifier`, can silence chosen hidden units at
every step (``unit_mask``) for ablation experiments; :func:`evaluate` measures
its accuracy with or without a mask.

PyTorch is an optional dependency: ``pip install "mmphate[torch]"``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .._optional import MissingDependencyError
from .._validate import check_bool, check_choice, check_int, check_model_data, check_number

try:
    import torch
    from torch import nn
except ImportError as exc:  # pragma: no cover
    raise MissingDependencyError(
        'mmphate.record.training needs PyTorch, which is not installed: pip install "mmphate[torch]"'
    ) from exc

import numpy as np
import pandas as pd

from ._recording import Recording
from .datasets import Dataset, load_dataset
from .torch import HiddenStateRecorder

__all__ = ["SequenceClassifier", "TrainingResult", "train_classifier", "evaluate", "KINDS"]

logger = logging.getLogger(__name__)

#: Recurrent layer kinds accepted by :class:`SequenceClassifier`.
KINDS = ("lstm", "gru", "rnn")


class SequenceClassifier(nn.Module):
    """One recurrent layer and a linear head on the last valid hidden state.

    Inputs are standardised inside the model (buffers ``input_mean`` and
    ``input_std``, set by :func:`train_classifier` from the training data), so
    the model takes raw dataset arrays.

    Parameters
    ----------
    n_channels : int
        Input features per step.
    n_classes : int
        Number of classes.
    hidden_size : int, default 32
        Hidden units of the recurrent layer.
    kind : {"lstm", "gru", "rnn"}, default "lstm"
        The recurrent layer: ``nn.LSTM``, ``nn.GRU`` or ``nn.RNN`` (tanh), one
        layer, unidirectional, ``batch_first=True``, available as ``self.rnn``.

    Notes
    -----
    ``forward(x, lengths=None, unit_mask=None)``:

    * ``x``: float tensor ``(batch, time, channels)``.
    * ``lengths``: optional ``(batch,)`` integers; the head reads the hidden
      state at step ``lengths[i] - 1`` (default: the last step).  Padded steps
      after a sequence's end do not influence its prediction.
    * ``unit_mask``: optional ``(hidden_size,)`` tensor (or array).  When
      given, the hidden state is multiplied by it **at every step**, so that a
      0 silences a unit completely: its value is zero in the recurrence (it
      feeds no other unit at the next step) and in the head.  For an LSTM the
      mask applies to ``h_t``; the cell state ``c_t`` is left as computed,
      since it reaches the rest of the network only through the unit's
      ``h_t``.  This path runs an explicit step-by-step loop with the layer's
      own weights (``self.rnn``'s forward hooks do not fire); with a mask of
      all ones it gives the same logits as the unmasked path (up to float
      rounding).

    Returns logits ``(batch, n_classes)``.

    Examples
    --------
    >>> model.eval()  # doctest: +SKIP
    >>> mask = torch.ones(model.hidden_size); mask[[3, 7]] = 0  # doctest: +SKIP
    >>> logits = model(x, lengths=lengths, unit_mask=mask)  # doctest: +SKIP
    """

    def __init__(
        self, n_channels: int, n_classes: int, hidden_size: int = 32, kind: str = "lstm"
    ) -> None:
        super().__init__()
        kind = str(kind).lower()
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}; got {kind!r}.")
        self.kind = kind
        self.hidden_size = int(hidden_size)
        self.n_channels = int(n_channels)
        self.n_classes = int(n_classes)
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = layer(self.n_channels, self.hidden_size, batch_first=True)
        self.head = nn.Linear(self.hidden_size, self.n_classes)
        self.register_buffer("input_mean", torch.zeros(self.n_channels))
        self.register_buffer("input_std", torch.ones(self.n_channels))

    def forward(self, x: torch.Tensor, lengths: Any = None, unit_mask: Any = None) -> torch.Tensor:
        """Logits ``(batch, n_classes)``; the arguments are described in the class Notes."""
        if x.dim() != 3 or x.shape[2] != self.n_channels:
            raise ValueError(
                f"x must be (batch, time, {self.n_channels}); got shape {tuple(x.shape)}."
            )
        x = (x - self.input_mean) / self.input_std
        if unit_mask is None:
            states, _ = self.rnn(x)
        else:
            states = self._masked_states(x, unit_mask)
        B, T, _ = states.shape
        if lengths is None:
            last = states[:, -1]
        else:
            lengths = _as_tensor(lengths, torch.long).to(x.device)
            if lengths.shape != (B,) or int(lengths.min()) < 1 or int(lengths.max()) > T:
                raise ValueError(
                    f"lengths must be ({B},) integers in [1, {T}]; got shape "
                    f"{tuple(lengths.shape)}, range [{int(lengths.min())}, {int(lengths.max())}]."
                )
            last = states[torch.arange(B, device=x.device), lengths - 1]
        return self.head(last)

    def _masked_states(self, x: torch.Tensor, unit_mask: Any) -> torch.Tensor:
        H = self.hidden_size
        if not isinstance(unit_mask, torch.Tensor):
            unit_mask = torch.as_tensor(np.asarray(unit_mask, dtype=np.float32))
        mask = unit_mask.to(device=x.device, dtype=x.dtype)
        if mask.shape != (H,):
            raise ValueError(
                f"unit_mask must have shape ({H},) (one factor per hidden unit); got "
                f"{tuple(mask.shape)}."
            )
        rnn = self.rnn
        w_ih, w_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
        b_ih, b_hh = rnn.bias_ih_l0, rnn.bias_hh_l0
        B, T, _ = x.shape
        xi = torch.nn.functional.linear(x, w_ih, b_ih)  # (B, T, gates * H)
        h = x.new_zeros(B, H)
        c = x.new_zeros(B, H)
        out = []
        for t in range(T):
            gh = torch.nn.functional.linear(h, w_hh, b_hh)
            if self.kind == "lstm":
                i, f, g, o = (xi[:, t] + gh).chunk(4, dim=1)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)
            elif self.kind == "gru":
                xr, xz, xn = xi[:, t].chunk(3, dim=1)
                hr, hz, hn = gh.chunk(3, dim=1)
                r = torch.sigmoid(xr + hr)
                z = torch.sigmoid(xz + hz)
                n = torch.tanh(xn + r * hn)
                h = (1 - z) * n + z * h
            else:
                h = torch.tanh(xi[:, t] + gh)
            h = h * mask
            out.append(h)
        return torch.stack(out, dim=1)


@dataclass(eq=False)
class TrainingResult:
    """What :func:`train_classifier` returns.

    Unpacks as ``model, recording = train_classifier(...)``.

    Attributes
    ----------
    model : SequenceClassifier
        The trained model, in eval mode.
    recording : Recording or None
        Hidden states of ``model.rnn`` on the trace samples at the recorded
        epochs (``None`` if ``record_every=0``).
    history : pandas.DataFrame
        Metrics of every epoch (indexed by epoch; 0 is the untrained model).
    dataset : Dataset
        The data: its training split is divided into the samples trained on and a
        validation set; its test split is left untouched (for ablation and final
        evaluation).
    trace_index : numpy.ndarray
        Indices (into ``dataset``'s training split) of the trace samples; all in
        ``val_index``.
    train_index, val_index : numpy.ndarray
        Indices (into ``dataset``'s training split) of the samples trained on and
        of the validation samples (metrics ``val_*`` and trace inputs); disjoint,
        sorted, stratified by class.
    seconds : float
        Wall-clock training time.
    params : dict
        The arguments of :func:`train_classifier` that produced it.
    """

    model: SequenceClassifier
    recording: Recording | None
    history: pd.DataFrame
    dataset: Dataset
    trace_index: np.ndarray
    train_index: np.ndarray
    val_index: np.ndarray
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        yield self.model
        yield self.recording

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """``(X, y, lengths)`` of one split: ``"train"``, ``"validation"`` or ``"test"``.

        ``"train"`` and ``"validation"`` are the two parts of the dataset's
        training split used in training; ``"test"`` is the dataset's test split,
        which training never sees (use it for ablation and final accuracy).
        ``lengths`` is None for equal-length data.
        """
        check_choice(name, "name", _SPLITS)
        ds = self.dataset
        if name == "test":
            X, y, lengths = ds.X_test, ds.y_test, ds.lengths_test
        else:
            idx = self.train_index if name == "train" else self.val_index
            X, y, lengths = ds.X_train[idx], ds.y_train[idx], ds.lengths_train[idx]
        return X, y, None if ds.equal_length else lengths


def _as_tensor(a: Any, dtype: torch.dtype) -> torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a.detach().to(dtype)
    return torch.as_tensor(np.asarray(a), dtype=dtype)


def _tensors(X: Any, y: Any = None, lengths: Any = None) -> tuple:
    Xt = _as_tensor(X, torch.float32)
    yt = None if y is None else _as_tensor(y, torch.long)
    lt = None if lengths is None else _as_tensor(lengths, torch.long)
    return Xt, yt, lt


def _loss_accuracy(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    lengths: torch.Tensor | None,
    unit_mask: Any = None,
    batch_size: int = 512,
) -> tuple[float, float]:
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    total_loss, correct = 0.0, 0
    try:
        with torch.no_grad():
            for start in range(0, len(X), batch_size):
                sl = slice(start, start + batch_size)
                kwargs: dict[str, Any] = {}
                if lengths is not None:
                    kwargs["lengths"] = lengths[sl]
                if unit_mask is not None:
                    kwargs["unit_mask"] = unit_mask
                logits = model(X[sl], **kwargs)
                total_loss += float(nn.functional.cross_entropy(logits, y[sl], reduction="sum"))
                correct += int((logits.argmax(dim=1) == y[sl]).sum())
    finally:
        for m, training in modes:
            m.training = training
    return total_loss / len(X), correct / len(X)


def evaluate(
    model: nn.Module,
    X: Any,
    y: Any,
    lengths: Any = None,
    unit_mask: Any = None,
    *,
    batch_size: int = 512,
) -> float:
    """Classification accuracy of ``model`` on ``(X, y)``.

    Runs in eval mode without gradients and restores the mode of every
    submodule afterwards.

    Parameters
    ----------
    model : SequenceClassifier (or any module called as ``model(x, lengths=..., unit_mask=...)``)
    X : array or tensor (n, time, channels)
    y : array or tensor (n,) of class indices
    lengths : array (n,), optional
        Real length of each sequence.
    unit_mask : array (hidden_size,), optional
        Multiplies the hidden state at every step (see :class:`SequenceClassifier`).
    batch_size : int, default 512

    Returns
    -------
    float
        Fraction of correctly classified sequences.
    """
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    check_model_data(model, X, y, lengths, unit_mask)
    Xt, yt, lt = _tensors(X, y, lengths)
    if len(Xt) != len(yt) or (lt is not None and len(lt) != len(Xt)):
        raise ValueError(
            f"X, y and lengths must have one entry per sequence; got {len(Xt)}, {len(yt)}"
            + ("" if lt is None else f", {len(lt)}")
            + "."
        )
    device = next(model.parameters()).device
    Xt, yt = Xt.to(device), yt.to(device)
    lt = None if lt is None else lt.to(device)
    return _loss_accuracy(model, Xt, yt, lt, unit_mask, batch_size)[1]


_SPLITS = ("train", "validation", "test")


def _split_indices(y: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified, seeded (train, validation) indices into ``y``.

    Each class gives ``val_fraction * size`` (rounded half up) samples to validation, but
    keeps at least one for training and gives at least one when it has two.
    """
    rng = np.random.default_rng([seed, 1])  # a stream of its own (trace choice uses ``seed``)
    train: list[int] = []
    val: list[int] = []
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        n_val = min(
            max(int(np.floor(val_fraction * len(members) + 0.5)), int(len(members) >= 2)),
            len(members) - 1,
        )
        val.extend(members[:n_val].tolist())
        train.extend(members[n_val:].tolist())
    if not val:
        raise ValueError(
            f"val_fraction={val_fraction} leaves no validation samples (every class of the "
            f"training split has a single sample); use a dataset with more samples per class."
        )
    return np.sort(np.asarray(train, dtype=np.int64)), np.sort(np.asarray(val, dtype=np.int64))


def _trace_indices(y: np.ndarray, n_trace: int | None, seed: int) -> np.ndarray:
    n = len(y)
    if n_trace is None or n_trace >= n:
        return np.arange(n)
    if n_trace < 1:
        raise ValueError(f"n_trace must be >= 1; got {n_trace}.")
    # class-balanced, deterministic: take classes in turn, random order within a class
    rng = np.random.default_rng(seed)
    per_class = [rng.permutation(np.flatnonzero(y == c)).tolist() for c in np.unique(y)]
    picked: list[int] = []
    while len(picked) < n_trace:
        for queue in per_class:
            if queue and len(picked) < n_trace:
                picked.append(queue.pop(0))
    return np.sort(np.asarray(picked, dtype=np.int64))


def train_classifier(
    dataset: str | Dataset = "basic_motions",
    kind: str = "lstm",
    hidden_size: int = 32,
    epochs: int = 50,
    *,
    record_every: int = 1,
    seed: int = 0,
    val_fraction: float = 0.25,
    n_trace: int | None = None,
    lr: float = 1e-2,
    batch_size: int = 8,
    weight_decay: float = 0.0,
    grad_clip: float | None = 1.0,
    num_threads: int | None = 1,
    verbose: bool = True,
) -> TrainingResult:
    """Train a recurrent classifier with a fixed seed, recording its hidden units.

    Epoch 0 is the untrained model; epochs ``1..epochs`` follow each pass over
    the training data.  Snapshots of ``model.rnn``'s hidden states on the trace
    samples are taken at epoch 0, every ``record_every`` epochs and at the last
    epoch.  The dataset's training split is divided (stratified by class,
    seeded) into the samples trained on and a validation set of ``val_fraction``
    of them.  After every epoch the model is evaluated (eval mode) on the samples
    trained on (``train_loss``, ``train_accuracy``) and on the validation set
    (``val_loss``, ``val_accuracy``); these metrics go to ``result.history``
    (all epochs) and to the recording's metrics (recorded epochs).  The trace
    samples are drawn from the validation set.  The dataset's test split is
    never used, so it stays a held-out set for :func:`~mmphate.analysis.ablation_test`
    and final accuracy (``result.split("test")``).  There is no model selection:
    the model returned is the one after the last epoch.

    Parameters
    ----------
    dataset : str or Dataset, default "basic_motions"
        ``"basic_motions"``, ``"japanese_vowels"`` or a :class:`Dataset`.
    kind : {"lstm", "gru", "rnn"}, default "lstm"
    hidden_size : int, default 32
    epochs : int, default 50
    record_every : int, default 1
        Snapshot every k-th epoch; ``0`` records nothing (``recording=None``).
    seed : int, default 0
        Seeds weight initialisation (inside ``torch.random.fork_rng``, so the
        global RNG state is restored), mini-batch order (a local generator), the
        validation split and the choice of trace samples.  Two runs with the same
        arguments give identical models and recordings.
    val_fraction : float, default 0.25
        Share of each class of the training split held out for validation, in
        ``(0, 1)``, rounded half up per class (BasicMotions: 28 samples trained on,
        12 for validation).
    n_trace : int, optional
        Number of trace samples, drawn class-balanced from the validation set
        (default: the whole validation set).
    lr, batch_size, weight_decay : training hyper-parameters (Adam).
    grad_clip : float or None, default 1.0
        Gradient-norm clipping.
    num_threads : int or None, default 1
        ``torch.set_num_threads`` during training (restored afterwards); small
        RNNs run fastest on one thread.  ``None`` leaves it alone.
    verbose : bool, default True
        Show a tqdm progress bar.

    Returns
    -------
    TrainingResult
        ``.model`` (eval mode), ``.recording``, ``.history``, ``.dataset``,
        ``.train_index``, ``.val_index``, ``.trace_index`` and ``.split(name)``
        for ``"train"``, ``"validation"`` and ``"test"``; unpacks as
        ``model, recording = train_classifier(...)``.

    Raises
    ------
    TypeError
        If ``dataset`` is neither a name nor a :class:`Dataset`.
    InvalidParameterError
        (a ``ValueError`` and a ``TypeError``) If ``kind`` is unknown, a count is not a positive
        integer, ``lr``, ``weight_decay`` or ``grad_clip`` is NaN, infinite or negative, or
        ``val_fraction`` is not in ``(0, 1)``.
    ValueError
        If ``val_fraction`` leaves no validation sample.
    """
    if not isinstance(dataset, str | Dataset):
        raise TypeError(f"dataset must be a name or a Dataset; got {type(dataset).__name__}.")
    check_choice(kind.lower() if isinstance(kind, str) else kind, "kind", ("lstm", "gru", "rnn"))
    for name, value in (
        ("epochs", epochs),
        ("hidden_size", hidden_size),
        ("batch_size", batch_size),
    ):
        check_int(value, name, minimum=1)
    check_int(record_every, "record_every", minimum=0)
    check_int(seed, "seed", minimum=0, maximum=2**63 - 1)
    check_int(n_trace, "n_trace", minimum=1, optional=True)
    check_number(val_fraction, "val_fraction", low=0, high=1, low_open=True, high_open=True)
    check_number(lr, "lr", low=0, low_open=True)
    check_number(weight_decay, "weight_decay", low=0)
    check_number(grad_clip, "grad_clip", low=0, low_open=True, optional=True)
    check_int(num_threads, "num_threads", minimum=1, optional=True)
    check_bool(verbose, "verbose")
    ds = load_dataset(dataset) if isinstance(dataset, str) else dataset
    params = dict(
        dataset=ds.name,
        kind=str(kind).lower(),
        hidden_size=int(hidden_size),
        epochs=int(epochs),
        record_every=int(record_every),
        seed=int(seed),
        val_fraction=float(val_fraction),
        lr=float(lr),
        batch_size=int(batch_size),
        weight_decay=float(weight_decay),
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
) -> TrainingResult:
    from tqdm.auto import tqdm

    start = time.perf_counter()
    seed = params["seed"]
    model = SequenceClassifier(ds.n_channels, ds.n_classes, params["hidden_size"], params["kind"])
    train_index, val_index = _split_indices(ds.y_train, params["val_fraction"], seed)
    Xtr, ytr, ltr = _tensors(
        ds.X_train[train_index], ds.y_train[train_index], ds.lengths_train[train_index]
    )
    Xva, yva, lva = _tensors(
        ds.X_train[val_index], ds.y_train[val_index], ds.lengths_train[val_index]
    )
    # standardise channels with statistics of the real (unpadded) training steps
    valid = (torch.arange(Xtr.shape[1])[None, :] < ltr[:, None]).reshape(-1)
    steps = Xtr.reshape(-1, Xtr.shape[2])[valid].double()
    std = steps.std(dim=0, unbiased=False)
    model.input_mean.copy_(steps.mean(dim=0).float())
    model.input_std.copy_(torch.where(std > 0, std, torch.ones_like(std)).float())
    if ds.equal_length:
        ltr_arg, lva_arg = None, None
    else:
        ltr_arg, lva_arg = ltr, lva

    local = _trace_indices(ds.y_train[val_index], n_trace, seed)  # into the validation set
    trace = val_index[local]
    recorder = None
    every = params["record_every"]
    if every:
        lengths_trace = None if lva_arg is None else lva_arg[local]
        recorder = HiddenStateRecorder(
            model,
            "rnn",
            Xva[local],
            lengths=None if lengths_trace is None else lengths_trace.numpy(),
            sample_labels=ds.y_train[trace],
            class_names=ds.class_names,
            every=every,
            forward_kwargs={} if lengths_trace is None else {"lengths": lengths_trace},
            metadata={
                **params,
                # trace samples: validation samples, indexed into the training split
                "trace_split": "validation",
                "trace_index": trace.tolist(),
            },
        )
    optimiser = torch.optim.Adam(
        model.parameters(), lr=params["lr"], weight_decay=params["weight_decay"]
    )
    generator = torch.Generator().manual_seed(seed)
    history: list[dict[str, Any]] = []

    def log(epoch: int) -> dict[str, float]:
        tl, ta = _loss_accuracy(model, Xtr, ytr, ltr_arg)
        vl, va = _loss_accuracy(model, Xva, yva, lva_arg)
        row = {"train_loss": tl, "val_loss": vl, "train_accuracy": ta, "val_accuracy": va}
        history.append({"epoch": epoch, **row})
        if recorder is not None:
            recorder.record(epoch, force=epoch == params["epochs"], **row)
        return row

    log(0)
    n = len(Xtr)
    bar = tqdm(
        range(1, params["epochs"] + 1),
        desc=f"{params['kind']} on {ds.name}",
        disable=not verbose,
        leave=False,
    )
    for epoch in bar:
        model.train()
        order = torch.randperm(n, generator=generator)
        for b in range(0, n, params["batch_size"]):
            idx = order[b : b + params["batch_size"]]
            logits = model(Xtr[idx], lengths=None if ltr_arg is None else ltr_arg[idx])
            loss = nn.functional.cross_entropy(logits, ytr[idx])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            if params["grad_clip"] is not None:
                nn.utils.clip_grad_norm_(model.parameters(), params["grad_clip"])
            optimiser.step()
        row = log(epoch)
        bar.set_postfix(val_acc=f"{row['val_accuracy']:.2f}", loss=f"{row['train_loss']:.3f}")
    model.eval()
    seconds = time.perf_counter() - start
    logger.info(
        "trained %s on %s for %d epochs in %.1f s",
        params["kind"],
        ds.name,
        params["epochs"],
        seconds,
    )
    recording = None if recorder is None else recorder.to_recording()
    return TrainingResult(
        model=model,
        recording=recording,
        history=pd.DataFrame(history).set_index("epoch"),
        dataset=ds,
        trace_index=trace,
        train_index=train_index,
        val_index=val_index,
        seconds=seconds,
        params=params,
    )
