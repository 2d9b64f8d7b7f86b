"""Claims: scalar networks f(w) = Π_{i=1}^D w_i, L(w) = (Πw − y)²/2 (brief §A, claims A1–A10).

Kreisler, Nacson, Soudry, Carmon (ICML 2023, arXiv 2305.13064) prove that GD decreases the
sharpness of the gradient-flow solution ("GFS sharpness" φ) monotonically and that GD can converge
at the edge of stability. Only the abstract could be read (brief §A, source status), so theorem
numbers are unknown: ``where`` quotes the abstract, or says "[derived]" for the brief's own
derivations (§A.1–A.3, sympy-checked there) that the tests re-check numerically here.

Predictions are computed in this file from closed forms (y²Σ1/w_i², D|y|^{2−2/D}, the balance law,
a brentq root of Π(s + c_i) = y², √((w1² − w2²)² + 4y²) for D = 2); measurements come from the
library's GD / gradient-flow engines and dense Hessian spectra.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import toymodels as tm
from toymodels.claims import ClaimDisagreement
from toymodels.models.scalar_net import ScalarNet

KREISLER = "Kreisler, Nacson, Soudry, Carmon (ICML 2023)"
SQRT2 = math.sqrt(2.0)


@functools.cache
def net_of(depth: int, y: float = 1.0) -> ScalarNet:
    return ScalarNet(depth, y)


def log_uniform(rng: np.random.Generator, lo: float, hi: float, size) -> np.ndarray:
    return np.exp(rng.uniform(math.log(lo), math.log(hi), size))


def phi_d2(w: np.ndarray, y: float = 1.0) -> np.ndarray:
    """Closed-form GFS sharpness for D = 2 (brief §A.3): √((w1² − w2²)² + 4y²)."""
    gap = w[..., 0] ** 2 - w[..., 1] ** 2
    return np.sqrt(gap**2 + 4 * y * y)


def gf_limit(w: np.ndarray, y: float) -> tuple[np.ndarray, float]:
    """Independent GF solution (brief §A.3): |w_i^∞| = √(s + c_i), Π(s + c_i) = y², by brentq."""
    c = w**2 - np.min(w**2)

    def g(s: float) -> float:
        return float(np.sum(np.log(s + c)) - math.log(y * y))

    hi = abs(y) ** (2 / len(w)) + 1.0  # every factor ≥ |y|^{2/D} there, so g(hi) > 0
    s = brentq(g, 1e-300, hi, xtol=1e-300, rtol=1e-15, maxiter=500)
    w_inf = np.sign(w) * np.sqrt(s + c)
    return w_inf, float(y * y * np.sum(1.0 / (s + c)))


def hand_gd(w0: np.ndarray, eta, y: float, steps: int) -> np.ndarray:
    """Plain GD on L = (Π w − y)²/2 with the hand gradient ∂L/∂w_i = (Π w − y) Π_{j≠i} w_j.

    w0: (n, D); eta: scalar or (n,). Independent of the library's model and GD engine.
    """
    w = np.array(w0, dtype=float)
    eta = np.broadcast_to(np.asarray(eta, dtype=float), w.shape[:1])[:, None]
    depth = w.shape[-1]
    for _ in range(steps):
        r = np.prod(w, axis=-1) - y
        others = np.stack([np.prod(np.delete(w, i, axis=-1), axis=-1) for i in range(depth)], -1)
        w = w - eta * (r[:, None] * others)
    return w


def positive_runs(tr: tm.Trajectory) -> np.ndarray:
    """Members (last batch axis) that stayed finite with every weight > 0 at every record."""
    th = tr.theta
    return ~tr.diverged & np.all(np.isfinite(th), axis=(0, -1)) & np.all(th > 0, axis=(0, -1))


# ----------------------------------------------------------------------------- symbolic == numeric
@pytest.mark.parametrize("depth", [2, 3, 4, 6])
def test_symbolic_matches_numpy_twins(depth):
    net = net_of(depth, 1.7)
    sym = net.symbolic()
    rng = np.random.default_rng(100 + depth)
    w = rng.uniform(-1.5, 1.5, (16, depth))
    # both sides are a handful of float64 products of O(1) numbers: 1e-12 relative is loose
    np.testing.assert_allclose(net.model.loss(w), sym.loss(w), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.model.grad(w), sym.grad(w), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(net.model.hessian(w), sym.hessian(w), rtol=1e-12, atol=1e-13)
    # the closed-form helpers against direct numpy
    np.testing.assert_allclose(net.residual(w), np.prod(w, -1) - 1.7, rtol=0, atol=1e-14)
    np.testing.assert_allclose(net.balances(w), w[:, 1:] ** 2 - w[:, :1] ** 2, atol=1e-15)


# ----------------------------------------------------------------------------- A1, A2: minimisers
def minimiser_cases() -> list[np.ndarray]:
    """Fixed minimisers w (Πw = y by construction) for A1 / A2, in a fixed order: the edges first
    (balanced, the extremes 0.2 and 3 of the range, mixed signs), then seeded draws with
    depth in 2..4 (the range proofs_check.scalar_min_sharpness_bound proves), |w_i| log-uniform
    in [0.2, 3] and random signs; as many draws as the hypothesis profile's max_examples.

    Not ``@given``: hypothesis mixes constants read from the library's source into its draws,
    so a mutant that edits a literal anywhere in ``toymodels`` changed the examples, and the
    mutation runner paired the records of unrelated examples (false "blind claim" rows).
    """
    edges = [[1.0, 1.0], [0.2, 0.2, 0.2], [-3.0, 3.0, 3.0, 3.0], [0.2, 3.0], [3.0, -0.2, 0.2]]
    edges += [[-0.2, 3.0, 0.2, -3.0], [0.2, 0.2, 0.2, 3.0]]
    out = [np.array(w) for w in edges]
    rng = np.random.default_rng(1302)
    for _ in range(settings().max_examples):
        depth = int(rng.integers(2, 5))
        w = np.exp(rng.uniform(math.log(0.2), math.log(3.0), depth))
        out.append(w * np.where(rng.random(depth) < 0.5, -1.0, 1.0))
    return out


@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.1: Hessian at a minimum is g gᵀ; proofs_check "
    "scalar_hessian_rank_one (D = 2..4)",
    statement="at a minimiser Πw = y, sharpness = y² Σ_i 1/w_i² (D in 2..4)",
    basis="derived",
)
def test_a1_sharpness_at_minimiser(claim):
    # fixed cases (minimiser_cases: depth 2..4, the range proofs_check.scalar_hessian_rank_one
    # checks exactly), not @given, for the reason given there; |w|, as the draws here were
    # always positive
    for w in minimiser_cases():
        _check_a1(claim, np.abs(w))


def _check_a1(claim, w: np.ndarray) -> None:
    depth = len(w)
    y = float(np.prod(w))  # the same np.prod the model uses: r = 0 exactly
    net = ScalarNet(depth, y)
    sym = net.symbolic()
    # symbolic == numeric Hessian at the minimiser (products of O(1..100) numbers)
    np.testing.assert_allclose(net.model.hessian(w), sym.hessian(w), rtol=1e-12, atol=1e-12)
    predicted = y**2 * float(np.sum(1.0 / w**2))
    # library closed form against the independent one (same formula, different code)
    assert abs(float(net.minimum_sharpness(w)) - predicted) <= 1e-13 * predicted
    measured = float(tm.sharpness(net.model, w))
    # eigvalsh of a rank-one D×D matrix: error ~ D·ε·‖H‖, far below 1e-9 relative
    claim.check(predicted=predicted, measured=measured, rtol=1e-9, depth=depth)


@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.1 (AM-GM on Σ 1/w_i² with Π w_i² = y²); proofs_check "
    "scalar_min_sharpness_bound (D = 2, 3, 4)",
    statement="on the minimiser manifold S >= D|y|^(2-2/D), with equality at |w_i| = |y|^(1/D) "
    "(D in 2..4)",
    basis="derived",
)
def test_a2_balanced_minimum_is_flattest(claim):
    for w in minimiser_cases():
        _check_a2(claim, w)


def _check_a2(claim, w: np.ndarray) -> None:
    depth = len(w)
    y = float(np.prod(w))
    net = ScalarNet(depth, y)
    floor = depth * abs(y) ** (2 - 2 / depth)
    assert abs(net.balanced_sharpness() - floor) <= 1e-14 * floor
    S = float(tm.sharpness(net.model, w))
    # the sharpness itself, two-sided, against the closed form y² Σ 1/w_i² (A1): eigvalsh of a
    # rank-one D×D matrix of O(1..100) entries is exact to ~D·ε relative, so 1e-12 is loose
    claim.check(predicted=y**2 * float(np.sum(1.0 / w**2)), measured=S, rtol=1e-12)
    # AM-GM is tight only at balance; 1e-12 relative covers eigvalsh rounding at near-balanced w
    claim.check(predicted=floor, measured=S, tol=1e-12 * floor, relation=">=", depth=depth)
    w_bal = np.full(depth, abs(y) ** (1 / depth))
    if y < 0:
        w_bal[0] = -w_bal[0]
    S_bal = float(tm.sharpness(net.model, w_bal))
    # |w_i|^D rounds to y within ~D ε, so r ~ 1e-15 y perturbs H by that much: 1e-12 is loose
    claim.check(
        predicted=floor, measured=S_bal, rtol=1e-12, depth=depth, y=y, S_random=S, excess=S / floor
    )
    # GD near this minimum is GD with the stated step: start off the manifold (w scaled by 1.05),
    # η = 1/S (stable side of 2/S), 50 steps by the library and by a hand-written loop. Round-off
    # ε ≈ 1e-16 grows at most by the step Jacobian norms (<= ~2 per step near a stable minimum,
    # contracting on average), far below 1e-10; a 1.001·η step moves the state by ~1e-4 relative
    w1 = 1.05 * w[None, :]
    eta = 1.0 / S
    w_lib = tm.gd(net.model, w1, eta, 50, record_every=0).final
    claim.check(predicted=hand_gd(w1, eta, y, 50)[0], measured=w_lib[0], rtol=1e-10, steps=50)


# ----------------------------------------------------------------------------- A3: balance law
@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.2: GD balance law; proofs_check scalar_gd_gap_factor (D = 2..5)",
    statement="one GD step: w_i'^2 - w_j'^2 = (w_i^2 - w_j^2)(1 - η²r² Π_{k≠i,j} w_k²)",
    basis="derived",
)
@given(
    depth=st.integers(2, 5),
    w=st.lists(st.floats(-3.0, 3.0), min_size=5, max_size=5),
    y=st.floats(-3.0, 3.0).filter(lambda v: abs(v) > 1e-3),
    eta=st.floats(0.01, 2.0),
)
def test_a3_one_step_balance_law(claim, depth, w, y, eta):
    w = np.array(w[:depth])
    net = ScalarNet(depth, y)
    w1 = tm.gd(net.model, w, eta, 1, record_every=0, bound=1e300).final
    r = float(np.prod(w)) - y
    worst = 0.0
    for i in range(depth):
        for j in range(i + 1, depth):
            rest = np.prod(np.delete(w, [i, j]) ** 2)
            predicted = (w[i] ** 2 - w[j] ** 2) * (1 - eta**2 * r**2 * rest)
            measured = w1[i] ** 2 - w1[j] ** 2
            # abs/rel 1e-9 of the largest term: w' is an O(ηr·Π w) float expression and its square
            # loses ~ε relative, so the difference of two squares is exact to ~1e-15 of that scale
            scale = max(1.0, w1[i] ** 2, w1[j] ** 2, abs(predicted))
            worst = max(worst, abs(measured - predicted) / scale)
    claim.check(predicted=0.0, measured=worst, tol=1e-9, depth=depth, eta=eta, y=y)


# ------------------------------------------------------------------------- A4, A5: gradient flow
@pytest.fixture(scope="module")
def gf_runs():
    """GF (LSODA, rtol 1e-11, atol 1e-13) from 3 seeded starts per D in 2..5 (+ brief's w0)."""
    rng = np.random.default_rng(4)
    runs = []
    for depth in (2, 3, 4, 5):
        w0 = log_uniform(rng, 0.3, 2.5, (3, depth))
        if depth == 3:
            w0[0] = [0.4, 1.3, 2.0]  # the brief's §A.3 start
        net = net_of(depth)
        # t_end = 200: the slowest start escapes its small-gradient region by t ~ 10 and the
        # linear rate near the minimum is S >= D, so the residual is at roundoff long before
        tr = tm.gradient_flow(net.model, w0, 200.0, n_points=60, rtol=1e-11, atol=1e-13)
        runs.append((net, w0, tr))
    return runs


@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.2-A.3: GF invariants and the GF solution; proofs_check "
    "scalar_gf_conserves_gaps (D = 2..5): the endpoint is the minimum with the start's gaps",
    statement="gradient flow conserves w_i^2 - w_j^2 (drift < 1e-7) and ends at "
    "sqrt(s + c_i), prod(s + c_i) = y^2 (max abs diff < 1e-8)",
    basis="derived",
)
def test_a4_gradient_flow_balances_and_endpoint(claim, gf_runs):
    drift = 0.0
    end_err = 0.0
    lib_err = 0.0
    for net, w0, tr in gf_runs:
        assert not tr.diverged.any()
        bal = net.balances(tr.theta)
        drift = max(drift, float(np.max(np.abs(bal - bal[0]))))
        for k in range(w0.shape[0]):
            w_inf, _ = gf_limit(w0[k], net.y)
            end_err = max(end_err, float(np.max(np.abs(tr.final[k] - w_inf))))
            lib_err = max(lib_err, float(np.max(np.abs(net.gf_solution(w0[k]) - w_inf))))
    # library Newton root vs independent brentq root: both to a few ulp
    assert lib_err < 1e-12, lib_err
    # drift: LSODA at rtol 1e-11 over 200 time units accumulates ~1e-10 (measured 4e-11); 1e-7
    # is the brief's bound
    claim.check(predicted=0.0, measured=drift, tol=1e-7)
    # endpoint: the brief's bound 1e-8 (measured 2.5e-13 there; ~1e-11 here)
    claim.check(predicted=0.0, measured=end_err, tol=1e-8, gf_solution_vs_brentq=lib_err)


