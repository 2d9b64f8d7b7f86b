"""Claims: the two-parameter second-order regression model (brief §1.2, §2.3, claim 14).

Agarwala, Pedregosa, Pennington, "Second-order regression models exhibit progressive sharpening to
the edge of stability" (ICML 2023). The paper's normalisation and theorem could not be read; the
model instance (one datapoint, z(θ) = z0 + J0·θ + (q/2)θᵀdiag(1, −1)θ) and its exact (p, x) map
are the brief's reconstruction, so every claim here has basis "reconstruction".
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import toymodels as tm
from toymodels.models.quadratic_regression import (
    cubic_map_family,
    second_order_coordinates,
    second_order_map_family,
    second_order_model,
)

AGARWALA = "Agarwala, Pedregosa, Pennington (ICML 2023)"  # basis reconstruction on every claim


@pytest.mark.claim(
    paper=AGARWALA,
    basis="reconstruction",
    where="brief §1.2 (exact reduction)",
    statement="parameter GD equals the (p, x) map p' = p(1-x) + p²(p-p*), "
    "x' = x(1+p²) - 4p(p-p*) to 1e-12",
)
@given(
    z0=st.floats(-1, 1),
    j1=st.floats(-1, 1),
    j2=st.floats(-1, 1),
    q=st.floats(0.2, 1.5),
    eta=st.floats(0.1, 1.0),
    t1=st.floats(-0.5, 0.5),
    t2=st.floats(-0.5, 0.5),
)
def test_reduction_exact(claim, z0, j1, j2, q, eta, t1, t2):
    m = second_order_model(z0, (j1, j2), q)
    tr = tm.gd(m, [t1, t2], eta, 30)
    assume(not tr.diverged)
    p, x, ps = second_order_coordinates(tr.theta, eta, z0, (j1, j2), q)
    assume(np.max(np.abs(p)) < 10 and np.max(x) < 10)
    mp = tm.iterate(second_order_map_family()(ps), [p[0], x[0]], 30).theta
    err = float(max(np.max(np.abs(mp[:, 0] - p)), np.max(np.abs(mp[:, 1] - x))))
    claim.check(predicted=0.0, measured=err, tol=1e-12 * max(1.0, float(np.max(x))))


def admissible_batch(rng, n, ps_range, x_range=(1e-3, 3.0)):
    ps = rng.uniform(*ps_range, n)
    x0 = rng.uniform(*x_range, n)
    c0 = rng.uniform(-1, 1, n) * x0
    return ps, np.stack([ps + c0 / 2, x0], axis=-1)


@pytest.mark.claim(
    paper=AGARWALA,
    basis="reconstruction",
    where="brief §2.3 (admissibility invariant)",
    statement="|2(p - p*)| <= x is preserved by the dynamics",
)
def test_admissibility_preserved(claim):
    # fixed seeded batch (reproducible): 1024 runs
    ps, s0 = admissible_batch(np.random.default_rng(2023), 1024, (-0.99, 0.99))
    tr = tm.iterate(second_order_map_family()(ps), s0, 500, record_every=1)
    p, x = tr.theta[..., 0], tr.theta[..., 1]
    alive = np.isfinite(p) & np.isfinite(x)  # diverged members are NaN after divergence
    slack = np.where(alive, x - np.abs(2 * (p - ps)), np.inf)
    worst = float(np.min(slack / np.where(alive, np.maximum(1.0, np.abs(x)), 1.0)))
    # signed min of (x - |2(p-p*)|)/max(1,x); slack 1e-12 = relative round-off over 500 steps
    claim.check(predicted=0.0, measured=worst, tol=1e-12, relation=">=")


@pytest.mark.claim(
    paper=AGARWALA,
    basis="reconstruction",
    where="brief §2.3 (edge of stability)",
    statement="every converged run ends with 2|p*| <= ηλ_inf <= 2",
)
def test_converged_sharpness_window(claim):
    ps, s0 = admissible_batch(np.random.default_rng(2023), 512, (-0.99, 0.99))
    tr = tm.iterate(second_order_map_family()(ps), s0, 10_000, record_every=0)
    p, x = tr.final[:, 0], tr.final[:, 1]
    conv = ~tr.diverged & (np.abs(p) < 1e-14)
    lo = x[conv] - 2 * np.abs(ps[conv])
    claim.check(predicted=1, measured=int(conv.sum()), relation=">=")
    # slack 1e-9: the brief's convergence criterion |p| < 1e-14 leaves x within ~1e-12 of x_inf
    claim.check(predicted=0.0, measured=float(lo.min()), tol=1e-9, relation=">=")
    claim.check(predicted=2.0, measured=float(x[conv].max()), tol=1e-9, relation="<=")
    # two-sided sharpness check: x = ηλ with λ = |J|² is η S at a minimum (Hessian J Jᵀ), so
    # parameter GD on the model must end with η · sharpness (library) = η |J(θ)|² (hand): a
    # converged run from z0 = 0.3, J0 = (1, 0.5), q = 1, η = 0.9
    eta, z0, J0, qq = 0.9, 0.3, np.array([1.0, 0.5]), 1.0
    m = second_order_model(z0, (1.0, 0.5), qq)
    th = tm.gd(m, [0.0, 0.0], eta, 5000, record_every=0).final
    # the prediction runs its own GD with the closed-form gradient ∇L = z J(θ),
    # z = z0 + J0·θ + (q/2)(θ1² - θ2²), J(θ) = J0 + q diag(1, -1) θ, so the minimum it lands on
    # (which depends on the step) is not taken from tm.gd / the sympy gradient
    sgn = np.array([1.0, -1.0])
    th_h = np.zeros(2)
    for _ in range(5000):
        Jh = J0 + qq * sgn * th_h
        zh = z0 + J0 @ th_h + qq * (th_h[0] ** 2 - th_h[1] ** 2) / 2
        th_h = th_h - eta * zh * Jh
    J = J0 + qq * sgn * th_h
    # rtol 1e-9: at the minimum |z| < 1e-14 the Hessian is J Jᵀ + z q diag(1,-1): 1e-14 off, and
    # the two GD runs differ by rounding only (~1e-16 along the valley of minima)
    claim.check(predicted=eta * float(J @ J), measured=eta * float(tm.sharpness(m, th)), rtol=1e-9)
    claim.check(predicted=2.0, measured=eta * float(J @ J), relation="<=")


@pytest.mark.claim(
    paper=AGARWALA,
    basis="reconstruction",
    where="brief §2.3 (no stable minimum)",
    statement="for |p*| in [1.01, 1.5] GD never converges (1e5 steps)",
)
def test_no_convergence_beyond_unit_offset(claim):
    rng = np.random.default_rng(14)
    ps, s0 = admissible_batch(rng, 256, (1.01, 1.5))
    ps = ps * rng.choice([-1.0, 1.0], ps.shape)
    s0[:, 0] = ps + (s0[:, 0] - np.abs(ps)) * np.sign(ps)
    tr = tm.iterate(second_order_map_family()(ps), s0, 100_000, record_every=0)
    conv = ~tr.diverged & (np.abs(tr.final[:, 0]) < 1e-14)
    claim.check(predicted=0, measured=int(conv.sum()), diverged=int(tr.diverged.sum()))


@pytest.mark.claim(
    paper=AGARWALA,
    basis="reconstruction",
    where="brief §1.2 (invariant axis J2 = 0)",
    statement="on c0 = x0 with p* = -a, Z = 1 - p/p* follows Chen's F_a",
)
@given(a=st.floats(0.05, 1.2), frac=st.floats(0.05, 0.95))
def test_axis_is_cubic_map(claim, a, frac):
    ps = -a
    x0 = 2 * a * frac  # c0 = x0 keeps J2 = 0
    s0 = [ps + x0 / 2, x0]
    tr = tm.iterate(second_order_map_family()(ps), s0, 40)
    Z = 1 - tr.theta[:, 0] / ps
    zmap = tm.iterate(cubic_map_family()(a), Z[0], 40).theta[:, 0]
    claim.check(predicted=0.0, measured=float(np.max(np.abs(Z - zmap))), tol=1e-12)
