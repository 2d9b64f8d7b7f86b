"""The self-stabilization toy models: sympy models against hand-written numpy twins, closed forms,
and argument validation (``toymodels.models.self_stabilization``).

Every reference below is written out here (not read from the library): Model B's gradient,
Hessian and third-derivative tensor, Model A's ∇L_A = (z₁x, K(z − m) + ½x²e₁) and Hessian,
Model Z's gradient, the stage map and the log-cosh gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm
from toymodels.models import self_stabilization as ss

RNG_SEED = 20240611
K = np.array([[0.5, 0.3], [0.3, 1.0]])
M = np.array([22.0, 4.0])


def _points(p: int, n: int = 16, scale: float = 2.0) -> np.ndarray:
    return np.random.default_rng(RNG_SEED + p).normal(size=(n, p)) * scale


# ------------------------------------------------------------------ Model B
def _b_grad(th: np.ndarray, ls: float, ln: float, g: float) -> np.ndarray:
    a, w1, w2 = th.T
    r1, r2 = a * w1 - 1, a * w2 - g
    return np.stack([ls * r1 * w1 + ln * r2 * w2, ls * r1 * a, ln * r2 * a], axis=-1)


def _b_third_contracted(th: np.ndarray, u: np.ndarray, ls: float, ln: float) -> np.ndarray:
    """∇³L[u, u] from the brief's ∇S formula (§3.1)."""
    a, w1, w2 = th.T
    ua, u1, u2 = u.T
    return np.stack(
        [
            4 * ls * w1 * ua * u1 + 2 * ls * a * u1**2 + 4 * ln * w2 * ua * u2 + 2 * ln * a * u2**2,
            2 * ls * w1 * ua**2 + 4 * ls * a * ua * u1,
            2 * ln * w2 * ua**2 + 4 * ln * a * ua * u2,
        ],
        axis=-1,
    )


@pytest.mark.parametrize("consts", [(0.1, 100.0, 0.05), (0.7, 3.0, -0.4)])
def test_model_b_sympy_equals_numpy_twins(consts):
    ls, ln, g = consts
    m = ss.width_one_net(*consts)
    assert m.params == ("a", "w1", "w2")
    th = _points(3)
    u = np.random.default_rng(1).normal(size=th.shape)
    scale = 1 + ln * np.max(np.abs(th)) ** 3
    # (model, numpy twin, test reference) agree to rounding of O(λ_n|θ|³) terms
    ref = _b_grad(th, ls, ln, g)
    np.testing.assert_allclose(m.grad(th), ref, rtol=0, atol=1e-13 * scale)
    np.testing.assert_allclose(
        ss.width_one_net_numpy_grad(th, ls, ln, g), ref, rtol=0, atol=1e-13 * scale
    )
    np.testing.assert_allclose(
        ss.width_one_net_numpy_hessian(th, ls, ln, g), m.hessian(th), rtol=0, atol=1e-13 * scale
    )
    t = ss.width_one_net_numpy_third(th, ls, ln, g)
    np.testing.assert_array_equal(t, np.swapaxes(t, -1, -2))
    np.testing.assert_array_equal(t, np.swapaxes(t, -2, -3))
    ref3 = _b_third_contracted(th, u, ls, ln)
    np.testing.assert_allclose(m.third(th, u), ref3, rtol=0, atol=1e-12 * scale)
    np.testing.assert_allclose(
        np.einsum("...ijk,...j,...k->...i", t, u, u), ref3, rtol=0, atol=1e-12 * scale
    )
    # loss
    a, w1, w2 = th.T
    np.testing.assert_allclose(
        m.loss(th), 0.5 * ls * (a * w1 - 1) ** 2 + 0.5 * ln * (a * w2 - g) ** 2, rtol=1e-13
    )


def test_model_b_constants_and_init():
    assert ss.MODEL_B_ETAS == (0.025, 0.03, 0.035)
    th0 = ss.width_one_net_init()
    np.testing.assert_array_equal(th0, [0.3, 0.3, 0.05 / 0.3])
    np.testing.assert_array_equal(ss.width_one_net_init(0.2), [0.3, 0.3, 0.2 / 0.3])
    m = ss.width_one_net()
    # on the valley floor a·w2 = γ; S₀ = 11.78 (brief §3.1)
    assert abs(float(tm.sharpness(m, th0)) - 11.78) < 5e-3
    # every step size of the table has 2/η below the gradient-flow limit S = 99.0 (brief §3.1)
    assert all(2 / e < 99.0 for e in ss.MODEL_B_ETAS)