@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.3: GFS sharpness closed form; proofs_check "
    "scalar_hessian_rank_one (D = 2..4) and scalar_gfs_closed_form_d2",
    statement="φ(w0) = y² Σ 1/(s + c_i) equals λ_max(Hessian) at the gradient-flow endpoint "
    "(D in 2..4)",
    basis="derived",
)
def test_a5_gfs_sharpness_is_sharpness_at_gf_endpoint(claim, gf_runs):
    phi_indep, phi_lib, S_end = [], [], []
    for net, w0, tr in gf_runs:
        if net.depth > 4:  # beyond the range proofs_check.scalar_hessian_rank_one checks
            continue
        S_end.extend(tm.sharpness(net.model, tr.final).tolist())
        phi_lib.extend(net.gfs_sharpness(w0).tolist())
        phi_indep.extend(gf_limit(w0[k], net.y)[1] for k in range(w0.shape[0]))
        if net.depth == 2:  # and the D = 2 closed form √(gap² + 4y²)
            np.testing.assert_allclose(net.gfs_sharpness(w0), phi_d2(w0), rtol=1e-13)
    # the library's Newton root against the independent brentq root: both to a few ulp of φ
    claim.check(predicted=phi_indep, measured=phi_lib, rtol=1e-12)
    # the endpoint is exact to ~1e-11 (A4), and S is Lipschitz in w with constant O(S): 1e-8
    # relative; φ (brentq) is independent of the library's spectrum and GFS helpers
    claim.check(predicted=phi_indep, measured=S_end, rtol=1e-8)


