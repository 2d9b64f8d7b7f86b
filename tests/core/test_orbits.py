"""Orbit tools on planted maps whose answers are known independently of the library.

* Logistic map x ↦ r·x(1 − x): fixed point 1 − 1/r with multiplier 2 − r; flip at r = 3; the
  2-cycle x± = (r + 1 ± √((r − 3)(r + 1)))/(2r) with multiplier 4 + 2r − r², which flips at
  r = 1 + √6; the period-3 window opens by a saddle-node at r = 1 + √8; at r = 4 the map is
  conjugate to the tent map and λ = log 2.
* Hénon map (a, b) = (1.4, 0.3): largest Lyapunov exponent 0.41922 (Sprott, *Chaos and
  Time-Series Analysis*, 2003, App. A — the standard value).
* A 2-D map with planted real eigenvalues: F = P∘(f × g)∘P⁻¹ with f logistic and
  g(u) = μu + u², so the multipliers of its cycles are known in closed form.

(The cubic map F_a of Chen et al. is covered by the lead's tests.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm

SQ6 = 1 + math.sqrt(6)  # second flip of the logistic map
SQ8 = 1 + math.sqrt(8)  # period-3 saddle-node of the logistic map


@pytest.fixture(scope="module")
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


@pytest.fixture(scope="module")
def henon() -> tm.Map:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], constants={"a": 1.4, "b": 0.3}
    )


MU = 0.5  # multiplier of the planted transverse fixed point


@pytest.fixture(scope="module")
def planted() -> tm.MapFamily:
    """F_r(z) = P (f_r(u₁), g(u₂)) with u = P⁻¹z, P = [[2, 1], [1, 1]], P⁻¹ = [[1, −1], [−1, 2]],
    f_r(u) = r·u(1 − u), g(u) = μu + u². DF^k is conjugate to diag((f^k)', (g^k)'), so the
    multipliers at a cycle of f (with u₂ = 0) are {(f^k)', μ^k}: a real, rotation-free linear part
    whose eigenvectors are not the coordinate axes."""
    u1 = "(x - y)"
    u2 = "(-x + 2*y)"
    f = f"r*{u1}*(1 - {u1})"
    g = f"({MU}*{u2} + {u2}**2)"
    return tm.Map.from_sympy([f"2*{f} + {g}", f"{f} + {g}"], state=["x", "y"], param="r")


def P(u1: float, u2: float = 0.0) -> np.ndarray:
    return np.array([2 * u1 + u2, u1 + u2])


# ----------------------------------------------------------------------------- fixed point, cycles
@given(st.floats(1.2, 2.95))
def test_logistic_fixed_point(logistic, r):
    """Newton stops once |F(z) − z| ≤ 1e-12·(1 + |z|) ≤ 2e-12, so z is within
    2e-12/|1 − F'(z*)| ≤ 1e-11 of 1 − 1/r (|1 − (2 − r)| ≥ 0.2 on this range); the multiplier
    2 − r is then correct to |F''|·1e-11 = 2r·1e-11 < 1e-10."""
    cyc = tm.find_cycle(logistic(r), 0.5, 1)
    assert cyc.converged and cyc.period == 1
    assert cyc.points.shape == (1, 1)
    assert abs(cyc.points[0, 0] - (1 - 1 / r)) < 1e-11
    assert abs(cyc.multiplier - (2 - r)) < 1e-10
    assert cyc.stable == (abs(2 - r) < 1)
    assert cyc.residual <= 1e-12 * (1 + abs(cyc.points[0, 0]))


@given(st.floats(3.05, 3.44))
def test_logistic_two_cycle(logistic, r):
    """x± = (r + 1 ± √((r − 3)(r + 1)))/(2r), multiplier 4 + 2r − r². As above, the position
    error is ≤ 2e-12/|1 − μ| with μ = 4 + 2r − r² ≤ 0.8 on this range: < 1e-11."""
    disc = math.sqrt((r - 3) * (r + 1))
    lo, hi = (r + 1 - disc) / (2 * r), (r + 1 + disc) / (2 * r)
    cyc = tm.find_cycle(logistic(r), lo + 0.01, 2)
    assert cyc.converged and cyc.period == 2
    np.testing.assert_allclose(np.sort(cyc.points[:, 0]), [lo, hi], atol=1e-11)
    assert abs(cyc.multiplier - (4 + 2 * r - r * r)) < 1e-9
    assert cyc.stable


def test_find_cycle_reports_minimal_period(logistic):
    """Asking for k = 4 at the fixed point returns period 1 and the multiplier of DF, not DF⁴."""
    r = 2.5
    cyc = tm.find_cycle(logistic(r), 1 - 1 / r + 1e-3, 4)
    assert cyc.converged and cyc.period == 1
    assert abs(cyc.multiplier - (2 - r)) < 1e-10


def test_planted_fixed_point_multipliers(planted):
    """At r = 2.5 the fixed point is u = (1 − 1/r, 0) with DF ~ diag(2 − r, μ) = diag(−0.5, 0.5):
    multipliers sorted by modulus, both real."""
    r = 2.5
    z_star = P(1 - 1 / r)
    cyc = tm.find_cycle(planted(r), z_star + np.array([0.01, -0.02]), 1)
    assert cyc.converged and cyc.period == 1
    np.testing.assert_allclose(cyc.points[0], z_star, atol=1e-12)
    assert not np.iscomplexobj(cyc.multipliers)
    np.testing.assert_allclose(np.sort(cyc.multipliers), [2 - r, MU], atol=1e-12)
    assert cyc.stable


def test_planted_two_cycle_multipliers(planted):
    """r = 3.2: 2-cycle of f with (f²)' = 4 + 2r − r² = 0.16, transverse μ² = 0.25.
    cyc.multipliers are ordered by decreasing modulus: [0.25, 0.16]."""
    r = 3.2
    disc = math.sqrt((r - 3) * (r + 1))
    lo, hi = (r + 1 - disc) / (2 * r), (r + 1 + disc) / (2 * r)
    cyc = tm.find_cycle(planted(r), P(lo) + np.array([0.01, 0.0]), 2)
    assert cyc.converged and cyc.period == 2
    got = {tuple(np.round(p, 10)) for p in cyc.points}
    assert got == {tuple(np.round(P(lo), 10)), tuple(np.round(P(hi), 10))}
    np.testing.assert_allclose(cyc.multipliers, [MU**2, 4 + 2 * r - r * r], atol=1e-10)
    # an unstable planted cycle: above 1 + √6 the 2-cycle has (f²)' < −1
    r = 3.5
    disc = math.sqrt((r - 3) * (r + 1))
    lo = (r + 1 - disc) / (2 * r)
    cyc = tm.find_cycle(planted(r), P(lo) + np.array([1e-3, 0.0]), 2)
    assert cyc.converged and cyc.period == 2
    assert not cyc.stable
    np.testing.assert_allclose(np.sort(cyc.multipliers), [4 + 2 * r - r * r, MU**2], atol=1e-10)


# ----------------------------------------------------------------------------- bifurcations
def test_logistic_period_doubling_points(logistic):
    """The flips r₁ = 3 and r₂ = 1 + √6 in closed form; the library brackets them by
    continuation and polishes by Newton on {F^k(z) = z, det(DF^k + I) = 0}, whose residual is
    ~1e-15, so 1e-9 is a loose bound (the root is simple: the multiplier crosses −1 with
    non-zero speed, d(2 − r)/dr = −1 and d(4 + 2r − r²)/dr = −2√6)."""
    pts = tm.period_doubling_points(logistic, 0.5, (2.8, 3.5), max_doublings=2)
    assert pts.shape == (2,)
    np.testing.assert_allclose(pts, [3.0, SQ6], rtol=0, atol=1e-9)
    details = tm.period_doubling_points(
        logistic, 0.5, (2.8, 3.5), max_doublings=2, return_details=True
    )
    assert [b.period for b in details] == [1, 2]
    assert all(b.kind == "flip" and b.converged for b in details)
    for b, exact in zip(details, (3.0, SQ6), strict=True):
        assert b.bracket[0] <= exact <= b.bracket[1]
        assert b.test_values[0] > 0 > b.test_values[1]
        assert b.residual < 1e-9
    # the flip point of the fixed point is z* = 1 − 1/3 = 2/3
    assert abs(details[0].point[0] - 2 / 3) < 1e-9


def test_logistic_period_doubling_accepts_a_callable(logistic):
    """A plain callable p ↦ Map (finite-difference ∂F/∂p) finds the same points."""
    pts = tm.period_doubling_points(lambda r: logistic(r), 0.5, (2.8, 3.5), max_doublings=2)
    np.testing.assert_allclose(pts, [3.0, SQ6], rtol=0, atol=1e-9)


def test_logistic_period_three_saddle_node(logistic):
    """The period-3 window opens at r = 1 + √8 (Myrberg / Saha–Strogatz 1995). Starting inside
    the window at 3.835 and continuing down; polished by Newton on det(DF³ − I) = 0 with a
    residual ~1e-15. A fold is a double root in p of the cycle equation, but the augmented
    system is regular there, so 1e-9 is again loose."""
    sn = tm.saddle_node_points(logistic, 0.5, 3.835, 3.82, return_details=True)
    assert sn.kind == "saddle-node" and sn.period == 3 and sn.converged
    assert abs(sn.param - SQ8) < 1e-9
    assert abs(tm.saddle_node_points(logistic, 0.5, 3.835, 3.82) - SQ8) < 1e-9


# ----------------------------------------------------------------------------- Lyapunov
def test_logistic_lyapunov_r4_is_log2(logistic):
    """At r = 4, log|F'(x_t)| = log 2 + (a coboundary), so the time average converges like 1/T;
    with 2e4 steps from 64 random starts the mean is within ~1e-4 of log 2 (±0.01 is a loose
    bound that still distinguishes log 2 from any other simple value)."""
    x0 = np.random.default_rng(0).uniform(0.05, 0.95, 64)
    lam = tm.lyapunov_exponent(logistic(4.0), x0, steps=20_000)
    assert lam.shape == (64,)
    assert np.all(np.isfinite(lam))
    assert abs(lam.mean() - math.log(2)) < 0.01


@given(st.floats(1.2, 2.9))
def test_logistic_lyapunov_at_stable_fixed_point(logistic, r):
    """At an attracting fixed point λ = log|F'(z*)| = log|2 − r|. After a 2000-step burn-in the
    orbit sits at z* to machine precision (|2 − r| ≤ 0.9, 0.9^2000 ≈ 1e-92), so λ matches to
    1e-9."""
    lam = tm.lyapunov_exponent(logistic(r), 0.3, steps=500)
    assert abs(lam - math.log(abs(2 - r))) < 1e-9


def test_henon_lyapunov_qr_path(henon):
    """2-D: the tangent vector is renormalised every step (Benettin). The finite-time exponent
    over 2e4 steps scatters with σ ≈ 0.003 between starts; the mean of 16 starts has σ ≈ 0.001,
    so ±0.01 around 0.41922 is a ≥ 5σ bound."""
    rng = np.random.default_rng(1)
    x0 = 0.1 + 0.01 * rng.standard_normal((16, 2))
    res = tm.lyapunov_exponent(henon, x0, steps=20_000, return_result=True)
    assert res.exponent.shape == (16,)
    assert not res.diverged.any()
    assert abs(np.mean(res.exponent) - 0.41922) < 0.01
    assert np.all(res.half_difference < 0.05)


def test_lyapunov_of_diverging_member_is_nan(logistic):
    lam = tm.lyapunov_exponent(logistic(np.array([2.5, 4.5])), 0.3, steps=100)
    assert abs(lam[0] - math.log(0.5)) < 1e-9
    assert np.isnan(lam[1])


# ----------------------------------------------------------------------------- period / classify
@pytest.mark.parametrize(
    ("r", "expected"),
    [(2.5, 1), (3.2, 2), (3.5, 4), (3.55, 8), (3.835, 3), (3.9, 0), (4.5, 0)],
)
def test_logistic_period(logistic, r, expected):
    """Periods of the attractor: 1, 2, 4 (r ∈ (3.449, 3.544)), 8 (r ∈ (3.5441, 3.5644)), 3 in
    the period-3 window, 0 for chaos (r = 3.9) and for divergence (r = 4.5 from 0.3)."""
    x0 = 0.5 if r < 4 else 0.3
    assert tm.period(logistic(r), x0) == expected


def test_logistic_period_batched(logistic):
    r = np.array([2.5, 3.2, 3.5, 3.835, 3.9, 4.5])
    per = tm.period(logistic(r), 0.3)
    assert per.tolist() == [1, 2, 4, 3, 0, 0]


@pytest.mark.parametrize(
    ("r", "x0", "kind", "period"),
    [
        (1.5, 0.3, "converged_monotone", 1),  # multiplier 2 − r = 0.5
        (2.5, 0.3, "converged_oscillating", 1),  # multiplier 2 − r = −0.5
        (3.2, 0.3, "periodic", 2),
        (3.9, 0.3, "chaotic", 0),
        (4.5, 0.3, "diverged", 0),
    ],
)
def test_logistic_classify(logistic, r, x0, kind, period):
    ph = tm.classify(logistic(r), x0)
    assert ph.kind == kind
    assert ph.period == period
    if kind.startswith("converged"):
        assert ph.converged
        assert abs(ph.multiplier - (2 - r)) < 1e-9
        assert abs(ph.limit[0] - (1 - 1 / r)) < 1e-9
    if kind == "chaotic":
        assert ph.lyapunov > 0.1  # λ(3.9) ≈ 0.49
    if kind == "diverged":
        assert ph.diverged_at >= 1
        assert str(ph).startswith("diverged")
    if kind == "periodic":
        assert str(ph) == "periodic(2)"


def test_classify_batched_equals_single(logistic):
    r = np.array([1.5, 2.5, 3.2, 3.9, 4.5])
    phases = tm.classify(logistic(r), 0.3)
    assert phases.shape == (5,)
    assert [p.kind for p in phases] == [
        "converged_monotone",
        "converged_oscillating",
        "periodic",
        "chaotic",
        "diverged",
    ]
    for ri, ph in zip(r, phases, strict=True):
        single = tm.classify(logistic(float(ri)), 0.3)
        assert single.kind == ph.kind and single.period == ph.period
        assert single.diverged_at == ph.diverged_at


def test_classify_planted_two_dimensional(planted):
    """2-D: at r = 2.5 the dominant multiplier of DF at the fixed point is ±0.5 — a tie in
    modulus between 2 − r = −0.5 and μ = 0.5, so use r = 2.8 (2 − r = −0.8 dominates)."""
    ph = tm.classify(planted(2.8), P(0.5))
    assert ph.kind == "converged_oscillating"
    assert abs(ph.multiplier - (2 - 2.8)) < 1e-9
    ph = tm.classify(planted(1.2), P(0.5))  # 2 − r = 0.8 dominates μ = 0.5
    assert ph.kind == "converged_monotone"
    assert tm.classify(planted(3.2), P(0.5)).kind == "periodic"


# ----------------------------------------------------------------------------- orbit diagrams
def test_bifurcation_diagram_shapes(logistic):
    r = np.linspace(2.8, 4.0, 25)
    for seeding in ("fixed", "continuation"):
        bd = tm.bifurcation_diagram(logistic, r, 0.3, burn_in=300, keep=20, seeding=seeding)
        assert bd.points.shape == (25, 20, 1)
        assert bd.params.shape == (25,)
        assert bd.diverged.shape == (25,)
        assert bd.seeding == seeding and bd.burn_in == 300
        assert not bd.diverged.any()
        # the first parameter (r = 2.8 < 3) sits on its fixed point
        np.testing.assert_allclose(bd.points[0, :, 0], 1 - 1 / 2.8, atol=1e-9)


def test_bifurcation_diagram_fixed_equals_loop(logistic):
    """Fixed seeding with a MapFamily is one vectorized call; it must equal a per-parameter loop
    (and the callable-family code path) bit for bit, including diverged parameters."""
    r = np.array([2.5, 3.2, 3.5, 3.9, 4.0, 4.3])
    burn_in, keep = 200, 15
    bd = tm.bifurcation_diagram(logistic, r, 0.3, burn_in=burn_in, keep=keep)
    assert bd.diverged.tolist() == [False] * 5 + [True]
    for i, ri in enumerate(r):
        tr = tm.iterate(logistic(float(ri)), 0.3, burn_in + keep - 1)
        np.testing.assert_array_equal(bd.points[i], tr.theta[burn_in:])
    bd2 = tm.bifurcation_diagram(lambda p: logistic(p), r, 0.3, burn_in=burn_in, keep=keep)
    np.testing.assert_array_equal(bd2.points, bd.points)
    np.testing.assert_array_equal(bd2.diverged, bd.diverged)


def test_bifurcation_diagram_continuation_seeds_from_previous(logistic):
    """Continuation: parameter i starts from the last kept state of parameter i − 1; after a
    diverged parameter it restarts from state0."""
    r = np.array([2.9, 3.1, 3.3, 4.5, 3.4])
    burn_in, keep = 100, 10
    bd = tm.bifurcation_diagram(
        logistic, r, 0.3, burn_in=burn_in, keep=keep, seeding="continuation"
    )
    assert bd.diverged.tolist() == [False, False, False, True, False]
    seed = np.array([0.3])
    for i, ri in enumerate(r):
        tr = tm.iterate(logistic(float(ri)), seed, burn_in + keep - 1)
        np.testing.assert_array_equal(bd.points[i], tr.theta[burn_in:])
        seed = np.array([0.3]) if bd.diverged[i] else tr.theta[-1]
