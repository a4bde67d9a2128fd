import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from mmphate import ablation_test  # noqa: E402

pytestmark = pytest.mark.torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


class WeightedVote(nn.Module):
    """Each 'unit' is an input feature with a fixed weight: ablation effects are known."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(torch.as_tensor(w, dtype=torch.float32), requires_grad=False)

    def forward(self, x, lengths=None, unit_mask=None):
        h = x[:, -1, :] * self.w
        if unit_mask is not None:
            h = h * unit_mask
        s = h.sum(dim=1)
        return torch.stack([-s, s], dim=1)


def _vote_data(w, n=2000, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, 1, len(w))).astype(np.float32)
    y = (x[:, -1, :] @ np.asarray(w) > 0).astype(int)
    return x, y


def test_units_that_carry_the_decision_are_found():
    U = 20
    w = np.full(U, 0.05)
    w[3], w[11] = 5.0, 4.0
    x, y = _vote_data(w)
    ent = pd.Series(w, index=[str(i) for i in range(U)])  # entropy aligned with importance
    res = ablation_test(WeightedVote(w), x, y, unit_entropy=ent, k=2, n_random=40, seed=1)
    assert res.mode == "unit_mask"
    assert res.baseline_accuracy == 1.0
    assert set(res.top_units) == {"3", "11"}
    assert res.top_drop > 0.3
    assert res.bottom_drop < 0.05
    assert res.top_drop > res.random_mean
    assert res.p_value < 0.05
    assert res.spearman_r > 0.3
    assert res.high_entropy_matters_more
    assert len(res.single_unit) == U
    assert res.single_unit.set_index("unit").loc["3", "drop"] > 0.2
    assert "High-entropy units matter more" in res.summary
    assert res.to_frame()["set"].tolist() == ["top-k", "bottom-k", "random-k"]


def test_reversed_entropy_is_not_declared_important():
    U = 20
    w = np.full(U, 0.05)
    w[3], w[11] = 5.0, 4.0
    x, y = _vote_data(w)
    res = ablation_test(WeightedVote(w), x, y, unit_entropy=-w, k=2, n_random=40, seed=1)
    assert not res.high_entropy_matters_more
    assert res.bottom_drop > res.top_drop
    assert res.spearman_r < 0
    assert "No evidence" in res.summary
    assert len(res.random_drops) == 40


class MaskedLSTM(nn.Module):
    """Minimal LSTM classifier following the unit_mask protocol of mmphate.record.training."""

    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.cell = nn.LSTMCell(n_in, hidden)
        self.out = nn.Linear(hidden, n_out)
        self.hidden = hidden

    def forward(self, x, lengths=None, unit_mask=None):
        h = x.new_zeros(x.shape[0], self.hidden)
        c = x.new_zeros(x.shape[0], self.hidden)
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            if unit_mask is not None:
                h = h * unit_mask
        return self.out(h)


class PlainLSTM(nn.Module):
    def __init__(self, n_in, hidden, n_out):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, batch_first=True)
        self.out = nn.Linear(hidden, n_out)

    def forward(self, x):
        seq, (h, c) = self.rnn(x)
        return self.out(h[-1])


def _train(model, x, y, steps=80):
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    xt, yt = torch.as_tensor(x), torch.as_tensor(y).long()
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt), yt)
        loss.backward()
        opt.step()
    return model


def _seq_data(n=300, T=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, T, 3)).astype(np.float32)
    y = (x[:, :, 0].sum(axis=1) > 0).astype(int)
    return x, y


def test_trained_lstm_with_unit_mask():
    torch.manual_seed(0)
    x, y = _seq_data()
    model = _train(MaskedLSTM(3, 12, 2), x, y)
    scores = np.linspace(0, 1, 12)
    res = ablation_test(
        model, x, y, unit_entropy=scores, k=12, n_random=3, n_permutations=9, single_unit=False
    )
    assert res.baseline_accuracy > 0.85
    # zeroing every unit leaves only the readout bias: one constant prediction
    const = int(model.out.bias.argmax())
    assert res.top_drop == pytest.approx(res.baseline_accuracy - np.mean(y == const))
    assert model.training  # train/eval mode restored
    res = ablation_test(model, x, y, unit_entropy=scores, k=3, n_random=5, n_permutations=9)
    assert np.isfinite(res.spearman_r) or res.single_unit["drop"].nunique() == 1
    assert len(res.single_unit) == 12


def test_hook_fallback_on_plain_lstm():
    torch.manual_seed(0)
    x, y = _seq_data()
    model = _train(PlainLSTM(3, 10, 2), x, y)
    res = ablation_test(
        model, x, y, unit_entropy=np.arange(10.0), k=10, n_random=2, n_permutations=9
    )
    assert res.mode == "hook"
    const = int(model.out.bias.argmax())
    assert res.top_drop == pytest.approx(res.baseline_accuracy - np.mean(y == const))
    # the hook is removed afterwards: the model predicts as before
    with torch.no_grad():
        acc = (model(torch.as_tensor(x)).argmax(1).numpy() == y).mean()
    assert acc == pytest.approx(res.baseline_accuracy)


def test_unit_ids_need_positions():
    w = np.ones(4)
    x, y = _vote_data(w, n=50)
    ent = pd.Series([1.0, 2.0, 3.0, 4.0], index=["h0", "h1", "h2", "h3"])
    with pytest.raises(ValueError, match="units=recording.units"):
        ablation_test(WeightedVote(w), x, y, unit_entropy=ent, k=1)
    res = ablation_test(
        WeightedVote(w),
        x,
        y,
        unit_entropy=ent,
        units=["h0", "h1", "h2", "h3"],
        k=1,
        n_random=3,
        n_permutations=9,
    )
    assert res.top_units == ["h3"]
    with pytest.raises(ValueError, match="no unit_mask argument"):
        ablation_test(nn.Sequential(nn.Linear(4, 2)), x[:, 0], y, unit_entropy=w, k=1)


def test_ablation_on_lstm_trained_with_the_training_helper():
    training = pytest.importorskip("mmphate.record.training")
    from mmphate import interstep_entropy, rank_units

    res = training.train_classifier(
        "basic_motions", kind="lstm", hidden_size=8, epochs=4, record_every=2, verbose=False
    )
    model, rec = res.model, res.recording
    ds = res.dataset
    # any node embedding will do for the ranking; here the first two features of each node
    emb = rec.hidden.reshape(-1, rec.n_samples)[:, :2]
    ranking = rank_units(interstep_entropy(emb, rec))
    out = ablation_test(
        model, ds.X_test, ds.y_test, unit_entropy=ranking, k=2, n_random=5, n_permutations=9, seed=0
    )
    assert out.mode == "unit_mask"
    assert out.baseline_accuracy == pytest.approx(training.evaluate(model, ds.X_test, ds.y_test))
    mask = np.ones(8, dtype=np.float32)
    mask[[int(u) for u in out.top_units]] = 0
    top_acc = training.evaluate(model, ds.X_test, ds.y_test, unit_mask=mask)
    assert out.top_drop == pytest.approx(out.baseline_accuracy - top_acc)
    assert len(out.single_unit) == 8
    # with the helper's evaluate the numbers are the same
    again = ablation_test(
        model,
        ds.X_test,
        ds.y_test,
        unit_entropy=ranking,
        k=2,
        n_random=5,
        n_permutations=9,
        seed=0,
        evaluate=training.evaluate,
    )
    np.testing.assert_allclose(again.random_drops, out.random_drops)
    assert again.top_drop == pytest.approx(out.top_drop)


def test_unit_ids_must_match_the_layer():
    """20 unit ids for an 8-unit layer used to give a result; now it is refused."""
    from _clear import assert_clear

    from mmphate.record.training import SequenceClassifier

    torch.manual_seed(0)
    model = SequenceClassifier(3, 2, hidden_size=8, kind="gru")
    x, y = _seq_data(n=40)
    ids = [f"u{i}" for i in range(20)]
    scores = pd.Series(np.arange(20.0), index=ids)
    for kwargs in ({}, {"module": model.rnn}):
        with pytest.raises(ValueError, match="units has 20 ids but .* has 8 hidden units") as info:
            ablation_test(
                model,
                x,
                y,
                unit_entropy=scores,
                units=ids,
                k=2,
                n_random=2,
                n_permutations=9,
                **kwargs,
            )
        assert_clear(info.value)
    with pytest.raises(ValueError, match="scores 20 units but the recurrent layer"):
        ablation_test(model, x, y, unit_entropy=np.arange(20.0), k=2, n_random=2, n_permutations=9)
    bad = [
        (dict(k=0), "k must be a positive integer"),
        (dict(k=2.5), "k must be a positive integer"),
        (dict(alpha=float("nan")), "alpha must be a number in"),
        (dict(seed=1.5), "seed must be None"),
        (dict(y=y[:-1]), "one entry per sequence of X"),
        (dict(unit_entropy=np.full(8, np.nan)), "NaN or infinite scores"),
        (dict(lengths=np.full(len(x), 99)), "between 1 and the 8 timesteps"),
    ]
    for change, match in bad:
        args = dict(
            model=model, X=x, y=y, unit_entropy=np.arange(8.0), k=2, n_random=2, n_permutations=9
        )
        args.update(change)
        with pytest.raises((ValueError, TypeError), match=match) as info:
            ablation_test(**args)
        assert_clear(info.value)
    res = ablation_test(
        model, x, y, unit_entropy=scores[:8], units=ids[:8], k=2, n_random=2, n_permutations=9
    )
    assert res.top_units == ["u7", "u6"]


def test_top_vs_bottom_permutation_test_and_p_value_floor():
    U = 20
    w = np.full(U, 0.05)
    w[3], w[11] = 5.0, 4.0
    x, y = _vote_data(w, n=400)
    ent = pd.Series(w, index=[str(i) for i in range(U)])
    res = ablation_test(WeightedVote(w), x, y, unit_entropy=ent, k=2, single_unit=False)
    assert res.n_permutations == 199 and len(res.random_drops) == 199
    # top-2 carries the decision: no random pair of disjoint sets differs as much
    assert res.top_vs_bottom_p <= 0.02  # measured: 0.01 (one tie in 199 draws); floor 1 / 200
    assert res.p_value <= 0.01  # the default of 199 random sets lets it go below 0.01
    assert "permutation p" in res.summary
    rev = ablation_test(WeightedVote(w), x, y, unit_entropy=-w, k=2, n_random=20, single_unit=False)
    assert rev.top_vs_bottom_p > 0.5 and not rev.high_entropy_matters_more
    big = ablation_test(
        WeightedVote(w), x, y, unit_entropy=ent, k=11, n_random=5, single_unit=False
    )
    assert np.isnan(big.top_vs_bottom_p) and big.n_permutations == 0