def test_model_b_batched_shapes():
    th = _points(3).reshape(4, 4, 3)
    assert ss.width_one_net_numpy_grad(th).shape == (4, 4, 3)
    assert ss.width_one_net_numpy_hessian(th).shape == (4, 4, 3, 3)
    assert ss.width_one_net_numpy_third(th).shape == (4, 4, 3, 3, 3)
    assert ss.width_one_net_numpy_grad([0.3, 0.3, 0.1]).shape == (3,)


# ------------------------------------------------------------------ Model A
def test_model_a_sympy_equals_closed_form():
    A = ss.normal_form_model(K, M)
    assert A.params == ("x", "z1", "z2")
    th = _points(3, scale=5.0)
    x, z = th[:, 0], th[:, 1:]
    gz = (z - M) @ K.T
    gz[:, 0] += 0.5 * x**2
    ref = np.column_stack([z[:, 0] * x, gz])
    np.testing.assert_allclose(A.grad(th), ref, rtol=0, atol=1e-12)
    H = np.zeros((len(th), 3, 3))
    H[:, 0, 0] = z[:, 0]
    H[:, 0, 1] = H[:, 1, 0] = x
    H[:, 1:, 1:] = K
    np.testing.assert_allclose(A.hessian(th), H, rtol=0, atol=1e-12)
    # the only third derivative is ∂_{z1 x x} = 1: ∇³L[u, u] = (2u_x u_z1, u_x², 0)
    u = np.random.default_rng(2).normal(size=th.shape)
    ref3 = np.column_stack([2 * u[:, 0] * u[:, 1], u[:, 0] ** 2, 0 * u[:, 0]])
    np.testing.assert_allclose(A.third(th, u), ref3, rtol=0, atol=1e-12)


@pytest.mark.parametrize("eta", [0.1, 0.11, 0.115, 0.12])
def test_model_a_closed_forms(eta):
    ac = (M[0] - 2 / eta) * (K[0, 0] - K[0, 1] ** 2 / K[1, 1])
    zc = np.array([2 / eta, M[1] - K[0, 1] / K[1, 1] * (2 / eta - M[0])])
    np.testing.assert_allclose(ss.constrained_minimizer(K, M, eta), zc, rtol=1e-15)
    assert ss.kkt_multiplier(K, M, eta) == pytest.approx(ac, rel=1e-14)
    cyc = ss.eos_two_cycle(K, M, eta)
    np.testing.assert_allclose(cyc[:, 0], [np.sqrt(2 * ac), -np.sqrt(2 * ac)], rtol=1e-15)
    np.testing.assert_allclose(cyc[:, 1:], [zc, zc], rtol=1e-15)
    rho = 1 - eta * K[0, 0] + 2 * eta**2 * ac
    assert ss.two_step_spectral_radius(K, M, eta) == pytest.approx(rho, rel=1e-14)


def test_model_a_inactive_constraint():
    # m₁ ≤ 2/η: the constraint is inactive, z_c = m, μ = 0; no EoS 2-cycle
    np.testing.assert_array_equal(ss.constrained_minimizer(K, M, 0.5 / 11), M)
    assert ss.kkt_multiplier(K, M, 0.5 / 11) == 0.0
    with pytest.raises(ValueError, match="eta"):
        ss.eos_two_cycle(K, M, 0.05)
    with pytest.raises(ValueError, match="eta"):
        ss.two_step_spectral_radius(K, M, 2 / 22)


def test_decoupled_threshold_value():
    assert ss.decoupled_threshold() == 1.25


