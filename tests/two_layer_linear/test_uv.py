"""Claims: the scalar two-layer linear net f = uv at the edge of stability.

GD on L(u, v) = ½(uv − 1)² keeps the balanced line u = v invariant and on it is exactly the
projected cubic map g_η(w) = w(1 + η(1 − w²)), so z = uv follows Chen et al.'s F_η (brief §2.2,
derived; Chen, Balasubramanian, Ghosal, Agrawalla, TMLR 2024, Thm 2.1 for F_a). Off the line the
imbalance u² − v² is multiplied by (1 − η²e²), e = uv − 1 (Lewkowycz et al. 2020 warm-up model;
the conservation law of Kreisler, Nacson, Soudry, Carmon, ICML 2023, for depth 2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm
from toymodels.models.quadratic_regression import two_cycle
from toymodels.models.two_layer_linear import balanced_line_map, uv_model

# Chen et al. Thm 2.1 seen through the uv net (brief §2.2): each `where` starts "Thm 2.1 via uv"
UNIVERSALITY = "Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024)"
LEWKOWYCZ = "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari (2020)"
FLIPS = [1.0, math.sqrt(5) - 1, 1.288031754483, 1.299227939650, 1.301628914037]


def test_sympy_model_derivatives():
    m = uv_model()
    th = np.array([[0.3, 0.5], [1.2, -0.7]])
    u, v = th[:, 0], th[:, 1]
    e = u * v - 1
    np.testing.assert_allclose(m.grad(th), np.stack([e * v, e * u], -1), rtol=1e-15)
    H = np.stack([np.stack([v * v, 2 * u * v - 1], -1), np.stack([2 * u * v - 1, u * u], -1)], -2)
    np.testing.assert_allclose(m.hessian(th), H, rtol=1e-15)


@pytest.mark.claim(
    paper=LEWKOWYCZ,
    where="§2 warm-up model; Kreisler et al. (2023) for depth 2 [brief §2.2, derived]; "
    "proofs_check uv_balanced_line",
    statement="one GD step multiplies u² - v² by exactly (1 - η²e²), e = uv - 1",
    basis="derived",
)
@given(u=st.floats(-3, 3), v=st.floats(-3, 3), eta=st.floats(0.01, 2.0))
def test_imbalance_law(claim, u, v, eta):
    m = uv_model()
    th1 = tm.gd(m, [u, v], eta, 1, record_every=0).final
    e = u * v - 1
    before, after = u * u - v * v, th1[0] ** 2 - th1[1] ** 2
    predicted = (1 - eta**2 * e**2) * before
    scale = max(1.0, abs(before), abs(predicted)) * (1 + eta * abs(e)) ** 2
    claim.check(predicted=predicted, measured=after, tol=1e-14 * scale)


@pytest.mark.claim(
    paper=UNIVERSALITY,
    where="Thm 2.1 via uv: balanced line u = v; proofs_check uv_balanced_line",
    statement="on u = v, GD is g_η(w) = w(1 + η(1 - w²)) and uv follows F_η",
    basis="derived",
)
@given(w0=st.floats(0.05, 1.5), eta=st.floats(0.05, 1.9))
def test_balanced_line_is_cubic_map(claim, w0, eta):
    tr = tm.gd(uv_model(), [w0, w0], eta, 10)
    g = tm.iterate(balanced_line_map()(eta), w0, 10).theta[:, 0]
    err = float(np.max(np.abs(tr.theta[:, 0] - g) + np.abs(tr.theta[:, 1] - g)))
    # the two computations round differently; for chaotic η (Lyapunov exponent <= log 3) ten steps
    # amplify 1e-16 by at most e^11 ~ 6e4, so 1e-9 (brief §6) leaves a wide margin
    claim.check(predicted=0.0, measured=err, tol=1e-9 * max(1.0, float(np.max(np.abs(g)))))


@pytest.mark.claim(
    paper=UNIVERSALITY,
    where="Thm 2.1 via uv: "
    "first period doubling (η in [1.02, 1.22]); proofs_check cubic_two_cycle and "
    "uv_balanced_line",
    statement="from (0.3, 0.5) uv ends on the 2-cycle z± of F_η (1e-8) and the "
    "imbalance decays below 1e-12",
    basis="derived",
)
def test_uv_two_cycle(claim):
    rng = np.random.default_rng(15)
    eta = np.sort(rng.uniform(1.02, 1.22, 48))
    tr = tm.gd(uv_model(), [0.3, 0.5], eta, 20_000, record_every=0)
    u, v = tr.final[:, 0], tr.final[:, 1]
    f = u * v
    f_next = tm.gd(uv_model(), tr.final, eta, 1, record_every=0, paired=True).final
    f_next = f_next[:, 0] * f_next[:, 1]
    # the closed form z± = (1 + a ± √((a - 1)(a + 3)))/(2a), a = η, written out here
    root = np.sqrt((eta - 1) * (eta + 3))
    zp, zm = (1 + eta + root) / (2 * eta), (1 + eta - root) / (2 * eta)
    assert np.allclose(two_cycle(eta), (zp, zm), rtol=1e-14, atol=0)  # library helper agrees
    # 1e-8 (brief §6 item 15): the cycle's multiplier 9 - 2(1 + η)² is at most 0.92 in modulus
    # here, so after 2e4 steps the transient is gone and only ~1e-15 rounding is left
    claim.check(predicted=zp, measured=np.maximum(f, f_next), tol=1e-8)
    claim.check(predicted=zm, measured=np.minimum(f, f_next), tol=1e-8)
    # the imbalance is multiplied by (1 - η²e²) each step and decays to rounding level
    imbalance = float(np.max(np.abs(u * u - v * v)))
    claim.check(predicted=1e-12, measured=imbalance, relation="<=")


@pytest.mark.claim(
    paper=UNIVERSALITY,
    where="Thm 2.1 via uv: "
    "stable phase (η < 1 = 2/λ* at the balanced min); brief §6 item 15 (measured there)",
    statement="η in [0.5, 0.98]: GD converges to uv = 1 with ηλ_inf < 2, λ_inf = λ_max of the "
    "2x2 Hessian [[v², 2uv - 1], [2uv - 1, u²]]",
    basis="empirical",
)
def test_uv_converges_below_edge(claim):
    eta = np.linspace(0.5, 0.98, 25)
    tr = tm.gd(uv_model(), [0.3, 0.5], eta, 20_000, record_every=0)
    u, v = tr.final[:, 0], tr.final[:, 1]
    resid = np.abs(u * v - 1)
    lam = tm.sharpness(uv_model(), tr.final)
    # independent prediction: the same GD written out here with the closed-form gradient
    # ∇L = (e v, e u), e = uv - 1, so the limit point does not come from tm.gd / the sympy
    # gradient (which one the library run lands on depends on η: a 1e-6 slip in the step moves
    # λ_inf by >= 3e-9 here)
    uh, vh = np.full(eta.shape, 0.3), np.full(eta.shape, 0.5)
    for _ in range(20_000):
        e = uh * vh - 1
        uh, vh = uh - eta * e * vh, vh - eta * e * uh
    # top eigenvalue of the 2x2 Hessian in closed form at the hand-run limit,
    # (tr + √((v² - u²)² + 4c²))/2 with c = 2uv - 1 (exact at any point, not only at minima)
    c = 2 * uh * vh - 1
    lam_cf = (uh * uh + vh * vh + np.sqrt((vh * vh - uh * uh) ** 2 + 4 * c * c)) / 2
    # the two runs differ by rounding only (measured 4e-16 apart: the stable phase contracts
    # across the valley and drifts along it only during the transient), and eigvalsh and the
    # closed form round at ~ε·‖H‖ with ‖H‖ = O(2): 1e-12 is loose
    claim.check(predicted=lam_cf, measured=lam, rtol=1e-12)
    # converged: |uv - 1| at rounding level after 2e4 steps (rate |1 - ηλ*| <= 0.96 per step)
    claim.check(predicted=1e-12, measured=float(resid.max()), relation="<=")
    # linear stability: max over η of ηλ_inf, signed margin 2 - that
    claim.check(predicted=2.0, measured=float((eta * lam).max()), relation="<=")


@pytest.fixture(scope="module")
def uv_cascade():
    return tm.period_doubling_points(
        uv_model(), [0.3, 0.3], (0.5, 1.31), max_doublings=5, return_details=True
    )


def _check_flip(claim, uv_cascade, k):
    bif = uv_cascade[k]
    assert bif.period == 2**k
    assert abs(bif.point[0] - bif.point[1]) < 1e-9  # the cycle lies on the balanced line
    # 1e-9 (brief §6 item 7): Newton on the 2-D map converges quadratically to ~1e-13
    claim.check(predicted=FLIPS[k], measured=bif.param, tol=1e-9, residual=bif.residual)


@pytest.mark.claim(
    paper=UNIVERSALITY,
    where="Thm 2.1 via uv: "
    "period-doubling cascade of the full 2-D GD map, first two flips; proofs_check "
    "cubic_two_cycle_multiplier (+1 at a = 1, -1 at a = √5 - 1) and uv_balanced_line",
    statement="GD on ½(uv-1)² flips at η = 1 and √5-1 (Newton on the 2-D k-step map)",
    basis="derived",
)
@pytest.mark.parametrize("k", range(2))
def test_uv_cascade(claim, uv_cascade, k):
    _check_flip(claim, uv_cascade, k)


@pytest.mark.claim(
    paper=UNIVERSALITY,
    where="Thm 2.1 via uv: "
    "period-doubling cascade of the full 2-D GD map; the brief's 1-D Newton values "
    "(quadratic_regression.md §6 item 7), not proven exactly",
    statement="GD on ½(uv-1)² flips at η = 1.288031754483, 1.299227939650, 1.301628914037 "
    "(Newton on the 2-D k-step map)",
    basis="empirical",
)
@pytest.mark.parametrize("k", range(2, 5))
def test_uv_cascade_higher(claim, uv_cascade, k):
    _check_flip(claim, uv_cascade, k)
