"""The support-learning toy (``toymodels.models.support_learning``): the sympy model against the
numpy twin and against references written out here, the data construction, the closed forms
(b′, κ, the flat part, the fitted rate) and argument validation.

References below are independent of the library: the mean loss ½(aᵀWx − y)² (+ (λ/2)‖θ‖²), its
gradient (r·Wx, r·a ⊗ x), Ĉ = XᵀX/n, b′ = b(n − 1)/(n − b) (with replacement b),
κ = η²ε²Ĉ₂₂/(2b′) + ηλ and ‖(I − ââᵀ)We₂‖.
"""

from __future__ import annotations

import numpy as np
import pytest

import toymodels as tm
from toymodels.models import support_learning as sl

SEED = 20240616


def _points(p: int, n: int = 12) -> np.ndarray:
    return np.random.default_rng(SEED + p).normal(size=(n, p))


def _split(th: np.ndarray, d: int, r: int) -> tuple[np.ndarray, np.ndarray]:
    return th[..., :r], th[..., r:].reshape(*th.shape[:-1], r, d)


def _ref_loss_grad(th: np.ndarray, X: np.ndarray, Y: np.ndarray, d: int, r: int, lam: float):
    """Mean loss and gradient of ½(aᵀWx − y)² + (λ/2)‖θ‖², written out (states (M, p))."""
    a, W = _split(th, d, r)
    h = np.einsum("nd,mrd->mnr", X, W)  # Wx per sample
    res = np.einsum("mnr,mr->mn", h, a) - Y
    loss = 0.5 * np.mean(res**2, axis=1) + 0.5 * lam * np.sum(th**2, axis=1)
    ga = np.einsum("mn,mnr->mr", res, h) / len(Y)
    gW = np.einsum("mr,mn,nd->mrd", a, res, X) / len(Y)
    return loss, np.concatenate([ga, gW.reshape(len(th), -1)], axis=1) + lam * th


def _ref_flat(th: np.ndarray, j: int = 1, d: int = 2, r: int = 2) -> np.ndarray:
    a, W = _split(th, d, r)
    ah = a / np.linalg.norm(a, axis=-1, keepdims=True)
    c = W[..., :, j]
    perp = c - ah * np.sum(ah * c, axis=-1, keepdims=True)
    return np.linalg.norm(perp, axis=-1)


