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
from toymodels.claims import ClaimDisagreement
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


def mean_curvature_indep(net: ReluNet, theta: np.ndarray, X: np.ndarray, y: np.ndarray):
    """(curvature along the mean direction, 1/4 sum_i G_i^2) computed here from theta by hand.

    f is linear in a, so the a-block of the Hessian is mean_k l2(y_k f_k) phi_k phi_k^T exactly,
    l2(t) = 1/(2 + 2cosh t) for l(t) = log(1 + e^-t); along the unit direction a ~ G (free a)
    this is mean l2 (phi.G/|G|)^2. With a tied second layer (a = alpha sign(a)) GD sees
    d2L/dalpha2 = mean l2 (phi.sign(a))^2. No library curvature helper (FD-HVP,
    mean_direction) is used.
    """
    m, d = net.m, net.d
    W = theta[: m * d].reshape(m, d)
    b = theta[m * d : m * d + m]
    a = theta[m * d + m :]
    h = X @ W.T
    phi = np.maximum(h + b, 0.0)
    if net.variant == "odd":
        phi = phi - np.maximum(b - h, 0.0)
    f = phi @ a
    lpp = 1.0 / (2.0 + 2.0 * np.cosh(y * f))
    G = phi.mean(axis=0)
    direction = np.where(a < 0, -1.0, 1.0) if net.second_layer == "tied" else G / np.linalg.norm(G)
    F = phi @ direction
    return float(np.mean(lpp * F * F)), 0.25 * float(G @ G)


# the library's eta_mean = 2/rayleigh_mean is a central difference (eps = 1e-4) of the gradient
# along a direction in which f is linear: its error is O(eps^2 * 4th derivative of l) relative,
# measured <= 6e-9 (plain net) and 2.2e-7 (tied Fig. 1 net) against the closed form above, so
# rtol 1e-6 (the x1.2 mutant of eta_mean is 2e5 times that)
ETA_MEAN_RTOL = 1e-6


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
    where="mean model vs full net, brief C9 (reconstructed net; the 15% band and the bias signs "
    "are the brief's measurements, ¼ΣḠ² and η_mean its derivation)",
    statement="m=50 plain net (w~N(0,I/d), a=±1/√m, b=0), seeds 0 and 2: the curvature along the "
    "mean direction is within 15% of ¼Σ_iḠ_i²; b̄ after 50 GD steps is > 0 at 0.8·η_mean "
    "and < −0.02 at 1.4·η_mean, η_mean = 2/(that curvature), checked against the closed form",
    basis="empirical",
)
@pytest.mark.parametrize("seed", [0, 2])
def test_c9_mean_model_curvature_and_bias_onset(claim, data, net50, seed):
    X, y, th0 = _setup(data, net50, seed)
    p = predicted_threshold(net50, th0, X, y, lanczos_iters=0)
    curv, mean_model = mean_curvature_indep(net50, th0, X, y)
    eta_mean = 2.0 / curv
    # the library's curvature, η_mean and ¼ΣḠ² against the closed forms (tolerances: see
    # ETA_MEAN_RTOL; ¼ΣḠ² is the same sum twice, rounding only)
    claim.check(predicted=curv, measured=p.rayleigh, rtol=ETA_MEAN_RTOL, note="vᵀHv, mean dir.")
    claim.check(predicted=eta_mean, measured=p.eta_mean, rtol=ETA_MEAN_RTOL, note="η_mean")
    claim.check(predicted=mean_model, measured=p.mean_model, rtol=1e-12, note="¼ΣḠ²")
    # the mean model leaves out the fluctuation of ℓ''(yf) and of φ·v around their means; the
    # brief measured 6% below ¼ΣḠ² (1.931 vs 2.051, seeds 0–3 within 11%): its 15% band
    claim.check(predicted=mean_model, measured=curv, rtol=0.15, seed=seed, note="mean model")
    out = train(net50, X, y, eta_mean * np.array([0.8, 1.4]), 50, th0, record_every=50)
    b_lo, b_hi = out["bias_mean"][-1]
    # brief §4.3: +0.014 (sub-threshold fitting drift) and −0.044/−0.047 (seeds 0/2)
    claim.check(predicted=0.0, measured=b_lo, relation=">=", note="b̄_50 at 0.8η_mean")
    claim.check(predicted=-0.02, measured=b_hi, relation="<=", note="b̄_50 at 1.4η_mean")


@pytest.mark.claim(
    paper=PAPER,
    where="phase transition of the bias, full net (reconstructed net; the paper's 'sharp phase "
    "transition' [abstract] located at the brief's mean-model η_mean)",
    statement="the root η_c of b̄_T(η) = 0 (T = 50, m = 50, seed 0) is η_mean = 2/(curvature "
    "along the mean direction at θ_0) within 10%",
    basis="reconstruction",
)
def test_bias_transition_root_vs_mean_model(claim, data, net50):
    X, y, th0 = _setup(data, net50, 0)
    curv, _ = mean_curvature_indep(net50, th0, X, y)
    eta_mean = 2.0 / curv
    lib = predicted_threshold(net50, th0, X, y, lanczos_iters=0).eta_mean
    claim.check(predicted=eta_mean, measured=lib, rtol=ETA_MEAN_RTOL, note="library η_mean")

    def bbar(r: float) -> float:
        return float(train(net50, X, y, np.array([r * eta_mean]), 50, th0, 50)["bias_mean"][-1, 0])

    ratio = brentq(bbar, 0.8, 1.6, xtol=1e-4)
    # tolerance: in T = 50 steps the sub-threshold fitting drift (+0.014 per 50 steps, brief
    # §4.3) must be overcome by an oscillation growing like (1 + 2(η/η_mean − 1))^t, which
    # delays the crossing by ≈ ln(amplitude ratio)/(2T) ≈ 0.05 above η_mean; the brief measured
    # 1.05–1.15 over seeds 0–3 (here seed 0: 1.067). 0.1 is that offset bound; brentq's xtol
    # 1e-4 is negligible. The old window [0.8, 1.3] did not see a 20% error in η_mean
    claim.check(predicted=1.0, measured=ratio, tol=0.1, note="η_c/η_mean")


