"""locate_transition: vectorized multisection root finding of an order parameter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm


@given(root=st.floats(0.2, 0.8), slope=st.floats(0.1, 10.0))
def test_planted_kink_is_found(root, slope):
    # D(η) = slope·max(η − root, 0): zero below the transition, linear above (a planted kink)
    calls = []

    def D(eta):
        calls.append(len(eta))
        return slope * np.maximum(eta - root, 0.0)

    r = tm.locate_transition(D, 0.0, 1.0, level=1e-6 * slope, points=17, rounds=4)
    assert r.converged and r.bracket[0] <= r.eta <= r.bracket[1]
    # the true crossing is root + 1e-6; the guarantee is the final bracket, whose width is at
    # most (hi − lo)/(points − 1)^rounds (interpolation is exact only when the bracket is linear)
    width = r.bracket[1] - r.bracket[0]
    assert width <= 1.0 / 16**4 * (1 + 1e-12)
    assert r.bracket[0] <= root + 1e-6 <= r.bracket[1]
    assert abs(r.eta - (root + 1e-6)) <= width
    assert r.evaluations == sum(calls)


def test_quadratic_gd_divergence_threshold():
    # GD on h x²/2 diverges iff ηh > 2; order parameter: log|x_T| per step
    m = tm.Model.from_sympy("3*x**2/2", ["x"])

    def growth(eta):
        tr = tm.gd(m, [1.0], eta, 50, record_every=0, bound=1e300)
        with np.errstate(divide="ignore"):
            return np.log(np.abs(tr.final[:, 0])) / 50

    r = tm.locate_transition(growth, 0.1, 1.0, points=33, rounds=4)
    assert abs(r.eta - 2 / 3) < 1e-6


def test_no_crossing_is_reported():
    r = tm.locate_transition(lambda e: np.ones_like(e), 0.0, 1.0)
    assert not r.converged and np.isnan(r.eta)


@pytest.mark.parametrize(("lo", "hi", "points"), [(1.0, 0.5, 9), (0.0, 1.0, 2), ("a", 1.0, 9)])
def test_bad_arguments_name_the_parameter(lo, hi, points):
    with pytest.raises((ValueError, TypeError), match=r"lo|hi|points"):
        tm.locate_transition(lambda e: e, lo, hi, points=points)


@pytest.mark.parametrize("root", [0.3141592653589793, 0.7071067811865476, 0.5772156649015329])
def test_linear_order_parameter_is_interpolated_exactly(root):
    # D(η) = 3(η − root) is linear, so the secant through the ends of the last bracket passes
    # through the true root: the estimate must be exact to rounding, far inside a bracket as
    # wide as (1 − 0)/(points − 1) = 0.25 (one round of 5 points). The left end of the bracket
    # alone would be off by up to its width.
    r = tm.locate_transition(lambda eta: 3.0 * (eta - root), 0.0, 1.0, points=5, rounds=1)
    width = r.bracket[1] - r.bracket[0]
    assert r.converged and width == pytest.approx(0.25)
    assert r.bracket[0] < root < r.bracket[1]  # no grid point lands on these roots
    assert abs(r.eta - root) <= 1e-15
    assert abs(r.eta - root) < 1e-12 * width


def test_smooth_order_parameter_secant_error_bound():
    # D(η) = η² − 2 on [1, 2] crosses 0 at √2. After 2 rounds of 5 points the bracket is
    # 1/16 wide; the secant through its ends is off by at most w²·max|D''|/(8·min|D'|)
    # = w²·2/(8·2) = w²/8 (D' = 2η >= 2 there), about 5e-4 of w, while the left end of the
    # bracket alone is off by √2 − 1.375 ≈ 0.039 (63 % of w).
    r = tm.locate_transition(lambda eta: eta**2 - 2.0, 1.0, 2.0, points=5, rounds=2)
    width = r.bracket[1] - r.bracket[0]
    assert r.converged and width == pytest.approx(1 / 16)
    root = 2.0**0.5
    assert r.bracket[0] < root < r.bracket[1]
    assert abs(r.eta - root) <= width**2 / 8
    assert abs(r.bracket[0] - root) > 0.5 * width  # why the left end would not pass