# ----------------------------------------------------------------------------- A6: D = 2 criterion
@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.5: D = 2 exact monotonicity criterion; proofs_check "
    "scalar_gfs_monotone_d2",
    statement="D = 2: φ_{t+1} <= φ_t iff η|r_t| <= √2 (one GD step, positive next iterate)",
    basis="derived",
)
@given(
    l1=st.floats(math.log(0.2), math.log(3.0)),
    l2=st.floats(math.log(0.2), math.log(3.0)),
    eta=st.floats(0.01, 1.5),
)
def test_a6_d2_criterion_one_step(claim, l1, l2, eta):
    net = net_of(2)
    w = np.exp(np.array([l1, l2]))
    r = float(np.prod(w)) - 1.0
    assume(abs(eta * abs(r) - SQRT2) > 1e-9)  # the brief's exclusion band at the boundary
    w1 = tm.gd(net.model, w, eta, 1, record_every=0).final
    assume(bool(np.all(w1 > 0)))
    phi0, phi1 = net.gfs_sharpness(w), net.gfs_sharpness(w1)
    # library φ (Newton root) against the closed form (brief §A.3): a few ulp
    np.testing.assert_allclose([phi0, phi1], phi_d2(np.stack([w, w1])), rtol=1e-13)
    # a change below 1e-13 relative is not resolvable in float64 (it is η²r²·gap²/φ² ~ 0 at a
    # near-minimum or a near-balanced start); only resolvable changes test the criterion
    assume(abs(phi1 / phi0 - 1) > 1e-13)
    predicted = bool(eta * abs(r) <= SQRT2)
    measured = bool(phi1 <= phi0)
    claim.check(predicted=predicted, measured=measured, eta_r=eta * abs(r), rel_change=phi1 / phi0)


