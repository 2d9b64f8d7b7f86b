"""The per-sample quadratic toys (``toymodels.models.sgd_quadratics``): sympy form against the
numpy twin and against per-sample formulas written out here, the toys' defining properties
(exact H̄, the saddle's vanishing full gradient), and argument validation."""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm
from toymodels.models import sgd_quadratics as q

RNG_SEED = 20231226


def _ref(H: np.ndarray, b: np.ndarray, th: np.ndarray):
    """ℓ_k = ½θᵀH_kθ + b_kᵀθ, ∇ℓ_k, ∇²ℓ_k written out for states th (M, d): (M, n), (M, n, d),
    (M, n, d, d)."""
    loss = 0.5 * np.einsum("Mi,nij,Mj->Mn", th, H, th) + th @ b.T
    grad = np.einsum("nij,Mj->Mni", H, th) + b[None]
    hess = np.broadcast_to(H[None], (len(th), *H.shape))
    return loss, grad, hess


@pytest.mark.parametrize(
    "data",
    [
        q.reshuffling_toy_data(),
        q.reshuffling_toy_data(0.3),
        q.saddle_toy_data(),
        q.random_quadratics(5, 2, seed=1),
        q.random_quadratics(3, 4, hbar=[1.0, 0.5, 0.0, -0.2], spd=False, seed=2),
        q.random_quadratics(4, 3, spd=True, seed=3),
    ],
)
def test_sympy_form_equals_numpy_twin_and_written_out_formulas(data):
    H, b = data
    n, d = b.shape
    ms, mn = q.per_sample_quadratic(H, b), q.per_sample_quadratic_numpy(H, b)
    assert ms.params == mn.params == tuple(f"w{i}" for i in range(d))
    assert ms.n_samples == mn.n_samples == n
    th = np.random.default_rng(RNG_SEED).normal(size=(6, d)) * 2
    loss, grad, hess = _ref(H, b, th)
    scale = 1 + np.max(np.abs(H)) * np.max(np.abs(th)) ** 2 + np.max(np.abs(b)) * 4
    tol = 1e-14 * scale
    for m in (ms, mn):
        np.testing.assert_allclose(m.sample_loss(th), loss, rtol=0, atol=tol)
        np.testing.assert_allclose(m.sample_grad(th), grad, rtol=0, atol=tol)
        np.testing.assert_allclose(m.sample_hessian(th), hess, rtol=0, atol=tol)
        np.testing.assert_allclose(m.loss(th), loss.mean(-1), rtol=0, atol=tol)
        np.testing.assert_allclose(m.grad(th), grad.mean(1), rtol=0, atol=tol)
        np.testing.assert_allclose(m.hessian(th), hess.mean(1), rtol=0, atol=tol)
        idx = np.array([[0, n - 1, 0]] * len(th))
        np.testing.assert_allclose(
            m.batch_grad(th, idx), grad[:, [0, n - 1, 0]].mean(1), rtol=0, atol=tol
        )
        np.testing.assert_allclose(m.third(th, th), 0 * th, rtol=0, atol=tol)
    # a single state and a batch of states agree
    np.testing.assert_allclose(mn.grad(th[0]), mn.grad(th[:1])[0], rtol=0, atol=tol)


def test_the_sympy_data_columns_are_the_upper_triangles():
    H, b = q.reshuffling_toy_data()
    m = q.per_sample_quadratic(H, b)
    np.testing.assert_array_equal(
        m.data["H"][:, [0, 1, 2, 3, 4, 5]], H[:, [0, 0, 0, 1, 1, 2], [0, 1, 2, 1, 2, 2]]
    )
    np.testing.assert_array_equal(m.data["b"], b)


def test_reshuffling_toy_has_the_prescribed_mean_hessian_and_scales_its_noise():
    for s in (0.0, 0.2, 1.0, 2.5):
        H, b = q.reshuffling_toy_data(s)
        np.testing.assert_allclose(H.mean(0), np.diag(q.RESHUFFLING_HBAR), rtol=0, atol=1e-15)
        # noise scales linearly: H(s) − H̄ = s (H(1) − H̄)
        H1, b1 = q.reshuffling_toy_data(1.0)
        np.testing.assert_allclose(H - H.mean(0), s * (H1 - H1.mean(0)), rtol=0, atol=1e-14)
        np.testing.assert_allclose(b - b.mean(0), s * (b1 - b1.mean(0)), rtol=0, atol=1e-14)
        np.testing.assert_allclose(b.mean(0), [0.55, -0.21, 1.06], rtol=0, atol=1e-15)
    m = q.reshuffling_toy()
    np.testing.assert_allclose(m.hessian(np.zeros(3)), np.diag([1.0, 0.3, 0.0]), atol=1e-15)


