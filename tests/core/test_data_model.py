"""Data-carrying models (Model.from_sympy(..., data=...), DataModel.from_numpy) and tm.sgd on them.

Every value is compared with a hand-written numpy computation of the same per-sample loss (never
with the library's own output), and the SGD paths with a hand-written loop on the indices the
sampling scheme prescribes.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import toymodels as tm

RNG = np.random.default_rng(12)
N = 7
X = RNG.standard_normal((N, 2))
Y = RNG.standard_normal(N)
EXPR = "(a*(w0*x0 + w1*x1) - y)**2/2 + c*a**4/4"  # per-sample; c is a constant


def _model(**kw) -> tm.DataModel:
    return tm.Model.from_sympy(
        EXPR, params=("a", "w0", "w1"), constants={"c": 0.1}, data={"x": X, "y": Y}, **kw
    )


# hand-written per-sample loss, gradient and Hessian of EXPR (c = 0.1)
def _ref_sample(theta: np.ndarray):
    a, w = theta[0], theta[1:]
    z = X @ w
    r = a * z - Y
    loss = r**2 / 2 + 0.1 * a**4 / 4
    g = np.column_stack([r * z + 0.1 * a**3, r * a * X[:, 0], r * a * X[:, 1]])
    H = np.empty((N, 3, 3))
    H[:, 0, 0] = z**2 + 0.3 * a**2
    for j in range(2):
        H[:, 0, 1 + j] = H[:, 1 + j, 0] = a * z * X[:, j] + r * X[:, j]
        for k in range(2):
            H[:, 1 + j, 1 + k] = a**2 * X[:, j] * X[:, k]
    return loss, g, H


THETA = np.array([0.7, -0.4, 1.3])


def test_full_batch_is_the_mean_of_the_hand_written_per_sample_loss():
    m = _model()
    loss, g, H = _ref_sample(THETA)
    assert isinstance(m, tm.DataModel) and m.n_samples == N
    np.testing.assert_allclose(m.loss(THETA), loss.mean(), rtol=1e-14)
    np.testing.assert_allclose(m.grad(THETA), g.mean(0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(m.hessian(THETA), H.mean(0), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(m.sample_loss(THETA), loss, rtol=1e-14)
    np.testing.assert_allclose(m.sample_grad(THETA), g, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(m.sample_hessian(THETA), H, rtol=1e-13, atol=1e-15)
    # the third-derivative contraction against a central difference of the hand-written Hessian
    u = np.array([0.3, -1.1, 0.5])
    h = 1e-5
    fd = (_ref_sample(THETA + h * u)[2] - _ref_sample(THETA - h * u)[2]).mean(0) @ u / (2 * h)
    np.testing.assert_allclose(m.third(THETA, u), fd, rtol=1e-7, atol=1e-9)


def test_mini_batches_count_repeats_and_take_one_row_per_state():
    m = _model()
    loss, g, H = _ref_sample(THETA)
    idx = [3, 3, 0, 6]
    np.testing.assert_allclose(m.batch_loss(THETA, idx), loss[idx].mean(), rtol=1e-14)
    np.testing.assert_allclose(m.batch_grad(THETA, idx), g[idx].mean(0), rtol=1e-13)
    np.testing.assert_allclose(m.batch_hessian(THETA, idx), H[idx].mean(0), rtol=1e-13)
    # one index row per state
    th2 = np.stack([THETA, THETA + 0.1])
    rows = np.array([[0, 1], [5, 2]])
    got = m.batch_grad(th2, rows)
    for s in range(2):
        want = _ref_sample(th2[s])[1][rows[s]].mean(0)
        np.testing.assert_allclose(got[s], want, rtol=1e-13)
    # subset is the batch loss as a model: its sharpness is λ_max of the batch Hessian
    sub = m.subset(idx)
    assert sub.n_samples == 4
    np.testing.assert_allclose(
        tm.sharpness(sub, THETA), np.linalg.eigvalsh(H[idx].mean(0))[-1], rtol=1e-12
    )


def test_vector_data_binds_columns_with_either_spelling():
    a = tm.Model.from_sympy("(t0*x_0 + t1*x_1 - y)**2", ("t0", "t1"), data={"x": X, "y": Y})
    b = tm.Model.from_sympy("(t0*x0 + t1*x1 - y)**2", ("t0", "t1"), data={"x": X, "y": Y})
    th = np.array([0.2, -0.5])
    want = np.mean((X @ th - Y) ** 2)
    assert a.loss(th) == pytest.approx(want, rel=1e-14)
    assert b.loss(th) == pytest.approx(want, rel=1e-14)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"x": X, "y": Y[:3]}, r"data\['y'\] has 3 samples"),
        ({"x": X, "y": Y, "z": Y}, r"'z' does not occur"),
        ({"x": X, "y": [1.0] * 6 + [np.nan]}, r"data\['y'\] must be finite"),
        ({"x": X, "y": np.zeros((N, 1, 1))}, r"data\['y'\] must have shape"),
        ({"x": X, "y": np.zeros(0)}, r"has no samples|samples but"),
        ({"x": X, "a": Y}, r"'a' is also listed in params"),
        ({}, "data is empty"),
        ({"x": X}, "no value given for the free symbol"),
        ([1, 2], "data must be a mapping"),
        ({"x": "abc", "y": Y}, r"data\['x'\]"),
    ],
)
def test_bad_data_is_named(data, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tm.Model.from_sympy("(a*(w0*x0 + w1*x1) - y)**2", ("a", "w0", "w1"), data=data)


@pytest.mark.parametrize(
    ("idx", "match"),
    [
        ([7], r"in \[0, 7\)"),
        ([-1], r"in \[0, 7\)"),
        ([], "empty batch"),
        ([0.5], "integer"),
        ("0", "integer"),
        (3, "scalar"),
        ([True], "boolean"),
    ],
)
def test_bad_indices_are_named(idx, match):
    with pytest.raises((ValueError, TypeError), match=match):
        _model().batch_grad(THETA, idx)


def test_from_numpy_per_sample_twins_match_the_sympy_model():
    m = _model()

    def sl(th, idx):
        return np.stack(
            [
                _ref_sample(t)[0][i]
                for t, i in zip(th, np.broadcast_to(idx, (len(th), idx.shape[-1])), strict=True)
            ]
        )

    def sg(th, idx):
        return np.stack(
            [
                _ref_sample(t)[1][i]
                for t, i in zip(th, np.broadcast_to(idx, (len(th), idx.shape[-1])), strict=True)
            ]
        )

    def sh(th, idx):
        return np.stack(
            [
                _ref_sample(t)[2][i]
                for t, i in zip(th, np.broadcast_to(idx, (len(th), idx.shape[-1])), strict=True)
            ]
        )

    n = tm.DataModel.from_numpy(("a", "w0", "w1"), N, sl, sg, sh)
    th = np.stack([THETA, -THETA])
    np.testing.assert_allclose(n.loss(th), m.loss(th), rtol=1e-13)
    np.testing.assert_allclose(n.grad(th), m.grad(th), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(n.hessian(th), m.hessian(th), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(n.batch_grad(th, [1, 4]), m.batch_grad(th, [1, 4]), rtol=1e-12)
    # wrong result shapes are refused, never broadcast
    with pytest.raises(ValueError, match="sample_grad must return shape"):
        tm.DataModel.from_numpy(("a", "w0", "w1"), N, sl, lambda th, i: sg(th, i)[:, 0], sh)


# ------------------------------------------------------------------------------------- sgd
def _hand_sgd(theta0, eta, batches):
    th = np.array(theta0, dtype=float)
    out = [th.copy()]
    for b in batches:
        th = th - eta * _ref_sample(th)[1][b].mean(0)
        out.append(th.copy())
    return np.array(out)


def _epochs(rng: np.random.Generator, n: int, b: int, steps: int):
    k = n // b
    rows = []
    while len(rows) < steps:
        perm = rng.permutation(n)[: k * b].reshape(k, b)
        rows.extend(perm)
    return rows[:steps]


@pytest.mark.parametrize("sampling", tm.dynamics.SAMPLINGS)
def test_sgd_is_the_hand_written_loop_on_its_documented_index_stream(sampling):
    steps, b, seed = 11, 2, 4
    rng = np.random.default_rng(seed)
    if sampling == "with_replacement":
        rows = list(rng.integers(0, N, size=(steps, b)))
    elif sampling == "independent_subsets":
        rows = [rng.choice(N, b, replace=False) for _ in range(steps)]
    elif sampling == "without_replacement":
        rows = _epochs(rng, N, b, steps)
    else:
        rows = [np.arange(6).reshape(3, 2)[t % 3] for t in range(steps)]
    eta = np.array([0.05, 0.2])
    tr = tm.sgd(_model(), THETA, eta, steps, batch_size=b, sampling=sampling, seed=seed)
    for e, et in enumerate(eta):
        np.testing.assert_allclose(tr.theta[:, e], _hand_sgd(THETA, et, rows), rtol=1e-12)


def test_reshuffling_uses_every_sample_once_per_epoch():
    seen = []
    m = _model()
    # record the batches by differencing: with a model linear in one parameter the step reveals
    # the batch; simpler: one-hot data make the gradient of sample i the unit vector e_i
    one_hot = tm.Model.from_sympy(
        " + ".join(f"t{i}*e{i}" for i in range(5)),
        [f"t{i}" for i in range(5)],
        data={"e": np.eye(5)},
    )
    tr = tm.sgd(one_hot, np.zeros(5), 1.0, 10, batch_size=1, sampling="without_replacement")
    steps = -np.diff(tr.theta, axis=0)  # (10, 5) one-hot rows: the sample of each step
    seen = steps.argmax(axis=1)
    assert np.all(steps.max(axis=1) == 1.0)
    assert sorted(seen[:5]) == list(range(5)) and sorted(seen[5:]) == list(range(5))
    assert m.n_samples == N


def test_a_member_is_bit_identical_alone_and_inside_a_grid():
    m = _model()
    grid = np.linspace(0.01, 0.3, 9)
    for sampling in ("with_replacement", "without_replacement"):
        full = tm.sgd(m, THETA, grid, 40, batch_size=3, sampling=sampling, seed=1)
        for e in (0, 4, 8):
            alone = tm.sgd(m, THETA, grid[e], 40, batch_size=3, sampling=sampling, seed=1)
            assert np.array_equal(full.theta[:, e], alone.theta)
    again = tm.sgd(m, THETA, grid, 40, batch_size=3, sampling="without_replacement", seed=1)
    assert np.array_equal(again.theta, full.theta)
    # a seed list equals the separate runs
    many = tm.sgd(m, THETA, grid[:2], 20, batch_size=2, seed=[3, 8])
    for s, seed in enumerate((3, 8)):
        one = tm.sgd(m, THETA, grid[:2], 20, batch_size=2, seed=seed)
        assert np.array_equal(many.theta[:, s], one.theta)


def test_full_batch_sgd_is_gd_and_divergence_is_data():
    m = _model()
    for sampling in ("without_replacement", "fixed_order", "independent_subsets"):
        s = tm.sgd(m, THETA, [0.1, 0.3], 30, batch_size=N, sampling=sampling, record_every=0)
        g = tm.gd(m, THETA, [0.1, 0.3], 30, record_every=0)
        np.testing.assert_allclose(s.final, g.final, rtol=1e-12)
    big = tm.sgd(m, THETA, [0.1, 50.0], 200, batch_size=2, seed=0)
    assert list(big.diverged) == [False, True] and 0 < big.diverged_at[1] < 50
    assert np.all(np.isfinite(big.theta[:, 0]))


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"sampling": "random"}, "^sampling must be one of"),
        ({"batch_size": N + 1, "sampling": "without_replacement"}, "^batch_size must be <="),
        ({"batch_size": 0}, "^batch_size"),
        ({"seed": -1}, "^seed must be"),
        ({"replace": True}, "^replace is the lower-level"),
        ({"n_samples": 3}, "^n_samples is the data model's"),
    ],
)
def test_bad_sgd_arguments_are_named(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tm.sgd(_model(), THETA, 0.1, 5, **kw)


def test_sgd_on_a_model_without_data_says_what_is_missing():
    plain = tm.Model.from_sympy("(x*y - 1)**2/2", ("x", "y"))
    with pytest.raises(TypeError, match=r"^model must carry data"):
        tm.sgd(plain, [1.0, 1.0], 0.1, 5)
    with pytest.raises(TypeError, match="takes 4 positional arguments"):
        tm.sgd(_model(), THETA, 0.1, 5, 2)


@settings(deadline=None)
@given(
    n=st.integers(2, 6),
    b=st.integers(1, 6),
    seed=st.integers(0, 2**31),
    sampling=st.sampled_from(["without_replacement", "fixed_order"]),
)
def test_epoch_batches_partition_the_samples(n, b, seed, sampling):
    b = min(b, n)
    one_hot = tm.Model.from_sympy(
        " + ".join(f"t{i}*e{i}" for i in range(n)),
        [f"t{i}" for i in range(n)],
        data={"e": np.eye(n)},
    )
    k = n // b
    tr = tm.sgd(one_hot, np.zeros(n), float(b), 2 * k, batch_size=b, sampling=sampling, seed=seed)
    counts = -np.diff(tr.theta, axis=0)  # each step: the batch's one-hot rows summed
    for ep in range(2):
        used = counts[ep * k : (ep + 1) * k].sum(0)
        np.testing.assert_allclose(np.sort(used)[::-1][: k * b], np.ones(k * b), atol=1e-12)
        assert np.isclose(used.sum(), k * b)
    if sampling == "fixed_order":
        assert list(itertools.chain.from_iterable(np.nonzero(r)[0] for r in counts[:k])) == list(
            range(k * b)
        )


@pytest.mark.parametrize("sampling", tm.dynamics.SAMPLINGS)
def test_index_blocks_do_not_change_the_run(monkeypatch, sampling):
    # the stream is drawn block by block (memory does not grow with steps): blocks of 4 rows
    # (epochs of 3 steps cut across blocks) give the run of one block for the whole stream,
    # seeds and divergence replays included
    import toymodels.dynamics as dyn

    m = _model()
    eta = np.array([0.05, 0.3, 9.0])
    ref = tm.sgd(m, THETA, eta, 50, batch_size=2, sampling=sampling, seed=[2, 5], check_every=1)
    assert ref.diverged[:, 2].all() and not ref.diverged[:, :2].any()
    monkeypatch.setattr(dyn, "_INDEX_BLOCK_BYTES", 8 * 2 * 2 * 4)
    for c in (1, 4, 64):
        tr = tm.sgd(m, THETA, eta, 50, batch_size=2, sampling=sampling, seed=[2, 5], check_every=c)
        np.testing.assert_array_equal(tr.theta, ref.theta)
        np.testing.assert_array_equal(tr.diverged_at, ref.diverged_at)