# seeded D = 2 scan shared by A6 (scan form) and the refuted A7 claim
@pytest.fixture(scope="module")
def d2_scan():
    """2000 runs, D = 2, y = 1, w0 ~ logU[0.3, 2.5]², η φ0/2 ~ U[1, 2], 1500 steps, one tm.gd."""
    net = net_of(2)
    rng = np.random.default_rng(7)
    n = 2000
    w0 = log_uniform(rng, 0.3, 2.5, (n, 2))
    ratio = rng.uniform(1.0, 2.0, n)
    eta = 2 * ratio / phi_d2(w0)
    tr = tm.gd(net.model, w0, eta, 1500, record_every=1, paired=True)
    pos = positive_runs(tr)
    th = tr.theta[:, pos]  # (T, n_pos, 2)
    phi = phi_d2(th)
    rel = phi[1:] / phi[:-1] - 1  # (T-1, n_pos)
    eta_r = eta[pos] * np.abs(np.prod(th[:-1], axis=-1) - 1.0)
    return {"ratio": ratio[pos], "rel": rel, "eta_r": eta_r, "n": n, "n_pos": int(pos.sum())}


@pytest.mark.claim(
    paper=KREISLER,
    where="[derived] brief §A.5: D = 2 exact monotonicity criterion (scan); proofs_check "
    "scalar_gfs_monotone_d2",
    statement="in a 2000-run D = 2 scan, every resolvable GFS-sharpness increase happens exactly "
    "at a step with η|r_t| > √2, and vice versa",
    basis="derived",
)
def test_a6_d2_criterion_scan(claim, d2_scan):
    rel, eta_r = d2_scan["rel"], d2_scan["eta_r"]
    # 1e-12 relative: φ is a float64 square root of O(1..40) numbers, exact to ~1e-15
    resolvable = np.abs(rel) > 1e-12
    predicted_up = eta_r[resolvable] > SQRT2
    measured_up = rel[resolvable] > 0
    mismatches = int(np.sum(predicted_up != measured_up))
    claim.check(
        predicted=0,
        measured=mismatches,
        tol=0,
        steps_checked=int(resolvable.sum()),
        increases=int(measured_up.sum()),
        positive_runs=d2_scan["n_pos"],
    )


