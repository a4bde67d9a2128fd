"""Record per-timestep hidden states of Keras 3 models through training.

:class:`HiddenStateCallback` is a Keras callback: passed to ``model.fit``, it runs the model on
fixed *trace inputs* at the end of every epoch (``training=False``, no gradients), captures the
per-timestep states of one layer, and collects them, with the epoch's logs (``loss``,
``val_loss``, ``accuracy``, ...) as metrics, into a :class:`~mmphate.Recording`, the same as
:class:`mmphate.record.torch.HiddenStateRecorder` produces.

Supported layers
----------------
* ``keras.layers.LSTM`` / ``GRU`` / ``SimpleRNN`` (any ``keras.layers.RNN``) built with
  ``return_sequences=True``: the output ``h_t`` of every timestep, units ``"0" .. "H-1"``;
* ``keras.layers.Bidirectional`` around one of them: both directions as units ``"fwd.<i>"``
  and ``"bwd.<i>"`` (``merge_mode="concat"`` or ``None``), or the merged states
  (``"sum"``, ``"mul"``, ``"ave"``) as ``"0" .. "H-1"``;
* any other layer whose output is ``(batch, time, features)``, e.g. ``Conv1D`` or
  ``MultiHeadAttention``.

Functional, ``Sequential`` and subclassed models all work: the recorded layer is found among
the model's layers (nested ones too) and its output is taken as it is computed, during one
ordinary call of the whole model.  When the layer is given a mask (a ``Masking`` layer,
``Embedding(mask_zero=True)``), the mask becomes the recording's ``valid`` array.

The backend
-----------
Keras chooses its backend (``"torch"``, ``"jax"``, ``"tensorflow"``) once, when it is first
imported, from the ``KERAS_BACKEND`` environment variable (or ``~/.keras/keras.json``).
mmphate never sets it: set it yourself before anything imports keras, e.g.
``os.environ["KERAS_BACKEND"] = "torch"`` at the top of the script, or
``KERAS_BACKEND=torch python train.py``.  The recorder works with every backend (it is tested
with the torch backend, which needs no TensorFlow); trace inputs are NumPy arrays or tensors of
the backend in use.

Keras is an optional dependency: ``pip install "mmphate[keras]"`` (plus the backend, e.g. the
``torch`` extra).
"""

from __future__ import annotations

import contextlib
import numbers
import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from .._optional import MissingDependencyError, require

try:
    keras = require("keras", "keras", "mmphate.record.keras")
except MissingDependencyError as _exc:
    _cause = _exc.__cause__
    _missing = getattr(_cause, "name", None) or ""
    if isinstance(_cause, ModuleNotFoundError) and _missing.partition(".")[0] not in ("", "keras"):
        raise MissingDependencyError(
            f"mmphate.record.keras: keras is installed but cannot load its backend (no module "
            f"named {_missing!r}; KERAS_BACKEND is {os.environ.get('KERAS_BACKEND', 'not set')}); "
            'set KERAS_BACKEND to an installed backend ("torch", "jax" or "tensorflow") before '
            'keras is first imported, e.g. os.environ["KERAS_BACKEND"] = "torch" at the top of '
            f"the script (restart the kernel if keras was already imported), or install {_missing}"
        ) from _cause
    raise

import numpy as np

from .._validate import describe, printable
from ._snapshots import SnapshotRecorder, finish_states, metric_value

__all__ = ["HiddenStateCallback", "layer_units"]

_KINDS = {"LSTM": "lstm", "GRU": "gru", "SimpleRNN": "rnn"}
_FRAMEWORKS = {"torch": "torch", "jax": "jax", "jaxlib": "jax", "tensorflow": "tensorflow"}


def _backend() -> str:
    return str(keras.backend.backend())


def _backend_note() -> str:
    """Why the backend may not be the one the user meant ('' when there is no sign of that)."""
    wanted = os.environ.get("KERAS_BACKEND")
    if wanted and wanted != _backend():
        return (
            f" KERAS_BACKEND={wanted} is set, but keras was imported before it was and runs on "
            f"{_backend()!r}: set it before keras is first imported (restart the kernel)."
        )
    return ""


if _backend_note():
    warnings.warn(_backend_note().strip(), RuntimeWarning, stacklevel=2)


