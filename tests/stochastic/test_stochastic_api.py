"""``toymodels.stochastic``: exact averages against hand-written loops, the epoch recursion against
the enumeration, shapes, refusals, divergence, and property tests on random quadratics
(hypothesis). The references here are written out with ``itertools`` and numpy, never read from
the library."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as hst

import toymodels as tm
from toymodels import stochastic as st
from toymodels.models import sgd_quadratics as q

TH0 = np.array(q.RESHUFFLING_THETA0)


def hand_average(grad, th0, eta, sequences):
    """Mean and population covariance of SGD over index sequences; grad(θ, batch) → ∇L_B."""
    finals = []
    for seq in sequences:
        th = np.array(th0, float)
        for batch in seq:
            th = th - eta * grad(th, list(batch))
        finals.append(th)
    f = np.array(finals)
    return f.mean(0), np.cov(f.T, bias=True).reshape(len(th0), len(th0))


def quad_grad(H, b):
    return lambda th, B: H[B].mean(0) @ th + b[B].mean(0)


def rr(n, b, epochs=1):
    K = n // b
    one = [[p[j * b : (j + 1) * b] for j in range(K)] for p in itertools.permutations(range(n))]
    for seqs in itertools.product(one, repeat=epochs):
        yield [B for s in seqs for B in s]


# ------------------------------------------------------------------------ exact averages
@pytest.mark.parametrize(
    ("n", "b", "epochs"), [(4, 1, 1), (4, 1, 2), (5, 2, 1), (6, 4, 1), (3, 3, 2)]
)
def test_rr_average_is_the_permutation_loop(n, b, epochs):
    H, bb = q.random_quadratics(n, 2, hbar=[1.0, -0.3], seed=n + b)
    model = q.per_sample_quadratic(H, bb)
    th0 = [0.3, -0.8]
    ea = st.epoch_average(model, th0, 0.2, batch_size=b, epochs=epochs)
    mean, cov = hand_average(quad_grad(H, bb), th0, 0.2, rr(n, b, epochs))
    np.testing.assert_allclose(ea.mean, mean, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ea.covariance, cov, rtol=0, atol=1e-14)
    assert ea.n_sequences == st.sequence_count(n, epochs * (n // b), batch_size=b)
    assert ea.steps == epochs * (n // b) and ea.steps_per_epoch == n // b


@pytest.mark.parametrize("sampling", ["with_replacement", "independent_subsets"])
def test_iid_schemes_are_the_product_loop(sampling):
    H, bb = q.random_quadratics(4, 2, seed=3)
    model = q.per_sample_quadratic(H, bb)
    if sampling == "with_replacement":
        batches = list(itertools.product(range(4), repeat=2))
    else:
        batches = list(itertools.combinations(range(4), 2))
    ea = st.epoch_average(model, [1.0, 0.5], [0.1, 0.3], steps=2, batch_size=2, sampling=sampling)
    for i, eta in enumerate((0.1, 0.3)):
        mean, cov = hand_average(
            quad_grad(H, bb), [1.0, 0.5], eta, itertools.product(batches, repeat=2)
        )
        np.testing.assert_allclose(ea.mean[i], mean, rtol=0, atol=1e-14)
        np.testing.assert_allclose(ea.covariance[i], cov, rtol=0, atol=1e-14)
    assert ea.n_sequences == len(batches) ** 2


def test_any_model_the_tanh_net():
    rng = np.random.default_rng(5)
    X, Y = rng.normal(size=4), rng.normal(size=4)
    model = tm.Model.from_sympy("(a*tanh(w*x) - y)**2/2", params=("a", "w"), data={"x": X, "y": Y})

    def grad(th, B):
        a, w = th
        t = np.tanh(w * X[B])
        r = a * t - Y[B]
        return np.array([np.mean(r * t), np.mean(r * a * (1 - t**2) * X[B])])

    ea = st.epoch_average(model, [0.7, 1.2], 0.3, batch_size=2, epochs=2)
    mean, cov = hand_average(grad, [0.7, 1.2], 0.3, rr(4, 2, 2))
    np.testing.assert_allclose(ea.mean, mean, rtol=0, atol=1e-14)
    np.testing.assert_allclose(ea.covariance, cov, rtol=0, atol=1e-14)


def test_fixed_order_is_bit_identical_to_sgd_and_batches_like_gd():
    model = q.reshuffling_toy()
    etas = np.array([0.1, 0.3])
    th0 = np.array([TH0, [1.0, -1.0, 0.5]])
    ea = st.epoch_average(model, th0, etas, steps=7, batch_size=1, sampling="fixed_order")
    tr = tm.sgd(model, th0, etas, 7, sampling="fixed_order", record_every=0)
    assert ea.mean.shape == (2, 2, 3) and ea.covariance.shape == (2, 2, 3, 3)
    assert np.array_equal(ea.mean, tr.theta[-1])
    assert ea.n_sequences == 1 and not np.any(ea.covariance)
    gd = tm.gd(model, th0, etas, 7, record_every=0).theta[-1]
    assert np.array_equal(ea.gd, gd)
    np.testing.assert_array_equal(ea.eta, [[0.1, 0.1], [0.3, 0.3]])
    np.testing.assert_array_equal(ea.drift, ea.mean - ea.gd)


def test_full_batch_without_replacement_is_gd():
    model = q.reshuffling_toy()
    ea = st.epoch_average(model, TH0, 0.2, batch_size=4, epochs=3)
    assert ea.n_sequences == 1
    np.testing.assert_allclose(ea.mean, ea.gd, rtol=0, atol=1e-15)


def test_divergence_is_data():
    model = q.reshuffling_toy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ea = st.epoch_average(
            model, TH0, [0.1, 1e3], epochs=40, max_sequences=10**60, sampling="fixed_order"
        )
    assert ea.n_diverged.tolist() == [0, 1]
    assert np.all(np.isfinite(ea.mean[0])) and not np.all(np.isfinite(ea.mean[1]))


# ------------------------------------------------------------------------ counting and refusals
def test_sequence_counts():
    assert st.sequence_count(4, 4) == 24
    assert st.sequence_count(4, 8) == 24**2
    assert st.sequence_count(4, 6) == 24 * 12  # a partial epoch: 4·3 orders of 2 samples
    assert st.sequence_count(6, 3, batch_size=2) == math.factorial(6) // 2**3
    assert st.sequence_count(7, 3, batch_size=2) == math.factorial(7) // 2**3
    assert st.sequence_count(4, 3, sampling="with_replacement", batch_size=2) == 4**6
    assert st.sequence_count(5, 2, sampling="independent_subsets", batch_size=2) == 100
    assert st.sequence_count(5, 9, sampling="fixed_order") == 1
    assert st.sequence_count(4, 0) == 1


def test_too_many_sequences_are_refused_up_front():
    model = q.random_quadratics(10, 2, seed=0)
    m = q.per_sample_quadratic_numpy(*model)
    with pytest.raises(ValueError, match=r"epochs=1 .*3,628,800 index sequences.*max_sequences"):
        st.epoch_average(m, [0.0, 0.0], 0.1)
    with pytest.raises(ValueError, match=r"steps=40 .*about 10\^40 index sequences"):
        st.epoch_average(m, [0.0, 0.0], 0.1, steps=40, sampling="with_replacement")
    with pytest.raises(ValueError, match=r"one epoch .* max_sequences=1,000"):
        st.epoch_moments(m, [0.0, 0.0], 0.1, 5, max_sequences=1000)
    with pytest.raises(ValueError, match="not both"):
        st.epoch_average(m, [0.0, 0.0], 0.1, epochs=1, steps=2)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda m: st.epoch_average("m", TH0, 0.1),
            TypeError,
            "model must be a toymodels.DataModel",
        ),
        (lambda m: st.epoch_average(m, TH0, 0.1, sampling="bogus"), ValueError, "sampling"),
        (lambda m: st.epoch_average(m, TH0, 0.1, batch_size=5), ValueError, "batch_size"),
        (lambda m: st.epoch_average(m, TH0, -0.1), ValueError, "eta"),
        (lambda m: st.epoch_average(m, [np.nan, 0, 0], 0.1), ValueError, "theta0"),
        (lambda m: st.epoch_average(m, TH0, 0.1, epochs=0), ValueError, "epochs"),
        (lambda m: st.epoch_moments(m, TH0, 0.1, -1), ValueError, "epochs"),
        (lambda m: st.epoch_moments(m, TH0, 0.1, 1, rtol=0), ValueError, "rtol"),
        (
            lambda m: st.reshuffling_drift(m, TH0, 0.1, batch_size=2, batches=[[0, 1], [2, 3]]),
            ValueError,
            "not both",
        ),
        (lambda m: st.reshuffling_drift(m, TH0, 0.1, batches=[0, 1]), ValueError, "batches"),
        (lambda m: st.noise_trace(m, TH0, batches=[[0, 7]]), ValueError, "batches"),
        (lambda m: st.noise_trace(m, TH0, batches="ab"), TypeError, "batches"),
        (lambda m: st.resummed_drift(m, TH0, 0.1, curvature_terms=1), TypeError, "curvature_terms"),
        (
            lambda m: st.noise_injected_gd(m, TH0, 0.1, 3, sampling="fixed_order"),
            ValueError,
            "sampling",
        ),
        (lambda m: st.noise_injected_gd(m, TH0, 0.1, 3, seed=-1), ValueError, "seed"),
        (lambda m: st.sequence_count(4, 2, batch_size=0), ValueError, "batch_size"),
    ],
)
def test_bad_arguments_are_named(call, exc, match):
    with pytest.raises(exc, match=match):
        call(q.reshuffling_toy(numpy=True))


# ------------------------------------------------------------------------ the epoch recursion
@pytest.mark.parametrize(
    ("sampling", "b"),
    [
        ("without_replacement", 1),
        ("without_replacement", 2),
        ("with_replacement", 1),
        ("independent_subsets", 2),
    ],
)
def test_epoch_moments_equal_the_enumeration(sampling, b):
    model = q.reshuffling_toy()
    th0 = np.array([TH0, [0.0, 1.0, -1.0]])
    em = st.epoch_moments(model, th0, [0.1, 0.6], 3, batch_size=b, sampling=sampling)
    assert em.mean.shape == (4, 2, 2, 3) and em.covariance.shape == (4, 2, 2, 3, 3)
    np.testing.assert_array_equal(em.mean[0], np.broadcast_to(th0, (2, 2, 3)))
    assert not np.any(em.covariance[0])
    etas = np.array([0.1, 0.6])
    for ep in (1, 2):
        # two epochs with replacement are 4^8 sequences: one member (η = 0.6, θ0[1]) suffices
        i = slice(1, 2) if (ep == 2 and sampling == "with_replacement") else slice(None)
        ea = st.epoch_average(model, th0[i], etas[i], epochs=ep, batch_size=b, sampling=sampling)
        # rounding: a few hundred operations on numbers ≤ 10 (η = 0.6 grows the spread)
        np.testing.assert_allclose(em.mean[ep][i, i], ea.mean, rtol=0, atol=1e-12)
        np.testing.assert_allclose(em.covariance[ep][i, i], ea.covariance, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(em.gd[ep][i, i], ea.gd)
    assert em.affine_residual < 1e-12
    assert em.epochs == 3 and em.steps_per_epoch == 4 // b


def test_epoch_moments_refuse_a_non_quadratic_model():
    rng = np.random.default_rng(6)
    model = tm.Model.from_sympy(
        "(a*tanh(w*x) - y)**2/2",
        params=("a", "w"),
        data={"x": rng.normal(size=3), "y": rng.normal(size=3)},
    )
    with pytest.raises(ValueError, match="model: epoch_moments needs per-sample quadratic"):
        st.epoch_moments(model, [0.5, 0.5], 0.1, 2)


# ------------------------------------------------------------------------ drift functions
def test_drift_shapes_and_the_noise_trace_identity():
    model = q.reshuffling_toy()
    th = np.random.default_rng(2).normal(size=(5, 3))
    d = st.reshuffling_drift(model, th, [0.1, 0.2])
    assert d.shape == (2, 5, 3)
    np.testing.assert_allclose(d[1], 4 * d[0], rtol=1e-14)  # ∝ η²
    gN = st.noise_trace_gradient(model, th)
    np.testing.assert_allclose(d[0], -(0.01 * 4 / 4) * gN, rtol=1e-13, atol=1e-17)
    assert st.noise_trace(model, th).shape == (5,)
    # batch size 2 (K = 2 steps of n = 4): the finite-population factor K(K − 1)/(4(n − 1)) = 1/6
    d2 = st.reshuffling_drift(model, th, 0.1, batch_size=2)
    np.testing.assert_allclose(d2, -(0.01 / 6) * gN, rtol=1e-13, atol=1e-17)
    # fixed batches: m = 2 units
    B = np.array([[0, 1], [2, 3]])
    db = st.reshuffling_drift(model, th, 0.1, batches=B)
    np.testing.assert_allclose(
        db, -(0.01 * 2 / 4) * st.noise_trace_gradient(model, th, batches=B), rtol=1e-13, atol=1e-17
    )
    # one batch: no reshuffling, no drift
    np.testing.assert_array_equal(
        st.reshuffling_drift(model, th, 0.1, batches=[[0, 1, 2, 3]]), 0 * th
    )


def test_pure_evaluations_take_nan_without_warnings():
    model = q.reshuffling_toy()
    th = np.array([[np.nan, 0.0, 0.0], TH0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (st.noise_trace, st.noise_trace_gradient):
            out = f(model, th)
            assert not np.all(np.isfinite(out[0])) and np.all(np.isfinite(out[1]))
        out = st.reshuffling_drift(model, th, 0.1)
        assert not np.all(np.isfinite(out[0])) and np.all(np.isfinite(out[1]))


def test_resummed_drift_tends_to_the_small_eta_drift():
    model = q.reshuffling_toy()
    etas = np.array([1e-2, 1e-3])
    rel = [
        np.linalg.norm(st.resummed_drift(model, TH0, e) - st.reshuffling_drift(model, TH0, e))
        / np.linalg.norm(st.reshuffling_drift(model, TH0, e))
        for e in etas
    ]
    assert rel[1] < 0.2 * rel[0] and rel[1] < 1e-2  # O(η) relative difference
    both = st.resummed_drift(model, np.array([TH0, -TH0]), [0.1, 0.5])
    assert both.shape == (2, 2, 3)
    for i, e in enumerate((0.1, 0.5)):
        for j, th in enumerate((TH0, -TH0)):
            np.testing.assert_allclose(both[i, j], st.resummed_drift(model, th, e), rtol=1e-13)
    # batch size 2 and fixed batches run (K = 2)
    assert st.resummed_drift(model, TH0, 0.1, batch_size=2).shape == (3,)
    assert st.resummed_drift(model, TH0, 0.1, batches=[[0, 1], [2, 3]]).shape == (3,)


# ------------------------------------------------------------------------ noise-injected GD
def test_noise_injected_gd_batching_and_seeds():
    model = q.reshuffling_toy()
    etas = [0.05, 0.2]
    grid = st.noise_injected_gd(model, TH0, etas, 30, batch_size=2, seed=[1, 4])
    assert grid.theta.shape == (31, 2, 2, 3) and grid.eta.shape == (2, 2)
    for j, s in enumerate((1, 4)):
        for i, e in enumerate(etas):
            alone = st.noise_injected_gd(model, TH0, e, 30, batch_size=2, seed=s)
            assert np.array_equal(grid.theta[:, j, i], alone.theta)
    again = st.noise_injected_gd(model, TH0, etas, 30, batch_size=2, seed=[1, 4])
    assert np.array_equal(grid.theta, again.theta)
    assert not np.array_equal(grid.theta[:, 0], grid.theta[:, 1])
    # the noise stream does not depend on its block size (min(64, steps)): a 30-step run (one
    # block of 30) is the start of a 150-step run (blocks of 64)
    short = st.noise_injected_gd(model, TH0, 0.05, 30, seed=2)
    long = st.noise_injected_gd(model, TH0, 0.05, 150, seed=2)
    assert np.array_equal(short.theta, long.theta[:31])


def test_noise_injected_gd_without_noise_is_gd():
    model = q.reshuffling_toy()
    # b = n without replacement: the finite-population factor is 0
    ni = st.noise_injected_gd(model, TH0, [0.1, 0.3], 20, batch_size=4)
    gd = tm.gd(model, TH0, [0.1, 0.3], 20)
    np.testing.assert_allclose(ni.theta, gd.theta, rtol=0, atol=1e-14)


def test_noise_injected_gd_divergence_is_data():
    model = q.reshuffling_toy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = st.noise_injected_gd(model, TH0, [0.1, 50.0], 200, seed=0)
    assert tr.diverged.tolist() == [False, True]
    assert tr.diverged_at[1] > 0 and np.all(np.isnan(tr.theta[-1, 1]))


# ------------------------------------------------------------------------ properties (hypothesis)
quadratics = hst.builds(
    lambda n, d, spd, seed: q.random_quadratics(n, d, spd=spd, seed=seed),
    hst.integers(2, 4),
    hst.integers(1, 3),
    hst.booleans(),
    hst.integers(0, 10**6),
)
etas = hst.floats(0.01, 0.6)


@given(quadratics, etas, hst.integers(1, 4))
def test_property_with_replacement_mean_is_gd(data, eta, steps):
    H, b = data
    model = q.per_sample_quadratic_numpy(H, b)
    th0 = np.linspace(-1, 1, b.shape[1])
    ea = st.epoch_average(model, th0, eta, steps=steps, sampling="with_replacement")
    gd = th0.copy()
    for _ in range(steps):
        gd = gd - eta * (H.mean(0) @ gd + b.mean(0))
    scale = 1 + np.max(np.abs(gd))
    np.testing.assert_allclose(ea.mean, gd, rtol=0, atol=1e-12 * scale)


@given(quadratics, etas, hst.sampled_from([1, 2]))
def test_property_rr_average_is_the_permutation_loop(data, eta, b):
    H, bb = data
    n = len(bb)
    b = min(b, n)
    model = q.per_sample_quadratic_numpy(H, bb)
    th0 = np.linspace(1, -1, bb.shape[1])
    ea = st.epoch_average(model, th0, eta, batch_size=b)
    mean, cov = hand_average(quad_grad(H, bb), th0, eta, rr(n, b))
    scale = 1 + np.max(np.abs(mean))
    np.testing.assert_allclose(ea.mean, mean, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(ea.covariance, cov, rtol=0, atol=1e-13 * scale**2)


@given(quadratics, hst.integers(0, 10**6))
def test_property_drift_is_minus_eta2_m_over_4_grad_noise_trace(data, seed):
    H, b = data
    model = q.per_sample_quadratic_numpy(H, b)
    n, d = b.shape
    th = np.random.default_rng(seed).normal(size=d)
    eta = 0.1
    drift = st.reshuffling_drift(model, th, eta)
    g = H @ th + b
    ref = -(eta**2 / 2) * np.einsum("kij,kj->i", H - H.mean(0), g - g.mean(0))
    np.testing.assert_allclose(drift, ref, rtol=1e-12, atol=1e-15)
    # Tr Cov is quadratic in θ here: central differences are exact up to rounding
    h = 1e-3
    fd = np.array(
        [
            (st.noise_trace(model, th + h * e) - st.noise_trace(model, th - h * e)) / (2 * h)
            for e in np.eye(d)
        ]
    )
    np.testing.assert_allclose(-(eta**2) * n / 4 * fd, drift, rtol=1e-6, atol=1e-10)


@given(quadratics, etas)
def test_property_epoch_moments_equal_the_enumeration(data, eta):
    H, b = data
    model = q.per_sample_quadratic_numpy(H, b)
    th0 = np.full(b.shape[1], 0.5)
    em = st.epoch_moments(model, th0, eta, 2)
    ea = st.epoch_average(model, th0, eta, epochs=2)
    scale = 1 + np.max(np.abs(ea.mean))
    np.testing.assert_allclose(em.mean[2], ea.mean, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(em.covariance[2], ea.covariance, rtol=0, atol=1e-12 * scale**2)
