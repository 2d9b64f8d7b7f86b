"""Planted truths for the map layer and the orbit tools, chosen so that each fails under a
specific slip (the mutation catalogue in tests/mutation names them): the derivative of a GD
family in η, the order of Jacobian products along an orbit, the renormalisation in Benettin's
algorithm, and the sign of the chaos threshold in ``classify``.
"""

from __future__ import annotations

import numpy as np

import toymodels as tm
from toymodels.maps import gd_family


def test_gd_family_dfdp_is_minus_gradient_by_finite_differences() -> None:
    # F_η(θ) = θ − η∇L(θ) is linear in η, so the central difference is exact up to round-off
    m = tm.Model.from_sympy("(x*y - 1)**2/2 + x**4/4", params=("x", "y"))
    fam = gd_family(m)
    theta = np.array([[0.7, -1.3], [1.1, 0.4]])
    eta = np.array([0.3, 0.8])
    h = 1e-3
    fd = (fam(eta + h).fn(theta, eta + h) - fam(eta - h).fn(theta, eta - h)) / (2 * h)
    np.testing.assert_allclose(fam.dfdp(theta, eta), fd, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fam.dfdp(theta, eta), -m.grad(theta), rtol=0, atol=1e-15)


def test_orbit_jacobian_is_the_ordered_product() -> None:
    # Hénon map: Jacobians along an orbit do not commute, so the order of the product matters
    F = tm.Map.from_sympy(["1 - a*x**2 + y", "0.3*x"], state=("x", "y"), param="a")(1.4)
    x = np.array([0.1, 0.2])
    pts = [x]
    for _ in range(4):
        pts.append(F(pts[-1]))
    expected = np.eye(2)
    for p in pts[:4]:
        a_x = -2 * 1.4 * p[0]
        expected = np.array([[a_x, 1.0], [0.3, 0.0]]) @ expected
    end, J = F.orbit_jacobian(x, 4)
    np.testing.assert_allclose(end, pts[4], rtol=1e-14)
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-12)


def test_lyapunov_of_a_linear_2d_map_is_log_of_its_top_eigenvalue() -> None:
    # diag(0.5, 0.25) contracts to 0: every exponent is exact, the largest is log 0.5
    F = tm.Map.from_sympy(["c*x", "c*y/2"], state=("x", "y"), param="c")(0.5)
    lam = tm.lyapunov_exponent(F, [0.3, -0.2], steps=200, burn_in=0)
    assert abs(float(np.asarray(lam)) - np.log(0.5)) <= 1e-12


def test_classify_calls_a_quasi_periodic_rotation_unknown_not_chaotic() -> None:
    # rotation by an irrational angle: bounded, aperiodic, Lyapunov exponent exactly 0 < threshold
    w = 2 * np.pi * (np.sqrt(5) - 1) / 2
    F = tm.Map.from_sympy(
        ["cos(w)*x - sin(w)*y", "sin(w)*x + cos(w)*y"], state=("x", "y"), param="w"
    )(w)
    phase = tm.classify(F, [1.0, 0.0])
    assert phase.kind != "chaotic", phase
    assert abs(phase.lyapunov) <= 1e-6 or np.isnan(phase.lyapunov), phase