# ------------------------------------------------------------------ Model Z, maps, log cosh
def test_model_z_sympy_equals_closed_form():
    Z = ss.minimalist_model()
    assert Z.params == ("x", "y") and ss.MODEL_Z_INIT == (2.5, 0.1)
    th = _points(2, scale=1.5)
    x, y = th.T
    f = x**2 * y**2 - 1
    np.testing.assert_allclose(Z.loss(th), f**2 / 4, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        Z.grad(th), np.column_stack([f * x * y**2, f * x**2 * y]), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("kappa", [0.0, 0.7])
def test_stage_map_formula(kappa):
    alpha, beta, eta = 3.4, 1.5, 0.03
    F = ss.stage_map(alpha, beta, eta, kappa)
    s = _points(2)
    x, y = s.T
    ref = np.column_stack(
        [-(1 + eta * y) * x, (1 - eta * kappa) * y + eta * (alpha - beta * x**2 / 2)]
    )
    np.testing.assert_allclose(F(s), ref, rtol=1e-14, atol=1e-14)


def test_lotka_volterra_invariant_formula():
    x = np.array([0.5, 1.0, 2.0])
    y = np.array([[0.0], [1.0]])
    h = ss.lotka_volterra_invariant(x, y, 3.4, 2.0)
    assert h.shape == (2, 3)
    np.testing.assert_allclose(h, y**2 / 2 + 2.0 * x**2 / 4 - 1.7 * np.log(x**2), rtol=1e-15)
    assert ss.lotka_volterra_invariant(0.0, 0.0, 1.0, 1.0) == np.inf


def test_log_cosh_model_and_cycle():
    lam = 3.0
    L = ss.log_cosh_model(lam)
    x = np.linspace(-5, 5, 11)[:, None]
    np.testing.assert_allclose(L.grad(x)[:, 0], lam * np.tanh(x[:, 0]), rtol=1e-13, atol=1e-15)
    for c in (2.5, 3.0, 4.0, 2.0 + 1e-9):
        xs = ss.log_cosh_cycle(1.0, c)
        assert xs > 0 and abs(2 * xs - c * np.tanh(xs)) < 1e-15


# ------------------------------------------------------------------ validation
BAD_K = [
    ([[1.0, 2.0], [3.0, 1.0]], ValueError, "K must be symmetric"),
    ([[1.0, 0.0], [0.0, -1.0]], ValueError, "K must be positive definite"),
    (np.eye(3), ValueError, "K must be a 2x2"),
    ([1.0, 2.0], ValueError, "K must be 2-D"),
    ("K", TypeError, "K"),
    ([[True, False], [False, True]], TypeError, "K"),
    ([[np.nan, 0.0], [0.0, 1.0]], ValueError, "K"),
]


@pytest.mark.parametrize(("bad", "exc", "match"), BAD_K)
@pytest.mark.parametrize(
    "fn",
    [
        lambda k: ss.normal_form_model(k, M),
        lambda k: ss.constrained_minimizer(k, M, 0.1),
        lambda k: ss.kkt_multiplier(k, M, 0.1),
        lambda k: ss.eos_two_cycle(k, M, 0.1),
        lambda k: ss.two_step_spectral_radius(k, M, 0.1),
    ],
)
def test_bad_K(fn, bad, exc, match):
    with pytest.raises(exc, match=match):
        fn(bad)


@pytest.mark.parametrize(
    ("bad", "exc"), [([1.0], ValueError), ([1.0, 2.0, 3.0], ValueError), (None, TypeError)]
)
def test_bad_m(bad, exc):
    with pytest.raises(exc, match="m"):
        ss.normal_form_model(K, bad)
    with pytest.raises(exc, match="m"):
        ss.constrained_minimizer(K, bad, 0.1)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: ss.width_one_net(lam_s=0.0), "lam_s"),
        (lambda: ss.width_one_net(lam_n=-1.0), "lam_n"),
        (lambda: ss.width_one_net(gamma=np.nan), "gamma"),
        (lambda: ss.width_one_net(gamma=True), "gamma"),
        (lambda: ss.width_one_net_init("0.05"), "gamma"),
        (lambda: ss.width_one_net_numpy_grad([0.1, 0.2]), "theta"),
        (lambda: ss.width_one_net_numpy_hessian([[0.1, 0.2, 0.3, 0.4]]), "theta"),
        (lambda: ss.width_one_net_numpy_third(0.3), "theta"),
        (lambda: ss.width_one_net_numpy_third([0.1, 0.2, 0.3], lam_s=-1), "lam_s"),
        (lambda: ss.constrained_minimizer(K, M, 0.0), "eta"),
        (lambda: ss.stage_map(1.0, 0.0, 0.1), "beta"),
        (lambda: ss.stage_map(1.0, 1.0, -0.1), "eta"),
        (lambda: ss.stage_map(np.inf, 1.0, 0.1), "alpha"),
        (lambda: ss.stage_map(1.0, 1.0, 0.1, kappa="a"), "kappa"),
        (lambda: ss.lotka_volterra_invariant([1.0, 2.0], [1.0, 2.0, 3.0], 1.0, 1.0), "y"),
        (lambda: ss.lotka_volterra_invariant("x", 0.0, 1.0, 1.0), "x"),
        (lambda: ss.lotka_volterra_invariant(1.0, 0.0, 1.0, 0.0), "beta"),
        (lambda: ss.log_cosh_model(0.0), "lam"),
        (lambda: ss.log_cosh_cycle(1.0, 2.0), "eta"),
        (lambda: ss.log_cosh_cycle(-1.0, 3.0), "lam"),
    ],
)
def test_validation_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
