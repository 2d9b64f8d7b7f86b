"""Trajectories: batching, record bookkeeping, closed forms, exact divergence steps, determinism.

The reference problem is the quadratic L(x) = ½·h·x², whose GD iterates are exactly
x_t = (1 − ηh)^t x₀ and whose gradient flow is x₀·e^{−ht}.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import toymodels as tm


def quadratic(h: float) -> tm.Model:
    return tm.Model.from_sympy("h*x**2/2", params=("x",), constants={"h": h})


@pytest.fixture(scope="module")
def m2() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + x**4/20", params=("x", "y"))


@pytest.fixture(scope="module")
def logistic() -> tm.MapFamily:
    return tm.Map.from_sympy("r*x*(1 - x)", state="x", param="r")


def assert_same(a: np.ndarray, b: np.ndarray) -> None:
    """Bit-for-bit equality, NaN where NaN."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    np.testing.assert_array_equal(a, b)  # treats NaN == NaN, compares values exactly


# ----------------------------------------------------------------------------- batching
def test_gd_batch_shape_eta_by_init(m2):
    eta = np.array([0.05, 0.2, 0.8, 3.0])
    theta0 = np.array([[1.0, 0.5], [0.3, -2.0], [2.0, 2.0]])
    T = 25
    tr = tm.gd(m2, theta0, eta, T)
    assert tr.theta.shape == (T + 1, 4, 3, 2)
    assert tr.loss.shape == (T + 1, 4, 3)
    assert tr.eta.shape == (4, 3)
    assert tr.diverged.shape == tr.diverged_at.shape == (4, 3)
    assert tr.batch_shape == (4, 3)
    assert tr.final.shape == (4, 3, 2)
    assert_same(tr.steps, np.arange(T + 1))
    assert_same(tr.eta, np.broadcast_to(eta[:, None], (4, 3)))
    assert_same(tr.theta[0], np.broadcast_to(theta0, (4, 3, 2)))
    # every member is the run of that (η, θ₀) alone, bit for bit
    for e in range(4):
        for b in range(3):
            single = tm.gd(m2, theta0[b], eta[e], T)
            assert single.theta.shape == (T + 1, 2)
            assert_same(tr.theta[:, e, b], single.theta)
            assert_same(tr.loss[:, e, b], single.loss)
            assert tr.diverged_at[e, b] == single.diverged_at
    # loss is the model's loss at the recorded states
    with np.errstate(invalid="ignore"):
        assert_same(tr.loss, m2.loss(tr.theta))


def test_gd_nested_init_batch(m2):
    theta0 = np.random.default_rng(1).normal(size=(2, 3, 2))
    tr = tm.gd(m2, theta0, [0.1, 0.2], 5)
    assert tr.theta.shape == (6, 2, 2, 3, 2)
    assert_same(tr.theta[:, 1, 0, 2], tm.gd(m2, theta0[0, 2], 0.2, 5).theta)
    tr = tm.gd(m2, theta0, 0.1, 5)  # scalar η adds no axis
    assert tr.theta.shape == (6, 2, 3, 2)


def test_gd_paired(m2):
    theta0 = np.array([[1.0, 0.5], [0.3, -2.0], [2.0, 2.0]])
    eta = np.array([0.1, 0.4, 2.5])
    tr = tm.gd(m2, theta0, eta, 30, paired=True)
    assert tr.theta.shape == (31, 3, 2)
    assert tr.diverged.shape == (3,)
    assert_same(tr.eta, eta)
    for b in range(3):
        assert_same(tr.theta[:, b], tm.gd(m2, theta0[b], eta[b], 30).theta)
    # paired with one initialisation broadcasts it over the step sizes
    tr1 = tm.gd(m2, theta0[0], eta, 30, paired=True)
    assert tr1.theta.shape == (31, 3, 2)
    full = tm.gd(m2, theta0[0], eta, 30)
    assert_same(tr1.theta, full.theta)


