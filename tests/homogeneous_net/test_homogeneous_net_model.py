"""The homogeneous deep linear net and the Taylor harness (``toymodels.models.homogeneous_net``):
numpy forms against the compiled sympy model and finite differences, the exact line polynomial
against the exact (rational-arithmetic) sympy coefficients, the harness on non-polynomial and
numpy-only models, and argument validation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import toymodels as tm
from toymodels.models import homogeneous_net as hn


@pytest.fixture(scope="module")
def net() -> hn.HomogeneousLinearNet:
    return hn.HomogeneousLinearNet()


@pytest.fixture(scope="module")
def tiny() -> hn.HomogeneousLinearNet:
    return hn.HomogeneousLinearNet((2, 2, 2, 1), n=3, seed=1)


def test_layout(net):
    assert net.widths == (3, 4, 9, 1) and net.depth == 3 and net.n == 8
    assert net.n_params == 12 + 36 + 9 == len(net.params)
    assert [s.stop - s.start for s in net.layer_slices] == [12, 36, 9]
    assert net.params[0] == "W1_0_0" and net.params[12] == "W2_0_0" and net.params[-1] == "W3_0_8"
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(net.X, rng.standard_normal((8, 3)))
    np.testing.assert_array_equal(net.y, rng.standard_normal(8))


def test_output_is_the_matrix_product(net):
    th = net.init(3)
    W1 = th[:12].reshape(4, 3)
    W2 = th[12:48].reshape(9, 4)
    w3 = th[48:]
    np.testing.assert_allclose(net.output(th), net.X @ W1.T @ W2.T @ w3, rtol=1e-13)
    r = net.X @ W1.T @ W2.T @ w3 - net.y
    assert float(net.loss(th)) == pytest.approx(0.5 * np.mean(r * r), rel=1e-13)


def test_numpy_forms_equal_compiled_sympy(tiny):
    sm = tiny.sympy_model()
    rng = np.random.default_rng(4)
    th = rng.standard_normal((5, tiny.n_params))
    u = rng.standard_normal((5, tiny.n_params))
    np.testing.assert_allclose(tiny.loss(th), sm.loss(th), rtol=1e-13)
    np.testing.assert_allclose(tiny.grad(th), sm.grad(th), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(tiny.hessian(th), sm.hessian(th), rtol=1e-12, atol=1e-13)
    m = tiny.model()
    np.testing.assert_allclose(m.hessian(th), sm.hessian(th), rtol=1e-12, atol=1e-13)
    # ∇³L[u, u] = twice the η² coefficient of ∇L(θ + ηu), expanded exactly in sympy (compiling
    # the model's own symbolic third derivative takes ~7 s even at p = 10)
    expr, syms = tiny.sympy_expr()
    eta = sp.Symbol("eta")
    for k in (0,):
        sub = {
            s: sp.Rational(float(a)) + eta * sp.Rational(float(b))
            for s, a, b in zip(syms, th[k], u[k], strict=True)
        }
        ref = [
            2 * float(sp.Poly(sp.diff(expr, s).xreplace(sub), eta).coeff_monomial(eta**2))
            for s in syms
        ]
        np.testing.assert_allclose(tiny.third(th[k], u[k]), ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(m.third(th[k], u[k]), ref, rtol=1e-12, atol=1e-12)


def test_derivatives_against_finite_differences(net):
    th = net.init(1)
    u = np.random.default_rng(2).standard_normal(net.n_params)
    h, eye = 1e-5, np.eye(net.n_params)
    g = net.grad(th)
    gfd = np.array([(net.loss(th + h * e) - net.loss(th - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(g, gfd, rtol=0, atol=1e-9)
    H = net.hessian(th)
    np.testing.assert_array_equal(H, H.T)
    Hfd = np.array([(net.grad(th + h * e) - net.grad(th - h * e)) / (2 * h) for e in eye])
    np.testing.assert_allclose(H, Hfd, rtol=0, atol=1e-8)
    T = net.third(th, u)
    Tfd = (net.hessian(th + h * u) - net.hessian(th - h * u)) @ u / (2 * h)
    np.testing.assert_allclose(T, Tfd, rtol=0, atol=1e-6 * np.abs(T).max())
    J = net.output_grad(th)
    Jfd = np.array([(net.output(th + h * e) - net.output(th - h * e)) / (2 * h) for e in eye]).T
    np.testing.assert_allclose(J, Jfd, rtol=0, atol=1e-9)


def test_batched_shapes(net):
    th = np.stack([net.init(s) for s in range(6)]).reshape(2, 3, -1)
    u = net.depthwise_direction(th)
    assert net.output(th).shape == (2, 3, 8)
    assert net.output_grad(th).shape == (2, 3, 8, 57)
    assert net.loss(th).shape == (2, 3)
    assert net.hessian(th).shape == (2, 3, 57, 57)
    assert net.third(th, u).shape == (2, 3, 57)
    c = net.line_coefficients(th, u)
    assert c.shape == (2, 3, 7)
    np.testing.assert_allclose(c[1, 2], net.line_coefficients(th[1, 2], u[1, 2]), rtol=1e-14)
    np.testing.assert_allclose(net.hessian(th)[1, 2], net.hessian(th[1, 2]), rtol=1e-14)
    assert np.isnan(net.loss(np.full(57, np.nan)))


def test_line_polynomial_equals_exact_sympy(net):
    """The numpy line polynomial (float) against sympy's exact rational expansion of the
    same loss: all 2L + 1 = 7 coefficients, and zero beyond degree 6."""
    m = net.model()
    for seed in range(3):
        th = net.init(seed)
        u = np.random.default_rng(10 + seed).standard_normal(net.n_params)
        exact = hn.directional_taylor(m, th, u, order=9, method="exact")
        assert np.all(exact[7:] == 0.0)
        np.testing.assert_allclose(
            net.line_coefficients(th, u), exact[:7], rtol=1e-12, atol=1e-12 * np.abs(exact).max()
        )


def test_depthwise_direction(net):
    th = net.init(2)
    u = net.depthwise_direction(th)
    g = net.grad(th)
    for s in net.layer_slices:
        assert np.linalg.norm(u[s]) == pytest.approx(1.0, rel=1e-14)
        np.testing.assert_allclose(u[s], -g[s] / np.linalg.norm(g[s]), rtol=1e-14)


# ------------------------------------------------------------------ the harness on other models
def test_taylor_exact_equals_numeric_on_sympy_models():
    """A polynomial loss (exact rational path) and a transcendental one (symbolic derivatives in
    η): the exact coefficients equal c₀ = L, c₁ = ∇L·u, c₂ = ½uᵀHu, c₃ = ∇³L[u, u]·u/6."""
    th, u = np.array([0.7, -1.3]), np.array([0.4, 0.9])
    q = sp.Rational
    for expr in ("(x**2*y**2 - 1)**2/4", "log(cosh(x*y)) + exp(x/3)*sin(y)"):
        m = tm.Model.from_sympy(expr, params=("x", "y"))
        exact = hn.directional_taylor(m, th, u, order=3, method="exact")
        num = hn.directional_taylor(m, th, u, order=3, method="numeric")
        np.testing.assert_allclose(num, exact, rtol=1e-12, atol=1e-13)
        # and against sympy's own series of φ(η), written here
        # sympy's series of φ with Float arguments is wrong for log(cosh(·)) (sympy 1.14:
        # c₁ = 0.1418 instead of 0.0625): substitute the exact rationals instead
        x, y, eta = sp.symbols("x y eta")
        phi = sp.sympify(expr).subs({x: q(7, 10) + eta * q(4, 10), y: q(-13, 10) + eta * q(9, 10)})
        ser = sp.series(phi, eta, 0, 5).removeO()
        ref = [float(ser.coeff(eta, k)) for k in range(5)]
        np.testing.assert_allclose(
            hn.directional_taylor(m, th, u, order=4), ref, rtol=1e-12, atol=1e-13
        )


def test_taylor_auto_and_numpy_models(net):
    num_only = tm.Model.from_numpy(
        ("x",),
        loss=lambda t: np.cos(t[..., 0]),
        grad=lambda t: -np.sin(t),
        hessian=lambda t: -np.cos(t)[..., None],
    )
    c = hn.directional_taylor(num_only, [0.3], [2.0], order=2)
    np.testing.assert_allclose(
        c, [math.cos(0.3), -2 * math.sin(0.3), -2 * math.cos(0.3)], rtol=1e-14
    )
    with pytest.raises(ValueError, match="method"):
        hn.directional_taylor(num_only, [0.3], [2.0], order=2, method="exact")
    with pytest.raises(ValueError, match="order"):
        hn.directional_taylor(num_only, [0.3], [2.0], order=4)
    m = net.model()
    th, u = net.init(0), net.depthwise_direction(net.init(0))
    np.testing.assert_allclose(
        hn.directional_taylor(m, th, u, order=3),
        hn.directional_taylor(m, th, u, order=3, method="numeric"),
        rtol=1e-12,
    )


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: hn.HomogeneousLinearNet((3, 4, 2)), "widths"),
        (lambda: hn.HomogeneousLinearNet((3,)), "widths"),
        (lambda: hn.HomogeneousLinearNet((3, 0, 1)), "widths[1]"),
        (lambda: hn.HomogeneousLinearNet((3, 1), n=0), "n"),
        (lambda: hn.HomogeneousLinearNet((3, 1), n=10**12), "n"),
        (lambda: hn.HomogeneousLinearNet((10**6, 10**6, 1)), "widths"),
        (lambda: hn.HomogeneousLinearNet((3, 1), seed=-2), "seed"),
        (lambda: hn.HomogeneousLinearNet().sympy_model(), "widths"),
        (lambda: hn.HomogeneousLinearNet((3, 1), n=80_000).sympy_expr(), "n"),
        (lambda: hn.HomogeneousLinearNet().output(np.ones(5)), "theta"),
        (lambda: hn.HomogeneousLinearNet().third(np.ones(57), np.ones(4)), "u"),
        (lambda: hn.directional_taylor("L", np.ones(2), np.ones(2)), "model"),
        (
            lambda: hn.directional_taylor(
                hn.HomogeneousLinearNet().model(), np.ones(5), np.ones(57)
            ),
            "theta",
        ),
        (
            lambda: hn.directional_taylor(
                hn.HomogeneousLinearNet().model(), np.ones(57), [np.nan] * 57
            ),
            "u",
        ),
        (
            lambda: hn.directional_taylor(
                hn.HomogeneousLinearNet().model(), np.ones(57), np.ones(57), method="sym"
            ),
            "method",
        ),
        (
            lambda: hn.directional_taylor(
                hn.HomogeneousLinearNet().model(), np.ones(57), np.ones(57), order=-1
            ),
            "order",
        ),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert str(exc.value).startswith(name), str(exc.value)