# ----------------------------------------------------------------------------- A7: monotone φ
@pytest.mark.claim(
    paper=KREISLER,
    where="abstract: GFS sharpness decreases monotonically (the theorem's conditions could not "
    "be read; regime rebuilt from the brief's scans, §A.5)",
    statement="D in {3, 4}, y = 1, η φ0/2 ~ U[1, 1.4], 800 steps: φ_t is non-increasing "
    "(rel 1e-10) on every run whose weights stay positive",
    basis="reconstruction",
)
def test_a7_gfs_sharpness_monotone_in_regime(claim):
    worst, n_pos, n_all = -np.inf, 0, 0
    phi_lib, phi_indep = [], []
    w_lib, w_hand = [], []
    for depth in (3, 4):
        net = net_of(depth)
        rng = np.random.default_rng(70 + depth)
        n = 200
        w0 = log_uniform(rng, 0.3, 2.5, (n, depth))
        ratio = rng.uniform(1.0, 1.4, n)
        eta = 2 * ratio / net.gfs_sharpness(w0)
        tr = tm.gd(net.model, w0, eta, 800, record_every=1, paired=True)
        pos = positive_runs(tr)
        phi = net.gfs_sharpness(tr.theta[:, pos])
        worst = max(worst, float(np.max(phi[1:] / phi[:-1] - 1)))
        # spot-check the measured φ (library Newton) against brentq on a fixed subset of states
        th = tr.theta[::100, pos][:, :5].reshape(-1, depth)
        phi_lib.extend(net.gfs_sharpness(th).tolist())
        phi_indep.extend(gf_limit(w, 1.0)[1] for w in th)
        # the trajectory is GD with step η: first 4 members re-run by a hand-written loop
        w_lib.extend(tr.theta[-1, :4].ravel().tolist())
        w_hand.extend(hand_gd(w0[:4], eta[:4], 1.0, 800).ravel().tolist())
        n_pos += int(pos.sum())
        n_all += n
    assert n_pos >= 100  # the scan must actually test something (brief: ~60 % stay positive)
    # Newton (library) vs brentq roots of the same equation: a few ulp of φ
    claim.check(predicted=phi_indep, measured=phi_lib, rtol=1e-12)
    # library GD vs hand GD (same η, 800 steps): the same float ops up to ordering, so they differ
    # only by round-off ε ≈ 1e-16 amplified by the (bounded, η φ0/2 <= 1.4) step Jacobians; the
    # two agree bit-for-bit today, 1e-10 leaves room while a 1.001·η step moves them by ~1e-3
    claim.check(predicted=w_hand, measured=w_lib, rtol=1e-10, steps=800, members="first 4 per D")
    # 1e-10 relative (the brief's threshold): the Newton root φ is exact to a few ulp, so any
    # genuine increase is far above it (D = 2 violations in A7-refuted are >= 1e-6 relative).
    # measured: the largest signed relative change φ_{t+1}/φ_t - 1 (negative = decreasing)
    claim.check(
        predicted=0.0,
        measured=worst,
        tol=1e-10,
        relation="<=",
        positive_runs=n_pos,
        runs=n_all,
    )


