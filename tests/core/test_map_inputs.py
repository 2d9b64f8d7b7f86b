"""Issue 10, map layer: 1-D maps take flat arrays of states, GD families check their step size,
and hostile arguments of ``Map`` / ``MapFamily`` / ``gd_family`` / ``Map.from_sympy`` raise a
ValueError/TypeError naming the parameter.

Shape convention under test (``Map`` docstring): a 1-D map reads ``x`` of shape (B,) as B states,
i.e. (B, 1), exactly as :func:`toymodels.iterate` does; ``F(x)`` has shape (*batch, dim).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import toymodels as tm
from toymodels.maps import MapFamily, gd_family


def raises_naming(fn, *names: str, exc=(ValueError, TypeError)) -> str:
    with pytest.raises(exc) as info:
        fn()
    msg = str(info.value)
    assert any(n in msg for n in names), f"message {msg!r} names none of {names}"
    return msg


@pytest.fixture(scope="module")
def logistic() -> MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


@pytest.fixture(scope="module")
def henon() -> tm.Map:
    return tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], constants={"a": 1.4, "b": 0.3}
    )


@pytest.fixture(scope="module")
def m2() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + x**2/10", params=("x", "y"))


# ----------------------------------------------------------------------------- item 1: 1-D states
def test_1d_map_maps_every_state_of_a_flat_array(logistic):
    F = logistic(3.0)
    x = np.array([0.3, 0.5])
    out = F(x)
    assert out.shape == (2, 1)
    np.testing.assert_array_equal(out[:, 0], 3.0 * x * (1 - x))


def test_1d_map_takes_a_python_float_and_a_list(logistic):
    F = logistic(3.0)
    np.testing.assert_array_equal(F(0.3), [3.0 * 0.3 * 0.7])
    assert F(0.3).shape == (1,)
    out = F([0.3, 0.5])
    assert out.shape == (2, 1)
    np.testing.assert_array_equal(out[:, 0], [3.0 * 0.3 * 0.7, 3.0 * 0.5 * 0.5])


@pytest.mark.parametrize(
    "x", [0.3, [0.3], [0.3, 0.5, 0.9], [[0.3], [0.5]], [[0.1, 0.2], [0.3, 0.4]]]
)
def test_1d_map_shapes_match_tm_iterate(logistic, x):
    """F(x) is the first step of tm.iterate from x, with the same shape."""
    F = logistic(3.7)
    np.testing.assert_array_equal(F(x), tm.iterate(F, x, 1).theta[1])
    np.testing.assert_array_equal(F.iterate(x, 3), tm.iterate(F, x, 3).theta[3])


def test_1d_map_jacobian_and_orbit_jacobian_on_flat_states(logistic):
    r = 3.7
    F = logistic(r)
    x = np.array([0.2, 0.6, 0.9])
    J = F.jacobian(x)
    assert J.shape == (3, 1, 1)
    np.testing.assert_allclose(J[:, 0, 0], r * (1 - 2 * x), rtol=1e-15, atol=1e-15)
    y, Jk = F.orbit_jacobian(x, 2)
    x1 = r * x * (1 - x)
    np.testing.assert_allclose(y[:, 0], r * x1 * (1 - x1), rtol=1e-15)
    np.testing.assert_allclose(
        Jk[:, 0, 0], r * (1 - 2 * x1) * r * (1 - 2 * x), rtol=1e-13, atol=1e-15
    )
    assert F.jacobian(0.2).shape == (1, 1)


def test_1d_map_with_a_parameter_batch(logistic):
    F = logistic(np.array([2.0, 3.0]))
    out = F(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(out[:, 0], [0.5, 0.75])
    out = F(0.5)  # one state against two parameters
    assert out.shape == (2, 1)
    raises_naming(lambda: F(np.array([0.1, 0.2, 0.3])), "x")


@pytest.mark.parametrize("x", [np.zeros(3), np.zeros((4, 3)), np.zeros((2, 1)), 0.5, [0.5]])
def test_nd_map_wrong_trailing_size_names_x(henon, x):
    raises_naming(lambda: henon(x), "x")
    raises_naming(lambda: henon.jacobian(x), "x")
    raises_naming(lambda: henon.iterate(x, 2), "x")
    raises_naming(lambda: henon.orbit_jacobian(x, 2), "x")


@pytest.mark.parametrize(
    "x", [None, "0.3", ["a"], [True], True, 1j, [0.1 + 1j], [[0.1], [0.1, 0.2]], {}, object()]
)
def test_map_call_hostile_x_names_x(logistic, x):
    F = logistic(3.2)
    raises_naming(lambda: F(x), "x")
    raises_naming(lambda: F.jacobian(x), "x")


def test_map_iterate_and_orbit_jacobian_counts(logistic):
    F = logistic(3.2)
    for n in (-1, 1.5, "2", None, True):
        raises_naming(lambda n=n: F.iterate(0.3, n), "n")
    for k in (0, -1, 1.5, None):
        raises_naming(lambda k=k: F.orbit_jacobian(0.3, k), "k")
    np.testing.assert_array_equal(F.iterate(0.3, 0), [0.3])


def test_map_evaluation_overflow_is_silent(henon):
    """Huge or non-finite states give inf/NaN, not a RuntimeWarning (divergence is data)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = henon([1e200, 0.0])
        assert not np.all(np.isfinite(out))
        henon.jacobian([1e200, 0.0])
        henon.iterate([1e200, 1e200], 3)
        assert np.isnan(henon([np.nan, 0.0])).any()


