"""Claims: the two-layer ReLU net on the sparse-coding task of Ahn et al. (threshold neurons).

Ahn, Bubeck, Chewi, Lee, Suarez, Zhang, "Learning threshold neurons via the edge of stability"
(NeurIPS 2023, arXiv 2212.07469). Only the abstract and the start of the Fig. 1 caption could be
read ("d=200, n=300, λ=3", GD with the logistic loss on a ReLU network (2)); the network form, the
init, the width and T are reconstructions, and the mean-model constant ¼ΣḠ² and the prediction
η_mean = 2/(curvature along the mean direction) are the brief's derivation
(research brief ``threshold_neurons.md`` §1.3 B, §4.3, C9), not the paper's. Hence the
"reconstruction" in ``where``.

The Fig. 1 message ("large step sizes give better test accuracy", fresh test samples) is
verified only in one reconstructed setting (``FIG1_SETTING``): a sign-symmetric ("odd") net whose
first layer starts on the sparse-coding basis (w_i = e_i, then trained), with ONE shared
second-layer weight α and ONE shared bias β — the structure of the paper's mean model. In the
generic net of the brief (plain ReLU, Gaussian first layer, free a and b) the large-step runs do
learn negative biases but the net memorises the 300 samples and stays at chance: that version is
kept as a strict xfail with the measured accuracies.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import toymodels as tm
from toymodels.models.threshold_net import (
    FIG1_SETTING,
    ReluNet,
    SparseCodingData,
    fig1_setting,
    predicted_threshold,
    test_accuracy,
    train,
)

PAPER = "Ahn, Bubeck, Chewi, Lee, Suarez, Zhang (NeurIPS 2023)"
D, N, LAM = 200, 300, 3.0
TEST_SEED = 4242  # fresh test samples: never a training seed

FIG1 = FIG1_SETTING + "; T = 200, data seed 0, 5000 fresh test samples"


@pytest.fixture(scope="module")
def data():
    return SparseCodingData(d=D, lam=LAM, noise=1.0)


@pytest.fixture(scope="module")
def net50():
    return ReluNet(D, 50)


def _setup(data, net, seed):
    X, y = data.sample(N, seed)
    return X, y, net.init(seed)


# ------------------------------------------------------------------------------ plumbing


@pytest.mark.parametrize("variant", ["plain", "odd"])
def test_gradient_matches_finite_differences(variant):
    data = SparseCodingData(d=12)
    X, y = data.sample(40, 0)
    net = ReluNet(12, 5, variant)
    th = net.init(1, bias=0.1) + 0.3 * np.random.default_rng(2).standard_normal(net.n_params)
    g = net.grad(th, X, y)
    h = 1e-6
    eye = np.eye(net.n_params)
    fd = np.array(
        [(net.loss(th + h * e, X, y) - net.loss(th - h * e, X, y)) / (2 * h) for e in eye]
    )
    assert np.max(np.abs(g - fd)) <= 1e-7 * np.max(np.abs(g))
    # batched over leading axes: a (2, 3, P) stack gives the per-θ values
    stack = th + 0.01 * np.random.default_rng(3).standard_normal((2, 3, net.n_params))
    gs = net.grad(stack, X, y)
    assert gs.shape == stack.shape
    np.testing.assert_allclose(gs[1, 2], net.grad(stack[1, 2], X, y), rtol=1e-13, atol=1e-15)
    assert net.loss(stack, X, y).shape == (2, 3)


def test_dense_hessian_small_net_and_refusal(data):
    sd = SparseCodingData(d=6)
    X, y = sd.sample(30, 1)
    net = ReluNet(6, 3, "plain")
    th = net.init(0, bias=0.2)
    model = net.model(X, y)
    H = model.hessian(th)
    v = np.random.default_rng(0).standard_normal(net.n_params)
    np.testing.assert_allclose(H @ v, net.hvp(th, v, X, y), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(H, H.T)
    Xb, yb = data.sample(N, 0)
    with pytest.raises(ValueError, match="P <= 5000"):
        ReluNet(D, 50).model(Xb, yb).hessian(ReluNet(D, 50).init(0))


def test_batched_over_eta_equals_per_eta_runs_bit_for_bit(data):
    net = ReluNet(D, 20, "plain")
    X, y, th0 = _setup(data, net, 0)
    eta = np.array([0.3, 1.0, 2.5, 400.0])  # the last member diverges
    out = train(net, X, y, eta, 40, th0, record_every=7)
    assert out["diverged"].tolist() == [False, False, False, True]
    for i, e in enumerate(eta):
        one = train(net, X, y, eta[i : i + 1], 40, th0, record_every=7)
        assert np.array_equal(one["theta"][0], out["theta"][i], equal_nan=True)
        assert one["diverged_at"][0] == out["diverged_at"][i]
        for key in ("loss", "train_acc", "bias_mean", "bias_min", "mean_output"):
            assert np.array_equal(one[key][:, 0], out[key][:, i], equal_nan=True), (e, key)
    # diverged member: NaN after diverged_at, finite before
    k = int(out["diverged_at"][3])
    assert np.all(np.isnan(out["loss"][out["steps"] >= k, 3]))
    assert np.all(np.isfinite(out["loss"][out["steps"] < k, 3]))
    # the toymodels.Model twin runs the same GD
    tr = tm.gd(net.model(X, y), th0, eta[:3], 40, record_every=0)
    np.testing.assert_allclose(tr.final, out["theta"][:3], rtol=1e-12, atol=1e-14)


def test_tied_second_layer_and_bias_are_scalar_gd(data):
    net = ReluNet(D, 8, "odd", second_layer="tied", biases="tied")
    X, y = data.sample(60, 3)
    th0 = net.init(0, a_signs="balanced")
    out = train(net, X, y, np.array([0.05, 0.2]), 30, th0, record_every=30)
    _, b, a = net.split(out["theta"])
    s = np.sign(net.split(th0)[2])
    assert np.allclose(a * s, (a * s)[:, :1], rtol=0, atol=1e-15)
    assert np.allclose(b, b[:, :1], rtol=0, atol=1e-15)
    frozen = ReluNet(D, 8, "odd", second_layer="frozen", train_w=False)
    o2 = train(frozen, X, y, np.array([0.5]), 10, th0, record_every=10)
    W0, _, a0 = frozen.split(th0)
    W1, _, a1 = frozen.split(o2["theta"][0])
    assert np.array_equal(W0, W1) and np.array_equal(a0, a1)


def test_predicted_threshold_is_two_over_rayleigh(data, net50):
    X, y, th0 = _setup(data, net50, 0)
    p = predicted_threshold(net50, th0, X, y, lanczos_iters=40)
    rq = float(net50.rayleigh_mean(th0, X, y))
    assert p.eta_mean == 2.0 / rq
    # f is linear in a, so along the mean direction vᵀHv = mean ℓ''(yf)(v_a·φ)² exactly
    v = net50.mean_direction(th0, X)
    va = net50.split(v)[2]
    s = y * net50.output(th0, X)
    lpp = 1.0 / (2.0 + 2.0 * np.cosh(s))
    exact = float(np.mean(lpp * (net50.features(th0, X) @ va) ** 2))
    assert abs(rq - exact) <= 1e-7 * exact
    # λ_max bounds every Rayleigh quotient; the Lanczos estimate is converged here
    assert p.top >= rq * (1 - 1e-6)
    assert p.top_residual <= 1e-6 * p.top
    assert p.eta_top == 2.0 / p.top


# ------------------------------------------------------------------------------ claims


@pytest.mark.claim(
    paper=PAPER,
    where="mean model vs full net, brief C9 (reconstruction: ¼ΣḠ² and η_mean are derived)",
    statement="m=50 plain net (w~N(0,I/d), a=±1/√m, b=0), seeds 0 and 2: the curvature along the "
    "mean direction is within 15% of ¼Σ_iḠ_i²; b̄ after 50 GD steps is > 0 at 0.8·η_mean "
    "and < −0.02 at 1.4·η_mean, η_mean = 2/(that curvature)",
)
@pytest.mark.parametrize("seed", [0, 2])
def test_c9_mean_model_curvature_and_bias_onset(claim, data, net50, seed):
    X, y, th0 = _setup(data, net50, seed)
    p = predicted_threshold(net50, th0, X, y, lanczos_iters=0)
    claim.check(predicted=p.mean_model, measured=p.rayleigh, rtol=0.15, seed=seed)
    out = train(net50, X, y, p.eta_mean * np.array([0.8, 1.4]), 50, th0, record_every=50)
    b_lo, b_hi = out["bias_mean"][-1]
    claim.record(predicted="b̄ > 0 at 0.8η, < −0.02 at 1.4η", measured=[b_lo, b_hi])
    assert b_lo > 0
    assert b_hi < -0.02


@pytest.mark.claim(
    paper=PAPER,
    where="phase transition of the bias, full net (reconstruction: η_mean is the brief's)",
    statement="the root η_c of b̄_T(η) = 0 (T = 50, m = 50, seed 0) lies within [0.8, 1.3]·η_mean, "
    "η_mean = 2/rayleigh_mean(θ_0)",
)
def test_bias_transition_root_vs_mean_model(claim, data, net50):
    # tolerance: the brief measured the crossing between 1.0 and 1.1 η_mean for seeds 0, 2, 3 and
    # ≈15% later for seed 1 (§4.3); here seeds 0-3 give 1.067, 1.072, 1.049, 1.153
    X, y, th0 = _setup(data, net50, 0)
    eta_mean = predicted_threshold(net50, th0, X, y, lanczos_iters=0).eta_mean

    def bbar(r: float) -> float:
        return float(train(net50, X, y, np.array([r * eta_mean]), 50, th0, 50)["bias_mean"][-1, 0])

    ratio = brentq(bbar, 0.8, 1.6, xtol=1e-4)
    claim.record(predicted=1.0, measured=ratio, note="η_c/η_mean; asserted in [0.8, 1.3]")
    assert 0.8 <= ratio <= 1.3


def _fig1_run(data, seed, grid, steps):
    data, X, y, net, th0 = fig1_setting(seed, D, N, LAM)
    eta_mean = predicted_threshold(net, th0, X, y, lanczos_iters=0).eta_mean
    out = train(net, X, y, eta_mean * np.asarray(grid), steps, th0, record_every=steps)
    acc = test_accuracy(net, out["theta"], data, 5000, seed=TEST_SEED)
    return acc, out["bias_mean"][-1]


@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1 (reconstructed setting: basis-aligned init, tied α and β)",
    statement="test accuracy on fresh samples is higher for a step size above the threshold "
    "(4·η_mean) than for step sizes at or below it (0.5, 1·η_mean), by > 5 points; "
    "setting: " + FIG1,
)
def test_fig1_large_steps_generalise_reconstructed_setting(claim, data):
    acc, bias = _fig1_run(data, 0, [0.5, 1.0, 4.0], 200)
    claim.record(
        predicted="acc(4η) > max(acc(0.5η), acc(η)) + 0.05",
        measured=acc,
        bias=bias,
        eta_over_eta_mean=[0.5, 1.0, 4.0],
    )
    claim.note(
        "measured (T=200, seed 0): test acc 0.545/0.552/0.701, shared bias β −0.24/−0.29/−1.98; "
        "1ᵀx (β=0) scores 0.586, the oracle soft threshold at 2.5 scores 0.74. Mechanism: β drops "
        "during the first ~5 steps while α flips sign (catapult-like; β_5 = −0.06/−0.43/−3.1 at "
        "0.8/2/4·η_mean), then W memorises (train acc 1.0) and β freezes"
    )
    assert acc[2] > max(acc[0], acc[1]) + 0.05
    assert bias[2] < -1.0 < bias[1]


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1 (reconstructed setting, 3 data seeds, T = 1000)",
    statement="for each seed, the best test accuracy over η ∈ {3, 3.5, 4}·η_mean beats the best "
    "over η ∈ {0.5, 1}·η_mean by > 5 points (setting as in the fast test, T = 1000)",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fig1_reconstructed_setting_seeds(claim, data, seed):
    acc, bias = _fig1_run(data, seed, [0.5, 1.0, 3.0, 3.5, 4.0], 1000)
    claim.record(predicted="max large > max small + 0.05", measured=acc, bias=bias, seed=seed)
    assert acc[2:].max() > acc[:2].max() + 0.05


@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1, generic net of the brief (plain ReLU, w~N(0,I/d), free a=±1/√m, free b)",
    statement="test accuracy on fresh samples is higher at 3·η_mean than at 0.8·η_mean "
    "(m=50, n=300, T=1000, seed 0)",
)
@pytest.mark.xfail(
    strict=True,
    reason="the net memorises the 300 samples (train acc 1.0) and stays at chance on fresh data "
    "although the large-step run learns negative biases (measured: test 0.505/0.504, "
    "b̄ +0.024/−0.268, train acc 1.0/1.0; "
    "grid 0.25-4·η_mean: 0.501-0.506; m=200, m=1000, a=±1/m frozen, a=1/m, w~N(0,I), T=5000, "
    "n=3000: all ≤ 0.54)",
)
def test_fig1_generic_net_refuted(claim, data, net50):
    X, y, th0 = _setup(data, net50, 0)
    eta_mean = predicted_threshold(net50, th0, X, y, lanczos_iters=0).eta_mean
    out = train(net50, X, y, eta_mean * np.array([0.8, 3.0]), 1000, th0, record_every=1000)
    acc = test_accuracy(net50, out["theta"], data, 5000, seed=TEST_SEED)
    claim.record(
        predicted="acc(3η) > acc(0.8η) + 0.05",
        measured=acc,
        bias_mean=out["bias_mean"][-1],
        train_acc=out["train_acc"][-1],
    )
    assert acc[1] > acc[0] + 0.05