@pytest.mark.claim(
    paper=KREISLER,
    where="abstract: GFS sharpness decreases monotonically (outside the regime of the in-regime "
    "claim; the theorem's conditions could not be read)",
    statement="D = 2, y = 1, η φ0/2 ~ U[1, 2], 1500 steps: φ_t is non-increasing (rel 1e-10) on "
    "every run whose weights stay positive",
    basis="reconstruction",
)
@pytest.mark.xfail(
    reason="refuted outside the stated regime: D=2, ratio >= 1.5215: 44 of 844 positive runs "
    "(2000-run seeded scan) violate monotonicity, max rel increase 2.5e-3",
    strict=True,
    raises=ClaimDisagreement,
)
def test_a7_refuted_outside_regime(claim, d2_scan):
    rel, ratio = d2_scan["rel"], d2_scan["ratio"]
    viol = np.any(rel > 1e-10, axis=0)  # same threshold as the in-regime claim
    n_viol = int(viol.sum())
    smallest = float(ratio[viol].min()) if n_viol else float("nan")
    max_inc = float(rel.max())
    claim.note(
        f"{n_viol} violating runs of {d2_scan['n_pos']} positive ({d2_scan['n']} total); "
        f"smallest violating η φ0/2 = {smallest:.4f}; max relative increase {max_inc:.3g}"
    )
    claim.check(
        predicted=0,
        measured=n_viol,
        tol=0,
        smallest_violating_ratio=smallest,
        max_rel_increase=max_inc,
        positive_runs=d2_scan["n_pos"],
    )