# ----------------------------------------------------------------------------- item 2: families
@pytest.mark.parametrize("eta", [0.0, -5e15, -1.0, [0.1, 0.0], np.array([0.5, -0.5])])
def test_gd_family_refuses_nonpositive_step_sizes(m2, eta):
    raises_naming(lambda: gd_family(m2)(eta), "eta", exc=ValueError)


@pytest.mark.parametrize("eta", [math.nan, math.inf, "0.1", None, True, 1j, [[0.1], [0.1, 2]]])
def test_gd_family_refuses_non_numbers(m2, eta):
    raises_naming(lambda: gd_family(m2)(eta), "eta")


def test_check_params_is_public_and_names_both(m2, logistic):
    fam = gd_family(m2)
    out = fam.check_params([0.1, 0.2], "param_range")
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.1, 0.2])
    msg = raises_naming(lambda: fam.check_params([-1.0, 0.5], "param_range"), "param_range")
    assert "eta" in msg and "> 0" in msg
    raises_naming(lambda: fam.check_params(0.0), "param")
    raises_naming(lambda: fam.check_params(math.nan, "param_range"), "param_range")
    raises_naming(lambda: fam.check_params([True], "param_range"), "param_range")
    # a sympy family has no sign restriction, only finiteness
    np.testing.assert_array_equal(logistic.check_params([-1.0, 0.0], "param_range"), [-1.0, 0.0])
    raises_naming(lambda: logistic.check_params([math.inf], "param_range"), "param_range")
    # the model given as a family (as the orbit tools accept it) has the same domain
    raises_naming(lambda: tm.maps.as_family(m2).check_params([0.0], "param_range"), "eta")


@pytest.mark.parametrize("model", [None, "x**2", 3, object()])
def test_gd_family_and_gd_map_need_a_model(model):
    raises_naming(lambda: gd_family(model), "model", exc=TypeError)
    raises_naming(lambda: tm.gd_map(model, 0.1), "model", exc=TypeError)


def test_gd_map_still_works(m2):
    F = tm.gd_map(m2, 0.1)
    theta = np.array([0.4, 0.7])
    np.testing.assert_allclose(F(theta), theta - 0.1 * m2.grad(theta), rtol=0, atol=1e-16)


