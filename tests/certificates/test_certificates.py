"""Claims and failure modes of the interval certificates (issue 13 item 1).

Certified values have basis ``derived``: the enclosures are proofs (Krawczyk in ball arithmetic,
:mod:`toymodels.certificates`), registered in ``proofs_check.certificates``. A certificate must
be able to fail: boxes holding several cycles, a continuum of fixed points, a wrong period, a
guess far from any cycle and a marginal multiplier give ``certified=False`` or ``stable=None``
with a reason.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import toymodels as tm
from toymodels.certificates import (
    BifurcationCertificate,
    CycleCertificate,
    certify_bifurcation,
    certify_cycle,
    interval_contains,
)
from toymodels.models.deep_linear import balanced_line_family
from toymodels.models.quadratic_regression import (
    cubic_map_family,
    two_cycle,
    two_cycle_multiplier,
)

CHEN = "Chen, Balasubramanian, Ghosal, Agrawalla, 'From Stability to Chaos', TMLR 2024"
UV = "scalar uv net (Chen et al. 2024; Lewkowycz et al. 2020)"
DEEP = "deep linear networks, balanced line"
FAM = cubic_map_family()
UV_MODEL = tm.Model.from_sympy("(x*y - 1)**2/2", ("x", "y"))


def _attractor(F, z0, n=4000):
    return np.asarray(F.iterate(z0, n), dtype=float).reshape(-1)


def _mid(interval):
    return (interval[0] + interval[1]) / 2


# ------------------------------------------------------------------------------------ claims
@pytest.mark.claim(
    paper=CHEN,
    where="§4, first flips of F_a(z) = z(1 + a(1 − z))²; proofs_check cert_cubic_flip_thresholds",
    statement="the flip equations {F_a^k(z) = z, (F_a^k)'(z) = −1}, k = 1, 2, 4, have a unique "
    "solution in a certified box, with a enclosed within 1e-12 around 1, √5 − 1, 1.288031754483",
    basis="derived",
)
def test_flip_thresholds_certified(claim):
    cases = [
        (1, 1.0, 1.0, sp.Integer(1)),
        (2, 1.236, math.sqrt(5) - 1, sp.sqrt(5) - 1),
        (4, 1.288, 1.288031754483, None),
    ]
    for k, a, want, exact in cases:
        b = certify_bifurcation(FAM, _attractor(FAM(a - 0.003), 0.8), a, k, kind="flip")
        assert b.certified, b.reason
        claim.check(predicted=want, measured=b.value, tol=1e-10, k=k)
        claim.check(predicted=1e-12, measured=b.width, relation="<=", k=k, what="width")
        if exact is not None:
            assert interval_contains(b.param, exact)


@pytest.mark.claim(
    paper=CHEN,
    where="§4, period-3 window of F_a; proofs_check cert_cubic_period3_window",
    statement="the fold equations {F_a³(z) = z, (F_a³)'(z) = 1} have a unique certified solution "
    "with a = 1.4504409645 (±1e-10); at a = 1.46 the 3-cycle is certified stable",
    basis="derived",
)
def test_period3_window_certified(claim):
    b = certify_bifurcation(FAM, _attractor(FAM(1.4505), 0.3), 1.4505, 3, kind="fold")
    assert b.certified, b.reason
    claim.check(predicted=1.4504409645, measured=b.value, tol=1e-10)
    F = FAM(1.46)
    c = certify_cycle(F, _attractor(F, 0.3), 3)
    assert c.certified and c.stable is True, c.reason
    claim.check(predicted=1.0, measured=c.spectral_radius[1], relation="<=", what="max |λ|")


@pytest.mark.claim(
    paper=CHEN,
    where="§4, the cascade of F_a; proofs_check cert_cubic_cascade_cycles",
    statement="F_1.1 has a unique certified stable 2-cycle, with multiplier "
    "two_cycle_multiplier(1.1) = 0.18 enclosed and points two_cycle(1.1)",
    basis="derived",
)
def test_cubic_two_cycle_certified(claim):
    F = FAM(1.1)
    c = certify_cycle(F, _attractor(F, 0.8), 2)
    assert c.certified and c.stable is True and c.period == 2, c.reason
    ((re, _im),) = c.multipliers
    claim.check(predicted=float(two_cycle_multiplier(1.1)), measured=_mid(re), tol=1e-10)
    pts = sorted(_mid(box[0]) for box in c.orbit)
    claim.check(
        predicted=sorted(np.asarray(two_cycle(1.1), dtype=float).reshape(-1)),
        measured=pts,
        tol=1e-10,
    )


@pytest.mark.claim(
    paper=UV,
    where="GD on (xy − 1)²/2 at η = 1.1; proofs_check cert_uv_gd_two_cycle",
    statement="the full 2-D GD map has a unique certified stable 2-cycle on the balanced line; its "
    "products xy are the 2-cycle of F_η and 0.18 = λ(F_η²) is one multiplier",
    basis="derived",
)
def test_uv_two_cycle_certified(claim):
    F = tm.gd_map(UV_MODEL, 1.1)
    c = certify_cycle(F, _attractor(F, [1.3, 1.2]), 2)
    assert c.certified and c.stable is True, c.reason
    prods = sorted(_mid(bx) * _mid(by) for bx, by in c.orbit)
    want = sorted(np.asarray(two_cycle(1.1), dtype=float).reshape(-1))
    claim.check(predicted=want, measured=prods, tol=1e-10)
    reals = sorted(_mid(re) for re, _ in c.multipliers)
    claim.check(predicted=float(two_cycle_multiplier(1.1)), measured=reals[0], tol=1e-10)
    # find_cycle from the raw attractor guess (not the certified point): one of its cycle points
    # must lie inside the certified enclosure (a box ~1e-14 wide)
    ref = tm.find_cycle(F, _attractor(F, [1.3, 1.2]), 2)
    inside = [all(interval_contains(iv, float(x)) for iv, x in zip(box, pt, strict=True))
              for pt in ref.points for box in c.orbit]  # fmt: skip
    claim.check(predicted=True, measured=bool(any(inside)), what="find_cycle point in the box")


@pytest.mark.claim(
    paper=DEEP,
    where="balanced line z ↦ z − (c/L)(z^L − 1)z^{L−1}, L = 3; proofs_check "
    "cert_deep_linear_two_cycle",
    statement="at c = 2.1 (past the flip at c = 2) the balanced line has a unique certified "
    "stable 2-cycle, equal to find_cycle's to 1e-10",
    basis="derived",
)
def test_deep_linear_two_cycle_certified(claim):
    F = balanced_line_family(3)(2.1)
    c = certify_cycle(F, _attractor(F, 0.9), 2)
    assert c.certified and c.stable is True, c.reason
    ref = tm.find_cycle(F, _attractor(F, 0.9), 2)  # independent of the certified point
    inside = [interval_contains(box[0], float(x)) for x in ref.points[:, 0] for box in c.orbit]
    claim.check(predicted=True, measured=bool(any(inside)), what="find_cycle point in the box")
    claim.check(predicted=float(ref.points[0, 0]), measured=float(c.point[0]), tol=1e-10)
    claim.check(predicted=1.0, measured=c.spectral_radius[1], relation="<=", what="max |λ|")


# ------------------------------------------------------------------------------ failure modes
def test_box_with_three_zeros_is_not_certified():
    # [0.5, 1.5] holds the fixed point 1 and both points of the 2-cycle of F_1.1
    c = certify_cycle(FAM(1.1), 1.0, 2, radius=0.5, refine=False)
    assert isinstance(c, CycleCertificate)
    assert not c.certified and c.stable is None and c.box == () and "K(X)" in c.reason
    assert math.isinf(c.width) and c.point.size == 0


def test_box_with_two_cycles_of_a_2d_map_is_not_certified():
    F = tm.gd_map(UV_MODEL, 1.1)
    c = certify_cycle(F, [1.0, 1.0], 2, radius=0.3, refine=False)
    assert not c.certified and c.reason


def test_continuum_of_fixed_points_is_not_certified():
    # every point of xy = 1 is fixed: no zero of F − z is isolated
    c = certify_cycle(tm.gd_map(UV_MODEL, 0.5), [1.0, 1.0], 1, refine=False)
    assert not c.certified and c.reason


def test_wrong_period_is_not_certified():
    c = certify_cycle(FAM(0.9), 1.0, 2, refine=False)
    assert not c.certified and "period 1" in c.reason
    c = certify_cycle(FAM(0.9), 0.95, 2)  # Newton finds the fixed point
    assert not c.certified and "period 1" in c.reason


def test_guess_far_from_any_cycle_is_not_certified():
    c = certify_cycle(FAM(0.5), 50.0, 1, refine=False, radius=1e-6)
    assert not c.certified and c.reason
    c = certify_cycle(FAM(1.5), 0.3, 5)  # chaotic band edge: Newton lands elsewhere or fails
    if c.certified:  # then it must really be a 5-cycle of F_1.5, and not a fixed point
        F = FAM(1.5)
        z = float(c.point[0])
        assert abs(float(np.asarray(F.iterate(z, 5)).reshape(-1)[0]) - z) < 1e-9
        assert abs(float(np.asarray(F.iterate(z, 1)).reshape(-1)[0]) - z) > 1e-6
    else:
        assert c.reason


def test_marginal_multiplier_leaves_stability_undecided():
    c = certify_cycle(FAM(1.0), 1.0, 1)
    assert c.certified and c.stable is None and "unit circle" in c.reason
    lo, hi = c.spectral_radius
    assert lo <= 1.0 <= hi


def test_unstable_cycle_is_decided():
    c = certify_cycle(FAM(1.1), 1.0, 1)
    assert c.certified and c.stable is False and c.reason == ""
    ((re, _),) = c.multipliers
    assert re[0] <= -1.2 <= re[1]


def test_complex_multipliers_are_enclosed():
    # fixed point 0 with DF = [[0.5, −0.5], [0.5, 0.5]]: multipliers 0.5 ± 0.5i, |λ| = √0.5
    F = tm.Map.from_sympy(["0.5*x - 0.5*y + x**2/10", "0.5*x + 0.5*y"], state=("x", "y"))
    c = certify_cycle(F, [0.0, 0.0], 1)
    assert c.certified and c.stable is True and c.param is None
    ims = sorted(_mid(im) for _, im in c.multipliers)
    res = [_mid(re) for re, _ in c.multipliers]
    assert np.allclose(ims, [-0.5, 0.5], atol=1e-12) and np.allclose(res, 0.5, atol=1e-12)
    assert c.spectral_radius[0] <= math.sqrt(0.5) <= c.spectral_radius[1]


def test_henon_flips_2d_family():
    # Hénon x' = 1 − a x² + y, y' = b x, b = 0.3: the fixed point flips at a = 3(1 − b)²/4
    H = tm.Map.from_sympy(["1 - a*x**2 + y", "0.3*x"], state=("x", "y"), param="a")
    b1 = certify_bifurcation(H, [0.7, 0.2], 0.37, 1)
    assert b1.certified, b1.reason
    assert interval_contains(b1.param, sp.Rational(3, 4) * (1 - sp.Rational(3, 10)) ** 2)
    # the 2-cycle flips at 0.9125 (period_doubling_points agrees to 1e-10)
    z = H(0.9).iterate(np.array([0.1, 0.1]), 3000)
    b2 = certify_bifurcation(H, z, 0.9, 2)
    assert b2.certified, b2.reason
    ref = float(tm.period_doubling_points(H, [0.1, 0.1], (0.5, 0.95), 1)[0])
    assert abs(b2.value - ref) <= 1e-10 and b2.width <= 1e-12


def test_state_order_is_matched_to_the_map():
    # state (y, x) ↦ (0.5x + 0.1, 0.3y − 0.2): fixed point (y, x) = (0, −0.2)
    F = tm.Map.from_sympy(["0.5*x + 0.1", "0.3*y - 0.2"], state=("y", "x"))
    c = certify_cycle(F, [0.1, 0.1], 1)
    assert c.certified and c.stable is True
    assert interval_contains(c.enclosure[0], 0.0) and interval_contains(c.enclosure[1], -0.2)


def test_bifurcation_failure_has_a_reason():
    b = certify_bifurcation(FAM, 0.2, 1.9, 2, maxiter=1, radius=1e-14)
    assert isinstance(b, BifurcationCertificate)
    assert not b.certified and b.reason and b.param is None
    assert math.isnan(b.value) and math.isinf(b.width)


def test_gd_family_bifurcation_on_a_line_of_minima_fails_cleanly():
    # GD on (xy − 1)²/2: every point of xy = 1 is fixed, so the flip system at (1, 1), η = 1
    # has no isolated solution; the certificate says so instead of raising
    b = certify_bifurcation(UV_MODEL, [1.0, 1.0], 1.0, 1, kind="flip", maxiter=3)
    assert not b.certified and b.reason


def test_gd_family_bifurcation_certified():
    # GD on (x² − 1)²/4: the minimum x = 1 has sharpness 2, so it flips at η = 1
    m = tm.Model.from_sympy("(x**2 - 1)**2/4", ("x",))
    b = certify_bifurcation(tm.gd_family(m), 1.0, 0.99, 1)
    assert b.certified and b.param_name == "eta", b.reason
    assert interval_contains(b.param, 1.0) and interval_contains(b.state[0], 1.0)


# ------------------------------------------------------------------------------- input errors
def test_numpy_map_is_refused_naming_F():
    F = tm.Map(lambda x, p: x / 2, lambda x, p: np.full((*x.shape, 1), 0.5), 1)
    with pytest.raises(ValueError, match=r"^F: .*sympy"):
        certify_cycle(F, 0.0, 1)


def test_bad_arguments():
    F = FAM(1.1)
    with pytest.raises(TypeError, match="F"):
        certify_cycle("map", 0.5, 1)
    with pytest.raises(ValueError, match="k"):
        certify_cycle(F, 0.5, 0)
    with pytest.raises(ValueError, match="k"):
        certify_cycle(F, 0.5, 10_000)
    with pytest.raises(ValueError, match="radius"):
        certify_cycle(F, 0.5, 1, radius=-1.0)
    with pytest.raises(ValueError, match="radius"):
        certify_cycle(F, 0.5, 1, radius=math.inf)
    with pytest.raises(TypeError, match="refine"):
        certify_cycle(F, 0.5, 1, refine=1)
    with pytest.raises(ValueError, match="guess"):
        certify_cycle(F, [0.5, 0.2], 1)
    with pytest.raises(ValueError, match="F"):
        certify_cycle(FAM(np.array([1.0, 1.1])), 0.5, 1)
    with pytest.raises(ValueError, match="kind"):
        certify_bifurcation(FAM, 0.5, 1.0, 1, kind="hopf")
    with pytest.raises(TypeError, match="family"):
        certify_bifurcation(F, 0.5, 1.0, 1)
    with pytest.raises(ValueError, match="guess_param"):
        certify_bifurcation(FAM, 0.5, math.nan, 1)
    with pytest.raises(ValueError, match="guess_state"):
        certify_bifurcation(FAM, [0.5, 0.1], 1.0, 1)


def test_unsupported_function_is_refused_naming_F():
    F = tm.Map.from_sympy("z/2 + erf(z)/10", state="z")
    with pytest.raises(ValueError, match=r"^F: .*interval"):
        certify_cycle(F, 0.0, 1)


def test_interval_contains():
    assert interval_contains((1.0, 2.0), 1.5)
    assert not interval_contains((1.0, 2.0), 2.5)
    assert interval_contains((1.4142, 1.4143), sp.sqrt(2))
    assert not interval_contains((1.41421356237309, 1.4142135623731), sp.sqrt(3))
