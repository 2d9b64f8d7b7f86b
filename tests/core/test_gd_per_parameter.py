"""``gd(..., per_parameter=True)``: one step size per parameter, θ_i ← θ_i − η_i ∂_i L.

Checked against independent computations: the update written out with ``model.grad``; the scalar
path (equal η_i must reproduce it bit for bit); the linear stability threshold of a coupled
quadratic, λ_max(P^{1/2} H P^{1/2}) = 2 with P = diag(η), from ``numpy.linalg.eigvalsh``.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import toymodels as tm


def _has_numba() -> bool:
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def backends() -> list[str]:
    return ["numpy", "numba"] if _has_numba() else ["numpy"]


@functools.cache
def uv() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2", ["x", "y"])


@functools.cache
def smooth() -> tm.Model:
    return tm.Model.from_sympy("(x*y - 1)**2/2 + 0.1*sin(x)**2 + log(cosh(y))", ["x", "y"])


def numpy_uv() -> tm.Model:
    """The same loss as hand-written numpy (array mode of the engine)."""

    def loss(t):
        return (t[..., 0] * t[..., 1] - 1) ** 2 / 2

    def grad(t):
        r = t[..., 0] * t[..., 1] - 1
        return np.stack([t[..., 1] * r, t[..., 0] * r], axis=-1)

    def hess(t):
        x, y = t[..., 0], t[..., 1]
        return np.stack(
            [np.stack([y * y, 2 * x * y - 1], -1), np.stack([2 * x * y - 1, x * x], -1)], -2
        )

    return tm.Model.from_numpy(["x", "y"], loss, grad, hess)


def same(a: tm.Trajectory, b: tm.Trajectory) -> None:
    assert np.array_equal(a.theta, b.theta, equal_nan=True)
    assert np.array_equal(a.diverged, b.diverged)
    assert np.array_equal(a.diverged_at, b.diverged_at)
    assert np.array_equal(a.steps, b.steps)


# ----------------------------------------------------------------------------- the update
@pytest.mark.parametrize("backend", backends())
def test_update_is_eta_i_times_partial_i(backend):
    """Five steps written out with model.grad: θ ← θ − η ⊙ ∇L (same float operations)."""
    m = smooth()
    theta0 = np.array([[1.3, -0.4], [0.2, 0.9]])
    eta = np.array([0.3, 0.05])
    tr = tm.gd(m, theta0, eta, 5, per_parameter=True, backend=backend)
    th = theta0.copy()
    for t in range(5):
        th = th - eta * m.grad(th)
        # libm (numba) and numpy's sin/cosh may differ in the last bit
        np.testing.assert_allclose(tr.theta[t + 1], th, rtol=1e-14, atol=1e-15)
    assert tr.eta.shape == (2, 2)
    np.testing.assert_array_equal(tr.eta, np.broadcast_to(eta, (2, 2)))


@pytest.mark.parametrize("backend", backends())
def test_equal_step_sizes_reproduce_the_scalar_run_bit_for_bit(backend):
    m = uv()
    eta = 0.05 + np.arange(300) / 300 * 1.3
    a = tm.gd(m, [2.0, 0.3], eta, 900, record_every=45, backend=backend)
    b = tm.gd(m, [2.0, 0.3], np.stack([eta, eta], -1), 900, 45, per_parameter=True, backend=backend)
    assert 0 < a.diverged.sum() < len(eta)
    same(a, b)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert b.eta.shape == (300, 2) and a.eta.shape == (300,)


def test_equal_step_sizes_reproduce_the_scalar_run_in_array_mode():
    m = numpy_uv()
    eta = np.array([0.1, 0.7, 1.5])
    theta0 = [[2.0, 0.3], [0.4, 1.1]]
    a = tm.gd(m, theta0, eta, 200, record_every=20)
    b = tm.gd(m, theta0, np.stack([eta, eta], -1), 200, 20, per_parameter=True)
    assert a.diverged.any() and not a.diverged.all()
    same(a, b)


@pytest.mark.parametrize("backend", backends())
def test_different_step_sizes_change_only_their_coordinate_rule(backend):
    """η = (η_x, η_y) against the written-out two-rate recursion on the polynomial loss
    (exact: the same operations in the same order), over a grid with divergence."""
    m = uv()
    rng = np.random.default_rng(11)
    eta = rng.uniform(0.05, 1.5, (64, 2))
    tr = tm.gd(m, [2.0, 0.3], eta, 60, per_parameter=True, backend=backend)
    x = np.full(64, 2.0)
    y = np.full(64, 0.3)
    div = np.full(64, -1)
    with np.errstate(all="ignore"):
        for t in range(60):
            r = x * y - 1
            x, y = x - eta[:, 0] * (y * r), y - eta[:, 1] * (x * r)
            bad = ~((np.abs(x) <= 1e10) & (np.abs(y) <= 1e10)) & (div < 0)
            div[bad] = t + 1
            x[div >= 0] = np.nan
            y[div >= 0] = np.nan
            assert np.array_equal(tr.theta[t + 1, :, 0], x, equal_nan=True)
            assert np.array_equal(tr.theta[t + 1, :, 1], y, equal_nan=True)
    np.testing.assert_array_equal(tr.diverged_at, div)
    assert tr.diverged.any() and not tr.diverged.all()


def test_numba_agrees_with_numpy_per_parameter():
    pytest.importorskip("numba")
    rng = np.random.default_rng(2)
    theta0 = rng.uniform(-1.5, 1.5, (40, 2))
    eta = rng.uniform(0.05, 1.2, (5, 2))
    a = tm.gd(uv(), theta0, eta, 400, record_every=20, per_parameter=True)
    b = tm.gd(uv(), theta0, eta, 400, record_every=20, per_parameter=True, backend="numba")
    assert a.diverged.any() and not a.diverged.all()
    same(a, b)  # polynomial loss: the same operations, bit for bit
    # transcendental loss: libm vs numpy's ufuncs may differ in the last bit; with η_i <= 0.3 the
    # 60 steps contract (no member is near a flip or chaotic), observed max deviation 4e-16
    eta = rng.uniform(0.05, 0.3, (5, 2))
    c = tm.gd(smooth(), theta0, eta, 60, record_every=6, per_parameter=True)
    d = tm.gd(smooth(), theta0, eta, 60, record_every=6, per_parameter=True, backend="numba")
    assert np.all(np.isfinite(c.theta)) and np.all(np.isfinite(d.theta))
    np.testing.assert_allclose(d.theta, c.theta, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- batch layout
@pytest.mark.parametrize("backend", backends())
def test_member_alone_equals_itself_inside_a_grid(backend):
    m = smooth()
    rng = np.random.default_rng(4)
    theta0 = rng.uniform(-1.5, 1.5, (3, 2))
    eta = rng.uniform(0.05, 1.5, (400, 2))
    grid = tm.gd(m, theta0, eta, 300, record_every=30, per_parameter=True, backend=backend)
    assert grid.theta.shape == (11, 400, 3, 2) and grid.eta.shape == (400, 3, 2)
    assert grid.diverged.any() and not grid.diverged.all()
    for e, b in [(0, 0), (137, 2), (255, 1), (399, 0)]:
        alone = tm.gd(m, theta0[b], eta[e], 300, 30, per_parameter=True, backend=backend)
        assert alone.theta.shape == (11, 2) and alone.eta.shape == (2,)
        assert np.array_equal(alone.theta, grid.theta[:, e, b], equal_nan=True)
        assert alone.diverged_at == grid.diverged_at[e, b]
        np.testing.assert_array_equal(alone.eta, eta[e])


@pytest.mark.parametrize("backend", backends())
def test_batch_shapes_and_paired(backend):
    m = uv()
    theta0 = np.array([[2.0, 0.3], [0.5, 1.5], [1.0, 1.0]])
    one = tm.gd(m, theta0, [0.1, 0.2], 10, per_parameter=True, backend=backend)
    assert one.batch_shape == (3,) and one.eta.shape == (3, 2)
    grid = tm.gd(m, theta0, [[0.1, 0.2], [0.3, 0.1]], 10, per_parameter=True, backend=backend)
    assert grid.batch_shape == (2, 3) and grid.eta.shape == (2, 3, 2)
    np.testing.assert_array_equal(grid.eta[1, 2], [0.3, 0.1])
    eta3 = np.array([[0.1, 0.2], [0.3, 0.1], [0.05, 0.4]])
    paired = tm.gd(m, theta0, eta3, 10, paired=True, per_parameter=True, backend=backend)
    assert paired.batch_shape == (3,) and paired.eta.shape == (3, 2)
    for i in range(3):
        assert np.array_equal(paired.theta[:, i], grid_member(m, theta0[i], eta3[i], backend))
    with pytest.raises(ValueError, match="eta"):
        tm.gd(m, theta0, eta3[:2], 10, paired=True, per_parameter=True, backend=backend)


def grid_member(m: tm.Model, theta0: np.ndarray, eta: np.ndarray, backend: str) -> np.ndarray:
    return tm.gd(m, theta0, eta, 10, per_parameter=True, backend=backend).theta


def test_callback_and_record_every_work_per_parameter():
    m = smooth()
    eta = np.array([[0.2, 0.05], [0.9, 1.4]])
    ref = tm.gd(m, [1.0, -0.5], eta, 50, record_every=10, per_parameter=True)
    seen = []
    tr = tm.gd(
        m,
        [1.0, -0.5],
        eta,
        50,
        record_every=10,
        per_parameter=True,
        callback=lambda t, th: seen.append((t, th)),
    )
    assert [t for t, _ in seen] == [0, 10, 20, 30, 40, 50]
    for r, (_, th) in enumerate(seen):
        assert np.array_equal(th, ref.theta[r], equal_nan=True)
    assert tr.theta.shape == (1, 2, 2)
    assert np.array_equal(tr.theta[0], ref.theta[-1], equal_nan=True)
    last = tm.gd(m, [1.0, -0.5], eta, 50, record_every=0, per_parameter=True)
    assert np.array_equal(last.theta[0], ref.theta[-1], equal_nan=True)


# ----------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("eta", "exc", "match"),
    [
        (0.1, ValueError, r"^eta must have shape \(p,\) or \(E, p\) with p = model.n_params = 2"),
        ([0.1, 0.2, 0.3], ValueError, r"^eta .*p = model.n_params = 2.*got shape \(3,\)"),
        ([[0.1], [0.2]], ValueError, r"^eta .*p = model.n_params = 2.*got shape \(2, 1\)"),
        (np.full((2, 2, 2), 0.1), ValueError, r"^eta .*got shape \(2, 2, 2\)"),
        (np.empty((0, 2)), ValueError, r"^eta is empty"),
        ([0.1, 0.0], ValueError, r"^eta must be > 0"),
        ([[0.1, 0.2], [0.3, -0.1]], ValueError, r"^eta must be > 0"),
        ([0.1, np.nan], ValueError, r"^eta must be finite"),
        ([0.1, np.inf], ValueError, r"^eta must be finite"),
        ([True, 0.1], TypeError, r"^eta must be a real number"),
        (["0.1", "0.2"], TypeError, r"^eta must be numeric"),
    ],
)
def test_bad_per_parameter_eta_is_refused_naming_eta_and_p(eta, exc, match):
    for backend in backends():
        with pytest.raises(exc, match=match):
            tm.gd(uv(), [1.0, 1.0], eta, 5, per_parameter=True, backend=backend)


def test_per_parameter_must_be_a_flag():
    with pytest.raises(TypeError, match=r"^per_parameter must be True or False"):
        tm.gd(uv(), [1.0, 1.0], [0.1, 0.1], 5, per_parameter=1)


def test_scalar_eta_is_unchanged_by_the_new_switch():
    a = tm.gd(uv(), [2.0, 0.3], [0.1, 0.5, 1.1], 100, record_every=10)
    b = tm.gd(uv(), [2.0, 0.3], [0.1, 0.5, 1.1], 100, record_every=10, per_parameter=False)
    same(a, b)
    assert b.eta.shape == (3,)


# ----------------------------------------------------------------------------- stability
# L = ½ θᵀHθ with a coupled H; GD with P = diag(η) maps θ ← (I − PH)θ, whose eigenvalues are
# 1 − μ_j with μ_j those of S = P^{1/2} H P^{1/2} (PH = P^{1/2} S P^{-1/2}). Along the ray
# P = s·P̂ the threshold is s* = 2 / λ_max(P̂^{1/2} H P̂^{1/2}).
H = np.array([[3.0, 1.2], [1.2, 1.0]])
P_HAT = np.array([1.0, 4.0])


@functools.cache
def quadratic() -> tm.Model:
    return tm.Model.from_sympy("(3*x**2 + 2*1.2*x*y + y**2)/2", ["x", "y"])


def s_star() -> float:
    root = np.sqrt(P_HAT)
    return 2.0 / float(np.linalg.eigvalsh(root[:, None] * H * root[None, :]).max())


def test_quadratic_model_has_the_stated_hessian():
    np.testing.assert_allclose(quadratic().hessian(np.array([0.3, -0.7])), H, rtol=0, atol=1e-15)


@pytest.mark.parametrize("backend", backends())
def test_threshold_is_lambda_max_of_the_preconditioned_hessian(backend):
    """Sign test 1 % below / above s*: the distance to the minimum shrinks below and grows above,
    and the late growth factor per step is |1 − μ_max| = |1 − s·λ_max(S_hat)| (to 1e-6).

    The two naive rules would put the threshold elsewhere along the ray (checked): the scalar
    bound max_i η_i · λ_max(H) < 2 at s = 0.140 and the diagonal bound η_i H_ii < 2 at s = 0.5,
    against s* = 0.336, so a 1 % sign test tells them apart."""
    star = s_star()
    naive_scalar = 2.0 / (P_HAT.max() * np.linalg.eigvalsh(H).max())
    naive_diag = 2.0 / np.max(P_HAT * np.diag(H))
    assert abs(naive_scalar / star - 1) > 0.5 and abs(naive_diag / star - 1) > 0.4
    mu_hat = 2.0 / star
    theta0 = np.array([0.6, -0.8])
    steps = 3000
    runs = tm.gd(
        quadratic(),
        theta0,
        np.outer([0.99 * star, 1.01 * star], P_HAT),
        steps,
        record_every=1,
        per_parameter=True,
        backend=backend,
    )
    norm = np.linalg.norm(runs.theta, axis=-1)  # (T + 1, 2)
    below, above = norm[:, 0], norm[:, 1]
    assert not runs.diverged[0] and below[-1] < 1e-10 * below[0]
    assert runs.diverged[1] or above[-1] > 1e10 * above[0]
    # the top mode dominates late: the norm ratio per step is |1 − s μ̂_max|
    for j, s in enumerate([0.99 * star, 1.01 * star]):
        n = norm[:, j]
        ok = np.isfinite(n) & (n > 1e-250)
        late = np.nonzero(ok)[0][-200:]
        rate = (n[late[-1]] / n[late[0]]) ** (1.0 / (late[-1] - late[0]))
        np.testing.assert_allclose(rate, abs(1 - s * mu_hat), rtol=1e-6)
