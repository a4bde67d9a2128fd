"""Record per-timestep hidden states of PyTorch models through training.

:class:`HiddenStateRecorder` runs a model on fixed *trace inputs* after each
epoch (eval mode, no gradients, the train/eval mode of every submodule restored
afterwards), captures the per-timestep hidden states of one layer, and collects
them, with the metrics you log, into a :class:`~mmphate.Recording`.

Supported layers
----------------
* ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``: the hidden state ``h_t`` of every
  timestep (for an LSTM, ``h_t``, i.e. the layer's output; with ``proj_size``
  the projected ``h_t``).  Any layer of a stacked module (``layer_index``);
  both directions of a bidirectional one, as separate units ``"fwd.<i>"`` and
  ``"bwd.<i>"``; ``batch_first`` either way; padded tensors or
  ``PackedSequence`` inputs.
* Any other module whose output is a tensor ``(batch, time, features)`` (or a
  tuple whose first element is), e.g. ``nn.TransformerEncoderLayer``, where
  timesteps are token positions.

How inner layers of a stacked RNN are read
------------------------------------------
PyTorch's recurrent modules return per-timestep states of their *last* layer
only.  For ``layer_index < num_layers - 1`` the recorder splits the module: it
builds single-layer modules of the same kind holding the weights of layers
``0 .. layer_index`` (copied at every capture) and runs them in sequence on the
input the stacked module received (and the matching slices of its initial
state, if one was passed).  Inter-layer dropout is inactive in eval mode, so
this is exactly the computation of the stacked module.

Variable lengths
----------------
Pass ``lengths`` (one per trace sample) and/or feed a ``PackedSequence``; the
recording then carries ``valid[t, s] = t < lengths[s]``.  States at padded
steps are kept as computed (zeros for packed input) and filled later by the
recording's padding rule.

PyTorch is an optional dependency: ``pip install "mmphate[torch]"``.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._optional import MissingDependencyError

try:
    import torch
    from torch import nn
    from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise MissingDependencyError(
        'mmphate.record.torch needs PyTorch, which is not installed: pip install "mmphate[torch]"'
    ) from exc

import numpy as np

from .._validate import check_bool, check_int, describe, printable
from ._snapshots import SnapshotRecorder, finish_states, metric_value

__all__ = ["HiddenStateRecorder", "layer_units"]

logger = logging.getLogger(__name__)

_RNN_KINDS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn", "RNN_RELU": "rnn"}


def layer_units(layer: nn.Module, n_features: int | None = None) -> list[str]:
    """Unit ids the recorder gives to the states of ``layer``.

    Unidirectional recurrent layers and other modules: ``"0" .. "H-1"`` (the
    position in the hidden vector).  Bidirectional recurrent layers:
    ``"fwd.0" .. "fwd.H-1"`` then ``"bwd.0" .. "bwd.H-1"`` (the order of
    PyTorch's output features).

    Parameters
    ----------
    layer : torch.nn.Module
        The recorded layer.
    n_features : int, optional
        Output features of a non-recurrent layer (required for those).

    Returns
    -------
    list of str
    """
    if isinstance(layer, nn.RNNBase):
        H = layer.proj_size or layer.hidden_size
        if layer.bidirectional:
            return [f"fwd.{i}" for i in range(H)] + [f"bwd.{i}" for i in range(H)]
        return [str(i) for i in range(H)]
    if n_features is None:
        raise ValueError("n_features is needed for a non-recurrent layer")
    return [str(i) for i in range(n_features)]


def _single_layer(rnn: nn.RNNBase) -> tuple[Callable[[int], nn.RNNBase], int]:
    """A factory of single-layer modules like ``rnn``'s layers (given the input size), and
    the input size of its inner layers."""
    D = 2 if rnn.bidirectional else 1
    H_out = rnn.proj_size or rnn.hidden_size
    kw = dict(
        hidden_size=rnn.hidden_size,
        num_layers=1,
        bias=rnn.bias,
        batch_first=rnn.batch_first,
        bidirectional=rnn.bidirectional,
    )
    if rnn.mode == "LSTM":
        make = lambda n_in: nn.LSTM(n_in, proj_size=rnn.proj_size, **kw)  # noqa: E731
    elif rnn.mode == "GRU":
        make = lambda n_in: nn.GRU(n_in, **kw)  # noqa: E731
    else:
        nonlinearity = "tanh" if rnn.mode == "RNN_TANH" else "relu"
        make = lambda n_in: nn.RNN(n_in, nonlinearity=nonlinearity, **kw)  # noqa: E731
    return make, H_out * D


class _LayerSplitter:
    """Runs layers ``0..k`` of a stacked RNN as separate single-layer modules."""

    def __init__(self, rnn: nn.RNNBase) -> None:
        self.rnn = rnn
        self.layers: list[nn.RNNBase] = []

    def _layer(self, k: int) -> nn.RNNBase:
        make, inner_in = _single_layer(self.rnn)
        while len(self.layers) <= k:
            i = len(self.layers)
            self.layers.append(make(self.rnn.input_size if i == 0 else inner_in))
        sub = self.layers[k]
        ref = next(self.rnn.parameters())
        sub.to(device=ref.device, dtype=ref.dtype)
        with torch.no_grad():
            for name in sub._flat_weights_names:
                src = getattr(self.rnn, name.replace("_l0", f"_l{k}"))
                getattr(sub, name).copy_(src)
        sub.eval()
        return sub

    def run(self, inp: Any, hx: Any, k: int) -> Any:
        D = 2 if self.rnn.bidirectional else 1
        x = inp
        for i in range(k + 1):
            h = None
            if hx is not None:
                if isinstance(hx, tuple):
                    h = tuple(s[i * D : (i + 1) * D] for s in hx)
                else:
                    h = hx[i * D : (i + 1) * D]
            x, _ = self._layer(i)(x, h)
        return x


def _to_device(obj: Any, device: torch.device) -> Any:
    if isinstance(obj, torch.Tensor | PackedSequence):
        return obj.to(device)
    if isinstance(obj, tuple | list):
        return type(obj)(_to_device(o, device) for o in obj)
    if isinstance(obj, dict):
        return {k: _to_device(v, device) for k, v in obj.items()}
    return obj


class HiddenStateRecorder(SnapshotRecorder):
    """Capture one layer's per-timestep hidden states on fixed trace inputs, epoch by epoch.

    Parameters
    ----------
    model : torch.nn.Module
        The model to run; it is called as ``model(trace_inputs, **forward_kwargs)``
        (``model(*trace_inputs, **forward_kwargs)`` if ``trace_inputs`` is a tuple).
    layer : nn.Module, str or None
        The layer to record: a submodule of ``model``, its dotted name (as in
        ``model.named_modules()``), or ``None`` for ``model`` itself.  It must
        run exactly once per forward call.
    trace_inputs : Tensor, PackedSequence or tuple
        The trace inputs (same every epoch), one batch entry per trace sample.
        Moved to the model's device when recording.
    lengths : sequence of int, optional
        Real length of each trace sample (variable-length data).  Gives the
        recording's ``valid`` mask.  When the layer receives a
        ``PackedSequence`` its lengths are used and must agree with these.
    sample_labels : sequence of int, optional
        Class of each trace sample.
    class_names : sequence of str, optional
        Names of the classes.
    layer_index : int, optional
        Which layer of a stacked ``nn.RNN``/``nn.LSTM``/``nn.GRU`` to record
        (default: the last; negative values count from the end).
    batch_first : bool, optional
        Layout of a non-recurrent layer's output: ``True`` for
        ``(batch, time, features)``, ``False`` for ``(time, batch, features)``.
        Default: the layer's own ``batch_first`` attribute (that of its
        ``self_attn`` for transformer layers) or ``True``.  Recurrent layers
        always use their own setting.
    every : int, default 1
        Take a snapshot at epochs whose number is a multiple of ``every``
        (metrics are logged at every :meth:`record` call).
    forward_kwargs : mapping, optional
        Extra keyword arguments for the model call (e.g. ``{"lengths": L}``).
    metadata : mapping, optional
        Extra metadata for the recording (JSON-serialisable).

    Raises
    ------
    TypeError
        If ``trace_inputs`` is not a tensor, a PackedSequence or a tuple starting with one (a
        NumPy array is refused: convert it with ``torch.as_tensor``), if its floating dtype
        differs from the model's parameters, or if an argument has the wrong type.
    ValueError
        If ``trace_inputs`` is empty or not finite, does not fit a recurrent model's
        ``input_size``, or an argument has a wrong value (``every``, ``lengths``,
        ``sample_labels``, ``layer_index``, an unknown layer).

    Examples
    --------
    A sketch (the user guide's "Recording hidden states" page has a complete, tested one):

    >>> rec = HiddenStateRecorder(model, "rnn", X_trace, sample_labels=y_trace)  # doctest: +SKIP
    >>> for epoch in range(1, 51):  # doctest: +SKIP
    ...     train_one_epoch(model)
    ...     rec.record(epoch, val_loss=..., val_accuracy=...)
    >>> recording = rec.to_recording()  # doctest: +SKIP
    """

    def __init__(
        self,
        model: nn.Module,
        layer: nn.Module | str | None,
        trace_inputs: Any,
        *,
        lengths: Sequence[int] | np.ndarray | torch.Tensor | None = None,
        sample_labels: Sequence[int] | np.ndarray | None = None,
        class_names: Sequence[str] | None = None,
        layer_index: int | None = None,
        batch_first: bool | None = None,
        every: int = 1,
        forward_kwargs: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}.")
        self.model = model
        self.layer, self.layer_name = self._resolve_layer(model, layer)
        if isinstance(lengths, torch.Tensor):
            lengths = lengths.detach().cpu().numpy()
        if isinstance(sample_labels, torch.Tensor):
            sample_labels = sample_labels.detach().cpu().numpy()
        super().__init__(
            lengths=lengths,
            sample_labels=sample_labels,
            class_names=class_names,
            every=every,
            metadata=metadata,
        )
        layer_index = check_int(layer_index, "layer_index", optional=True)
        if batch_first is not None:
            batch_first = check_bool(batch_first, "batch_first")
        if forward_kwargs is not None and not isinstance(forward_kwargs, Mapping):
            raise TypeError(
                f"forward_kwargs must be a mapping of keyword arguments; got {describe(forward_kwargs)}."
            )
        self.forward_kwargs = dict(forward_kwargs or {})
        self.trace_inputs = trace_inputs

        self.is_rnn = isinstance(self.layer, nn.RNNBase)
        if self.is_rnn:
            L = self.layer.num_layers
            k = L - 1 if layer_index is None else int(layer_index)
            if k < 0:
                k += L
            if not 0 <= k < L:
                raise ValueError(
                    f"layer_index must be in [{-L}, {L - 1}] for a {L}-layer "
                    f"{type(self.layer).__name__}; got {layer_index}."
                )
            self.layer_index = k
            if batch_first is not None and bool(batch_first) != self.layer.batch_first:
                raise ValueError(
                    f"batch_first={batch_first} contradicts the layer's own "
                    f"batch_first={self.layer.batch_first}; leave it out for recurrent layers."
                )
            self.batch_first = bool(self.layer.batch_first)
            self._splitter = _LayerSplitter(self.layer)
        else:
            if layer_index not in (None, 0):
                raise ValueError(
                    f"layer_index only applies to nn.RNN/nn.LSTM/nn.GRU; {self.layer_name!r} "
                    f"is a {type(self.layer).__name__}."
                )
            self.layer_index = 0
            if batch_first is None:
                batch_first = getattr(self.layer, "batch_first", None)
            if batch_first is None:
                batch_first = getattr(getattr(self.layer, "self_attn", None), "batch_first", None)
            self.batch_first = True if batch_first is None else bool(batch_first)

        self._check_trace_inputs()

    # ----------------------------------------------------------------- set-up
    @staticmethod
    def _resolve_layer(model: nn.Module, layer: nn.Module | str | None) -> tuple[nn.Module, str]:
        if layer is None:
            return model, type(model).__name__
        if isinstance(layer, str):
            try:
                return model.get_submodule(layer), layer
            except AttributeError:
                names = [n for n, _ in model.named_modules() if n][:20]
                raise ValueError(
                    f"model has no submodule {layer!r}; its submodules are {names}."
                ) from None
        if isinstance(layer, nn.Module):
            for name, module in model.named_modules():
                if module is layer:
                    return layer, name or type(model).__name__
            raise ValueError(
                f"layer ({type(layer).__name__}) is not a submodule of the model; pass a module "
                "from model.named_modules() or its name."
            )
        raise TypeError(f"layer must be an nn.Module, a name or None; got {type(layer).__name__}.")

    def _check_trace_inputs(self) -> None:
        """Refuse trace inputs torch would reject (or misread), before the first forward call."""
        x = self.trace_inputs
        if isinstance(x, np.ndarray) or type(x).__module__.partition(".")[0] == "pandas":
            raise TypeError(
                f"trace_inputs must be a torch.Tensor (or a PackedSequence, or a tuple of "
                f"positional arguments); got {describe(x)}. Convert it with "
                "torch.as_tensor(x, dtype=torch.float32)."
            )
        args = x if isinstance(x, tuple) else (x,)
        if not args or not isinstance(args[0], torch.Tensor | PackedSequence):
            raise TypeError(
                "trace_inputs must be a torch.Tensor, a PackedSequence, or a tuple whose first "
                f"element is one; got {describe(args[0] if args else x)}."
            )
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                raise TypeError(
                    f"trace_inputs[{i}] is a numpy array; convert it with torch.as_tensor(...)."
                )
        first = args[0].data if isinstance(args[0], PackedSequence) else args[0]
        if first.dim() == 0 or first.shape[0] == 0 or first.numel() == 0:
            raise ValueError(
                f"trace_inputs must hold at least one trace sample; got shape {tuple(first.shape)}."
            )
        if first.is_floating_point() or first.is_complex():
            if not bool(torch.isfinite(first).all()):
                raise ValueError(
                    "trace_inputs contain NaN or infinite values; clean them before recording."
                )
            param = next((p for p in self.model.parameters() if p.is_floating_point()), None)
            if param is not None and first.dtype != param.dtype:
                raise TypeError(
                    f"trace_inputs have dtype {first.dtype} but the model's parameters are "
                    f"{param.dtype}; convert them, e.g. trace_inputs.to({param.dtype})."
                )
        layer = self.layer
        if (
            isinstance(layer, nn.RNNBase)
            and layer is self.model
            and isinstance(args[0], torch.Tensor)
        ):
            if first.dim() not in (2, 3) or first.shape[-1] != layer.input_size:
                want = "(batch, time, features)" if layer.batch_first else "(time, batch, features)"
                raise ValueError(
                    f"trace_inputs have shape {tuple(first.shape)} but the "
                    f"{type(layer).__name__} takes {want} with features = input_size = "
                    f"{layer.input_size}; give it tensors of that shape."
                )

    # --------------------------------------------------------------- capture
    def _run_model(self) -> list[tuple[tuple, dict, Any]]:
        calls: list[tuple[tuple, dict, Any]] = []

        def hook(module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
            calls.append((args, kwargs, output))

        param = next(self.model.parameters(), None)
        inputs, kwargs = self.trace_inputs, self.forward_kwargs
        if param is not None:
            inputs = _to_device(inputs, param.device)
            kwargs = _to_device(kwargs, param.device)
        modes = [(m, m.training) for m in self.model.modules()]
        handle = self.layer.register_forward_hook(hook, with_kwargs=True)
        try:
            self.model.eval()
            with torch.no_grad():
                try:
                    if isinstance(inputs, tuple):
                        self.model(*inputs, **kwargs)
                    else:
                        self.model(inputs, **kwargs)
                except (RuntimeError, ValueError, TypeError, IndexError) as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise ValueError(
                        f"the model failed on the trace inputs ({describe(self.trace_inputs)}): "
                        f"{type(exc).__name__}: {printable(first[:300])}. Give trace inputs of "
                        "the shape and dtype the model is trained on."
                    ) from exc
        finally:
            handle.remove()
            for m, training in modes:
                m.training = training
        if not calls:
            raise RuntimeError(
                f"layer {self.layer_name!r} did not run during the model's forward pass; record "
                "a layer the model uses."
            )
        if len(calls) > 1:
            raise RuntimeError(
                f"layer {self.layer_name!r} ran {len(calls)} times in one forward pass; record a "
                "layer that runs once (or wrap the repeated use in its own module)."
            )
        return calls

    def _sequence(self, args: tuple, kwargs: dict, output: Any) -> tuple[torch.Tensor, Any]:
        """(batch, time, features) states and the packed lengths (or None)."""
        if self.is_rnn:
            if self.layer_index == self.layer.num_layers - 1:
                seq = output[0]
            else:
                inp = args[0] if args else kwargs.get("input")
                hx = args[1] if len(args) > 1 else kwargs.get("hx")
                seq = self._splitter.run(inp, hx, self.layer_index)
        else:
            seq = output
            if (
                isinstance(seq, tuple | list)
                and seq
                and isinstance(seq[0], torch.Tensor | PackedSequence)
            ):
                seq = seq[0]
        if isinstance(seq, PackedSequence):
            padded, packed_lengths = pad_packed_sequence(seq, batch_first=True)
            return padded, packed_lengths.cpu().numpy().astype(np.int64)
        if not isinstance(seq, torch.Tensor):
            raise ValueError(
                f"layer {self.layer_name!r} ({type(self.layer).__name__}) returned "
                f"{type(seq).__name__}; mmphate.record.torch records modules whose output is a tensor "
                "(batch, time, features)."
            )
        if seq.is_nested:
            seq = seq.to_padded_tensor(0.0)
        if self.is_rnn and seq.dim() == 2:  # unbatched input (time, features)
            return seq.unsqueeze(0), None
        if seq.dim() != 3:
            raise ValueError(
                f"layer {self.layer_name!r} ({type(self.layer).__name__}) produced an output of "
                f"shape {tuple(seq.shape)}, with no time axis. mmphate.record.torch records recurrent "
                "layers (nn.RNN/nn.LSTM/nn.GRU) or modules whose output is (batch, time, "
                "features), such as nn.TransformerEncoderLayer."
            )
        if not self.batch_first:
            seq = seq.transpose(0, 1)
        return seq, None

    def capture(self) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
        """Run the model once on the trace inputs and return the layer's states.

        Returns
        -------
        hidden : float32 array of shape (timesteps, units, samples)
        valid : bool array of shape (timesteps, samples), or None
        units : list of str
            Unit ids (see :func:`layer_units`).
        """
        ((args, kwargs, output),) = self._run_model()
        seq, packed_lengths = self._sequence(args, kwargs, output)
        if seq.is_complex():
            raise TypeError(
                f"layer {self.layer_name!r} produced complex states; record a real-valued layer."
            )
        seq = seq.detach()
        # float64 stays float64 until the range check; other dtypes (bfloat16 has no NumPy
        # type) go to float32 here
        arr = (seq.cpu() if seq.dtype == torch.float64 else seq.to("cpu", torch.float32)).numpy()
        F = arr.shape[2]
        units = layer_units(self.layer) if self.is_rnn else layer_units(self.layer, F)
        received = None
        if packed_lengths is not None:
            received = np.arange(arr.shape[1])[:, None] < packed_lengths[None, :]
        return finish_states(
            arr,
            self.layer_name,
            units,
            lengths=self.lengths,
            sample_labels=self.sample_labels,
            received=received,
            received_what="PackedSequence",
        )

    # ---------------------------------------------------------------- record
    def _metric(self, key: str, value: Any) -> numbers.Real:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise TypeError(
                    f"metric {key!r} must be a single number; got a tensor of shape "
                    f"{tuple(value.shape)}."
                )
            value = value.detach().cpu().item()
        return metric_value(key, value)

    def _layer_info(self) -> dict[str, Any]:
        """Metadata of the recording: the layer name and type, its kind (``"lstm"``, ``"gru"``,
        ``"rnn"`` or the class name), ``layer_index`` and, for recurrent layers,
        ``bidirectional``, ``num_layers`` and ``hidden_size``."""
        info: dict[str, Any] = {
            "layer": self.layer_name,
            "layer_type": type(self.layer).__name__,
            "kind": _RNN_KINDS.get(getattr(self.layer, "mode", ""), type(self.layer).__name__),
            "layer_index": self.layer_index,
        }
        if self.is_rnn:
            info["bidirectional"] = bool(self.layer.bidirectional)
            info["num_layers"] = int(self.layer.num_layers)
            info["hidden_size"] = int(self.layer.hidden_size)
        return info