# ----------------------------------------------------------------------------- item 6: hostile args
@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"param": 5}, "param"),
        ({"param": ["r"]}, "param"),
        ({"param": "1r"}, "param"),
        ({"name": 5}, "name"),
        ({"allow_nonsmooth": "no"}, "allow_nonsmooth"),
        ({"allow_nonsmooth": None}, "allow_nonsmooth"),
        ({"value": True}, "value"),
        ({"value": [3.0, math.nan]}, "value"),
        ({"value": 1j}, "value"),
        ({"state": [None]}, "state"),
        ({"state": [1.5]}, "state"),
        ({"state": {"x": 1}}, "state"),
        ({"exprs": 5}, "exprs"),
        ({"exprs": {"r*x": 1}}, "exprs"),
        ({"constants": {"q": 1.0}}, "constants"),
    ],
)
def test_map_from_sympy_hostile(kwargs, name):
    args = {"exprs": "r*x*(1 - x)", "state": "x", "param": "r", **kwargs}
    raises_naming(lambda: tm.Map.from_sympy(**args), name)


def test_map_from_sympy_value_without_param():
    raises_naming(lambda: tm.Map.from_sympy("0.5*x", state="x", value=1.0), "value")


def test_map_constructors_check_their_parts():
    def f(x, p):
        return x

    raises_naming(lambda: tm.Map(None, f, 1), "fn")
    raises_naming(lambda: tm.Map(f, "jac", 1), "jac")
    raises_naming(lambda: tm.Map(f, f, 0), "dim")
    raises_naming(lambda: tm.Map(f, f, 1.5), "dim")
    raises_naming(lambda: tm.Map(f, f, True), "dim")
    raises_naming(lambda: MapFamily(f, f, 1, dfdp=3), "dfdp")
    raises_naming(lambda: MapFamily(f, f, 1, param_positive="yes"), "param_positive")


def test_family_call_names_its_parameter(logistic):
    raises_naming(lambda: logistic(math.nan), "r")
    raises_naming(lambda: logistic(True), "r")


# ----------------------------------------------------------------------------- MapFamily.dfdp
@pytest.mark.parametrize(
    ("state", "exc"),
    [
        ("a", TypeError),
        (None, TypeError),
        (["0.1"], TypeError),
        (np.array([0.1, None], dtype=object), TypeError),
        (np.array([0.1, "a"], dtype=object), TypeError),
        (np.array([1j]), TypeError),
        (True, TypeError),
        ([[1.0], [1.0, 2.0]], TypeError),
        (10**400, ValueError),
    ],
)
def test_dfdp_validates_state_like_map_call(logistic, state, exc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # complex input used to warn (ComplexWarning)
        with pytest.raises(exc, match=r"^state "):
            logistic.dfdp(state, 3.2)


@pytest.mark.parametrize(
    ("p", "exc"), [("a", TypeError), (None, TypeError), (True, TypeError), (math.nan, ValueError)]
)
def test_dfdp_validates_p_with_check_params(logistic, p, exc):
    with pytest.raises(exc, match=r"^p "):
        logistic.dfdp(0.3, p)


def test_dfdp_gd_family_refuses_nonpositive_step_sizes(m2):
    with pytest.raises(ValueError, match=r"^p: the parameter eta .* must be > 0"):
        gd_family(m2).dfdp([0.5, 0.5], -0.1)


def test_dfdp_values_and_shapes(logistic, henon, m2):
    # d/dr [r x (1 - x)] = x (1 - x): states as a float, a list (B states), a (B, 1) array
    assert logistic.dfdp(0.3, 3.2) == pytest.approx([0.21])
    np.testing.assert_allclose(logistic.dfdp([0.3, 0.5], 3.2), [[0.21], [0.25]])
    np.testing.assert_allclose(logistic.dfdp(np.array([[0.3]]), [3.0, 3.5]), [[0.21], [0.21]])
    np.testing.assert_array_equal(gd_family(m2).dfdp([0.5, 0.5], 0.1), -m2.grad([0.5, 0.5]))
    # a pure evaluation: NaN gives NaN without a warning, an empty batch an empty result
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(logistic.dfdp([math.nan], 3.2)).all()
    assert logistic.dfdp(np.empty((0, 1)), 3.2).shape == (0, 1)
    with pytest.raises(ValueError, match=r"^state: the batch shape \(2,\)"):
        logistic.dfdp([0.3, 0.5], [3.0, 3.1, 3.2])
    with pytest.raises(ValueError, match=r"^state must have shape \(\.\.\., 2\)"):
        henon.family.dfdp([0.1, 0.2, 0.3], 0.0)