def _is_bidirectional(layer: Any) -> bool:
    return isinstance(layer, keras.layers.Bidirectional)


def _split_directions(layer: Any) -> bool:
    """Whether ``layer``'s output features are forward then backward states."""
    return _is_bidirectional(layer) and layer.merge_mode in ("concat", None)


def layer_units(layer: Any, n_features: int) -> list[str]:
    """Unit ids the recorder gives to the states of ``layer``.

    A ``Bidirectional`` layer that keeps both directions apart (``merge_mode="concat"`` or
    ``None``): ``"fwd.0" .. "fwd.H-1"`` then ``"bwd.0" .. "bwd.H-1"`` (the order of Keras'
    output features).  Any other layer: ``"0" .. "F-1"``, the position in its output.

    Parameters
    ----------
    layer : keras.layers.Layer
        The recorded layer.
    n_features : int
        Features of its output, ``2 * H`` for a bidirectional layer.

    Returns
    -------
    list of str
    """
    if _split_directions(layer):
        H = n_features // 2
        return [f"fwd.{i}" for i in range(H)] + [f"bwd.{i}" for i in range(H)]
    return [str(i) for i in range(n_features)]


def _all_layers(model: Any) -> list[Any]:
    """The model's layers, nested ones included, without the model itself."""
    flatten = getattr(model, "_flatten_layers", None)
    if flatten is not None:
        try:
            return list(flatten(include_self=False, recursive=True))
        except TypeError:  # pragma: no cover - a Keras without these keywords
            pass
    out: list[Any] = []  # pragma: no cover - the public fallback
    for sub in getattr(model, "layers", []):  # pragma: no cover
        out.append(sub)
        out.extend(_all_layers(sub))
    return out  # pragma: no cover


def _foreign_framework(x: Any) -> str | None:
    """The framework of a tensor that is not the backend's (None for anything else)."""
    top = type(x).__module__.partition(".")[0]
    framework = _FRAMEWORKS.get(top)
    if framework is None or keras.ops.is_tensor(x):
        return None
    return framework


def _kind(x: Any) -> str:
    """What ``x`` is, briefly (a nest of lists is named, not printed)."""
    if isinstance(x, (list, tuple, dict)):
        return f"a {type(x).__name__} of length {len(x)}"
    return describe(x)


def _is_array(x: Any) -> bool:
    """An array or tensor of any kind (one model input), as opposed to nested numbers."""
    return (
        isinstance(x, np.ndarray)
        or keras.ops.is_tensor(x)
        or _foreign_framework(x) is not None
        or type(x).__module__.partition(".")[0] == "pandas"
    )


