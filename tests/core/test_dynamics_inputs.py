"""Hostile inputs to gd / sgd / iterate / gradient_flow / locate_transition (issue 10): each is
refused up front with a ValueError/TypeError naming the parameter, or answered correctly."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.integrate import RK45, Radau

import toymodels as tm


@pytest.fixture(scope="module")
def m2() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])


def _grad(m):
    return lambda theta, idx: m._grad(theta)


# ----------------------------------------------------------------------------- sgd
@pytest.mark.parametrize(
    ("bad", "exc", "got"),
    [
        (lambda th, idx: 0.5, ValueError, r"got shape \(\)"),  # a scalar
        (lambda th, idx: th.sum(-1), ValueError, r"got shape \(2,\)"),  # (M,), M == p
        (lambda th, idx: np.ones(2), ValueError, r"got shape \(2,\)"),  # (p,) for a batch
        (lambda th, idx: np.concatenate([th, th[:, :1]], -1), ValueError, r"got shape \(2, 3\)"),
        (lambda th, idx: th[..., None], ValueError, r"got shape \(2, 2, 1\)"),
        (lambda th, idx: None, TypeError, "None"),
        (lambda th, idx: np.full(th.shape, "a"), TypeError, "real numbers"),
        (lambda th, idx: th * 1j, TypeError, "real numbers"),
    ],
)
def test_sgd_batch_grad_of_the_wrong_shape_is_refused(m2, bad, exc, got):
    # theta0 is a batch of M = 2 states with p = 2: a (2,) result used to broadcast silently
    with pytest.raises(exc, match=r"^batch_grad must") as info:
        tm.sgd(m2, bad, [[1.0, 1.0], [0.5, 2.0]], 0.1, 5, 4)
    assert __import__("re").search(got, str(info.value))
    if exc is ValueError:
        assert "expected shape (2, 2)" in str(info.value)


def test_sgd_batch_grad_is_checked_at_every_call(m2):
    calls = []

    def late(theta, idx):
        calls.append(1)
        return m2._grad(theta) if len(calls) < 17 else m2._grad(theta)[:, 0]

    with pytest.raises(ValueError, match="batch_grad must return"):
        tm.sgd(m2, late, [[1.0, 1.0], [0.5, 2.0]], 0.01, 40, 4)
    assert len(calls) == 17


def test_sgd_batch_grad_may_return_lists_and_integers(m2):
    ref = tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 6, 4)
    as_list = tm.sgd(m2, lambda th, idx: m2._grad(th).tolist(), [1.0, 1.0], 0.1, 6, 4)
    np.testing.assert_array_equal(as_list.theta, ref.theta)
    ints = tm.sgd(m2, lambda th, idx: np.ones(th.shape, int), [1.0, 1.0], 0.5, 2, 4, 1, 1)
    np.testing.assert_array_equal(ints.theta, [[1.0, 1.0], [0.5, 0.5], [0.0, 0.0]])


@pytest.mark.parametrize(
    "seed",
    [
        -1,
        -(2**63),
        np.int64(-3),
        np.float64(-1.0),
        1.5,
        float("nan"),
        "0",
        None,
        True,
        [[0]],
        [],
        [1, -1],
    ],
)
def test_sgd_bad_seed_is_named(m2, seed):
    with pytest.raises((ValueError, TypeError), match=r"^seed must be"):
        tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 3, 4, seed=seed)


def test_sgd_seed_sequence_adds_a_seed_axis(m2):
    # one index stream per seed: member s of a seed list equals the run with that seed alone
    both = tm.sgd(m2, _grad(m2), [1.0, 1.0], [0.1, 0.2], 7, 4, seed=[5, 9])
    assert both.theta.shape == (8, 2, 2, 2)
    for s, seed in enumerate((5, 9)):
        alone = tm.sgd(m2, _grad(m2), [1.0, 1.0], [0.1, 0.2], 7, 4, seed=seed)
        np.testing.assert_array_equal(both.theta[:, s], alone.theta)


def test_sgd_integer_valued_seeds_are_accepted(m2):
    a = tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 3, 4, seed=np.int32(5))
    b = tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 3, 4, seed=5.0)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_sgd_sample_count_beyond_int64_is_named(m2):
    for n in (2**63, 10**30):
        with pytest.raises(ValueError, match=r"^n_samples must be < 2\*\*63"):
            tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 3, n)


@pytest.mark.parametrize("flag", ["no", "", 0, 1, 1.0, None, [True], np.array([True, False])])
def test_switches_must_be_booleans(m2, flag):
    with pytest.raises(TypeError, match=r"^paired must be True or False"):
        tm.gd(m2, [1.0, 1.0], 0.1, 3, paired=flag)
    with pytest.raises(TypeError, match=r"^replace must be True or False"):
        tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 3, 4, replace=flag)
    with pytest.raises(TypeError, match=r"^progress must be True or False"):
        tm.locate_transition(lambda e: e - 0.5, 0.0, 1.0, progress=flag)


def test_numpy_booleans_are_switches(m2):
    a = tm.gd(m2, [[1.0, 1.0]], [0.1], 3, paired=np.bool_(True))
    assert a.batch_shape == (1,)


# ----------------------------------------------------------------------------- gd / iterate
@pytest.mark.parametrize("steps", [2**63, 10**30])
def test_steps_beyond_int64_are_named(m2, steps):
    with pytest.raises(ValueError, match=r"^steps must be <= 2\*\*62"):
        tm.gd(m2, [1.0, 1.0], 0.1, steps, record_every=0)
    with pytest.raises(ValueError, match=r"^steps must be <= 2\*\*62"):
        tm.iterate(tm.gd_map(m2, 0.1), [1.0, 1.0], steps, record_every=0)


@pytest.mark.parametrize("backend", [b"numpy", ["numpy"], None, "NUMPY"])
def test_backend_is_named(m2, backend):
    with pytest.raises(ValueError, match=r"^backend must be"):
        tm.gd(m2, [1.0, 1.0], 0.1, 3, backend=backend)


def test_callback_must_be_callable(m2):
    with pytest.raises(TypeError, match=r"^callback must be None or callable"):
        tm.gd(m2, [1.0, 1.0], 0.1, 3, callback=3)
    with pytest.raises(TypeError, match=r"^callback must be None or callable"):
        tm.iterate(tm.gd_map(m2, 0.1), [1.0, 1.0], 3, callback="print")


def test_callback_with_numba_is_refused(m2):
    pytest.importorskip("numba")
    with pytest.raises(ValueError, match=r"^callback is not supported with backend='numba'"):
        tm.gd(m2, [1.0, 1.0], 0.1, 3, backend="numba", callback=print)


@pytest.mark.parametrize(
    "expr", ["x**4/4 + y**2", "cosh(x*y)", "log(1 + x**2)*y**4", "x**x + y**2", "exp(x)*y**2"]
)
def test_overflowing_dynamics_never_warn(expr):
    # divergence is data: no RuntimeWarning from the runs, their loss or their sharpness,
    # even with a bound that lets states reach 1e300 (pyproject turns warnings into errors)
    m = tm.Model.from_sympy(expr, ["x", "y"])
    th = np.array([[1.5, 2.0], [3.0, -1.0]])
    eta = np.array([0.5, 5.0, 1e3])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for bound in (1e10, 1e300):
            tr = tm.gd(m, th, eta, 50, bound=bound)
            tr.sharpness  # noqa: B018
            tm.sgd(m, _grad(m), th, eta, 50, 5, bound=bound).sharpness  # noqa: B018
            tm.iterate(tm.gd_map(m, 5.0), th, 50, bound=bound)


# ----------------------------------------------------------------------------- gradient flow
@pytest.mark.parametrize("method", ["foo", "rk45", "lsoda", "RK45 ", None, 5, RK45(
    lambda t, y: -y, 0.0, np.ones(1), 1.0
)])  # fmt: skip
def test_gradient_flow_unknown_method_is_refused(m2, method):
    with pytest.raises(ValueError, match=r"^method must be one of 'RK45', 'RK23', 'DOP853'"):
        tm.gradient_flow(m2, [1.0, 1.0], 1.0, n_points=5, method=method)


def test_gradient_flow_accepts_solver_classes(m2):
    by_name = tm.gradient_flow(m2, [1.0, 1.5], 1.0, n_points=5, method="Radau")
    by_class = tm.gradient_flow(m2, [1.0, 1.5], 1.0, n_points=5, method=Radau)
    np.testing.assert_array_equal(by_name.theta, by_class.theta)


def test_gradient_flow_does_not_swallow_model_errors():
    # a ValueError raised by the model used to be caught, retried with Radau, caught again and
    # reported as a diverged member
    def grad(t):
        if t.shape[0] == 1 and t[0, 0] < 0.9:
            raise ValueError("boom from the model")
        return t

    m = tm.Model.from_numpy(
        ["a"], lambda t: 0.5 * np.sum(t**2, -1), grad, lambda t: np.ones((*t.shape, 1))
    )
    with pytest.raises(ValueError, match="boom from the model"):
        tm.gradient_flow(m, [1.0], 1.0, n_points=5)


def test_gradient_flow_blow_up_still_falls_back_to_radau():
    # LSODA's event location breaks down at x(t) = x0/√(1 − 2x0²t): the documented fallback
    m = tm.Model.from_sympy("-x**4/4", params=("x",))
    gf = tm.gradient_flow(m, [[1.0], [3.0], [0.1]], 1.0, n_points=101)
    assert gf.diverged.tolist() == [True, True, False]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_points": 1}, r"^n_points must be >= 2"),
        ({"n_points": 5, "t_eval": [0.1, 0.5]}, r"^give n_points or t_eval, not both"),
        ({"n_points": -3, "t_eval": [0.1, 0.5]}, r"^give n_points or t_eval, not both"),
        ({"rtol": 1e-20}, r"^rtol must be >= 2.22e-14"),
        ({"t_end": 1e-300}, r"^t_end must be >= 1e-100"),
    ],
)
def test_gradient_flow_arguments_scipy_would_bend_are_named(m2, kwargs, match):
    kw = {"t_end": 1.0, "method": "RK45", **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=match):
            tm.gradient_flow(m2, [1.0, 1.0], **kw)


# ----------------------------------------------------------------------------- locate_transition
def test_locate_transition_needs_a_callable():
    with pytest.raises(TypeError, match=r"^order_parameter must be callable"):
        tm.locate_transition(None, 0.0, 1.0)


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (lambda e: 0.3, ValueError, r"one value per step size.*vectorized=False"),
        (lambda e: float(np.mean(e)) - 0.5, ValueError, r"one value per step size"),
        (lambda e: np.asarray(e)[:-1] - 0.5, ValueError, r"shape \(33,\), got shape \(32,\)"),
        (lambda e: np.stack([e, e]) - 0.5, ValueError, r"got shape \(2, 33\)"),
        (lambda e: None, TypeError, "real numbers"),
        (lambda e: "a", TypeError, "real numbers"),
        (lambda e: np.full(np.shape(e), "a"), TypeError, "real numbers"),
        (lambda e: e * 1j, TypeError, "real numbers"),
    ],
)
def test_locate_transition_bad_order_parameter_results_are_named(fn, exc, match):
    with pytest.raises(exc, match=r"^order_parameter must") as info:
        tm.locate_transition(fn, 0.0, 1.0)
    assert __import__("re").search(match, str(info.value))


def test_scalar_order_parameter_runs_with_vectorized_false():
    calls = []

    def d(eta):
        calls.append(eta)
        return max(eta - 0.3, 0.0) - 1e-3  # one float in, one float out

    r = tm.locate_transition(d, 0.0, 1.0, vectorized=False, points=17, rounds=4)
    assert all(isinstance(c, float) for c in calls) and r.evaluations == len(calls)
    assert r.converged and abs(r.eta - 0.301) < 1e-12
    with pytest.raises(ValueError, match=r"^order_parameter must return an array of shape \(\)"):
        tm.locate_transition(lambda e: np.array([e, e]), 0.0, 1.0, vectorized=False)


@pytest.mark.parametrize(
    ("level", "exc", "match"),
    [
        (float("nan"), ValueError, "finite"),
        (float("inf"), ValueError, "finite"),
        ("a", TypeError, "numeric"),
        (None, TypeError, "numeric"),
        ([0.0, 1.0], ValueError, "scalar"),
        (1 + 1j, TypeError, "(numeric|real)"),
    ],
)
def test_locate_transition_bad_level_is_named(level, exc, match):
    with pytest.raises(exc, match=rf"^level must .*{match}"):
        tm.locate_transition(lambda e: e - 0.5, 0.0, 1.0, level=level)


@pytest.mark.parametrize(
    ("lo", "hi", "match"),
    [([0.0, 0.1], 1.0, r"^lo must be a scalar"), (0.0, np.ones(2), r"^hi must be a scalar"),
     (-1e308, 1e308, r"^hi - lo must be finite")],
)  # fmt: skip
def test_locate_transition_bad_range_is_named(lo, hi, match):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=match):
            tm.locate_transition(lambda e: e - 0.5, lo, hi)


def test_indicator_at_level_zero_is_not_a_transition_at_lo():
    # D − level ∈ {0, 1} never changes sign: the old rule (sign product <= 0) answered eta = lo
    r = tm.locate_transition(lambda e: e > 0.5, 0.0, 1.0)
    assert not r.converged and np.isnan(r.eta)
    assert "stays above it" in r.message and "level=1e-6" in r.message
    # between the off and on values it is found
    r = tm.locate_transition(lambda e: e > 0.5, 0.0, 1.0, level=0.5)
    assert r.converged and r.bracket[0] <= 0.5 + 1e-12 and r.bracket[1] > 0.5


def test_touching_the_level_is_not_crossing_it():
    r = tm.locate_transition(lambda e: (e - 0.5) ** 2, 0.0, 1.0)
    assert not r.converged and "touches level" in r.message


def test_exact_level_at_lo_is_skipped_for_the_real_crossing():
    # D − level = 0 at lo, negative, then positive: the crossing is the sign change near 0.6
    r = tm.locate_transition(lambda e: np.where(e == 0.0, 0.0, e - 0.6), 0.0, 1.0, points=11)
    assert r.converged and abs(r.eta - 0.6) < 1e-9


def test_reaching_the_level_exactly_converges_to_the_first_point_at_level():
    # D − level = −1, then 0 on [0.4, 0.6], then +1: the first η at level is 0.4
    def d(e):
        return np.where(e < 0.4, -1.0, np.where(e <= 0.6, 0.0, 1.0))

    r = tm.locate_transition(d, 0.0, 1.0, points=11, rounds=3)
    assert r.converged and r.values[1] == 0.0 and abs(r.eta - 0.4) <= 1e-3


def test_no_transition_says_why():
    r = tm.locate_transition(lambda e: np.ones_like(e), 0.0, 1.0)
    assert not r.converged and "stays above level at all 33" in r.message
    r = tm.locate_transition(lambda e: e * np.nan, 0.0, 1.0)
    assert not r.converged and "no finite value" in r.message and "33 non-finite" in r.message
    r = tm.locate_transition(lambda e: e - 0.5, 0.0, 1.0)
    assert r.converged and "bracketed in" in r.message


def test_rounds_stop_once_the_bracket_cannot_shrink():
    r = tm.locate_transition(lambda e: e - 0.3, 0.0, 1.0, rounds=1000)
    assert r.converged and r.evaluations < 33 * 20
    assert r.bracket[1] == np.nextafter(r.bracket[0], 1.0)
    assert "adjacent floats" in r.message


def test_huge_grids_are_refused_by_the_budget():
    with pytest.raises(ValueError, match=r"^points=1000000000 needs about"):
        tm.locate_transition(lambda e: e - 0.5, 0.0, 1.0, points=10**9)


# ----------------------------------------------------------------------------- booleans, empties
def _quad_model() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + x**2/10", ["x", "y"])


@pytest.mark.parametrize("flag", [True, False, np.True_])
def test_a_boolean_is_never_a_number(flag):
    """as_float_array / positive_float refuse bools (np.asarray(True, float) would be 1.0)."""
    from toymodels._validate import as_float_array, positive_float, real_float

    for fn in (as_float_array, positive_float, real_float):
        with pytest.raises(TypeError, match=r"^eta must be a real number, got the boolean"):
            fn(flag, "eta")
    for arr in ([True, False], np.array([True]), [0.5, flag], np.array([0.5, flag], object)):
        with pytest.raises(TypeError, match=r"^eta must be a real number"):
            as_float_array(arr, "eta")


@pytest.mark.parametrize("eta", [True, np.True_, [True, True]])
def test_gd_and_sgd_refuse_a_boolean_step_size(m2, eta):
    with pytest.raises(TypeError, match=r"^eta must be a real number"):
        tm.gd(m2, [1.0, 1.0], eta, 2)
    with pytest.raises(TypeError, match=r"^eta must be a real number"):
        tm.sgd(m2, _grad(m2), [1.0, 1.0], eta, 2, n_samples=4)


def test_positive_floats_refuse_a_numpy_boolean(m2):
    with pytest.raises(TypeError, match=r"^bound must be a real number"):
        tm.gd(m2, [1.0, 1.0], 0.1, 2, bound=np.True_)


@pytest.mark.parametrize(
    ("kw", "name"), [({"lo": False}, "lo"), ({"hi": True}, "hi"), ({"level": True}, "level")]
)
def test_locate_transition_refuses_boolean_ends_and_level(kw, name):
    args = {"lo": 0.1, "hi": 1.0, **kw}
    with pytest.raises(TypeError, match=rf"^{name} must be a real number, got the boolean"):
        tm.locate_transition(lambda e: e - 0.5, **args)


@pytest.mark.parametrize("theta0", [np.empty((0, 2)), np.empty((3, 0, 2))])
def test_runs_refuse_an_empty_batch(m2, theta0):
    msg = r"^theta0 is empty \(shape \(.*\)\): nothing to run"
    with pytest.raises(ValueError, match=msg):
        tm.gd(m2, theta0, 0.1, 2)
    with pytest.raises(ValueError, match=msg):
        tm.sgd(m2, _grad(m2), theta0, 0.1, 2, n_samples=4)
    with pytest.raises(ValueError, match=msg):
        tm.gradient_flow(m2, theta0, 1.0, n_points=3)


@pytest.mark.parametrize("eta", [[], np.array([]), np.empty((0,))])
def test_runs_refuse_an_empty_step_size_grid(m2, eta):
    with pytest.raises(ValueError, match=r"^eta is empty \(shape \(0,\)\): nothing to run"):
        tm.gd(m2, [1.0, 1.0], eta, 2)
    with pytest.raises(ValueError, match=r"^eta is empty"):
        tm.sgd(m2, _grad(m2), [1.0, 1.0], eta, 2, n_samples=4)


def test_iterate_refuses_an_empty_batch_and_an_empty_parameter_batch():
    henon = tm.Map.from_sympy(["1 - 1.4*x**2 + y", "0.3*x"], state=["x", "y"])
    with pytest.raises(ValueError, match=r"^state0 is empty \(shape \(0, 2\)\)"):
        tm.iterate(henon, np.empty((0, 2)), 3)
    logistic = tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")
    with pytest.raises(ValueError, match=r"^F has an empty parameter batch"):
        tm.iterate(logistic(np.array([])), 0.3, 3)


def test_pure_evaluations_stay_lenient_on_empty_batches(m2):
    assert m2.loss(np.empty((0, 2))).shape == (0,)
    assert m2.grad(np.empty((0, 2))).shape == (0, 2)
    assert tm.sharpness(m2, np.empty((0, 2))).shape == (0,)


@pytest.mark.parametrize("callback", [1, "a", [], np.ones(2)])
def test_runs_refuse_a_callback_that_is_not_callable(m2, callback):
    henon = tm.Map.from_sympy(["1 - 1.4*x**2 + y", "0.3*x"], state=["x", "y"])
    for run in (
        lambda: tm.gd(m2, [1.0, 1.0], 0.1, 2, callback=callback),
        lambda: tm.sgd(m2, _grad(m2), [1.0, 1.0], 0.1, 2, n_samples=4, callback=callback),
        lambda: tm.iterate(henon, [0.1, 0.1], 2, callback=callback),
    ):
        with pytest.raises(TypeError, match=r"^callback must be None or callable"):
            run()


@pytest.mark.parametrize("vectorized", ["yes", 1, None])
def test_locate_transition_vectorized_must_be_a_bool(vectorized):
    with pytest.raises(TypeError, match=r"^vectorized must be True or False"):
        tm.locate_transition(lambda e: e - 0.5, 0.1, 1.0, vectorized=vectorized)


# ----------------------------------------------------------------------------- grad_components
@pytest.mark.parametrize(
    ("components", "exc", "match"),
    [
        ((np.array([0.5]),), TypeError, r"^components must be exactly 2 arrays"),
        ((np.array([0.5]),) * 3, TypeError, r"^components must be exactly 2 arrays"),
        (("a", "b"), TypeError, r"^components\[0\] must be numeric"),
        ((None, None), TypeError, r"^components\[0\] must be numeric"),
        ((0.5, True), TypeError, r"^components\[1\] must be a real number"),
        ((0.5, 1j), TypeError, r"^components\[1\] must be"),
        ((np.ones(2), np.ones(3)), ValueError, r"^components must broadcast"),
    ],
)
def test_grad_components_validates_its_arguments(components, exc, match):
    with pytest.raises(exc, match=match):
        _quad_model().grad_components(*components)


def test_grad_components_broadcasts_and_matches_grad():
    m = _quad_model()
    x, y = np.array([0.5]), np.array([[0.5, -0.5, 0.1]])
    gx, gy = m.grad_components(x, y)
    ref = m.grad(np.stack(np.broadcast_arrays(x, y), axis=-1))
    assert gx.shape == gy.shape == (1, 3)
    np.testing.assert_array_equal(gx, ref[..., 0])
    np.testing.assert_array_equal(gy, ref[..., 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = m.grad_components(np.array([np.nan, 1e200]), np.array([1.0, 1e200]))
    assert np.isnan(g[0][0]) and not np.isfinite(g[0][1])