# ----------------------------------------------------------------------------- A8, A9: limits
@pytest.fixture(scope="module")
def limit_scan():
    """D in {2,3,4}, y = 1, w0 ~ logU[0.3, 2.5]^D, η φ0/2 ~ U[0.2, 2], 2e4 steps (one call per D).

    EoS convergence is sub-linear (brief §A.5), so the horizon is long; converged := loss < 1e-20.
    """
    rows = []
    for depth in (2, 3, 4):
        net = net_of(depth)
        rng = np.random.default_rng(80 + depth)
        n = 150
        w0 = log_uniform(rng, 0.3, 2.5, (n, depth))
        ratio = rng.uniform(0.2, 2.0, n)
        eta = 2 * ratio / net.gfs_sharpness(w0)
        tr = tm.gd(net.model, w0, eta, 20_000, record_every=0, paired=True)
        loss = tr.loss[-1]
        conv = ~tr.diverged & np.isfinite(loss) & (loss < 1e-20)
        w_inf = tr.final[conv]
        S = tm.sharpness(net.model, w_inf)
        # independent sharpness: y² Σ 1/w_i² at the limit (y = 1; closed form of A1)
        S_cf = np.sum(1.0 / w_inf**2, axis=-1)
        # GD check on the first 4 converged members: 50 steps by the library and by a hand loop
        # whose η comes from the brentq φ (not the library's), so a wrong φ or a wrong step shows
        idx = np.flatnonzero(conv)[:4]
        phi_indep = np.array([gf_limit(w, 1.0)[1] for w in w0[idx]])
        eta_indep = 2 * ratio[idx] / phi_indep
        gd_lib = tm.gd(net.model, w0[idx], eta[idx], 50, record_every=0, paired=True).final
        gd_hand = hand_gd(w0[idx], eta_indep, 1.0, 50)
        rows.append((ratio[conv], eta[conv] * S / 2, S, S_cf, gd_lib.ravel(), gd_hand.ravel()))
    ratio, half_eta_S, S, S_cf, gd_lib, gd_hand = (
        np.concatenate([r[k] for r in rows]) for k in range(6)
    )
    return ratio, half_eta_S, S, S_cf, gd_lib, gd_hand


@pytest.mark.claim(
    paper=KREISLER,
    where="linear stability of the limit (brief §F A8; Cohen et al. 2021 §2), not a statement "
    "read in the paper; sharpness closed form: proofs_check scalar_hessian_rank_one",
    statement="whenever GD converges (loss < 1e-20), S(w_inf) <= (2/η)(1 + 1e-9), and "
    "S(w_inf) = Σ 1/w_i² (rel 1e-8)",
    basis="empirical",
)
def test_a8_converged_limits_are_stable(claim, limit_scan):
    ratio, half_eta_S, S, S_cf, gd_lib, gd_hand = limit_scan
    assert ratio.size >= 150
    # the sharpness itself, two-sided, against the closed form y² Σ 1/w_i² (y = 1) at the limit:
    # at loss < 1e-20, |r| < 1.5e-10, and H = g gᵀ + r M with |g|² = (1 + r)² Σ 1/w_i², so
    # |S - Σ 1/w_i²| <= 2|r| S + |r| ‖M‖ <~ 1e-9 S for these O(0.3..3) weights; 1e-8 is 10x that
    claim.check(predicted=S_cf, measured=S, rtol=1e-8, converged=int(ratio.size))
    # the runs are GD with the stated step (the 50-step prefix of the first 4 converged members
    # per D, hand loop with η from the brentq φ): η agrees to a few ulp and round-off ε ≈ 1e-16
    # grows by at most the 50 step-Jacobian norms (O(1) each at η φ0/2 <= 2); the two agree to
    # ~1e-15 today, 1e-10 leaves room while 1.001·η (or a 0.1 % φ) moves them by ~1e-4
    claim.check(predicted=gd_hand, measured=gd_lib, rtol=1e-10, steps=50)
    # 1e-9: a limit with ηS/2 > 1 is linearly unstable (GD cannot converge to it); at loss
    # < 1e-20 the Hessian is within ~1e-10 of the rank-one g gᵀ, so only rounding is left.
    # measured: max over converged runs of ηS_inf/2 (signed margin 1 - that)
    claim.check(
        predicted=1.0,
        measured=float(half_eta_S.max()),
        tol=1e-9,
        relation="<=",
        converged=int(ratio.size),
    )


