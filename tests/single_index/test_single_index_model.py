"""The single-index toy (``toymodels.models.single_index``): the target, the symmetric
initialisation, the first-step gradient against a sympy twin and finite differences, the ridge
stage, seeding and argument validation.

Every reference is computed here, not read from the library: g from numpy's Hermite_e series,
its Gaussian moments by sympy integration, the first-layer loss written out in sympy (ReLU as
``Max(0, ·)``, differentiated a.e.), ridge as a stacked least-squares problem.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from numpy.polynomial import hermite_e

from toymodels.models import single_index as si

#: g = He₂/√2 + He₄/√24 as a Hermite_e series (coefficients of He₀ … He₄)
G_HERME = [0.0, 0.0, 1 / np.sqrt(2), 0.0, 1 / np.sqrt(24)]


def g_ref(z: np.ndarray) -> np.ndarray:
    return hermite_e.hermeval(z, G_HERME)


# ------------------------------------------------------------------ the target
def test_link_matches_hermite_series():
    z = np.linspace(-4, 4, 101)
    np.testing.assert_allclose(si.link(z), g_ref(z), rtol=1e-13, atol=1e-13)
    expr, zs = si.link_expr()
    f = sp.lambdify(zs, expr, "numpy")
    np.testing.assert_allclose(f(z), g_ref(z), rtol=1e-13, atol=1e-13)
    if hasattr(sp, "hermite_prob"):  # sympy >= 1.12
        ref = sp.hermite_prob(2, zs) / sp.sqrt(2) + sp.hermite_prob(4, zs) / sp.sqrt(24)
        assert sp.expand(expr - ref) == 0
    assert si.link(np.array([np.nan])).shape == (1,) and np.isnan(si.link([np.nan]))[0]


def test_link_gaussian_moments_exact():
    """E g = 0, E g² = 2, E g' = 0, E g'' = √2 (so H = E∇²f* = √2 uuᵀ, rank 1), by sympy."""
    expr, z = si.link_expr()

    def E(e: sp.Expr) -> sp.Expr:
        # E z^k = (k − 1)!! for even k, 0 for odd k (exact Gaussian moments)
        poly = sp.Poly(sp.expand(e), z)
        return sum(
            (c * sp.factorial2(k - 1) for (k,), c in poly.terms() if k % 2 == 0), sp.Integer(0)
        )

    assert E(expr) == 0
    assert E(expr**2) == 2
    assert E(sp.diff(expr, z)) == 0
    assert sp.simplify(E(sp.diff(expr, z, 2)) - sp.sqrt(2)) == 0
    assert si.TARGET_SECOND_MOMENT == 2.0


