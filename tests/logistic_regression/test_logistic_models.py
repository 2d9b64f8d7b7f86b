"""The logistic-regression models (``toymodels.models.logistic_regression``): the sympy form
against the stable numpy twin, their numerical range, the max-margin solver, the small closed
forms, and argument validation.

References are written out here: ℓ(z) = log(1 + e^{−z}) through ``np.logaddexp``, its
derivatives through ``scipy.special.expit``, the hard-margin SVM through ``scipy.optimize``
(SLSQP), GD through the brief's appendix loop.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit

import toymodels as tm
from toymodels.models import logistic_regression as lr

SEED = 2305_11788
GAMMA = 0.1
ETAS = np.array(lr.ETAS)


def _points(n: int, d: int, scale: float, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(SEED + seed).normal(size=(n, d)) * scale


def _separable(n: int, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(SEED + 100 + seed)
    x = rng.normal(size=(n, d))
    w0 = rng.normal(size=d)
    return x * np.sign(x @ w0)[:, None]


def _ref(x: np.ndarray, th: np.ndarray, loss: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(L, ∇L, ∇²L) written out: ℓ, −ℓ' and ℓ'' of the module docstring."""
    z = th @ x.T
    if loss == "logistic":
        ell, s, q = np.logaddexp(0, -z), expit(-z), expit(z) * expit(-z)
    else:
        ell = s = q = np.exp(-z)
    n = len(x)
    return ell.mean(-1), -(s @ x) / n, np.einsum("bi,ij,ik->bjk", q, x, x) / n


@pytest.mark.parametrize("loss", lr.LOSSES)
@pytest.mark.parametrize(("n", "d", "seed"), [(2, 2, 0), (2, 3, 1), (3, 1, 2)])
def test_sympy_form_equals_numpy_twin(loss, n, d, seed):
    x = lr.two_point_data(GAMMA) if seed == 0 else _points(n, d, 1.0, seed)
    sym = lr.two_point_model(GAMMA, loss) if seed == 0 else lr.separable_model(x, loss)
    twin = lr.separable_model_numpy(x, loss)
    assert sym.params == twin.params == tuple(f"w{j + 1}" for j in range(d))
    th = _points(32, d, 3.0, seed + 10)
    u = _points(32, d, 1.0, seed + 20)
    L, g, h = _ref(x, th, loss)
    for model in (sym, twin):
        np.testing.assert_allclose(model.loss(th), L, rtol=1e-13)
        np.testing.assert_allclose(model.grad(th), g, rtol=1e-12, atol=1e-15 * np.abs(g).max())
        np.testing.assert_allclose(model.hessian(th), h, rtol=1e-12, atol=1e-15 * np.abs(h).max())
    t_sym, t_twin = sym.third(th, u), twin.third(th, u)
    np.testing.assert_allclose(t_twin, t_sym, rtol=1e-11, atol=1e-13 * np.abs(t_sym).max())
    np.testing.assert_allclose(lr.separable_numpy_third(th, u, x, loss), t_twin, rtol=0, atol=0)
    np.testing.assert_array_equal(lr.separable_numpy_loss(th, x, loss), twin.loss(th))
    np.testing.assert_array_equal(lr.separable_numpy_grad(th, x, loss), twin.grad(th))
    np.testing.assert_array_equal(lr.separable_numpy_hessian(th, x, loss), twin.hessian(th))


def test_numerical_range_of_the_two_forms():
    """What lambdify makes of log(1 + e^{−z}) at margins ±1e3 (the module docstring), and the
    twin's stable values there."""
    sym = lr.two_point_model(GAMMA)
    twin = lr.separable_model_numpy(lr.two_point_data(GAMMA))
    big = np.array([1e4, 0.0])  # both margins z = γ·1e4 = 1e3
    assert float(sym.loss(big)) == 0.0 and float(twin.loss(big)) == 0.0
    assert np.all(sym.grad(big) == 0.0) and np.all(twin.grad(big) == 0.0)
    neg = -big  # z = −1e3: e^{−z} overflows in the sympy form
    assert np.isinf(sym.loss(neg)) and np.all(np.isnan(sym.grad(neg)))
    assert np.all(np.isnan(sym.hessian(neg)))
    assert float(twin.loss(neg)) == 1000.0  # logaddexp(0, 1000) = 1000 exactly in float64
    # both σ(−z) = 1: ∇L = −(x₁ + x₂)/2 = (−γ, 1/2)
    np.testing.assert_allclose(twin.grad(neg), [-GAMMA, 0.5], rtol=1e-15)
    assert np.all(np.isfinite(twin.hessian(neg)))
    # relative accuracy of the loss at large margins: z = 40 → ℓ ≈ e^{−40} = 4.25e-18
    mid = np.array([400.0, 0.0])
    np.testing.assert_allclose(float(twin.loss(mid)), np.exp(-40.0), rtol=1e-14)
    assert float(sym.loss(mid)) == 0.0  # log(1 + 4e-18) rounds to 0


