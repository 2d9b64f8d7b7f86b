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
