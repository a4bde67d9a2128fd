"""Ablation test: do high inter-step-entropy units matter more for the task?

Our protocol (the paper ranks units but does not validate the ranking): a unit
is ablated by zeroing its hidden state at every step; the cost is the drop in
accuracy against the intact model.  We compare

- the ``k`` highest-entropy units (top-k) against ``n_random`` random sets of
  ``k`` units (mean, std and an empirical one-sided p-value: the share of random
  sets whose drop is at least the top-k drop, ``(1 + #) / (n_random + 1)``; the
  default of 199 sets lets it go down to 0.005);
- top-k against the ``k`` lowest (bottom-k) by a permutation test: under "the
  entropy ranking does not matter" top-k and bottom-k are two disjoint random
  sets of ``k`` units, so ``n_permutations`` such pairs are drawn and the p-value
  is the share whose difference of drops is at least the observed
  top-minus-bottom difference (one-sided, ``(1 + #) / (n + 1)``; needs
  ``2k <= units``);
- every unit alone: the Spearman rank correlation between unit entropy and its
  single-unit ablation drop.

High-entropy units are said to *matter more* only when the top-k drop exceeds
the random-k drops significantly (p < ``alpha``) and the bottom-k drop
significantly (permutation p < ``alpha``); the result carries the numbers
either way.

Two ways to ablate:

1. models that accept ``unit_mask`` (``model(x, lengths=None, unit_mask=None)``
   with a ``(hidden_size,)`` multiplicative mask applied to the hidden state
   at every step, as :mod:`mmphate.record.training` builds them): the zeroed state is
   what the recurrence feeds back, a true ablation;
2. any other model, given its recurrent ``module`` (or found as the first
   ``torch.nn.RNNBase`` inside it): a forward hook zeroes the units in the
   module's *outputs* (the output sequence and the final hidden state; an
   LSTM's cell state is left alone).  Limitation: the recurrence inside the
   module still sees the intact state, so only what leaves the layer is ablated.

PyTorch is imported only when this function runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .._optional import require
from .._validate import check_ablation, check_int
from ._units import unit_scores

__all__ = ["ablation_test", "AblationResult"]


@dataclass
class AblationResult:
    """Result of :func:`ablation_test` (accuracies are fractions in [0, 1]).

    Attributes
    ----------
    baseline_accuracy : float
    k : int
    top_units, bottom_units : list of str
        The ``k`` highest / lowest entropy units.
    top_drop, bottom_drop : float
        Accuracy drop when those units are zeroed.
    random_drops : numpy.ndarray
        Drop for each random set of ``k`` units.
    random_mean, random_std : float
    p_value : float
        Empirical one-sided p-value of the top-k drop against the random-k drops.
    single_unit : pandas.DataFrame
        Columns ``unit``, ``entropy``, ``drop`` (one row per unit; empty if skipped).
    spearman_r, spearman_p : float
        Rank correlation between unit entropy and single-unit drop.
    high_entropy_matters_more : bool
    summary : str
    mode : str
        ``"unit_mask"`` or ``"hook"`` (see the module docstring).
    top_vs_bottom_p : float
        One-sided permutation p-value of ``top_drop - bottom_drop`` (NaN when skipped).
    n_permutations : int
        Random splits of the ``2k`` units behind it.
    """

    baseline_accuracy: float
    k: int
    top_units: list[str]
    bottom_units: list[str]
    top_drop: float
    bottom_drop: float
    random_drops: np.ndarray = field(repr=False)
    random_mean: float
    random_std: float
    p_value: float
    single_unit: pd.DataFrame = field(repr=False)
    spearman_r: float
    spearman_p: float
    high_entropy_matters_more: bool
    summary: str
    mode: str
    top_vs_bottom_p: float = float("nan")
    n_permutations: int = 0

    def to_frame(self) -> pd.DataFrame:
        """The top/bottom/random comparison as a small table."""
        return pd.DataFrame(
            {
                "set": ["top-k", "bottom-k", "random-k"],
                "k": [self.k] * 3,
                "accuracy_drop": [self.top_drop, self.bottom_drop, self.random_mean],
                "std": [0.0, 0.0, self.random_std],
                "baseline_accuracy": [self.baseline_accuracy] * 3,
            }
        )


def _supports_unit_mask(model: Any) -> bool:
    fn = getattr(model, "forward", model)
    try:
        return "unit_mask" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _unit_positions(scores: pd.Series, units: Sequence[Any] | None, size: int | None) -> np.ndarray:
    """Hidden-state position of each scored unit."""
    ids = [str(u) for u in scores.index]
    if units is not None:
        lookup = {str(u): i for i, u in enumerate(units)}
        missing = [u for u in ids if u not in lookup]
        if missing:
            raise ValueError(f"units {missing[:10]} are not in the given unit ids.")
        return np.array([lookup[u] for u in ids])
    try:
        pos = np.array([int(u) for u in ids])
    except ValueError:
        raise ValueError(
            f"unit ids {ids[:5]} are not hidden-state positions; pass units=recording.units "
            "(the unit ids in hidden-state order)."
        ) from None
    if size is not None and (pos.min() < 0 or pos.max() >= size):
        raise ValueError(f"unit positions must be in 0..{size - 1}; got {pos.min()}..{pos.max()}.")
    return pos


def ablation_test(
    model: Any,
    X: Any,
    y: Any,
    lengths: Any = None,
    unit_entropy: Any = None,
    *,
    k: int = 5,
    n_random: int = 199,
    seed: int = 0,
    units: Sequence[Any] | None = None,
    module: Any = None,
    evaluate: Callable[..., float] | None = None,
    single_unit: bool = True,
    alpha: float = 0.05,
    n_permutations: int = 199,
) -> AblationResult:
    """Zero units' hidden states at every step and measure the accuracy drop.

    Parameters
    ----------
    model : torch.nn.Module
        A classifier returning logits ``(batch, classes)``; see the module
        docstring for the ``unit_mask`` protocol and the hook fallback.
    X : array or tensor of shape (samples, timesteps, features)
    y : array or tensor of shape (samples,)
        Integer class labels.
    lengths : array or tensor of shape (samples,), optional
        Sequence lengths, passed to the model as ``lengths=``.
    unit_entropy : DataFrame, Series or array
        Per-unit scores: the output of :func:`~mmphate.rank_units`, an
        inter-step entropy table, a Series indexed by unit id, or an array in
        hidden-state order.
    k : int
        Size of the top, bottom and random sets.
    n_random : int
        Number of random sets of ``k`` units (the p-value's floor is ``1 / (n_random + 1)``).
    seed : int or None
        Seed of the random sets and of the permutation test (None: not reproducible).
    units : sequence, optional
        Unit ids in hidden-state order (``recording.units``); needed when ids
        are not integer positions.
    module : torch.nn.Module, optional
        Recurrent layer to hook when the model has no ``unit_mask`` argument.
    evaluate : callable, optional
        ``evaluate(model, X, y, lengths=..., unit_mask=...) -> accuracy``
        (e.g. :func:`mmphate.record.training.evaluate`) for ``unit_mask`` models; by
        default the model is called once on all samples in eval mode.
    single_unit : bool
        Also ablate every unit alone (one evaluation per unit) for the rank correlation.
    alpha : float
        Significance level of the verdict.
    n_permutations : int
        Random splits of the top and bottom units for the top-vs-bottom permutation test
        (two evaluations each; 0 skips it, and the verdict then needs only top > bottom).

    Returns
    -------
    AblationResult

    Raises
    ------
    TypeError
        If ``model`` or ``module`` is not a torch module, or an input has the wrong type.
    ValueError
        If ``X`` is empty or not finite, ``y`` or ``lengths`` do not match it,
        scores are not finite, ``units`` does not have one id per hidden unit of the recurrent
        layer (e.g. 20 ids for an 8-unit layer), or ``k`` exceeds the number of scored units.
    MissingDependencyError
        If PyTorch is not installed.
    """
    check_ablation(
        model,
        X,
        y,
        lengths,
        unit_entropy,
        k=k,
        n_random=n_random,
        seed=seed,
        units=units,
        module=module,
        evaluate=evaluate,
        single_unit=single_unit,
        alpha=alpha,
    )
    n_permutations = check_int(n_permutations, "n_permutations", minimum=0, maximum=100_000)
    torch = require("torch", "torch", "ablation_test")

    if unit_entropy is None:
        raise ValueError("unit_entropy is required: pass rank_units(...) or per-unit scores.")
    scores = unit_scores(unit_entropy)
    use_mask = module is None and _supports_unit_mask(model)
    if not use_mask and module is None:
        module = next((m for m in model.modules() if isinstance(m, torch.nn.RNNBase)), None)
        if module is None:
            raise ValueError(
                "the model has no unit_mask argument and no torch.nn.RNN/LSTM/GRU inside; "
                "pass module= (the recurrent layer whose outputs to zero)."
            )
    size = getattr(module, "hidden_size", None) if module is not None else None
    pos = _unit_positions(scores, units, size)
    n_units = int(size) if size is not None else (len(units) if units is not None else len(scores))
    n_units = max(n_units, int(pos.max()) + 1)
    if not 1 <= k <= len(scores):
        raise ValueError(f"k must be between 1 and the number of scored units ({len(scores)}).")

    param = next(iter(model.parameters()), None)
    device = param.device if param is not None else torch.device("cpu")
    Xt = torch.as_tensor(np.asarray(X) if not torch.is_tensor(X) else X, dtype=torch.float32)
    Xt = Xt.to(device)
    yt = torch.as_tensor(np.asarray(y) if not torch.is_tensor(y) else y).long().to(device)
    Lt = None if lengths is None else torch.as_tensor(np.asarray(lengths)).long()

    def mask_of(zeroed: np.ndarray) -> torch.Tensor:
        m = torch.ones(n_units, dtype=torch.float32, device=device)
        if len(zeroed):
            m[torch.as_tensor(zeroed, dtype=torch.long)] = 0.0
        return m

    def call(m: torch.Tensor) -> float:
        if use_mask and evaluate is not None:
            return float(evaluate(model, Xt, yt, lengths=Lt, unit_mask=m))
        kwargs: dict[str, Any] = {} if Lt is None else {"lengths": Lt}
        handle = None
        if use_mask:
            kwargs["unit_mask"] = m
        else:
            handle = module.register_forward_hook(_zeroing_hook(m))
        try:
            with torch.no_grad():
                out = model(Xt, **kwargs)
        finally:
            if handle is not None:
                handle.remove()
        if isinstance(out, tuple | list):
            out = out[0]
        return int((out.argmax(dim=-1) == yt).sum().item()) / len(yt)

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        base = call(mask_of(np.array([], dtype=int)))
        order = np.argsort(-scores.to_numpy(), kind="stable")
        top, bottom = order[:k], order[::-1][:k]
        top_drop = base - call(mask_of(pos[top]))
        bottom_drop = base - call(mask_of(pos[bottom]))
        rng = np.random.default_rng(seed)
        rand = np.array(
            [
                base - call(mask_of(pos[rng.choice(len(scores), size=k, replace=False)]))
                for _ in range(n_random)
            ]
        )
        # top-k vs bottom-k: under "the entropy ranking does not matter" they are two disjoint
        # random k-sets; draws from all units (not only the 2k) let the p-value go below
        # 1 / C(2k, k)
        observed = top_drop - bottom_drop
        if 2 * k > len(scores):  # top and bottom overlap: no disjoint pairs to draw
            n_permutations = 0
        perm = np.empty(n_permutations)
        # a stream of its own, independent of the random sets' (None: fresh entropy, as there)
        prng = np.random.default_rng(None if seed is None else [seed, 1])
        for b in range(n_permutations):
            split = prng.permutation(len(scores))[: 2 * k]
            perm[b] = call(mask_of(pos[split[k:]])) - call(mask_of(pos[split[:k]]))
        drops = (
            np.array([base - call(mask_of(pos[[i]])) for i in range(len(scores))])
            if single_unit
            else np.array([])
        )
    finally:
        for m, mode in modes:
            m.training = mode

    p_value = float((1 + np.sum(rand >= top_drop - 1e-12)) / (n_random + 1))
    table = pd.DataFrame(
        {"unit": list(scores.index), "entropy": scores.to_numpy(), "drop": drops}
        if single_unit
        else {"unit": [], "entropy": [], "drop": []}
    )
    if single_unit and np.ptp(drops) > 0 and np.ptp(scores.to_numpy()) > 0:
        sr, sp = stats.spearmanr(scores.to_numpy(), drops)
        sr, sp = float(sr), float(sp)
    else:
        sr, sp = float("nan"), float("nan")
    rmean = float(rand.mean()) if n_random else float("nan")
    rstd = float(rand.std(ddof=1)) if n_random > 1 else float("nan")
    if n_permutations:
        tb_p = float((1 + np.sum(perm >= observed - 1e-12)) / (n_permutations + 1))
        beats_bottom = tb_p < alpha
    else:
        tb_p, beats_bottom = float("nan"), top_drop > bottom_drop
    more = bool(top_drop > bottom_drop and beats_bottom and p_value < alpha)
    summary = (
        f"baseline accuracy {base:.3f}; zeroing the top-{k} entropy units drops it by "
        f"{top_drop:.3f}, the bottom-{k} by {bottom_drop:.3f} (permutation p = {tb_p:.3g} for "
        f"top > bottom), random {k} by "
        f"{rmean:.3f} +- {rstd:.3f} (n={n_random}; p = {p_value:.3g} for top >= random); "
        f"Spearman(entropy, single-unit drop) = {sr:.3f} (p = {sp:.3g}). "
        + (
            "High-entropy units matter more."
            if more
            else "No evidence that high-entropy units matter more."
        )
    )
    return AblationResult(
        base,
        k,
        [str(u) for u in scores.index[top]],
        [str(u) for u in scores.index[bottom]],
        float(top_drop),
        float(bottom_drop),
        rand,
        rmean,
        rstd,
        p_value,
        table,
        sr,
        sp,
        more,
        summary,
        "unit_mask" if use_mask else "hook",
        tb_p,
        int(n_permutations),
    )


def _zeroing_hook(mask: Any) -> Callable[..., Any]:
    """Forward hook multiplying a recurrent layer's outputs by ``mask`` (last dimension)."""
    import torch
    from torch.nn.utils.rnn import PackedSequence

    def scale(t: Any) -> Any:
        if isinstance(t, PackedSequence):
            return PackedSequence(
                t.data * mask, t.batch_sizes, t.sorted_indices, t.unsorted_indices
            )
        if torch.is_tensor(t) and t.shape[-1] == mask.shape[0]:
            return t * mask
        return t

    def hook(_module: Any, _inputs: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            seq, state = output[0], output[1] if len(output) > 1 else None
            if isinstance(state, tuple):  # LSTM: (h_n, c_n); leave the cell state
                state = (scale(state[0]), *state[1:])
            else:
                state = scale(state)
            return (scale(seq), state, *output[2:])
        return scale(output)

    return hook