# ------------------------------------------------------------------ data
def test_data_construction():
    X, Y = sl.support_data()
    assert X.shape == (100, 2) and Y.shape == (100,)
    np.testing.assert_array_equal(X[:50], X[50:])  # every input twice
    np.testing.assert_allclose(Y[:50] - X[:50, 0], 0.2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(Y[50:] - X[50:, 0], -0.2, rtol=0, atol=1e-15)
    C = X.T @ X / 100
    # x2 centred and orthogonal to x1 in the sample: Ĉ12 = 0 (brief §3.2 rate needs it)
    assert abs(X[:, 1].mean()) < 1e-15 and abs(C[0, 1]) < 1e-15
    np.testing.assert_allclose(sl.second_moment(X), C, rtol=1e-15)
    assert 0.9 < C[1, 1] < 1.05  # 0.974 for the default draw
    # least squares end-to-end solution is exactly β = e1; every residual at β is ∓ε
    beta = np.linalg.lstsq(X, Y, rcond=None)[0]
    np.testing.assert_allclose(beta, [1.0, 0.0], rtol=0, atol=1e-14)
    # reproducible, seed-dependent
    X2, _ = sl.support_data()
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(X, sl.support_data(seed=1)[0])


def test_data_general_d():
    X, Y = sl.support_data(n0=40, eps=0.5, d=5, seed=3)
    assert X.shape == (80, 5)
    C = X.T @ X / 80
    off = C - np.diag(np.diag(C))
    # irrelevant columns decorrelated from x1 and from each other
    np.testing.assert_allclose(off[1:, :], 0, atol=1e-14)
    np.testing.assert_allclose(X[:, 1:].mean(axis=0), 0, atol=1e-14)
    np.testing.assert_allclose(np.abs(Y - X[:, 0]), 0.5, rtol=1e-14)
    # r = 3 relevant inputs: y = (x1 + x2 + x3)/√3 ± ε, the irrelevant two decorrelated
    X3, Y3 = sl.support_data(n0=30, d=5, seed=2, relevant=3)
    np.testing.assert_allclose(np.abs(Y3 - X3[:, :3].sum(axis=1) / np.sqrt(3)), 0.2, rtol=1e-13)
    C3 = X3.T @ X3 / 60
    np.testing.assert_allclose(C3[3:, :3], 0, atol=1e-14)
    assert abs(C3[3, 4]) < 1e-14 and abs(C3[0, 1]) > 1e-3  # relevant ones keep their draw
    # without decorrelation: centred only, Ĉ12 ≠ 0 in general
    Xc, _ = sl.support_data(decorrelate=False)
    assert abs(Xc[:, 1].mean()) < 1e-15 and abs(np.mean(Xc[:, 0] * Xc[:, 1])) > 1e-3


# ------------------------------------------------------------------ models
@pytest.mark.parametrize("lam", [0.0, 0.01])
def test_sympy_model_against_reference_and_twin(lam):
    m = sl.support_model(weight_decay=lam)
    mn = sl.support_model_numpy(weight_decay=lam)
    assert m.params == mn.params == sl.param_names() == ("a0", "a1", "w0_0", "w0_1", "w1_0", "w1_1")
    assert m.n_samples == mn.n_samples == 100
    X, Y = sl.support_data()
    np.testing.assert_array_equal(m.data["x"], X)
    np.testing.assert_array_equal(mn.data["y"], Y)
    th = _points(6)
    loss, grad = _ref_loss_grad(th, X, Y, 2, 2, lam)
    for model in (m, mn):
        np.testing.assert_allclose(model.loss(th), loss, rtol=1e-13)
        np.testing.assert_allclose(model.grad(th), grad, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(mn.hessian(th), m.hessian(th), rtol=0, atol=1e-12)
    u = np.random.default_rng(1).normal(size=th.shape)
    np.testing.assert_allclose(mn.third(th, u), m.third(th, u), rtol=0, atol=1e-11)
    idx = np.random.default_rng(2).integers(0, 100, size=(len(th), 7))
    np.testing.assert_allclose(mn.batch_grad(th, idx), m.batch_grad(th, idx), rtol=0, atol=1e-13)
    np.testing.assert_allclose(
        mn.sample_hessian(th[:2]), m.sample_hessian(th[:2]), rtol=0, atol=1e-12
    )


def test_hessian_trace_identity():
    """tr∇²L = tr(WĈWᵀ) + ‖a‖²trĈ at every θ (the residual term is traceless; brief §3.2)."""
    m = sl.support_model()
    X, _ = sl.support_data()
    C = X.T @ X / len(X)
    th = _points(6) * 2
    a, W = _split(th, 2, 2)
    want = np.einsum("mrd,de,mre->m", W, C, W) + np.sum(a * a, axis=1) * np.trace(C)
    np.testing.assert_allclose(np.trace(m.hessian(th), axis1=-2, axis2=-1), want, rtol=1e-12)


def test_wider_twin_matches_sympy():
    """d = 3 (two irrelevant inputs): sympy against the twin; width 3: the twin against the
    reference gradient and against central differences of its own gradient."""
    kw = {"n0": 20, "d": 3, "weight_decay": 0.02, "seed": 5}
    m, mn = sl.support_model(width=2, **kw), sl.support_model_numpy(width=2, **kw)
    X, Y = sl.support_data(n0=20, d=3, seed=5)
    th = _points(8, 5)
    loss, grad = _ref_loss_grad(th, X, Y, 3, 2, 0.02)
    np.testing.assert_allclose(m.loss(th), loss, rtol=1e-13)
    np.testing.assert_allclose(mn.grad(th), grad, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(mn.hessian(th), m.hessian(th), rtol=0, atol=1e-11)
    u = np.random.default_rng(3).normal(size=th.shape)
    np.testing.assert_allclose(mn.third(th, u), m.third(th, u), rtol=0, atol=1e-10)
    m3 = sl.support_model_numpy(width=3, **kw)
    th3 = _points(12, 3)
    np.testing.assert_allclose(m3.grad(th3), _ref_loss_grad(th3, X, Y, 3, 3, 0.02)[1], rtol=1e-12)
    h = 1e-6
    fd = np.stack(
        [(m3.grad(th3 + h * e) - m3.grad(th3 - h * e)) / (2 * h) for e in np.eye(12)], axis=-1
    )
    np.testing.assert_allclose(m3.hessian(th3), fd, rtol=0, atol=1e-6)


def test_valley_is_flat_and_gd_does_not_move_it():
    """On aᵀW = e₁ᵀ the gradient is 0 and the flat direction (0, a⊥e₂ᵀ) is null for ∇²L."""
    m = sl.support_model()
    a = np.array([0.8, -1.3])
    ap = np.array([-a[1], a[0]]) / np.linalg.norm(a)
    W = np.outer(a, [1.0, 0.0]) / (a @ a) + np.outer(ap, [0.4, 0.7])
    th = np.concatenate([a, W.ravel()])
    np.testing.assert_allclose(m.grad(th), 0, atol=1e-15)
    t = np.concatenate([[0, 0], np.outer(ap, [0.0, 1.0]).ravel()])
    np.testing.assert_allclose(m.hessian(th) @ t, 0, atol=1e-14)
    np.testing.assert_allclose(sl.flat_part(th), 0.7, rtol=1e-14)
    tr = tm.gd(m, th, 0.1, 50, record_every=0)
    np.testing.assert_array_equal(tr.final, th)


# ------------------------------------------------------------------ closed forms
def test_flat_part_against_reference():
    th = _points(6, 20)
    np.testing.assert_allclose(sl.flat_part(th), _ref_flat(th), rtol=1e-14)
    np.testing.assert_allclose(sl.flat_part(th[0]), _ref_flat(th[:1])[0], rtol=1e-14)
    assert sl.flat_part(th.reshape(4, 5, 6)).shape == (4, 5)
    # general d, width: one column and the Frobenius norm over every irrelevant column
    th3 = _points(12, 4)
    cols = np.stack([_ref_flat(th3, j, 3, 3) for j in (1, 2)], axis=-1)
    np.testing.assert_allclose(sl.flat_part(th3, d=3, width=3, column=2), cols[:, 1], rtol=1e-14)
    np.testing.assert_allclose(
        sl.flat_part(th3, d=3, width=3, column=None), np.linalg.norm(cols, axis=-1), rtol=1e-14
    )
    np.testing.assert_allclose(
        sl.flat_part(th3, d=3, width=3, column=None, relevant=2), cols[:, 1], rtol=1e-14
    )
    np.testing.assert_allclose(
        sl.flat_part(th3, d=3, width=3, column=0), _ref_flat(th3, 0, 3, 3), rtol=1e-14
    )
    # under the rescaling a -> s a, W -> W/s (same f) the flat part scales as 1/s
    a, W = _split(th[0], 2, 2)
    th_s = np.concatenate([3 * a, (W / 3).ravel()])
    np.testing.assert_allclose(sl.flat_part(th_s), sl.flat_part(th[0]) / 3, rtol=1e-14)
    assert np.isnan(sl.flat_part(np.zeros(6)))


@pytest.mark.parametrize(
    ("sampling", "b", "want"),
    [
        ("with_replacement", 5, 5.0),
        ("with_replacement", 100, 100.0),
        ("with_replacement", 250, 250.0),
        ("independent_subsets", 1, 1.0),
        ("independent_subsets", 5, 5 * 99 / 95),
        ("without_replacement", 25, 25 * 99 / 75),
        ("without_replacement", 100, np.inf),
    ],
)
def test_effective_batch_size(sampling, b, want):
    assert sl.effective_batch_size(b, 100, sampling) == pytest.approx(want, rel=1e-15)


def test_predicted_rate_formula():
    X, _ = sl.support_data()
    c22 = float(np.mean(X[:, 1] ** 2))
    etas = np.array([0.02, 0.05, 0.1])
    for b in (1, 2, 5, 10, 25):
        bp = b * 99 / (100 - b)
        want = etas**2 * 0.2**2 * c22 / (2 * bp)
        got = sl.predicted_rate(etas, 0.2, c22, b, 100, "without_replacement")
        np.testing.assert_allclose(got, want, rtol=1e-14)
        got = sl.predicted_rate(etas, 0.2, c22, b, 100, "with_replacement")
        np.testing.assert_allclose(got, etas**2 * 0.04 * c22 / (2 * b), rtol=1e-14)
    # GD: κ = 0; GD + weight decay: ηλ; both together add
    assert sl.predicted_rate(0.1, 0.2, c22, 100, 100) == 0.0
    assert sl.predicted_rate(0.1, 0.2, c22, 100, 100, weight_decay=1e-3) == pytest.approx(1e-4)
    both = sl.predicted_rate(0.1, 0.2, c22, 5, 100, "independent_subsets", weight_decay=1e-3)
    assert both == pytest.approx(0.01 * 0.04 * c22 / (2 * 5 * 99 / 95) + 1e-4, rel=1e-14)
    # the brief's constant (§3.3 setup, Ĉ22 = 0.974 on this draw): κ(0.1, b=5) = 3.74e-5
    assert sl.predicted_rate(0.1, 0.2, c22, 5, 100) == pytest.approx(3.739e-5, rel=1e-3)


def test_fit_rate_recovers_exponential():
    t = np.arange(0, 5001, 50.0)
    kap = np.array([[1e-4, 3e-5], [2e-6, 0.0]])
    flat = 0.7 * np.exp(-kap[None] * t[:, None, None])
    flat[:10] *= 1.5  # a transient before t0 is ignored
    np.testing.assert_allclose(sl.fit_rate(flat, t, t0=500), kap, rtol=1e-9, atol=1e-16)
    assert sl.fit_rate(flat[:, 0, 0], t, 500).shape == ()


def test_init_and_split():
    th = sl.support_init(seed=4, scale=0.5)
    np.testing.assert_array_equal(th, 0.5 * np.random.default_rng(4).standard_normal(6))
    a, W = sl.split_params(th)
    np.testing.assert_array_equal(a, th[:2])
    np.testing.assert_array_equal(W, th[2:].reshape(2, 2))
    assert sl.support_init(d=15, width=5).shape == (80,)
    assert sl.param_names(3, 2)[2:5] == ("w0_0", "w0_1", "w0_2")


# ------------------------------------------------------------------ validation
@pytest.mark.parametrize(
    ("call", "exc", "name"),
    [
        (lambda: sl.support_data(n0=1), ValueError, "n0"),
        (lambda: sl.support_data(n0=3, d=4), ValueError, "n0"),
        (lambda: sl.support_data(eps=-0.1), ValueError, "eps"),
        (lambda: sl.support_data(d=1), ValueError, "d"),
        (lambda: sl.support_data(seed=-1), ValueError, "seed"),
        (lambda: sl.support_data(decorrelate=1), TypeError, "decorrelate"),
        (lambda: sl.support_model(width=0), ValueError, "width"),
        (lambda: sl.support_model(d=8, width=8), ValueError, "width"),
        (lambda: sl.support_model(weight_decay=-1.0), ValueError, "weight_decay"),
        (lambda: sl.support_model_numpy(eps=float("nan")), ValueError, "eps"),
        (lambda: sl.flat_part(np.zeros(5)), ValueError, "theta"),
        (lambda: sl.flat_part(np.zeros(6), column=2), ValueError, "column"),
        (lambda: sl.flat_part(np.zeros(6), column=-1), ValueError, "column"),
        (lambda: sl.flat_part(np.zeros(6), column=None, relevant=2), ValueError, "relevant"),
        (lambda: sl.support_data(d=3, relevant=3), ValueError, "relevant"),
        (lambda: sl.support_data(relevant=0), ValueError, "relevant"),
        (lambda: sl.effective_batch_size(5, 100, "fixed_order"), ValueError, "fixed_order"),
        (lambda: sl.effective_batch_size(5, 100, "bogus"), ValueError, "sampling"),
        (
            lambda: sl.effective_batch_size(101, 100, "independent_subsets"),
            ValueError,
            "batch_size",
        ),
        (lambda: sl.effective_batch_size(0, 100, "with_replacement"), ValueError, "batch_size"),
        (lambda: sl.predicted_rate(0.0, 0.2, 1.0, 5, 100), ValueError, "eta"),
        (lambda: sl.predicted_rate(0.1, 0.2, -1.0, 5, 100), ValueError, "c22"),
        (lambda: sl.fit_rate([1.0, 0.5], [0, 1], t0=1), ValueError, "t0"),
        (lambda: sl.fit_rate([1.0, -0.5], [0, 1]), ValueError, "flat"),
        (lambda: sl.fit_rate([1.0, 0.5], [1, 0]), ValueError, "steps"),
        (lambda: sl.second_moment(np.zeros(3)), ValueError, "X"),
    ],
)
def test_bad_input(call, exc, name):
    with pytest.raises(exc, match=name):
        call()
