"""The tiny tanh MLP f(x) = aᵀtanh(Wx) (``toymodels.models.tanh_mlp``): its numpy closed forms
against the symbolic twin, against finite differences on the full-size instance, and its data,
initialisation and input validation.

The references are independent of the closed forms under test: sympy differentiates the
per-sample loss for the small instances, and for the width-20 model (p = 120) the gradient and
Hessian are compared with central differences of the loss and of the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm
from toymodels.models import tanh_mlp as T

SEED = 20250101


@pytest.mark.parametrize(("width", "d", "n"), [(2, 2, 7), (3, 1, 5)])
def test_numpy_form_equals_sympy_form(width, d, n):
    X, Y = T.mlp_data(n, d, seed=3)
    ms = T.tanh_mlp_sympy(X, Y, width)
    mn = T.tanh_mlp_on(X, Y, width)
    assert isinstance(mn, tm.DataModel) and isinstance(ms, tm.DataModel)
    assert ms.params == mn.params
    assert mn.n_params == width * d + width
    rng = np.random.default_rng(SEED)
    th = rng.normal(size=(4, mn.n_params))
    u = rng.normal(size=th.shape)
    np.testing.assert_allclose(mn.loss(th), ms.loss(th), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(mn.grad(th), ms.grad(th), rtol=0, atol=1e-13)
    np.testing.assert_allclose(mn.hessian(th), ms.hessian(th), rtol=0, atol=1e-13)
    np.testing.assert_allclose(mn.third(th, u), ms.third(th, u), rtol=0, atol=1e-12)
    np.testing.assert_allclose(mn.sample_hessian(th), ms.sample_hessian(th), rtol=0, atol=1e-13)
    idx = np.array([[0, 1], [2, 2], [n - 1, 0], [1, 3]])
    np.testing.assert_allclose(mn.batch_grad(th, idx), ms.batch_grad(th, idx), rtol=0, atol=1e-13)


def test_full_size_closed_forms_against_finite_differences():
    m = T.tanh_mlp()
    assert m.n_params == 120 and m.n_samples == 32
    rng = np.random.default_rng(SEED)
    th = T.tanh_mlp_init(seed=1) + 0.3 * rng.normal(size=120)
    h = 1e-5
    E = np.eye(120)
    fd_g = (m.loss(th + h * E) - m.loss(th - h * E)) / (2 * h)
    np.testing.assert_allclose(m.grad(th), fd_g, rtol=0, atol=1e-9)
    fd_H = (m.grad(th + h * E) - m.grad(th - h * E)) / (2 * h)
    np.testing.assert_allclose(m.hessian(th), fd_H, rtol=0, atol=1e-8)
    # ∇³L[u, u] = ∇(uᵀ∇²L u): central difference of the quadratic form
    u = rng.normal(size=120)
    q = lambda t: np.einsum("...p,...pq,...q->...", u, m.hessian(t), u)  # noqa: E731
    fd_t = (q(th + h * E) - q(th - h * E)) / (2 * h)
    np.testing.assert_allclose(m.third(th, u), fd_t, rtol=0, atol=1e-7)
    # the per-sample Hessian is symmetric, and is JᵀJ + r∇²f: the mean is the full Hessian
    Hs = m.sample_hessian(th)
    np.testing.assert_array_equal(Hs, np.swapaxes(Hs, -1, -2))
    np.testing.assert_allclose(Hs.mean(axis=0), m.hessian(th), rtol=0, atol=1e-14)


def test_loss_is_half_mean_squared_error():
    X, Y = T.mlp_data()
    m = T.tanh_mlp()
    th = T.tanh_mlp_init()
    W, a = th[:100].reshape(20, 5), th[100:]
    f = np.tanh(X @ W.T) @ a
    np.testing.assert_allclose(m.loss(th), 0.5 * np.mean((f - Y) ** 2), rtol=1e-14)
    np.testing.assert_allclose(m.sample_loss(th), 0.5 * (f - Y) ** 2, rtol=1e-14)


def test_data_and_init_are_seeded_and_scaled():
    X, Y = T.mlp_data()
    X2, Y2 = T.mlp_data(32, 5, 0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(X, rng.standard_normal((32, 5)))
    np.testing.assert_array_equal(Y, rng.standard_normal(32))
    assert not np.array_equal(T.mlp_data(seed=1)[0], X)
    th = T.tanh_mlp_init()
    assert th.shape == (120,)
    np.testing.assert_array_equal(th, T.tanh_mlp_init(20, 5, 0.5, 0))
    # W ~ N(0, 1/5)·0.5 and a ~ N(0, 1/20)·0.5 over many seeds: sample sds within 3 %
    draws = np.stack([T.tanh_mlp_init(seed=s) for s in range(200)])
    np.testing.assert_allclose(draws[:, :100].std(), 0.5 / np.sqrt(5), rtol=0.03)
    np.testing.assert_allclose(draws[:, 100:].std(), 0.5 / np.sqrt(20), rtol=0.03)
    assert T.SMALL_INIT_SCALE == 0.5


def test_generic_widths_and_names():
    m = T.tanh_mlp(width=4, d=3, n=9, seed=2)
    assert m.n_params == 16 and m.n_samples == 9
    assert m.params[:4] == ("W_0_0", "W_0_1", "W_0_2", "W_1_0")
    assert m.params[-1] == "a_3"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: T.tanh_mlp(width=0), "width"),
        (lambda: T.tanh_mlp(width=2.5), "width"),
        (lambda: T.tanh_mlp(d=-1), "d"),
        (lambda: T.tanh_mlp(n=True), "n"),
        (lambda: T.tanh_mlp(seed=-1), "seed"),
        (lambda: T.tanh_mlp_init(scale=0.0), "scale"),
        (lambda: T.tanh_mlp_init(scale=float("nan")), "scale"),
        (lambda: T.tanh_mlp_on(np.ones((3, 2)), np.ones(4)), "Y"),
        (lambda: T.tanh_mlp_on(np.ones(3), np.ones(3)), "X"),
        (lambda: T.tanh_mlp_on([[np.nan, 1.0]], [1.0]), "X"),
        (lambda: T.tanh_mlp_sympy(np.ones((3, 5)), np.ones(3), 20), "width"),
        (lambda: T.tanh_mlp(width=10**6, d=10**6), "width"),
        (lambda: T.mlp_data(n=10**12), "n"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"^{name}\b"):
        call()
