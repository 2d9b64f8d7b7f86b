"""Claims: diagonal linear networks β = u ⊙ v, step-size-dependent implicit bias and the edge of
stability (brief §C, claims C1–C8).

Even, Pesme, Gunasekar, Flammarion (NeurIPS 2023, arXiv 2302.08982): GD and SGD with macroscopic
step sizes converge, their limits solve an implicit-regularisation problem, large steps help SGD
recover sparse vectors but can hinder GD, most strongly in an edge-of-stability window just below
divergence. Only the abstract could be read (brief §C, source status), so ``where`` quotes the
abstract or says "derived (brief C.1)" for the brief's closed forms (re-checked here).

Setting (brief §C.2, copied from a third-party reproduction): n = 20, d = 30, s = 3, α = 0.1,
seed 1234 (``sparse_regression()``), u0 = √2α, v0 = 0, L = ‖X(u ⊙ v) − y‖²/(2n). Predictions
come from the library's closed forms (``closed_form``, ``hypentropy_interpolator``,
``interpolator_sharpness``) and direct numpy; measurements from ``tm.gd`` / ``tm.sgd`` and dense
Hessian spectra.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models.diagonal_linear import (
    DiagonalLinear,
    hypentropy_interpolator,
    sparse_regression,
)

PAPER = "Even, Pesme, Gunasekar, Flammarion (NeurIPS 2023)"
DERIVED = "derived (brief C.1)"
ABS_BIAS = "abstract: 'characterise their solutions through an implicit regularisation problem'"
ABS_GD = "abstract: large stepsizes 'can hinder the recovery of sparse solutions for GD'"
ABS_SGD = "abstract: 'large stepsizes consistently benefit SGD for sparse regression problems'"
ABS_EOS = (
    "abstract: 'magnified for stepsizes in a tight window just below the divergence threshold, "
    "in the edge of stability regime'"
)

ALPHA = 0.1
SQRT2 = float(np.sqrt(2.0))
#: GD step sizes of the main batched run: stable regime (<= 0.3) and EoS window (0.4 - 0.65)
GAMMAS = np.array([0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65])
STABLE = np.array([0.01, 0.1, 0.3])
EOS = np.array([0.4, 0.45, 0.5, 0.55, 0.6])
GD_STEPS = 300_000  # γ = 0.65 reaches loss 1e-20 at ~1.4e5 steps, γ = 0.01 is at loss ~1e-13
CONVERGED = 1e-20  # loss threshold for "converged" (brief: 1e-22 or 4e5 steps)
SGD_GAMMAS = np.array([0.002, 0.01, 0.06])


@functools.cache
def problem() -> tuple[DiagonalLinear, np.ndarray]:
    """(DiagonalLinear(X, y, α = 0.1), β*) on the brief's data (n = 20, d = 30, s = 3, 1234)."""
    X, y, beta_star = sparse_regression(n=20, d=30, s=3, seed=1234)
    return DiagonalLinear(X, y, ALPHA), beta_star


def idx(gammas: np.ndarray, grid: np.ndarray = GAMMAS) -> np.ndarray:
    return np.array([int(np.argmin(np.abs(grid - g))) for g in np.atleast_1d(gammas)])


def perturbed_inits(net: DiagonalLinear, m: int, seed: int = 7) -> np.ndarray:
    """m copies of u0 = √2α, v0 = 0 with u0 multiplied by 1 + 1e-12·N(0, 1) (rounding-size)."""
    rng = np.random.default_rng(seed)
    th = np.tile(net.init(), (m, 1))
    th[:, : net.d] *= 1 + 1e-12 * rng.standard_normal((m, net.d))
    return th


def init_by_hand(net: DiagonalLinear) -> np.ndarray:
    """The brief's initialisation u0 = √2·α (every coordinate), v0 = 0, written out here (the
    library's ``net.init()`` is pinned to it by test_symbolic_matches_numpy_twins)."""
    return np.concatenate([np.full(net.d, SQRT2 * ALPHA), np.zeros(net.d)])