def test_gd_equals_iterating_the_gd_map(m2):
    """tm.gd and tm.iterate(tm.gd_map(...)) do the same arithmetic: identical bits."""
    theta0 = np.array([[1.0, 0.5], [0.3, -2.0]])
    eta = np.array([0.1, 0.9, 4.0])
    tr = tm.gd(m2, theta0, eta, 40)
    it = tm.iterate(tm.gd_map(m2, eta[:, None]), theta0, 40)
    assert_same(tr.theta, it.theta)
    assert_same(tr.diverged_at, it.diverged_at)


# ----------------------------------------------------------------------------- records
@given(st.integers(0, 40), st.integers(0, 13))
def test_record_every_semantics(m2, steps, k):
    theta0 = np.array([[1.0, 0.5], [2.0, 2.0]])
    eta = [0.1, 1.5]
    tr = tm.gd(m2, theta0, eta, steps, record_every=k)
    if k == 0:
        expected = [steps]
    else:
        expected = list(range(0, steps + 1, k))
        if expected[-1] != steps:
            expected.append(steps)
    assert tr.steps.tolist() == expected
    assert tr.theta.shape == (len(expected), 2, 2, 2)
    full = tm.gd(m2, theta0, eta, steps, record_every=1)
    assert_same(tr.theta, full.theta[expected])
    assert_same(tr.loss, full.loss[expected])
    assert_same(tr.diverged_at, full.diverged_at)
    assert_same(tr.final, full.final)


# ----------------------------------------------------------------------------- closed forms
@given(
    st.floats(0.1, 10.0).map(lambda v: round(v, 6)),
    st.one_of(st.floats(-1.0, -0.1), st.floats(0.1, 0.99), st.floats(-1.2, -1.0)),
    st.floats(-2.0, 2.0).filter(lambda v: abs(v) > 1e-3),
    st.integers(1, 100),
)
def test_gd_quadratic_closed_form(h, q, x0, T):
    """x_t = (1 − ηh)^t x₀.

    Each step x − η(hx) rounds with relative error ≲ ε(1 + ηh)/|1 − ηh| ≤ 2.2e-16·3/0.1, so after
    T ≤ 100 steps the relative error is ≲ 7e-13 < 1e-12 (and q itself carries one rounding,
    raised to the power t: ≲ T·ε/|q| ≈ 2e-13). h has ≤ 7 significant digits so the compiled
    constant is exactly h (see test_constants_keep_full_float64_precision).
    """
    eta = (1.0 - q) / h
    m = quadratic(h)
    tr = tm.gd(m, [x0], eta, T)
    qf = 1.0 - eta * h
    t = np.arange(T + 1)
    exact = qf**t * x0
    np.testing.assert_allclose(tr.theta[:, 0], exact, rtol=1e-12, atol=0)
    assert not tr.diverged


@given(
    st.one_of(st.floats(0.1, 10.0), st.floats(-10.0, -0.1)),
    st.floats(1.05, 6.0),
    st.floats(0.01, 2.0),
    st.sampled_from([1.0, -1.0]),
    st.floats(1.0, 12.0),
    st.integers(1, 300),
    st.sampled_from([1, 7, 64]),
)
def test_gd_divergence_step_is_exact(h, absq, ax0, sign, log10_bound, T, check_every):
    """For ½hx² with |1 − ηh| > 1 the first t with |x_t| > B is t* = ⌊log(B/|x₀|)/log|q|⌋ + 1.

    The draw is discarded when |q|^t|x₀| is within a relative 1e-9 of B at t*−1 or t*: there the
    floating-point iterate (relative error ≲ 300·ε ≈ 7e-14) could fall on either side.
    """
    # h > 0 needs q = 1 − ηh < −1 (oscillating blow-up); h < 0 gives q = 1 + η|h| > 1
    q = -absq if h > 0 else absq
    eta = (1.0 - q) / h
    assume(eta > 0)
    B = 10.0**log10_bound
    x0 = sign * ax0
    qf = 1.0 - eta * h
    lq = math.log(abs(qf))
    ratio = math.log(B / abs(x0)) / lq
    t_star = math.floor(ratio) + 1
    for t in (t_star - 1, t_star):
        assume(abs(t * lq + math.log(abs(x0)) - math.log(B)) > 1e-9)
    tr = tm.gd(quadratic(h), [x0], eta, T, bound=B, check_every=check_every)
    if t_star <= T:
        assert tr.diverged
        assert tr.diverged_at == t_star
        assert np.all(np.isfinite(tr.theta[:t_star]))
        assert np.all(np.abs(tr.theta[:t_star]) <= B)
        assert np.all(np.isnan(tr.theta[t_star:]))
    else:
        assert not tr.diverged
        assert tr.diverged_at == -1
        assert np.all(np.isfinite(tr.theta))