@pytest.mark.claim(
    paper=KREISLER,
    where="abstract: GD converges to the edge of stability (φ0 > 2/η); the bound checked is "
    "linear stability (brief §F A9: empirical, only 0 < ηS/2 <= 1 is safe)",
    statement="with φ0 > 2/η, converged runs have 0 < ηS_inf/2 <= 1 and S_inf = Σ 1/w_i² "
    "(spread recorded; the value is not pinned to 1)",
    basis="empirical",
)
def test_a9_eos_limits_bounded(claim, limit_scan):
    ratio, half_eta_S, S, S_cf, gd_lib, gd_hand = limit_scan
    above = ratio > 1
    v = half_eta_S[above]
    assert v.size >= 50
    spread = [float(v.min()), float(np.median(v)), float(v.max())]
    # the sharpness itself, two-sided, against y² Σ 1/w_i² (same bound and 1e-8 as A8)
    claim.check(predicted=S_cf[above], measured=S[above], rtol=1e-8, n=int(v.size))
    # the runs are GD with the stated step (the 50-step prefix of the first 4 converged members
    # per D, hand loop with η from the brentq φ): η agrees to a few ulp and round-off ε ≈ 1e-16
    # grows by at most the 50 step-Jacobian norms (O(1) each at η φ0/2 <= 2); the two agree to
    # ~1e-15 today, 1e-10 leaves room while 1.001·η (or a 0.1 % φ) moves them by ~1e-4
    claim.check(predicted=gd_hand, measured=gd_lib, rtol=1e-10, steps=50)
    # only the stability bound is asserted (same 1e-9 as A8); "≈ 1" is the refuted claim below
    claim.check(predicted=0.0, measured=float(v.min()), relation=">=", min_half_eta_S=spread[0])
    claim.check(
        predicted=1.0,
        measured=float(v.max()),
        tol=1e-9,
        relation="<=",
        n=int(v.size),
        spread_min_median_max=spread,
    )


@pytest.mark.claim(
    paper=KREISLER,
    where="abstract: GD converges to the edge of stability (popular reading; the brief only "
    "recalls, unconfirmed, 'final sharpness close to 2/η', §A.4)",
    statement="with φ0 > 2/η, every converged run ends with sharpness ≈ 2/η: |ηS_inf/2 - 1| "
    "<= 0.05",
    basis="empirical",
)
@pytest.mark.xfail(
    reason="refuted: the 94 converged runs with φ0 > 2/η (D=2,3,4; seeded scan) end with "
    "ηS_inf/2 min 0.294, median 0.953, max 0.999: many land far below the edge",
    strict=True,
    raises=ClaimDisagreement,
)
def test_a9_refuted_sharpness_equals_two_over_eta(claim, limit_scan):
    ratio, half_eta_S, S, S_cf, _, _ = limit_scan
    # precondition (a plain assert, so a broken spectrum is an error, not a refutation): the
    # measured sharpness is the closed form y² Σ 1/w_i² (tolerance as in A8)
    assert np.allclose(S, S_cf, rtol=1e-8, atol=0), float(np.max(np.abs(S / S_cf - 1)))
    v = half_eta_S[ratio > 1]
    claim.check(
        predicted=1.0,
        measured=[float(v.min()), float(np.median(v)), float(v.max())],
        tol=0.05,
        n=int(v.size),
        note="min/median/max of ηS_inf/2",
    )


# ----------------------------------------------------------------------------- A10: small step
@pytest.mark.claim(
    paper=KREISLER,
    where="brief §A.5 / §F A10 (small step ≈ gradient flow; tolerance from the brief's run)",
    statement="w0 = (0.4, 1.3, 2.0), y = 1, η φ0/2 = 0.5: GD ends within 1e-3 (relative) of the "
    "GFS sharpness φ0",
    basis="empirical",
)
def test_a10_small_step_close_to_gf(claim):
    net = net_of(3)
    w0 = np.array([0.4, 1.3, 2.0])
    phi0 = float(net.gfs_sharpness(w0))
    _, phi_indep = gf_limit(w0, 1.0)
    assert abs(phi0 - phi_indep) <= 1e-12 * phi_indep
    eta = 0.5 * 2 / phi0
    tr = tm.gd(net.model, w0, eta, 5000, record_every=0)
    assert float(tr.loss[-1]) < 1e-20  # ηS ~ 1: linear rate ~ 1/2 per step, done in ~100 steps
    S_inf = float(tm.sharpness(net.model, tr.final))
    # 1e-3: GD's balance drift is O(η² Σ r_t²) (A3), measured 1.1e-4 in the brief
    claim.check(predicted=phi0, measured=S_inf, rtol=1e-3, rel_diff=abs(S_inf - phi0) / phi0)