def test_sample_seeded_and_general_u():
    X, y = si.sample(50, 4, seed=3)
    X2, y2 = si.sample(50, 4, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    np.testing.assert_allclose(y, g_ref(X[:, 0]), rtol=1e-13, atol=1e-12)
    u = np.array([0.6, 0.0, -0.8, 0.0])
    Xu, yu = si.sample(50, 4, seed=3, u=u)
    np.testing.assert_array_equal(Xu, X)
    np.testing.assert_allclose(yu, g_ref(X @ u), rtol=1e-13, atol=1e-12)


# ------------------------------------------------------------------ initialisation and step
def test_symmetric_init_output_is_zero():
    W0, a0 = si.symmetric_init(7, 10, seed=1)
    assert W0.shape == (10, 7) and a0.shape == (10,)
    np.testing.assert_allclose(np.linalg.norm(W0, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_array_equal(W0[:5], W0[5:])
    np.testing.assert_array_equal(a0, np.r_[np.ones(5), -np.ones(5)] / 10)
    X, _ = si.sample(30, 7, seed=2)
    phi = np.maximum(X @ W0.T, 0)
    np.testing.assert_array_equal(phi[:, :5], phi[:, 5:])  # paired units, equal features
    assert np.max(np.abs(phi @ a0)) <= 1e-15  # f(x; θ₀) = 0 up to the summation order


def _sympy_first_layer_grad(W: np.ndarray, a: np.ndarray, X: np.ndarray, y: np.ndarray):
    """∇_W of (1/2n) Σ_i (Σ_j a_j Max(0, w_j·x_i) − y_i)², written out here (Heaviside a.e.)."""
    m, d = W.shape
    n = len(y)
    w = sp.Matrix(m, d, lambda j, k: sp.Symbol(f"v{j}{k}", real=True))
    loss = 0
    for i in range(n):
        f = sum(
            sp.Float(a[j]) * sp.Max(0, sum(w[j, k] * sp.Float(X[i, k]) for k in range(d)))
            for j in range(m)
        )
        loss += (f - sp.Float(y[i])) ** 2
    loss = loss / (2 * n)
    subs = {w[j, k]: sp.Float(W[j, k]) for j in range(m) for k in range(d)}
    out = np.zeros((m, d))
    for j in range(m):
        for k in range(d):
            dv = sp.diff(loss, w[j, k]).replace(sp.DiracDelta, lambda *_: 0)
            out[j, k] = float(dv.xreplace(subs).evalf(30))
    return out


@pytest.mark.parametrize("where", ["symmetric_init", "generic"])
def test_first_layer_gradient_equals_sympy(where):
    """Width 2, d = 2, n = 3: the numpy gradient, the library's sympy model and a sympy loss
    written here agree (ReLU differentiated a.e.)."""
    X, y = si.sample(3, 2, seed=4)
    if where == "symmetric_init":
        W, a = si.symmetric_init(2, 2, seed=3)
    else:
        rng = np.random.default_rng(11)
        W, a = rng.standard_normal((2, 2)), np.array([0.7, -0.3])
    ref = _sympy_first_layer_grad(W, a, X, y)
    got = si.first_layer_gradient(W, a, X, y)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
    m = si.first_layer_model(a, X, y)
    assert m.params == ("w0_0", "w0_1", "w1_0", "w1_1")
    np.testing.assert_allclose(m.grad(W.ravel()), ref.ravel(), rtol=1e-13, atol=1e-15)
    r = np.maximum(X @ W.T, 0) @ a - y
    assert float(m.loss(W.ravel())) == pytest.approx(0.5 * np.mean(r * r), rel=1e-14)


def test_first_layer_gradient_finite_differences():
    rng = np.random.default_rng(5)
    X, y = si.sample(40, 5, seed=6)
    W, a = rng.standard_normal((6, 5)), rng.standard_normal(6)

    def loss(Wf):
        r = np.maximum(X @ Wf.T, 0) @ a - y
        return 0.5 * np.mean(r * r)

    G = si.first_layer_gradient(W, a, X, y)
    h = 1e-6
    fd = np.zeros_like(W)
    for j in range(6):
        for k in range(5):
            E = np.zeros_like(W)
            E[j, k] = h
            fd[j, k] = (loss(W + E) - loss(W - E)) / (2 * h)
    # min |w_j·x_i| ≫ h: no kink is crossed, the difference quotient is exact to O(h²)
    assert np.min(np.abs(X @ W.T)) > 1e-4
    np.testing.assert_allclose(G, fd, rtol=1e-6, atol=1e-8)


def test_first_step_erases_the_initialisation():
    """W₁ = W₀ − η₁(∇L + λ₁W₀) with λ₁ = 1/η₁ equals −η₁∇L; at f ≡ 0 it is
    a_j mean_i y_i 1{w_j·x_i > 0} x_i (times η₁)."""
    W0, a0 = si.symmetric_init(4, 6, seed=0)
    X, y = si.sample(25, 4, seed=1)
    eta1 = 2.5
    G = si.first_layer_gradient(W0, a0, X, y)
    W1 = si.first_step(W0, a0, X, y, eta1=eta1)
    np.testing.assert_allclose(W1, W0 - eta1 * (G + W0 / eta1), rtol=1e-13, atol=1e-15)
    closed = eta1 * a0[:, None] * (((X @ W0.T > 0) * y[:, None]).T @ X) / len(y)
    np.testing.assert_allclose(W1, closed, rtol=1e-13, atol=1e-15)


def test_one_step_weights_match_pipeline():
    W0, _a0, W1 = si.one_step_weights(6, 8, 90, seed=2)
    res = si.one_step_features(6, 8, 90, seed=2, n_test=20)
    np.testing.assert_array_equal(res.W_raw, W1)
    np.testing.assert_allclose(np.linalg.norm(res.W, axis=1), 1.0, rtol=1e-14)
    np.testing.assert_allclose(res.W * np.linalg.norm(W1, axis=1)[:, None], W1, rtol=1e-14)
    rf = si.random_features(6, 8, 90, seed=2, n_test=20)
    np.testing.assert_array_equal(rf.b, res.b)  # paired: same biases
    np.testing.assert_array_equal(rf.W[:4], W0[:4])  # the initial directions
    again = si.one_step_features(6, 8, 90, seed=2, n_test=20)
    assert again.test_mse == res.test_mse and again.alignment == res.alignment


# ------------------------------------------------------------------ features, ridge, alignment
def test_ridge_equals_stacked_least_squares():
    rng = np.random.default_rng(9)
    Phi, y, lam = rng.standard_normal((30, 7)), rng.standard_normal(30), 0.05
    A = np.vstack([Phi / np.sqrt(30), np.sqrt(lam) * np.eye(7)])
    ref = np.linalg.lstsq(A, np.r_[y / np.sqrt(30), np.zeros(7)], rcond=None)[0]
    np.testing.assert_allclose(si.ridge_fit(Phi, y, lam), ref, rtol=1e-10, atol=1e-12)


def test_features_and_alignment():
    rng = np.random.default_rng(3)
    W, b, X = rng.standard_normal((5, 3)), rng.standard_normal(5), rng.standard_normal((4, 3))
    ref = np.array([[max(0.0, W[j] @ X[i] + b[j]) for j in range(5)] for i in range(4)])
    np.testing.assert_allclose(si.relu_features(W, b, X), ref, rtol=1e-14, atol=1e-15)
    u = np.array([1.0, 2.0, 2.0])
    cos = [abs(W[j] @ u) / (np.linalg.norm(W[j]) * 3.0) for j in range(5)]
    assert si.alignment(W, u) == pytest.approx(np.mean(cos), rel=1e-14)
    W[2] = 0.0
    cos[2] = 0.0
    assert si.alignment(W, u) == pytest.approx(np.mean(cos), rel=1e-14)


def test_general_direction_is_learned():
    """u need not be e₁: with u = (1, 1, …)/√d the first step aligns with u, not with e₁."""
    d = 10
    u = np.ones(d) / np.sqrt(d)
    W1 = si.one_step_weights(d, 200, 32 * d * d, seed=0, u=u)[2]
    assert si.alignment(W1, u) > 0.7
    assert si.alignment(W1, np.eye(d)[0]) < 0.5


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: si.symmetric_init(3, 5, 0), "m"),
        (lambda: si.symmetric_init(3, 0, 0), "m"),
        (lambda: si.sample(5, 3, 0, u=[1.0, 1.0, 0.0]), "u"),
        (lambda: si.sample(5, 3, 0, u=[1.0, 0.0]), "u"),
        (lambda: si.sample(10**12, 3, 0), "n"),
        (lambda: si.sample(5, 3, -1), "seed"),
        (lambda: si.one_step_features(20, 400, 10**11), "n"),
        (lambda: si.one_step_features(20, 10**6, 100), "m"),
        (lambda: si.one_step_features(20, 40, 100, n_test=10**11), "n_test"),
        (lambda: si.one_step_features(20, 40, 100, ridge=0.0), "ridge"),
        (
            lambda: si.first_layer_gradient(
                np.ones((2, 3)), np.ones(3), np.ones((4, 3)), [1.0] * 4
            ),
            "a",
        ),
        (
            lambda: si.first_layer_gradient(
                np.ones((2, 3)), np.ones(2), np.ones((4, 2)), [1.0] * 4
            ),
            "X",
        ),
        (
            lambda: si.first_layer_gradient(
                np.ones((2, 3)), np.ones(2), np.ones((4, 3)), [1.0] * 3
            ),
            "y",
        ),
        (lambda: si.first_layer_loss_expr(np.ones(4), np.ones((3, 5)), np.ones(3)), "a"),
        (lambda: si.first_layer_loss_expr(np.ones(2), np.ones((20, 2)), np.ones(20)), "X"),
        (lambda: si.ridge_fit(np.ones((3, 2)), np.ones(3), -1.0), "lam"),
        (lambda: si.alignment(np.ones((2, 3)), np.zeros(3)), "u"),
        (
            lambda: si.first_step(np.ones((2, 3)), np.ones(2), np.ones((4, 3)), np.ones(4), 0.0),
            "eta1",
        ),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError)) as exc:
        call()
    assert str(exc.value).startswith(name), str(exc.value)