def test_saddle_toy_is_a_saddle():
    H, b = q.saddle_toy_data()
    m = q.saddle_toy()
    np.testing.assert_allclose(m.grad(np.zeros(2)), 0.0, rtol=0, atol=1e-16)
    np.testing.assert_allclose(m.hessian(np.zeros(2)), np.diag([1.0, -0.1]), rtol=0, atol=1e-15)
    eig = np.linalg.eigvalsh(H)
    np.testing.assert_array_equal(eig[:, 0] < 0, [True, True, False, False])
    assert np.all(eig[:, 1] > 0)
    # the O(η²) drift at 0 quoted in the docstring, from the data directly
    drift = -(q.SADDLE_ETA**2 / 2) * np.einsum("kij,kj->i", H - H.mean(0), b - b.mean(0))
    np.testing.assert_allclose(drift, [-0.00155, 0.00405], rtol=0, atol=1e-15)


def test_random_quadratics_are_seeded_and_shaped():
    H1, b1 = q.random_quadratics(4, 3, hbar=[1, 0.3, 0], seed=7)
    H2, b2 = q.random_quadratics(4, 3, hbar=[1, 0.3, 0], seed=7)
    np.testing.assert_array_equal(H1, H2)
    np.testing.assert_array_equal(b1, b2)
    assert H1.shape == (4, 3, 3) and b1.shape == (4, 3)
    np.testing.assert_array_equal(H1, np.swapaxes(H1, 1, 2))
    np.testing.assert_allclose(H1.mean(0), np.diag([1, 0.3, 0]), rtol=0, atol=1e-15)
    Hs, _ = q.random_quadratics(6, 3, spd=True, seed=1)
    assert np.all(np.linalg.eigvalsh(Hs) >= -1e-14)
    H3, _ = q.random_quadratics(4, 3, seed=8)
    assert not np.array_equal(H1 - H1.mean(0), H3 - H3.mean(0))


def test_numpy_flag_picks_the_twin():
    assert isinstance(q.saddle_toy(numpy=True), tm.DataModel)
    assert q.saddle_toy(numpy=True).expr is None and q.saddle_toy().expr is not None
    assert q.reshuffling_toy(numpy=True).expr is None


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: q.per_sample_quadratic(np.ones((2, 2, 3)), np.ones((2, 2))), "H must have"),
        (lambda: q.per_sample_quadratic([[[1.0, 2.0], [0.0, 1.0]]], [[0.0, 0.0]]), "symmetric"),
        (lambda: q.per_sample_quadratic(np.eye(2)[None], np.ones((2, 2))), "b must have"),
        (lambda: q.per_sample_quadratic(np.eye(2)[None], [[np.nan, 0.0]]), "b must be finite"),
        (lambda: q.per_sample_quadratic_numpy(np.ones(3), np.ones(3)), "H must be 3-D"),
        (lambda: q.per_sample_quadratic(np.eye(2)[None], [[0.0, 0.0]], name=3), "name"),
        (lambda: q.reshuffling_toy_data(-1.0), "s must be >= 0"),
        (lambda: q.reshuffling_toy(numpy="yes"), "numpy must be True or False"),
        (lambda: q.random_quadratics(0), "n must be >= 1"),
        (lambda: q.random_quadratics(3, 2, hbar=[1.0]), "hbar must have"),
        (lambda: q.random_quadratics(3, 2, hbar=[1.0, -1.0], spd=True), "hbar must be >= 0"),
        (lambda: q.random_quadratics(3, 2, seed=-1), "seed"),
        (lambda: q.random_quadratics(3, 2, noise=-0.1), "noise must be >= 0"),
    ],
)
def test_bad_arguments_are_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