@pytest.fixture(scope="module")
def gd_grid():
    """One batched GD run over GAMMAS, 3e5 steps, recorded every 500 steps, from the brief's
    init built here: the claims on this grid (C2-C5, C8, headline) are about that setting, so a
    wrong ``net.init()`` must not silently move them to another one (mutation runner: with
    u0 = √2.02α they all stayed verified while their numbers moved)."""
    net, _ = problem()
    tr = tm.gd(net.model, init_by_hand(net), GAMMAS, GD_STEPS, record_every=500)
    assert not tr.diverged.any()
    below = tr.loss < CONVERGED
    first = np.where(below.any(axis=0), tr.steps[np.argmax(below, axis=0)], -1)
    return tr, first


@pytest.fixture(scope="module")
def sgd_runs():
    """SGD, batch 1, seed 0, γ in SGD_GAMMAS, 1e5 steps (the default-run version of C6)."""
    net, _ = problem()
    return tm.sgd(net.model, net.batch_grad, net.init(), SGD_GAMMAS, 100_000, net.n, 1, 0, seed=0)


def sharpness_by_hand(net: DiagonalLinear, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(S_0, max|g|): S_0 = λ_max((1/n) X diag(u² + v²) Xᵀ), the top eigenvalue of the Gauss-Newton
    part JᵀJ/n (J = X[diag v, diag u]; JJᵀ = X diag(u² + v²) Xᵀ, proofs_check
    diag_hessian_interpolator), built here from u, v, X directly (not with a library helper).
    The full Hessian adds the block [[0, diag g], [diag g, 0]] of norm max|g_i|, so by Weyl
    |S − S_0| <= max|g_i| (g = Xᵀ(Xβ − y)/n, also computed here)."""
    u, v = theta[..., : net.d], theta[..., net.d :]
    X = net.X
    M = np.einsum("ij,...j,kj->...ik", X, u * u + v * v, X) / net.n
    g = ((u * v) @ X.T - net.y) @ X / net.n
    return np.linalg.eigvalsh(M)[..., -1], np.max(np.abs(g), axis=-1)


# ----------------------------------------------------------------------------- symbolic == numeric
@pytest.mark.parametrize(("n", "d"), [(1, 1), (2, 3), (3, 4)])
def test_symbolic_matches_numpy_twins(n, d):
    rng = np.random.default_rng(10 * n + d)
    X, y = rng.standard_normal((n, d)), rng.standard_normal(n)
    net = DiagonalLinear(X, y, 0.3)
    sym = net.symbolic()
    th = rng.standard_normal((12, 2 * d))
    # sums of O(nd) products of O(1) numbers: 1e-12 relative is loose
    np.testing.assert_allclose(net.model.loss(th), sym.loss(th), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.model.grad(th), sym.grad(th), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.model.hessian(th), sym.hessian(th), rtol=1e-12, atol=1e-13)
    # helpers against direct numpy
    u, v = th[:, :d], th[:, d:]
    g = ((u * v) @ X.T - y) @ X / n
    np.testing.assert_allclose(net.beta(th), u * v, rtol=0, atol=0)
    np.testing.assert_allclose(net.beta_gradient(th), g, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(net.batch_grad(th, np.arange(n)), net.model.grad(th), atol=1e-14)
    np.testing.assert_allclose(net.effective_alpha2(th), (u * u - v * v) / 2, atol=1e-15)
    np.testing.assert_allclose(net.init(), [0.3 * SQRT2] * d + [0.0] * d, rtol=1e-15)


# ----------------------------------------------------------------------------- C1: closed form
def closed_form_error(gamma: float, steps: int = 300) -> tuple[float, float]:
    """max_k |β_k(GD) − β_k(closed form of γg_0..γg_{k−1})| over k in {1, 10, 100, steps}."""
    net, _ = problem()
    tr = tm.gd(net.model, net.init(), gamma, steps, record_every=1)
    assert not tr.diverged
    x = gamma * net.beta_gradient(tr.theta[:-1])  # (steps, d): x_j = γ g_j
    err = 0.0
    for k in (1, 10, 100, steps):
        pred, _ = net.closed_form(x[:k])
        err = max(err, float(np.max(np.abs(net.beta(tr.theta[k]) - pred))))
    return err, float(np.max(np.abs(x)))


@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + "; proofs_check diag_closed_form",
    statement="β_k = −α² e^{−Gain_k} sinh(2Σ_{j<k} artanh(γg_j)) along GD (300 steps, abs 1e-12)",
    basis="derived",
)
@pytest.mark.parametrize("gamma", [0.05, 0.1])
def test_c1_closed_form(claim, gamma):
    err, xmax = closed_form_error(gamma)
    assert xmax < 1  # the artanh form's range of validity
    # O(1) β after 300 steps: accumulated rounding of the Σ artanh and of GD (brief: 9.5e-15)
    claim.check(predicted=0.0, measured=err, tol=1e-12, gamma=gamma, max_abs_gamma_g=xmax)


@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + "; proofs_check diag_closed_form",
    statement="closed form of β_k exact along GD for every γ in [0.01, 0.3] (300 steps, abs 1e-12)",
    basis="derived",
)
@given(gamma=st.floats(0.01, 0.3))
def test_c1_closed_form_any_gamma(claim, gamma):
    err, xmax = closed_form_error(gamma)
    # same justification as test_c1_closed_form (rounding of O(1) sums over 300 steps)
    claim.check(predicted=0.0, measured=err, tol=1e-12, gamma=gamma, max_abs_gamma_g=xmax)


@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + ", log form for |γg_j| > 1; proofs_check diag_closed_form",
    statement="with 2artanh(x) -> log|(1+x)/(1-x)| and α_k² = α²Π|1 − x_j²| the closed form stays "
    "exact in the EoS window where |γg_j| > 1 occurs (γ = 0.5, 0.65; 300 steps, abs 1e-12)",
    basis="derived",
)
def test_c1_closed_form_beyond_artanh(claim):
    res = [closed_form_error(g) for g in (0.5, 0.65)]
    xmax = [r[1] for r in res]
    assert min(xmax) > 1  # the log form is really exercised
    # β = O(1), sums of logs of size ≤ 50 over 300 steps: rounding ~1e-13 (measured ≤ 7e-14)
    claim.check(predicted=0.0, measured=max(r[0] for r in res), tol=1e-12, max_abs_gamma_g=xmax)


# ----------------------------------------------------------------------------- C2: invariants
@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + "; proofs_check diag_invariants",
    statement="along GD: u² − v² = 2α²Π_j(1 − γ²g_j²) (= ±2α_k²) and u² + v² = 2√(β² + α_k⁴) "
    "(γ in .05, .1, .3, .5, .65; 300 steps; abs 1e-12·max(1, u² + v²))",
    basis="derived",
)
def test_c2_invariants_along_gd(claim):
    net, _ = problem()
    gammas = np.array([0.05, 0.1, 0.3, 0.5, 0.65])
    tr = tm.gd(net.model, net.init(), gammas, 300, record_every=1)
    assert not tr.diverged.any()
    x = gammas[None, :, None] * net.beta_gradient(tr.theta[:-1])  # (300, E, d)
    u, v = net.split(tr.theta[1:])
    signed = ALPHA**2 * np.cumprod(1 - x * x, axis=0)  # α²Π_{j<=k}(1 − x_j²)
    err_diff = np.abs(u * u - v * v - 2 * signed)
    err_sum, err_abs = np.zeros_like(err_diff), np.zeros_like(err_diff)
    for e in range(gammas.size):
        for k in (0, 9, 99, 299):
            b, a2 = net.closed_form(x[: k + 1, e])
            err_sum[k, e] = np.abs(u[k, e] ** 2 + v[k, e] ** 2 - 2 * np.sqrt(b * b + a2 * a2))
            err_abs[k, e] = np.abs(np.abs(u[k, e] ** 2 - v[k, e] ** 2) - 2 * a2)
    scale = max(1.0, float(np.max(u * u + v * v)))
    n_flips = int(np.sum(np.abs(x) > 1))
    # both sides are O(u² + v²) sums; rounding over 300 steps is ~1e-14 of that (brief 2e-16)
    claim.check(
        predicted=0.0,
        measured=[float(err_diff.max()), float(err_sum.max()), float(err_abs.max())],
        tol=1e-12 * scale,
        steps_with_abs_gamma_g_above_1=n_flips,
    )


@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + "; proofs_check diag_hessian_interpolator",
    statement="sharpness at a converged GD limit = λ_max((2/n) X diag(√(β∞² + α∞⁴)) Xᵀ) "
    "(every γ of the grid that reached loss < 1e-20; |ΔS| <= max|g| + 1e-12·S by Weyl)",
    basis="derived",
)
def test_c2_sharpness_at_interpolator(claim, gd_grid):
    net, _ = problem()
    tr, first = gd_grid
    conv = first >= 0
    fin = tr.final[conv]
    S = tm.sharpness(net.model, fin)
    pred = net.interpolator_sharpness(net.beta(fin), net.effective_alpha2(fin))
    _, gmax = sharpness_by_hand(net, fin)
    # the full Hessian is JᵀJ/n plus a ±g_i coupling block, so by Weyl |S − S_pred| <= max|g_i|.
    # max|g_i| is GD's rounding floor, not 0: at γ = .65 the limit has |1 − γS| = 0.9998, so GD
    # damps rounding by only 2e-4 per step and max|g| sits at 4.7e-13 (1.5e-13·S; an earlier
    # precondition max|g| < 1e-13·S failed there, deterministically). The tolerance is that
    # bound plus 1e-12·S for dense eigvalsh and the u² + v² = 2√(β² + α⁴) rewriting.
    tol = gmax + 1e-12 * S
    claim.check(
        predicted=pred,
        measured=S,
        tol=float(tol.max()),
        gammas=GAMMAS[conv],
        max_abs_g=gmax,
        max_abs_diff_over_tol=float(np.max(np.abs(S - pred) / tol)),
    )


# ----------------------------------------------------------------------------- C3: implicit bias
@pytest.mark.claim(
    paper=PAPER,
    where=ABS_BIAS + " (form: brief C.1)",
    statement="‖β_GD − argmin_{Xb=y} hypentropy_{α∞}(b)‖ < 1e-4, 2e-3, 5e-2 at γ = .01, .1, .3 "
    "(tolerance ~γ²; α∞² = (u∞² − v∞²)/2)",
    basis="empirical",
)
def test_c3_hypentropy_with_effective_alpha(claim, gd_grid):
    net, _ = problem()
    tr, first = gd_grid
    k = idx(STABLE)
    fin = tr.final[k]
    errs = []
    for th in fin:
        a2 = net.effective_alpha2(th)
        assert np.all(a2 > 0)
        errs.append(float(np.linalg.norm(net.beta(th) - hypentropy_interpolator(net.X, net.y, a2))))
    # the brief's bounds: 2e-3 at γ = .1 (measured 1.0e-3) scaled ~γ² to .01 and .3; the γ = .01
    # run is at loss ~1e-13 after 3e5 steps, ~4e-6 from its own limit (brief: 8.3e-6 at 4e5)
    assert first[k[1]] >= 0 and first[k[2]] >= 0  # precondition: γ = .1, .3 reached loss < 1e-20
    bounds = [1e-4, 2e-3, 5e-2]
    claim.check(
        predicted=bounds,
        measured=errs,
        relation="<=",
        gammas=STABLE,
        final_loss=tr.loss[-1, k],
        err_over_gamma2=[e / g**2 for e, g in zip(errs, STABLE, strict=True)],
    )


@pytest.mark.claim(
    paper=PAPER,
    where=ABS_BIAS + " (gradient-flow limit γ -> 0, brief C.2)",
    statement="uniform-α hypentropy interpolator: ‖b_GF − β*‖ = 4.597e-2",
    basis="empirical",
)
def test_c3_gradient_flow_prediction(claim):
    net, beta_star = problem()
    b_gf = hypentropy_interpolator(net.X, net.y, ALPHA**2)
    assert np.max(np.abs(net.X @ b_gf - net.y)) < 1e-9  # it interpolates
    # the brief prints 4 significant digits: half a unit of the last one
    claim.check(predicted=4.597e-2, measured=float(np.linalg.norm(b_gf - beta_star)), tol=5e-6)


# ----------------------------------------------------------------------------- C4: stable regime
@pytest.mark.claim(
    paper=PAPER,
    where=ABS_GD + " (stable regime, brief C.2)",
    statement="‖β_GD − β*‖ increases with γ in the stable regime: .01 < .1 < .3 "
    "(brief .0464 / .0499 / .0578)",
    basis="empirical",
)
def test_c4_gd_recovery_worsens_with_gamma(claim, gd_grid):
    net, beta_star = problem()
    tr, _ = gd_grid
    errs = np.linalg.norm(net.beta(tr.final[idx(STABLE)]) - beta_star, axis=-1)
    claim.check(predicted=True, measured=bool(np.all(np.diff(errs) > 0)), errors=errs)
    # the brief's values to its 3 printed significant digits (half a unit of the last one)
    claim.check(predicted=[0.0464, 0.0499, 0.0578], measured=errs, tol=5e-5, gammas=STABLE)


# ----------------------------------------------------------------------------- C5: EoS window
@pytest.mark.claim(
    paper=PAPER,
    where=ABS_EOS,
    statement="γ in {.4, .45, .5, .55, .6}: GD converges (loss < 1e-20 within 2e4 steps) with "
    "S·γ/2 > 0.99 (S checked two-sided against the hand-built Gauss-Newton λ_max), ‖β‖₁ > "
    "1.5‖β*‖₁ and ‖β − β*‖ > 0.5 (bounds: the brief's measurements)",
    basis="empirical",
)
def test_c5_eos_window(claim, gd_grid):
    net, beta_star = problem()
    tr, first = gd_grid
    k = idx(EOS)
    fin = tr.final[k]
    S = tm.sharpness(net.model, fin)
    half = EOS * S / 2
    l1 = np.sum(np.abs(net.beta(fin)), axis=-1)
    err = np.linalg.norm(net.beta(fin) - beta_star, axis=-1)
    l1_star = float(np.sum(np.abs(beta_star)))
    # converged: first step with loss < 1e-20 (-1 = never) lies in [0, 2e4]
    claim.check(predicted=0, measured=first[k], relation=">=", gammas=EOS)
    claim.check(predicted=20_000, measured=first[k], relation="<=")
    # the sharpness itself, against the hand-built Gauss-Newton spectrum (Weyl: |S − S_0| <=
    # max|g|, the rounding floor of GD at these limits, plus 1e-12·S for eigvalsh)
    S0, gmax = sharpness_by_hand(net, fin)
    claim.check(predicted=S0, measured=S, tol=float(np.max(gmax + 1e-12 * S)), max_abs_g=gmax)
    # 0.99: the brief's edge criterion (measured 0.9955 - 0.9994)
    claim.check(predicted=0.99, measured=half, relation=">=", note="S·γ/2 (lower bound)")
    # 1.5‖β*‖₁ = 3.61 and 0.5: the brief's bounds (measured ‖β‖₁ 4.68 - 9.92, error 0.69 - 2.38)
    claim.check(predicted=1.5 * l1_star, measured=l1, relation=">=", note="‖β‖₁ (lower bound)")
    claim.check(predicted=0.5, measured=err, relation=">=", note="‖β − β*‖ (lower bound)")


@pytest.fixture(scope="module")
def ensemble_07():
    """γ = 0.7 from 32 inits perturbed by 1e-12 (relative, on u0), 2e4 steps."""
    net, _ = problem()
    return tm.gd(net.model, perturbed_inits(net, 32), 0.7, 20_000, record_every=0)


@pytest.mark.claim(
    paper=PAPER,
    where="brief C.2 / §F C5: 'Divergence at γ = 0.7'",
    statement="GD at γ = 0.7 diverges (every one of 32 runs from the init perturbed by 1e-12 "
    "diverges within 2e4 steps)",
    basis="empirical",
)
@pytest.mark.xfail(
    raises=ClaimDisagreement,
    reason="refuted: at γ = 0.7 divergence hinges on rounding: 15/32 runs perturbed by 1e-12 "
    "diverge (steps 35-128), 17/32 stay bounded at loss 0.04-0.11 after 2e4 steps; the "
    "unperturbed init diverges at step 87 run alone, but stays bounded (loss 0.11 at 1e5 steps, "
    "measured outside this test) inside a batched tm.gd call",
    strict=True,
)
def test_c5_refuted_divergence_at_07(claim, ensemble_07):
    net, _ = problem()
    tr = ensemble_07
    alone = tm.gd(net.model, net.init(), 0.7, 1000, record_every=0)
    bounded = ~tr.diverged
    claim.check(
        predicted=1.0,
        measured=float(tr.diverged.mean()),
        tol=0.0,
        diverged_at=tr.diverged_at[tr.diverged],
        bounded_final_loss=tr.loss[-1, bounded],
        unperturbed_alone_diverged_at=int(alone.diverged_at),
    )


@pytest.mark.claim(
    paper=PAPER,
    where="brief C.2 (what holds at γ = 0.7)",
    statement="GD at γ = 0.7 does not converge: of 32 runs perturbed by 1e-12 each either "
    "diverges or is at loss > 1e-3 after 2e4 steps, and both outcomes occur",
    basis="empirical",
)
def test_c5_no_convergence_at_07(claim, ensemble_07):
    tr = ensemble_07
    bounded = ~tr.diverged
    loss = tr.loss[-1, bounded]
    n_div = int(tr.diverged.sum())
    # 1e-3: converging runs in this problem are below 1e-20 by then (C5) or still falling
    # from 1e-2 (γ = 0.65); the bounded γ = 0.7 runs sit at 0.04 - 0.11
    claim.check(
        predicted=1e-3, measured=float(loss.min()), relation=">=", note="min loss of bounded runs"
    )
    claim.check(predicted=True, measured=bool(0 < n_div < tr.diverged.size), diverged=n_div)


def divergence_fraction(gammas: np.ndarray, m: int = 16, steps: int = 1000) -> np.ndarray:
    """Fraction of m perturbed inits (1e-12) that diverge within ``steps`` GD steps."""
    net, _ = problem()
    tr = tm.gd(net.model, perturbed_inits(net, m, seed=11), gammas, steps, record_every=0)
    return tr.diverged.mean(axis=-1)


@pytest.mark.claim(
    paper=PAPER,
    where=ABS_EOS + " (divergence threshold: brief C.2 says 0.7)",
    statement="divergence sets in at γ_on in [0.675, 0.69] (first γ where any of 16 runs "
    "perturbed by 1e-12 diverges within 1e3 steps) and is certain above γ_all in [0.735, 0.75]; "
    "none diverges at γ <= 0.68, all at γ in {.75, .8, 1, 2}; mixed in between (0.7 inside)",
    basis="empirical",
)
def test_c5_divergence_threshold(claim):
    # P_div(γ) is not monotone in [γ_on, γ_all] (e.g. 0.69 -> 1, 0.6925 -> 0, 0.7 -> 0.44): the
    # two ends are located separately, γ_all by scanning γ = 1.4 − η downwards. 1e3 steps: all
    # divergences of a 64-run, 2e4-step scan happened before step 200
    on = tm.locate_transition(divergence_fraction, 0.6, 0.8, level=1 / 32, points=17, rounds=3)
    top = tm.locate_transition(
        lambda e: divergence_fraction(1.4 - e), 0.6, 0.8, level=1 - 1 / 32, points=17, rounds=3
    )
    assert on.converged and top.converged
    g_on, g_all = on.eta, 1.4 - top.eta
    mid = np.linspace(g_on, g_all, 9)[1:-1]
    low_g, high_g = np.linspace(0.6, 0.68, 5), np.array([0.75, 0.8, 1.0, 2.0])
    low, high, p_mid = map(divergence_fraction, (low_g, high_g, mid))
    # bounds: measured 0.6816 and 0.7436, widened by ~±0.01 for the sampled (16-run) fraction
    claim.check(predicted=0.675, measured=g_on, relation=">=", note="γ_on", bracket=on.bracket)
    claim.check(predicted=0.69, measured=g_on, relation="<=", note="γ_on")
    bracket_all = (1.4 - top.bracket[1], 1.4 - top.bracket[0])
    claim.check(predicted=0.735, measured=g_all, relation=">=", note="γ_all", bracket=bracket_all)
    claim.check(predicted=0.75, measured=g_all, relation="<=", note="γ_all")
    claim.check(predicted=0.0, measured=low, tol=0.0, gammas=low_g)
    claim.check(predicted=1.0, measured=high, tol=0.0, gammas=high_g)
    claim.note(f"P_div inside the band at γ = {np.round(mid, 4).tolist()}: {p_mid.tolist()}")


# ----------------------------------------------------------------------------- C6: SGD
def sgd_errors(tr: tm.Trajectory) -> np.ndarray:
    net, beta_star = problem()
    return np.linalg.norm(net.beta(tr.final) - beta_star, axis=-1)


@pytest.mark.claim(
    paper=PAPER,
    where=ABS_SGD,
    statement="SGD (batch 1, seed 0, 1e5 steps): ‖β − β*‖ decreases with γ over .002, .01, .06",
    basis="paper",
)
def test_c6_sgd_recovery_improves_with_gamma(claim, sgd_runs):
    tr = sgd_runs
    assert not tr.diverged.any()
    errs = sgd_errors(tr)
    # measured 4.778e-2 > 4.487e-2 > 3.835e-2; γ = .002 is not converged after 1e5 steps
    # (loss ~7e-6), its 3e5-step value is 4.580e-2 (test_c6_sgd_long)
    claim.check(
        predicted=True,
        measured=bool(np.all(np.diff(errs) < 0)),
        errors=errs,
        gammas=SGD_GAMMAS,
        final_loss=tr.loss[-1],
    )


@pytest.mark.slow
@pytest.mark.claim(
    paper=PAPER,
    where=ABS_SGD,
    statement="SGD (batch 1, seed 0, 3e5 steps): ‖β − β*‖ = 4.58e-2 (.002) > 4.49e-2 (.01) > "
    "3.83e-2 (.06)",
    basis="empirical",
)
def test_c6_sgd_long(claim):
    net, _ = problem()
    tr = tm.sgd(net.model, net.batch_grad, net.init(), SGD_GAMMAS, 300_000, net.n, 1, 0, seed=0)
    errs = sgd_errors(tr)
    claim.check(predicted=True, measured=bool(np.all(np.diff(errs) < 0)), errors=errs)
    # brief (seed 0): 0.04580, 0.04485, 0.03834 (4 significant digits: half a unit of the last)
    claim.check(predicted=[0.04580, 0.04485, 0.03834], measured=errs, tol=5e-6)


# ----------------------------------------------------------------------------- C7: Gain
@pytest.mark.claim(
    paper=PAPER,
    where=DERIVED + "; proofs_check diag_gain_monotone",
    statement="Gain_k is coordinatewise non-decreasing at every step with |γg_j| <= √2, and "
    "decreases at steps with |γg_j| > √2 (closed-form increments and |u² − v²| of the iterate; "
    "γ in .1 - .65, 6000 steps)",
    basis="derived",
)
def test_c7_gain_monotone(claim):
    net, _ = problem()
    gammas = np.array([0.1, 0.3, 0.4, 0.5, 0.55, 0.6, 0.65])
    tr = tm.gd(net.model, net.init(), gammas, 6000, record_every=1)
    assert not tr.diverged.any()
    x = gammas[None, :, None] * net.beta_gradient(tr.theta[:-1])  # (T, E, d)
    small = np.abs(x) <= SQRT2
    # (a) closed-form history: Gain increments q(x_j) = −log|1 − x_j²|
    with np.errstate(divide="ignore"):
        q = -np.log(np.abs(1 - x * x))
    # (b) the iterate itself: |u² − v²| = 2α²e^{−Gain} must not grow where |x| <= √2; checked
    # where it is resolvable (|u² − v²| > 1e-8(u² + v²), i.e. away from α_k² ~ ε|β|)
    u, v = net.split(tr.theta)
    D, Ssum = np.abs(u * u - v * v), u * u + v * v
    growth = D[1:] - D[:-1]
    resolvable = D[:-1] > 1e-8 * Ssum[:-1]
    # each D carries ~2ε(u² + v²) rounding, and GD's own rounding as much again: 1e-14(u² + v²)
    slack = growth - 1e-14 * (Ssum[1:] + Ssum[:-1])
    worst_measured = float(np.max(np.where(small & resolvable, slack, -np.inf)))
    big = ~small
    grows = growth[big & resolvable] > 0  # the converse, on the iterate
    claim.check(
        predicted=0.0, measured=float(q[small].min()), relation=">=", note="min q(x), |x| <= √2"
    )
    claim.check(
        predicted=0.0, measured=worst_measured, relation="<=", note="max growth |u²−v²| − rounding"
    )
    claim.check(
        predicted=True,
        measured=bool(big.any() and np.all(q[big] < 0) and grows.size > 0 and np.all(grows)),
        steps_with_abs_gamma_g_above_sqrt2=[int(big[:, e].sum()) for e in range(gammas.size)],
        resolvable_iterate_checks_above_sqrt2=int(grows.size),
        gain_6000=np.max(np.sum(q, axis=0), axis=-1),
        gammas=gammas,
    )


# ----------------------------------------------------------------------------- C8: stability
@pytest.mark.claim(
    paper=PAPER,
    where="brief C8 (linear stability of the GD limit; not proof-checked): measured on this data",
    statement="every converged GD run (loss < 1e-20, γ in .05 - .65) ends with S·γ/2 <= 1, S the "
    "Hessian's top eigenvalue (= the hand-built Gauss-Newton λ_max within max|g| + 1e-12·S)",
    basis="empirical",
)
def test_c8_converged_gd_is_stable(claim, gd_grid):
    net, _ = problem()
    tr, first = gd_grid
    conv = first >= 0
    S = tm.sharpness(net.model, tr.final[conv])
    half = GAMMAS[conv] * S / 2
    # the sharpness itself (two-sided), against the hand-built Gauss-Newton spectrum: Weyl gives
    # |S − S_0| <= max|g| (GD's rounding floor at these limits, <= 5e-13) plus 1e-12·S eigvalsh
    S0, gmax = sharpness_by_hand(net, tr.final[conv])
    claim.check(predicted=S0, measured=S, tol=float(np.max(gmax + 1e-12 * S)), max_abs_g=gmax)
    # 1e-12: dense eigvalsh rounding of S = O(10) (measured max 0.99994 at γ = .65)
    claim.check(
        predicted=1.0, measured=float(half.max()), relation="<=", tol=1e-12, note="max S·γ/2"
    )
    claim.note(f"S·γ/2 = {np.round(half, 5).tolist()} for γ = {GAMMAS[conv].tolist()}")


# ----------------------------------------------------------------------------- headline
@pytest.mark.claim(
    paper=PAPER,
    where="abstract: 'large stepsizes consistently benefit SGD ..., while they can hinder the "
    "recovery of sparse solutions for GD'",
    statement="GD: every EoS-window run (γ .4 - .6) recovers β* > 10x worse than every "
    "stable-regime run (γ .01 - .3); SGD: the largest γ (.06) recovers best",
    basis="paper",
)
def test_headline_large_steps_hurt_gd_help_sgd(claim, gd_grid, sgd_runs):
    net, beta_star = problem()
    tr, _ = gd_grid
    gd_err = np.linalg.norm(net.beta(tr.final) - beta_star, axis=-1)
    stable, eos = gd_err[idx(STABLE)], gd_err[idx(EOS)]
    sgd_err = sgd_errors(sgd_runs)
    claim.check(
        predicted=[True, True],
        measured=[bool(eos.min() > 10 * stable.max()), bool(np.argmin(sgd_err) == 2)],
        gd_stable=stable,
        gd_eos=eos,
        sgd=sgd_err,
    )