def test_gd_runs_agree_and_the_sympy_form_fails_beyond_margin_minus_709():
    x = lr.two_point_data(GAMMA)
    sym = tm.gd(lr.two_point_model(GAMMA), [0.0, 0.0], ETAS, 5_000, record_every=0)
    twin = tm.gd(lr.separable_model_numpy(x), [0.0, 0.0], ETAS, 5_000, record_every=0)
    np.testing.assert_allclose(twin.final, sym.final, rtol=1e-10, atol=1e-12)
    # η = 1000: the first big step sends a margin to −735, e^{735} overflows, the sympy form
    # marks a divergence that the stable twin does not have
    s1 = tm.gd(lr.two_point_model(GAMMA), [0.0, 0.0], 1000.0, 100, record_every=0)
    t1 = tm.gd(lr.separable_model_numpy(x), [0.0, 0.0], 1000.0, 100, record_every=0)
    assert int(s1.diverged_at) == 4 and not t1.diverged
    assert float(t1.loss[-1]) < 1e-3


def test_numpy_twin_batch_members_are_bitwise_their_own_runs():
    twin = lr.separable_model_numpy(lr.two_point_data(GAMMA))
    batch = tm.gd(twin, [0.0, 0.0], ETAS, 300, record_every=0)
    for i, eta in enumerate(ETAS):
        one = tm.gd(twin, [0.0, 0.0], float(eta), 300, record_every=0)
        np.testing.assert_array_equal(one.final, batch.final[i])