def _fig1_run(claim, seed, grid, steps):
    data, X, y, net, th0 = fig1_setting(seed, D, N, LAM)
    eta_mean = 2.0 / mean_curvature_indep(net, th0, X, y)[0]  # d2L/dalpha2, closed form
    lib = predicted_threshold(net, th0, X, y, lanczos_iters=0).eta_mean
    claim.check(predicted=eta_mean, measured=lib, rtol=ETA_MEAN_RTOL, note="library eta_mean")
    out = train(net, X, y, eta_mean * np.asarray(grid), steps, th0, record_every=steps)
    acc = test_accuracy(net, out["theta"], data, 5000, seed=TEST_SEED)
    return acc, out["bias_mean"][-1]


@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1 (reconstructed setting: basis-aligned init, tied α and β)",
    statement="test accuracy on fresh samples is higher for a step size above the threshold "
    "(4·η_mean) than for step sizes at or below it (0.5, 1·η_mean), by > 5 points; "
    "setting: " + FIG1,
    basis="reconstruction",
)
def test_fig1_large_steps_generalise_reconstructed_setting(claim, data):
    acc, bias = _fig1_run(claim, 0, [0.5, 1.0, 4.0], 200)
    # the paper's message read as a margin of 5 points (Fig. 1's accuracy axis was not read)
    claim.check(
        predicted=0.05,
        measured=float(acc[2] - max(acc[0], acc[1])),
        relation=">=",
        note="acc(4η_mean) − max(acc(0.5η_mean), acc(η_mean))",
        acc=acc,
        eta_over_eta_mean=[0.5, 1.0, 4.0],
    )
    # the large step learns the threshold neuron (β < −1), the small ones do not (β > −1)
    claim.check(predicted=-1.0, measured=float(bias[2]), relation="<=", note="β at 4η_mean")
    claim.check(predicted=-1.0, measured=float(bias[1]), relation=">=", note="β at η_mean")
    claim.note(
        "measured (T=200, seed 0): test acc 0.545/0.552/0.701, shared bias β −0.24/−0.29/−1.98; "
        "1ᵀx (β=0) scores 0.586, the oracle soft threshold at 2.5 scores 0.74. Mechanism: β drops "
        "during the first ~5 steps while α flips sign (catapult-like; β_5 = −0.06/−0.43/−3.1 at "
        "0.8/2/4·η_mean), then W memorises (train acc 1.0) and β freezes"
    )


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1 (reconstructed setting, 3 data seeds, T = 1000)",
    statement="for each seed, the best test accuracy over η ∈ {3, 3.5, 4}·η_mean beats the best "
    "over η ∈ {0.5, 1}·η_mean by > 5 points (setting as in the fast test, T = 1000)",
    basis="reconstruction",
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fig1_reconstructed_setting_seeds(claim, data, seed):
    acc, bias = _fig1_run(claim, seed, [0.5, 1.0, 3.0, 3.5, 4.0], 1000)
    claim.check(
        predicted=0.05,
        measured=float(acc[2:].max() - acc[:2].max()),
        relation=">=",
        note="max acc over {3, 3.5, 4}η_mean − max over {0.5, 1}η_mean",
        acc=acc,
        bias=bias,
        seed=seed,
    )


@pytest.mark.claim(
    paper=PAPER,
    where="Fig. 1, generic net of the brief (plain ReLU, w~N(0,I/d), free a=±1/√m, free b)",
    statement="test accuracy on fresh samples is higher at 3·η_mean than at 0.8·η_mean "
    "(m=50, n=300, T=1000, seed 0)",
    basis="reconstruction",
)
@pytest.mark.xfail(
    strict=True,
    raises=ClaimDisagreement,
    reason="the net memorises the 300 samples (train acc 1.0) and stays at chance on fresh data "
    "although the large-step run learns negative biases (measured: test 0.505/0.504, "
    "b̄ +0.024/−0.268, train acc 1.0/1.0; "
    "grid 0.25-4·η_mean: 0.501-0.506; m=200, m=1000, a=±1/m frozen, a=1/m, w~N(0,I), T=5000, "
    "n=3000: all ≤ 0.54)",
)
def test_fig1_generic_net_refuted(claim, data, net50):
    X, y, th0 = _setup(data, net50, 0)
    eta_mean = 2.0 / mean_curvature_indep(net50, th0, X, y)[0]
    out = train(net50, X, y, eta_mean * np.array([0.8, 3.0]), 1000, th0, record_every=1000)
    acc = test_accuracy(net50, out["theta"], data, 5000, seed=TEST_SEED)
    # the same 5-point reading of Fig. 1 as in the reconstructed setting
    claim.check(
        predicted=0.05,
        measured=float(acc[1] - acc[0]),
        relation=">=",
        note="acc(3η_mean) − acc(0.8η_mean)",
        acc=acc,
        bias_mean=out["bias_mean"][-1],
        train_acc=out["train_acc"][-1],
    )