class HiddenStateCallback(SnapshotRecorder, keras.callbacks.Callback):
    """Keras callback that records one layer's per-timestep states on fixed trace inputs.

    At the end of every epoch of ``model.fit`` (every ``every`` epochs) the model runs on the
    trace inputs with ``training=False`` and the states of ``layer`` are kept, together with
    the epoch's logs as metrics; :meth:`to_recording` returns them as a
    :class:`~mmphate.Recording`.  Epoch numbers count completed epochs: the snapshot after
    Keras' first epoch is epoch 1, and with ``initial=True`` the model is also recorded before
    it trains, as epoch 0 (``initial_epoch`` when ``fit`` resumes).  Outside ``fit`` (a custom
    training loop), call :meth:`record` yourself, as with the PyTorch recorder.

    Parameters
    ----------
    model : keras.Model
        The model that will be trained (functional, ``Sequential`` or subclassed).  It is
        called as ``model(trace_inputs, training=False)``.
    layer : keras.layers.Layer, str or None
        The layer to record: one of the model's layers (nested ones included), its name, or
        ``None`` for the model itself.  A recurrent layer needs ``return_sequences=True``; the
        layer must run exactly once per call of the model.
    trace_inputs : numpy.ndarray, backend tensor, or a list, tuple or dict of them
        The trace inputs (same every epoch), one batch entry per trace sample, as the model
        takes them.
    lengths : sequence of int, optional
        Real length of each trace sample (variable-length data).  Gives the recording's
        ``valid`` mask; when the layer receives a mask it is used and must agree with these.
    sample_labels : sequence of int, optional
        Class of each trace sample.
    class_names : sequence of str, optional
        Names of the classes.
    every : int, default 1
        Take a snapshot at epochs whose number is a multiple of ``every`` (metrics are logged
        at every epoch).
    initial : bool, default True
        Also record the model as it is when ``fit`` starts, before its first epoch.
    metadata : mapping, optional
        Extra metadata for the recording (JSON-serialisable).

    Raises
    ------
    TypeError
        If ``model`` is not a ``keras.Model``, ``trace_inputs`` are not NumPy arrays or tensors
        of the backend in use (a torch tensor under the jax backend, a list of numbers, a
        DataFrame), their dtype does not suit the model's input (text, complex, floats for
        integer inputs and the reverse), or an argument has the wrong type.
    ValueError
        If the layer is not one of the model's, outputs only its last step
        (``return_sequences=False``) or is stateful; if ``trace_inputs`` are empty, not finite
        or do not fit the model's input shape; or an argument has a wrong value (``every``,
        ``lengths``, ``sample_labels``).

    Examples
    --------
    A sketch (the user guide's "Recording hidden states" page has a complete, tested one):

    >>> callback = HiddenStateCallback(model, "lstm", X_trace, sample_labels=y_trace)  # doctest: +SKIP
    >>> model.fit(X, y, epochs=30, validation_data=(X_val, y_val), callbacks=[callback])  # doctest: +SKIP
    >>> recording = callback.to_recording()  # doctest: +SKIP
    """

    def __init__(
        self,
        model: Any,
        layer: Any,
        trace_inputs: Any,
        *,
        lengths: Sequence[int] | np.ndarray | None = None,
        sample_labels: Sequence[int] | np.ndarray | None = None,
        class_names: Sequence[str] | None = None,
        every: int = 1,
        initial: bool = True,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        keras.callbacks.Callback.__init__(self)
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"model must be a keras.Model (functional, Sequential or subclassed); got "
                f"{describe(model)}."
            )
        self._recorded_model = model
        self._model = model
        self.layer, self.layer_name = self._resolve_layer(model, layer)
        if keras.ops.is_tensor(lengths):
            lengths = keras.ops.convert_to_numpy(lengths)
        if keras.ops.is_tensor(sample_labels):
            sample_labels = keras.ops.convert_to_numpy(sample_labels)
        super().__init__(
            lengths=lengths,
            sample_labels=sample_labels,
            class_names=class_names,
            every=every,
            metadata=metadata,
        )
        if not isinstance(initial, (bool, np.bool_)):
            raise TypeError(f"initial must be True or False; got {describe(initial)}.")
        self.initial = bool(initial)
        self._check_layer(model)
        self.trace_inputs = trace_inputs
        self.n_trace_samples = self._check_trace_inputs()
        self._fit_starting = False

    # ----------------------------------------------------------------- set-up
    @staticmethod
    def _resolve_layer(model: Any, layer: Any) -> tuple[Any, str]:
        if layer is None:
            return model, model.name
        layers = _all_layers(model)
        if isinstance(layer, str):
            found = [lay for lay in layers if lay.name == layer]
            if not found:
                names = [lay.name for lay in layers][:20]
                raise ValueError(f"model has no layer {layer!r}; its layers are {names}.")
            if len({id(lay) for lay in found}) > 1:
                raise ValueError(
                    f"model has {len(found)} layers named {layer!r}; pass the layer object."
                )
            return found[0], layer
        if isinstance(layer, keras.layers.Layer):
            if layer is model:
                return model, model.name
            if any(lay is layer for lay in layers):
                return layer, layer.name
            raise ValueError(
                f"layer ({type(layer).__name__} {layer.name!r}) is not a layer of the model; pass "
                "one of the model's layers or its name."
            )
        raise TypeError(
            f"layer must be a keras layer, a layer name or None; got {describe(layer)}."
        )

    def _check_layer(self, model: Any) -> None:
        layer = self.layer
        if getattr(layer, "return_sequences", True) is False:
            raise ValueError(
                f"layer {self.layer_name!r} ({type(layer).__name__}) has return_sequences=False: "
                "it outputs only the last timestep. Build it with return_sequences=True (and "
                "take the last step after it, e.g. with keras.layers.Lambda(lambda h: h[:, -1])) "
                "to record every timestep."
            )
        for lay in [model, *_all_layers(model)]:
            if getattr(lay, "stateful", False) is True:
                raise ValueError(
                    f"layer {lay.name!r} ({type(lay).__name__}) is stateful: running the trace "
                    "inputs would change the state it carries between batches. Record a model "
                    "without stateful=True layers."
                )

    def _leaves(self) -> list[tuple[str, Any]]:
        x = self.trace_inputs
        if isinstance(x, Mapping):
            return [(f"trace_inputs[{k!r}]", v) for k, v in x.items()]
        if isinstance(x, (list, tuple)) and x and all(_is_array(v) for v in x):
            return [(f"trace_inputs[{i}]", v) for i, v in enumerate(x)]
        return [("trace_inputs", x)]

    def _check_trace_inputs(self) -> int:
        """Refuse trace inputs Keras would reject or misread, before the first epoch; return
        the number of trace samples."""
        leaves = self._leaves()
        if not leaves:
            raise ValueError("trace_inputs must hold at least one array; got an empty container.")
        arrays = []
        for name, leaf in leaves:
            if type(leaf).__module__.partition(".")[0] == "pandas":
                raise TypeError(
                    f"{name} must be a NumPy array or a {_backend()} tensor; got "
                    f"{describe(leaf)}. Convert it with .to_numpy(dtype='float32')."
                )
            framework = _foreign_framework(leaf)
            if framework is not None:
                raise TypeError(
                    f"{name} is a {framework} tensor but Keras runs on its {_backend()!r} "
                    f"backend; pass a NumPy array (np.asarray(x)) or a {_backend()} tensor."
                    + _backend_note()
                )
            if isinstance(leaf, np.ndarray):
                arr = leaf
            elif keras.ops.is_tensor(leaf):
                arr = keras.ops.convert_to_numpy(leaf)
            else:
                raise TypeError(
                    f"{name} must be a NumPy array or a {_backend()} tensor (or a list, tuple or "
                    f"dict of them, one per model input); got {_kind(leaf)}. Convert it with "
                    "np.asarray(x, dtype='float32')."
                )
            if arr.dtype.kind not in "fiub":
                raise TypeError(
                    f"{name} must be numeric (float, int or bool); got dtype {arr.dtype}."
                )
            if arr.ndim == 0 or arr.shape[0] == 0 or arr.size == 0:
                raise ValueError(
                    f"{name} must hold at least one trace sample; got shape {arr.shape}."
                )
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise ValueError(
                    f"{name} contains NaN or infinite values; clean them before recording."
                )
            arrays.append((name, arr))
        batch = {arr.shape[0] for _, arr in arrays}
        if len(batch) > 1:
            sizes = {name: arr.shape[0] for name, arr in arrays}
            raise ValueError(
                f"the trace inputs disagree on the number of trace samples: {sizes}; give every "
                "input one entry per trace sample."
            )
        (B,) = batch
        for what, values in (("lengths", self.lengths), ("sample_labels", self.sample_labels)):
            if values is not None and len(values) != B:
                raise ValueError(
                    f"{what} has {len(values)} entries but trace_inputs hold {B} trace samples; "
                    f"give one per trace sample."
                )
        self._check_against_model_inputs(arrays)
        return B

    def _check_against_model_inputs(self, arrays: list[tuple[str, np.ndarray]]) -> None:
        try:
            specs = list(self._recorded_model.inputs)
        except (AttributeError, ValueError):  # a Sequential not built yet, a subclassed model
            return
        if len(specs) != len(arrays) or isinstance(self.trace_inputs, Mapping):
            return
        for (name, arr), spec in zip(arrays, specs, strict=True):
            want = tuple(spec.shape)
            got = arr.shape
            fits = len(want) == len(got) and all(
                w is None or w == g for w, g in zip(want[1:], got[1:], strict=True)
            )
            if not fits:
                shown = "(batch, " + ", ".join("any" if w is None else str(w) for w in want[1:])
                raise ValueError(
                    f"{name} have shape {got} but the model takes {shown}); give it arrays of "
                    "that shape, one entry per trace sample."
                )
            dtype = keras.backend.standardize_dtype(spec.dtype)
            wants_float = "float" in dtype
            if wants_float and arr.dtype.kind != "f":
                raise TypeError(
                    f"{name} have dtype {arr.dtype} but the model's input is {dtype}; convert "
                    f"them, e.g. x.astype({dtype!r})."
                )
            if not wants_float and arr.dtype.kind == "f":
                raise TypeError(
                    f"{name} have dtype {arr.dtype} but the model's input is {dtype} (indices, "
                    f"e.g. for an Embedding); convert them, e.g. x.astype({dtype!r})."
                )

    # --------------------------------------------------------------- callback
    def set_model(self, model: Any) -> None:
        """Called by ``fit``: refuses a model other than the one the callback records.

        Parameters
        ----------
        model : keras.Model
            The model being trained.

        Raises
        ------
        ValueError
            If ``model`` is not the model given to the constructor.
        """
        if model is not self._recorded_model:
            raise ValueError(
                f"this HiddenStateCallback records model {self._recorded_model.name!r} but was "
                f"passed to fit() of model {getattr(model, 'name', type(model).__name__)!r}; "
                "create one callback per model."
            )
        self._model = model

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Called by ``fit`` when training starts (the initial snapshot waits for the epoch
        number, known at :meth:`on_epoch_begin`).

        Parameters
        ----------
        logs : dict, optional
            Keras' logs (unused).
        """
        self._fit_starting = True

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Called by ``fit`` before each epoch: at the first, records the untrained state.

        Parameters
        ----------
        epoch : int
            Keras' 0-based index of the epoch about to run (``initial_epoch`` first).
        logs : dict, optional
            Keras' logs (unused).

        Raises
        ------
        ValueError
            If ``fit`` starts at an epoch before the last one recorded.
        """
        if not self._fit_starting:
            return
        self._fit_starting = False
        last = self.last_epoch
        if last is not None and epoch < last:
            raise ValueError(
                f"fit() starts at epoch {epoch} but this callback has already recorded up to "
                f"epoch {last}; continue with fit(..., initial_epoch={last}) or record into a new "
                "HiddenStateCallback."
            )
        if self.initial and (last is None or epoch > last):
            self.record(int(epoch))

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Called by ``fit`` after each epoch: logs its metrics and takes the snapshot.

        Parameters
        ----------
        epoch : int
            Keras' 0-based index of the epoch just run; it is recorded as ``epoch + 1``.
        logs : dict, optional
            The epoch's logs; each single-number entry becomes a metric (others are left out,
            with a warning).
        """
        metrics: dict[str, Any] = {}
        skipped = []
        for key, value in (logs or {}).items():
            try:
                if str(key) == "epoch":  # the recording's own column
                    raise TypeError(key)
                metrics[str(key)] = self._metric(str(key), value)
            except TypeError:
                skipped.append(str(key))
        if skipped:
            warnings.warn(
                f"logs {skipped} are not single numbers and are left out of the recording's "
                "metrics.",
                RuntimeWarning,
                stacklevel=2,
            )
        self._record(int(epoch) + 1, False, metrics)

    # --------------------------------------------------------------- capture
    def _metric(self, key: str, value: Any) -> numbers.Real:
        if keras.ops.is_tensor(value):
            arr = keras.ops.convert_to_numpy(value)
            if arr.size != 1:
                raise TypeError(
                    f"metric {key!r} must be a single number; got a tensor of shape {arr.shape}."
                )
            value = arr.reshape(())[()]
        return metric_value(key, value)

    def _run_model(self) -> tuple[Any, Any]:
        """Call the model once on the trace inputs; the layer's output and the mask it got."""
        calls: list[tuple[Any, Any]] = []
        layer = self.layer
        own = vars(layer).get("call")
        original = layer.call

        # Keras has no forward hooks: the layer's ``call`` is wrapped, on the instance, for the
        # length of one model call (every backend reaches ``self.call`` from ``__call__``).
        def call(*args: Any, **kwargs: Any) -> Any:
            out = original(*args, **kwargs)
            calls.append((out, kwargs.get("mask")))
            return out

        no_grad: Any = contextlib.nullcontext()
        if _backend() == "torch":
            import torch

            no_grad = torch.no_grad()
        model = self.model if self._model is self._recorded_model else self._recorded_model
        object.__setattr__(layer, "call", call)
        try:
            with no_grad:
                try:
                    model(self.trace_inputs, training=False)
                except (RuntimeError, ValueError, TypeError, IndexError, KeyError) as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise ValueError(
                        f"the model failed on the trace inputs ({describe(self.trace_inputs)}): "
                        f"{type(exc).__name__}: {printable(first[:300])}. Give trace inputs of "
                        "the shape and dtype the model is trained on."
                    ) from exc
        finally:
            if own is None:
                object.__delattr__(layer, "call")
            else:  # pragma: no cover - someone else had patched the instance
                object.__setattr__(layer, "call", own)
        if not calls:
            raise RuntimeError(
                f"layer {self.layer_name!r} did not run during the model's call; record a layer "
                "the model uses."
            )
        if len(calls) > 1:
            raise RuntimeError(
                f"layer {self.layer_name!r} ran {len(calls)} times in one call of the model; "
                "record a layer that runs once."
            )
        return calls[0]

    def _sequence(self, output: Any) -> Any:
        if isinstance(output, (list, tuple)):
            if _is_bidirectional(self.layer) and self.layer.merge_mode is None:
                return keras.ops.concatenate([output[0], output[1]], axis=-1)
            return output[0]  # return_state=True: the sequence, then the final states
        return output

    def capture(self) -> tuple[np.ndarray, np.ndarray | None, list[str]]:
        """Run the model once on the trace inputs and return the layer's states.

        Returns
        -------
        hidden : float32 array of shape (timesteps, units, samples)
        valid : bool array of shape (timesteps, samples), or None
        units : list of str
            Unit ids (see :func:`layer_units`).

        Raises
        ------
        ValueError
            If the model fails on the trace inputs, or the layer's output has no time axis or
            is not finite.
        RuntimeError
            If the layer does not run exactly once in a call of the model.
        """
        output, mask = self._run_model()
        seq = self._sequence(output)
        if not keras.ops.is_tensor(seq) and not isinstance(seq, np.ndarray):
            raise ValueError(
                f"layer {self.layer_name!r} ({type(self.layer).__name__}) returned "
                f"{describe(seq)}; mmphate.record.keras records layers whose output is a tensor "
                "(batch, time, features)."
            )
        if keras.backend.standardize_dtype(seq.dtype) in ("float16", "bfloat16"):
            seq = keras.ops.cast(seq, "float32")
        arr = np.asarray(keras.ops.convert_to_numpy(seq))
        if arr.ndim != 3:
            raise ValueError(
                f"layer {self.layer_name!r} ({type(self.layer).__name__}) produced an output of "
                f"shape {arr.shape}, with no time axis. mmphate.record.keras records recurrent "
                "layers with return_sequences=True or layers whose output is (batch, time, "
                "features)."
            )
        received = None
        if mask is not None and (keras.ops.is_tensor(mask) or isinstance(mask, np.ndarray)):
            m = np.asarray(keras.ops.convert_to_numpy(mask)).astype(bool)
            if m.shape == arr.shape[:2]:
                received = m.T
        return finish_states(
            arr,
            self.layer_name,
            layer_units(self.layer, arr.shape[2]),
            lengths=self.lengths,
            sample_labels=self.sample_labels,
            received=received,
            received_what="mask",
        )

    def _layer_info(self) -> dict[str, Any]:
        """Metadata of the recording: the layer name and type, its kind (``"lstm"``, ``"gru"``,
        ``"rnn"`` or the class name), ``"framework": "keras"`` and the backend, and for
        recurrent layers ``bidirectional`` and ``hidden_size``."""
        layer = self.layer
        inner = layer.forward_layer if _is_bidirectional(layer) else layer
        info: dict[str, Any] = {
            "layer": self.layer_name,
            "layer_type": type(layer).__name__,
            "kind": _KINDS.get(type(inner).__name__, type(inner).__name__),
            "layer_index": 0,
            "framework": "keras",
            "backend": _backend(),
        }
        if isinstance(inner, keras.layers.RNN):
            info["bidirectional"] = _is_bidirectional(layer)
            info["hidden_size"] = int(getattr(inner, "units", 0) or 0)
            if _is_bidirectional(layer):
                info["merge_mode"] = layer.merge_mode
        return info