def _svm_reference(x: np.ndarray) -> np.ndarray:
    """min ½‖w‖² s.t. Xw ≥ 1 by SLSQP (independent of the enumeration)."""
    d = x.shape[1]
    res = minimize(
        lambda w: 0.5 * w @ w,
        np.linalg.lstsq(x, np.ones(len(x)), rcond=None)[0] * 2,
        jac=lambda w: w,
        constraints=[{"type": "ineq", "fun": lambda w: x @ w - 1, "jac": lambda w: x}],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    assert res.success, res.message
    return res.x.reshape(d)


@pytest.mark.parametrize(
    ("n", "d", "seed"), [(2, 2, 0), (5, 2, 1), (6, 3, 2), (8, 3, 3), (3, 1, 4)]
)
def test_max_margin_against_slsqp(n, d, seed):
    x = _separable(n, d, seed)
    mm = lr.max_margin(x)
    w = _svm_reference(x)
    np.testing.assert_allclose(mm.direction, w / np.linalg.norm(w), atol=1e-6)
    np.testing.assert_allclose(mm.margin, 1 / np.linalg.norm(w), rtol=1e-6)
    margins = x @ mm.direction
    assert np.min(margins) >= mm.margin * (1 - 1e-9)
    assert set(mm.support) == set(np.nonzero(margins <= mm.margin * (1 + 1e-9))[0])
    # the dual reproduces w* = ŵ/γ and is supported on the support vectors
    assert np.all(mm.dual >= 0)
    np.testing.assert_allclose(mm.dual @ x, mm.direction / mm.margin, rtol=1e-9, atol=1e-9)
    assert set(np.nonzero(mm.dual)[0]) <= set(mm.support)


def test_max_margin_two_point_and_scaling():
    for g in (0.1, 0.5, 2.0):
        mm = lr.max_margin(lr.two_point_data(g))
        ref = lr.two_point_max_margin(g)
        np.testing.assert_allclose(mm.direction, ref.direction, atol=1e-15)
        np.testing.assert_allclose(mm.margin, ref.margin, rtol=1e-14)
        np.testing.assert_allclose(mm.dual, ref.dual, rtol=1e-12)
        assert mm.support == ref.support == (0, 1)
    x = _separable(5, 3, 7)
    a, b = lr.max_margin(x), lr.max_margin(1e-3 * x)
    np.testing.assert_allclose(b.direction, a.direction, atol=1e-12)
    np.testing.assert_allclose(b.margin, 1e-3 * a.margin, rtol=1e-12)


@pytest.mark.parametrize(
    "x", [[[1.0, 0.0], [-1.0, 0.0]], [[0.0, 0.0]], [[1.0, 1.0], [-1.0, -1.0], [0.0, 1.0]]]
)
def test_max_margin_refuses_non_separable(x):
    with pytest.raises(ValueError, match=r"^X is not linearly separable"):
        lr.max_margin(x)


def test_max_margin_refuses_huge_enumeration():
    with pytest.raises(ValueError, match=r"^X is too large"):
        lr.max_margin(np.ones((400, 3)))


def test_closed_forms():
    v = np.linspace(-1, 1, 7)
    np.testing.assert_allclose(lr.two_point_potential(v), np.exp(-v) + np.exp(2 * v), rtol=1e-15)
    np.testing.assert_allclose(lr.potential(v), lr.two_point_potential(v), rtol=1e-15)
    np.testing.assert_allclose(
        lr.potential(v[:, None], [[1.0], [-2.0]]), lr.two_point_potential(v), rtol=1e-15
    )
    xb = np.array([[1.0, 0.5], [-2.0, 0.3], [0.2, -1.0]])
    vv = _points(4, 2, 1.0, 5)
    np.testing.assert_allclose(lr.potential(vv, xb), np.exp(-vv @ xb.T).sum(-1), rtol=1e-14)
    vs = lr.two_point_v_star()
    assert abs(vs + np.log(2) / 3) < 1e-16
    eps = 1e-5  # G is minimised at v*: central difference of G is ~0, G'' > 0
    g = lr.two_point_potential
    assert abs(g(vs + eps) - g(vs - eps)) < 1e-14
    assert g(vs + eps) > g(vs) < g(vs - eps)
    assert abs(float(g(vs)) - lr.two_point_potential_min()) < 1e-15
    assert abs(lr.two_point_potential_min() - 3 * 2 ** (-2 / 3)) < 1e-15
    # S₀ = λ_max((c/2)Σ x xᵀ) for several γ, both losses, against eigvalsh
    for gm in (0.1, 0.5, 1.0, 3.0):
        x = lr.two_point_data(gm)
        for loss, c in (("logistic", 0.25), ("exponential", 1.0)):
            s0 = np.linalg.eigvalsh(c / 2 * x.T @ x)[-1]
            assert abs(lr.two_point_initial_sharpness(gm, loss) - s0) < 1e-14 * s0
            assert abs(lr.two_point_eos_threshold(gm, loss) - 2 / s0) < 1e-13 * 2 / s0
    assert lr.two_point_v_rate(0.0) == -2 / 9
    asy = lr.two_point_asymptotics(np.array([1e3, 1e4])[:, None], ETAS, GAMMA)
    assert asy.loss.shape == asy.a.shape == asy.v.shape == (2, 5)


def test_margin_decomposition():
    th = _points(6, 3, 2.0, 9)
    direction = np.array([1.0, 2.0, -2.0])
    a, v = lr.margin_decomposition(th, direction)
    u = direction / 3.0
    np.testing.assert_allclose(a, th @ u, rtol=1e-14)
    np.testing.assert_allclose(v @ u, 0.0, atol=1e-14)
    np.testing.assert_allclose(a[:, None] * u + v, th, rtol=1e-14)


def test_sharpness_bound_is_max_norm_times_loss():
    x = _points(4, 3, 1.5, 11)
    th = _points(10, 3, 2.0, 12)
    for loss in lr.LOSSES:
        L = lr.separable_numpy_loss(th, x, loss)
        np.testing.assert_allclose(
            lr.sharpness_bound(th, x, loss), np.max(np.sum(x * x, 1)) * L, rtol=1e-15
        )


@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: lr.two_point_data(0.0), ValueError, "gamma"),
        (lambda: lr.two_point_data(True), TypeError, "gamma"),
        (lambda: lr.two_point_model(0.1, "hinge"), ValueError, "loss"),
        (lambda: lr.separable_model(np.ones(3)), ValueError, "X"),
        (lambda: lr.separable_model([[1.0, 0.0], [2.0, 0.0]]), ValueError, "X"),
        (lambda: lr.separable_model(np.ones((100, 50))), ValueError, "X"),
        (lambda: lr.separable_model_numpy([[np.nan, 1.0]]), ValueError, "X"),
        (lambda: lr.separable_numpy_loss(np.zeros(3), np.ones((2, 2))), ValueError, "theta"),
        (
            lambda: lr.separable_numpy_third(np.zeros(2), np.zeros(3), np.ones((2, 2))),
            ValueError,
            "u",
        ),
        (lambda: lr.margin_decomposition(np.zeros(2), [0.0, 0.0]), ValueError, "direction"),
        (lambda: lr.potential(np.zeros(3), [[1.0, 2.0]]), ValueError, "v"),
        (lambda: lr.two_point_v_rate(1.5), ValueError, "gamma"),
        (lambda: lr.two_point_asymptotics(0.0, 1.0), ValueError, "t"),
        (lambda: lr.two_point_asymptotics(1.0, [1.0, -1.0]), ValueError, "eta"),
    ],
)
def test_input_errors_name_the_parameter(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert str(info.value).startswith(name), str(info.value)
