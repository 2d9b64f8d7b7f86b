"""The optional numba backend of gd (extra ``fast``) against the numpy reference path."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import toymodels as tm

pytest.importorskip("numba")

LOSSES = [
    "(x*y - 1)**2/2",
    "log(cosh(x*y/2)) + 0.1*sin(x)**2",
    "(x**2 + y**2 - 1)**2/4 + 0.3*x*y",
    "exp(-x**2) * y**2 + x**4/4",
]


@functools.cache
def model(expr: str) -> tm.Model:
    # one model (and so one numba compilation) per loss for all hypothesis examples
    return tm.Model.from_sympy(expr, ["x", "y"])


@pytest.mark.parametrize("expr", LOSSES)
@given(seed=st.integers(0, 2**31 - 1))
def test_numba_agrees_with_numpy(expr, seed):
    m = model(expr)
    rng = np.random.default_rng(seed)
    theta0 = rng.uniform(-1.5, 1.5, (3, 2))
    eta = np.array([0.05, 0.3, 0.9])
    a = tm.gd(m, theta0, eta, 60, record_every=6)
    b = tm.gd(m, theta0, eta, 60, record_every=6, backend="numba")
    # same divergence pattern; finite states agree to rounding, amplified at most by the
    # 60-step Jacobian product (the runs here are not chaotic at that horizon)
    np.testing.assert_array_equal(a.diverged, b.diverged)
    both = np.isfinite(a.theta) & np.isfinite(b.theta)
    scale = 1 + np.abs(a.theta[both])
    assert np.all(np.abs(a.theta[both] - b.theta[both]) <= 1e-9 * scale)


def test_polynomial_loss_is_bit_identical_with_exact_divergence_steps():
    # for L = (xy − 1)²/2 both paths perform the same float operations in the same order
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    eta = 0.05 + np.arange(512) / 512
    a = tm.gd(m, [2.0, 0.3], eta, 3000, record_every=250)
    b = tm.gd(m, [2.0, 0.3], eta, 3000, record_every=250, backend="numba")
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    assert a.diverged.sum() > 0


def test_auto_uses_numba_for_symbolic_models():
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])
    tm.gd(m, [0.5, 0.5], 0.1, 5, backend="auto")
    assert hasattr(m, "_numba_kernel")


def test_backend_errors_name_the_parameter():
    m = tm.Model.from_sympy("x**2", ["x"])
    with pytest.raises(ValueError, match="backend"):
        tm.gd(m, [1.0], 0.1, 5, backend="fortran")
    numpy_model = tm.Model.from_numpy(
        ["x"], lambda t: t[..., 0] ** 2, lambda t: 2 * t, lambda t: 2 * np.ones((*t.shape, 1))
    )
    with pytest.raises(ValueError, match="backend"):
        tm.gd(numpy_model, [1.0], 0.1, 5, backend="numba")