def test_divergence_at_step_zero():
    tr = tm.gd(quadratic(1.0), [[5.0], [0.5]], 0.1, 10, bound=1.0)
    assert tr.diverged.tolist() == [True, False]
    assert tr.diverged_at.tolist() == [0, -1]
    assert np.all(np.isnan(tr.theta[:, 0]))


@given(st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_check_every(seed):
    """check_every only decides how often divergence is checked; the replay makes diverged_at
    exact, and the recorded states identical, for any value."""
    m = tm.Model.from_sympy("x**4/4 + (x*y - 1)**2/2", params=("x", "y"))
    rng = np.random.default_rng(seed)
    theta0 = rng.uniform(-2, 2, size=(6, 2))
    eta = np.geomspace(0.01, 3.0, 7)
    runs = [tm.gd(m, theta0, eta, 150, check_every=c) for c in (1, 7, 64, 1000)]
    for other in runs[1:]:
        assert_same(other.theta, runs[0].theta)
        assert_same(other.diverged_at, runs[0].diverged_at)
        assert_same(other.loss, runs[0].loss)


def test_check_every_with_a_known_mix():
    m = tm.Model.from_sympy("x**4/4 + (x*y - 1)**2/2", params=("x", "y"))
    theta0 = np.array([[1.0, 1.0], [1.5, -0.5], [0.2, 1.8]])
    eta = np.array([0.05, 0.5, 1.2, 2.5])
    ref = tm.gd(m, theta0, eta, 200, check_every=1)
    assert ref.diverged.any() and not ref.diverged.all()
    assert len(set(ref.diverged_at[ref.diverged].tolist())) > 1
    for c in (7, 64):
        tr = tm.gd(m, theta0, eta, 200, check_every=c, record_every=5)
        assert_same(tr.diverged_at, ref.diverged_at)
        assert_same(tr.theta, ref.theta[tr.steps])


def test_reruns_are_bit_identical(m2, logistic):
    theta0 = np.random.default_rng(3).normal(size=(5, 2))
    eta = np.linspace(0.05, 3.0, 9)
    a = tm.gd(m2, theta0, eta, 120, record_every=3)
    b = tm.gd(m2, theta0, eta, 120, record_every=3)
    assert_same(a.theta, b.theta)
    assert_same(a.loss, b.loss)
    assert_same(a.diverged_at, b.diverged_at)
    assert_same(a.sharpness, b.sharpness)
    r = np.linspace(2.5, 4.2, 50)
    a = tm.iterate(logistic(r), 0.3, 500)
    b = tm.iterate(logistic(r), 0.3, 500)
    assert_same(a.theta, b.theta)


def test_trajectory_is_frozen(m2):
    tr = tm.gd(m2, [1.0, 1.0], 0.1, 3)
    with pytest.raises(AttributeError):
        tr.theta = None  # type: ignore[misc]


# ----------------------------------------------------------------------------- sharpness
@given(
    st.one_of(st.floats(0.1, 50.0), st.floats(-5.0, -0.1)).map(lambda v: round(v, 6)),
    st.floats(-2.0, 2.0),
)
def test_trajectory_sharpness_of_quadratic_is_h(h, x0):
    """S = h along the whole run (exactly: see test_constants_keep_full_float64_precision for
    constants that need all 17 significant digits.)"""
    eta = 0.5 / abs(h)
    tr = tm.gd(quadratic(h), [[x0], [x0 / 2]], [eta, eta / 3], 20)
    S = tr.sharpness
    assert S.shape == (21, 2, 2)
    np.testing.assert_allclose(S, h, rtol=1e-15, atol=0)


@pytest.mark.parametrize("h", [-1.4382138568759326, 0.1 + 0.2, 1 / 3])
def test_constants_keep_full_float64_precision(h):
    m = quadratic(h)
    assert m.hessian([0.0])[0, 0] == h
    assert tm.gd(m, [[1.0]], 0.5, 3).sharpness[0, 0] == h


def test_trajectory_sharpness_diagonal_quadratic():
    m = tm.Model.from_sympy("(3*x**2 + 7*y**2)/2", params=("x", "y"))
    tr = tm.gd(m, [[1.0, 1.0], [-1.0, 0.5]], [0.1, 0.2], 10)
    np.testing.assert_allclose(tr.sharpness, 7.0, rtol=1e-15)
    # 2/η = 10 > 7 > 2/η' ... η = 0.2·7 = 1.4 < 2: both stable; the y-coordinate contracts
    assert not tr.diverged.any()


# ----------------------------------------------------------------------------- gradient flow
@given(st.floats(0.1, 5.0), st.floats(-3.0, 3.0), st.floats(0.1, 2.0))
def test_gradient_flow_quadratic_closed_form(h, x0, t_end):
    """x(t) = x₀e^{−ht}; LSODA with rtol 1e-10, atol 1e-12 (defaults) keeps the global error of
    this one-line linear ODE well below 1e-8·(1 + |x₀|)."""
    gf = tm.gradient_flow(quadratic(h), [x0], t_end, n_points=11)
    assert gf.t.shape == (11,)
    assert gf.theta.shape == (11, 1)
    exact = x0 * np.exp(-h * gf.t)
    np.testing.assert_allclose(gf.theta[:, 0], exact, rtol=0, atol=1e-8 * (1 + abs(x0)))
    assert not gf.diverged


def test_gradient_flow_batch_and_t_eval(m2):
    theta0 = np.array([[1.0, 0.5], [0.3, -2.0], [2.0, 2.0]])
    t_eval = [0.0, 0.1, 0.5, 2.0]
    gf = tm.gradient_flow(m2, theta0, 2.0, t_eval=t_eval)
    assert gf.theta.shape == (4, 3, 2)
    assert gf.loss.shape == (4, 3)
    assert_same(gf.t, t_eval)
    assert_same(gf.theta[0], theta0)
    # gradient flow never increases the loss
    assert np.all(np.diff(gf.loss, axis=0) <= 1e-12)
    for b in range(3):
        single = tm.gradient_flow(m2, theta0[b], 2.0, t_eval=t_eval)
        assert_same(gf.theta[:, b], single.theta)


def test_gradient_flow_finite_time_blow_up():
    """L = −x⁴/4: dx/dt = x³, x(t) = x₀/√(1 − 2x₀²t) blows up at t* = 1/(2x₀²) = 0.41322…
    for x₀ = 1.1, between the records t = 0.41 and 0.42: the first 42 records are kept (the
    bound 1e10 is reached only ~1e-21 before t*). Radau (implicit, uses the Jacobian) with
    rtol 1e-6 keeps the test fast; x₀ = 0.1 (t* = 50) stays finite."""
    m = tm.Model.from_sympy("-x**4/4", params=("x",))
    gf = tm.gradient_flow(
        m, [[1.1], [0.1]], 1.0, n_points=101, method="Radau", rtol=1e-6, atol=1e-9
    )
    assert gf.diverged.tolist() == [True, False]
    assert gf.diverged_at.tolist() == [42, -1]
    assert np.all(np.isfinite(gf.theta[:42, 0]))
    assert np.all(np.isnan(gf.theta[42:, 0]))
    t = gf.t[:42]
    np.testing.assert_allclose(gf.theta[:42, 0, 0], 1.1 / np.sqrt(1 - 2 * 1.21 * t), rtol=1e-4)


# ----------------------------------------------------------------------------- map iteration
def test_iterate_array_parameter_equals_loop(logistic):
    """One call over a parameter array == a loop over the parameters, bit for bit, including
    members that diverge (r > 4 from x₀ = 0.3) and their exact divergence steps."""
    r = np.array([0.5, 2.5, 3.2, 3.5, 3.83, 3.9, 4.0, 4.3, 6.0])
    T = 300
    tr = tm.iterate(logistic(r), 0.3, T, record_every=4, check_every=16)
    assert tr.theta.shape == (len(tr.steps), r.size, 1)
    assert tr.loss is None
    assert tr.diverged[-2:].all() and not tr.diverged[:-2].any()
    for i, ri in enumerate(r):
        single = tm.iterate(logistic(float(ri)), 0.3, T, record_every=4)
        assert single.theta.shape == (len(tr.steps), 1)
        assert_same(tr.theta[:, i], single.theta)
        assert tr.diverged_at[i] == single.diverged_at


def test_iterate_2d_family_array_parameter_equals_loop():
    henon = tm.Map.from_sympy(
        ["1 - a*x**2 + y", "b*x"], state=["x", "y"], param="a", constants={"b": 0.3}
    )
    a = np.array([0.2, 1.0, 1.4, 1.6])
    x0 = np.array([0.1, 0.1])
    tr = tm.iterate(henon(a), x0, 200)
    assert tr.theta.shape == (201, 4, 2)
    for i, ai in enumerate(a):
        assert_same(tr.theta[:, i], tm.iterate(henon(float(ai)), x0, 200).theta)
        assert tr.diverged_at[i] == tm.iterate(henon(float(ai)), x0, 200).diverged_at


def test_iterate_parameter_and_state_batches_broadcast(logistic):
    r = np.array([[2.5], [3.2], [3.9]])  # (3, 1)
    x0 = np.array([0.1, 0.5, 0.7, 0.9])[:, None]  # (4, 1): batch (4,) of 1-D states
    tr = tm.iterate(logistic(r), x0, 50)
    assert tr.theta.shape == (51, 3, 4, 1)
    assert_same(tr.theta[:, 2, 1], tm.iterate(logistic(3.9), 0.5, 50).theta)


def test_gradient_flow_finite_time_blow_up_default_method():
    m = tm.Model.from_sympy("-x**4/4", params=("x",))
    gf = tm.gradient_flow(m, [[1.0], [0.1]], 1.0, n_points=101)
    assert gf.diverged.tolist() == [True, False]


def test_numpy_twin_gd_equals_sympy_gd():
    """gd runs sympy models component-wise and from_numpy models as one (B, p) block; both do
    the same per-element arithmetic, so the trajectories (and divergence steps, for any
    check_every) agree bit for bit."""
    m = tm.Model.from_sympy("x**4/4 + (x*y - 1)**2/2", params=("x", "y"))
    twin = tm.Model.from_numpy(m.params, m.loss, m.grad, m.hessian)
    theta0 = np.array([[1.0, 1.0], [1.5, -0.5], [0.2, 1.8]])
    eta = np.array([0.05, 0.5, 1.2, 2.5])
    ref = tm.gd(m, theta0, eta, 200)
    assert ref.diverged.any() and not ref.diverged.all()
    for c in (1, 7, 64):
        tr = tm.gd(twin, theta0, eta, 200, check_every=c)
        assert_same(tr.theta, ref.theta)
        assert_same(tr.diverged_at, ref.diverged_at)
    paired = tm.gd(twin, theta0, eta[:3], 50, paired=True, record_every=10)
    ref_p = tm.gd(m, theta0, eta[:3], 50, paired=True, record_every=10)
    assert_same(paired.theta, ref_p.theta)


def test_all_members_diverge():
    """Every member diverged: the remaining records are NaN and the steps are still exact."""
    tr = tm.gd(quadratic(1.0), [[1.0], [-2.0]], [3.0, 5.0], 100, bound=1e6, record_every=7)
    # |q| = 2 and 4: |x_t| = 2^t, 2·2^t, 4^t, 2·4^t first exceed 1e6 at t = 20, 19, 10, 10
    assert tr.diverged_at.tolist() == [[20, 19], [10, 10]]
    assert tr.steps.tolist() == [*range(0, 100, 7), 100]
    assert np.all(np.isnan(tr.theta[3:]))
    assert np.all(np.isfinite(tr.theta[:2]))
