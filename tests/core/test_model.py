"""The numpy twins of a sympy loss agree with each other and with finite differences.

Losses are drawn at random: a sum of random multiples of terms from a small set of templates
(polynomials up to degree 4 and a few smooth transcendental terms) over 1–3 parameters, plus
c_i·θ_i² for every parameter so each one occurs.

Finite-difference tolerances. A central difference with step h has truncation error
≤ h²/6 · max|f'''| and rounding error ≲ ε·max|f|/h (ε = 2.2e-16). For these losses on
θ ∈ [-1.5, 1.5]^p the third derivatives are at most a few hundred and |f| at most a few hundred,
so with h = 1e-5 both terms are ≲ 1e-8 · (1 + |f|); the tolerance 1e-7 · scale leaves a
factor ≥ 10 of margin while still catching any wrong derivative (an error in a coefficient
shows up at the 1e-2 level).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given
from hypothesis import strategies as st

import toymodels as tm

NAMES = ("x", "y", "z")
TEMPLATES = [
    "x",
    "x**2",
    "x*y",
    "x**2*y",
    "x**3",
    "x**4",
    "x*y*z",
    "y**2*z**2",
    "(x*y - 1)**2",
    "(x + y + z)**3",
    "y**3*x",
    "sin(x*y)",
    "exp(-x**2/2)",
    "log(1 + y**2)",
    "tanh(z)*x",
    "cos(x + z)",
]
coef = st.one_of(st.integers(-3, 3), st.floats(-3, 3, allow_nan=False).map(lambda c: round(c, 3)))


@st.composite
def models(draw, polynomial_only: bool = False):
    """A random smooth loss over 1–3 parameters and its sympy expression."""
    p = draw(st.integers(1, 3))
    names = NAMES[:p]
    syms = sp.symbols(names)
    usable = [
        t
        for t in TEMPLATES
        if {s.name for s in sp.sympify(t).free_symbols} <= set(names)
        and not (polynomial_only and sp.sympify(t).has(sp.sin, sp.exp, sp.log, sp.tanh, sp.cos))
    ]
    terms = draw(st.lists(st.sampled_from(usable), min_size=1, max_size=5))
    expr = sp.Integer(0)
    for t in terms:
        expr += sp.nsimplify(draw(coef)) * sp.sympify(t)
    for s in syms:  # every parameter occurs: k + 1/7 cannot cancel the templates' coefficients
        expr += (draw(st.integers(1, 3)) + sp.Rational(1, 7)) * s**2
    return tm.Model.from_sympy(expr, params=names), expr


def points(p: int, *batch: int):
    return st.lists(
        st.floats(-1.5, 1.5, allow_nan=False),
        min_size=p * int(np.prod(batch)),
        max_size=p * int(np.prod(batch)),
    ).map(lambda v: np.array(v, dtype=float).reshape((*batch, p)))


def central_diff(f, theta: np.ndarray, h: float) -> np.ndarray:
    """∂f/∂θ_i by central differences; f maps (p,) to an array; result has a trailing axis p."""
    cols = []
    for i in range(theta.shape[-1]):
        e = np.zeros_like(theta)
        e[i] = h
        cols.append((np.asarray(f(theta + e)) - np.asarray(f(theta - e))) / (2 * h))
    return np.stack(cols, axis=-1)


H_FD = 1e-5
RTOL_FD = 1e-7  # see the module docstring


@given(st.data())
def test_grad_matches_finite_differences(data):
    m, expr = data.draw(models())
    theta = data.draw(points(m.n_params))
    g = m.grad(theta)
    fd = central_diff(m.loss, theta, H_FD)
    scale = 1 + abs(float(m.loss(theta))) + np.max(np.abs(g))
    np.testing.assert_allclose(g, fd, rtol=0, atol=RTOL_FD * scale, err_msg=str(expr))


@given(st.data())
def test_hessian_matches_finite_differences_of_grad(data):
    m, expr = data.draw(models())
    theta = data.draw(points(m.n_params))
    H = m.hessian(theta)
    assert H.shape == (m.n_params, m.n_params)
    np.testing.assert_array_equal(H, H.T)  # filled symmetrically from one triangle
    fd = central_diff(m.grad, theta, H_FD)  # fd[i, j] = ∂g_i/∂θ_j
    scale = 1 + np.max(np.abs(m.grad(theta))) + np.max(np.abs(H))
    np.testing.assert_allclose(H, fd, rtol=0, atol=RTOL_FD * scale, err_msg=str(expr))


@given(st.data())
def test_third_matches_finite_differences_of_uHu(data):
    """third(θ, u)_i = ∂/∂θ_i (uᵀ∇²L(θ)u)."""
    m, expr = data.draw(models())
    theta = data.draw(points(m.n_params))
    u = data.draw(points(m.n_params))
    T = m.third(theta, u)

    def q(th):
        return u @ m.hessian(th) @ u

    fd = central_diff(q, theta, H_FD)
    scale = 1 + abs(q(theta)) + np.max(np.abs(T))
    np.testing.assert_allclose(T, fd, rtol=0, atol=RTOL_FD * scale, err_msg=str(expr))


@given(st.data())
def test_third_numeric_fallback_matches_symbolic(data):
    """A from_numpy twin without ``third`` falls back to a central difference of ∇²L(θ ± hu)u.

    The fallback uses h = 1e-4: truncation ≲ h²/6·|∇⁵L|·|u|³ ≲ 1e-7 and rounding ≲ ε|H|/h ≈
    2e-12·|H| here, so 1e-5·scale is a safe bound.
    """
    m, expr = data.draw(models())
    twin = tm.Model.from_numpy(m.params, m.loss, m.grad, m.hessian)
    theta = data.draw(points(m.n_params, 3))
    u = data.draw(points(m.n_params, 3))
    exact = m.third(theta, u)
    approx = twin.third(theta, u)
    scale = 1 + np.max(np.abs(exact)) + np.max(np.abs(m.hessian(theta)))
    np.testing.assert_allclose(approx, exact, rtol=0, atol=1e-5 * scale, err_msg=str(expr))


@given(st.data())
def test_batched_equals_unbatched_bit_for_bit(data):
    """Batching is invisible: f(θ[b:b+1])[0] == f(θ)[b] exactly, for every twin and any batch
    shape — a member's value does not depend on what else is in the batch.

    Evaluating at a single point θ of shape (p,) agrees only to rounding (see
    ``test_single_point_equals_batch_member_bit_for_bit`` below): there numpy computes with
    scalars, whose ``**`` is libm ``pow`` rather than the array ufunc loop."""
    m, expr = data.draw(models())
    shape = data.draw(st.sampled_from([(3,), (2, 3), (1, 4), (2, 1, 2)]))
    theta = data.draw(points(m.n_params, *shape))
    u = data.draw(points(m.n_params, *shape))
    L, G, H, T = m.loss(theta), m.grad(theta), m.hessian(theta), m.third(theta, u)
    assert L.shape == shape
    assert G.shape == (*shape, m.n_params)
    assert H.shape == (*shape, m.n_params, m.n_params)
    assert T.shape == (*shape, m.n_params)
    for idx in np.ndindex(*shape):
        th1, u1 = theta[idx][None], u[idx][None]  # a batch of one
        np.testing.assert_array_equal(m.loss(th1)[0], L[idx], err_msg=str(expr))
        np.testing.assert_array_equal(m.grad(th1)[0], G[idx], err_msg=str(expr))
        np.testing.assert_array_equal(m.hessian(th1)[0], H[idx], err_msg=str(expr))
        np.testing.assert_array_equal(m.third(th1, u1)[0], T[idx], err_msg=str(expr))
        # the single point (p,): same values to a few ulp (relative to the entries' scale)
        for f, ref in ((m.grad, G), (m.hessian, H)):
            single = f(theta[idx])
            assert single.shape == ref[idx].shape
            tol = 1e-13 * (1 + np.max(np.abs(ref[idx])))
            np.testing.assert_allclose(single, ref[idx], rtol=0, atol=tol, err_msg=str(expr))
    # flattening the batch changes nothing either
    flat = theta.reshape(-1, m.n_params)
    np.testing.assert_array_equal(m.grad(flat).reshape(G.shape), G)
    np.testing.assert_array_equal(m.hessian(flat).reshape(H.shape), H)


@given(st.data())
def test_third_broadcasts_theta_against_u(data):
    m, _ = data.draw(models())
    theta = data.draw(points(m.n_params))
    u = data.draw(points(m.n_params, 4))
    T = m.third(theta, u)
    assert T.shape == (4, m.n_params)
    for b in range(4):
        np.testing.assert_array_equal(m.third(theta[None], u[b][None])[0], T[b])


@given(st.data())
def test_sharpness_is_top_hessian_eigenvalue(data):
    m, _ = data.draw(models())
    theta = data.draw(points(m.n_params, 5))
    S = tm.sharpness(m, theta)
    assert S.shape == (5,)
    np.testing.assert_array_equal(S, np.linalg.eigvalsh(m.hessian(theta))[..., -1])
    ev = tm.hessian_eigenvalues(m, theta)
    assert np.all(np.diff(ev, axis=-1) >= 0)
    s, v = tm.top_eigenvector(m, theta)
    # eigh (top_eigenvector) and eigvalsh (sharpness) are different LAPACK drivers: last-ulp
    np.testing.assert_allclose(s, S, rtol=1e-14, atol=1e-14)
    Hv = np.einsum("...ij,...j->...i", m.hessian(theta), v)
    np.testing.assert_allclose(Hv, S[:, None] * v, atol=1e-12 * (1 + np.max(np.abs(S))))
    np.testing.assert_allclose(np.linalg.norm(v, axis=-1), 1.0, rtol=1e-14)


@given(st.data())
def test_sharpness_gradient_matches_finite_differences(data):
    """∇S = ∇³L[v, v] for a simple top eigenvalue; FD of S with h = 1e-6.

    Eigenvalue perturbation: the FD error is ≲ h²·(|∇⁴L| + |∇³L|²/gap) + ε|S|/h; requiring a gap
    ≥ 0.05 and using atol 1e-6·scale bounds it with margin.
    """
    m, expr = data.draw(models(polynomial_only=True))
    theta = data.draw(points(m.n_params))
    ev = tm.hessian_eigenvalues(m, theta)
    if m.n_params > 1:
        assume(ev[-1] - ev[-2] > 0.05)
    grad_S = tm.sharpness_gradient(m, theta)
    fd = central_diff(lambda th: tm.sharpness(m, th), theta, 1e-6)
    scale = 1 + np.max(np.abs(ev)) + np.max(np.abs(grad_S))
    np.testing.assert_allclose(grad_S, fd, rtol=0, atol=1e-6 * scale, err_msg=str(expr))


def test_single_point_equals_batch_member_bit_for_bit():
    m = tm.Model.from_sympy("(x**2 + 1)**4", params=("x",))
    theta = np.array([0.4108850619643629])
    np.testing.assert_array_equal(m.grad(theta), m.grad(theta[None])[0])


# ----------------------------------------------------------------------------- constant parts
@pytest.mark.parametrize("batch", [(), (4,), (2, 3)])
def test_constant_gradient_component_broadcasts(batch):
    """L = x + y²: ∂L/∂x = 1 is a constant that must fill the whole batch."""
    m = tm.Model.from_sympy("x + y**2", params=("x", "y"))
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(*batch, 2))
    g = m.grad(theta)
    assert g.shape == (*batch, 2)
    np.testing.assert_array_equal(g[..., 0], np.ones(batch))
    np.testing.assert_array_equal(g[..., 1], 2 * theta[..., 1])
    H = m.hessian(theta)
    assert H.shape == (*batch, 2, 2)
    np.testing.assert_array_equal(H, np.broadcast_to([[0.0, 0.0], [0.0, 2.0]], H.shape))
    T = m.third(theta, theta)
    assert T.shape == (*batch, 2)
    np.testing.assert_array_equal(T, np.zeros((*batch, 2)))
    L = m.loss(theta)
    assert L.shape == batch
    # the GD fast path: each gradient component broadcasts against the component arrays
    comps = [theta[..., 0], theta[..., 1]]
    gc = m.grad_components(*comps)
    for c, gi, ref in zip(comps, gc, (g[..., 0], g[..., 1]), strict=True):
        np.testing.assert_array_equal(np.broadcast_to(gi, c.shape), ref)


def test_all_constant_derivatives():
    """A linear loss: gradient constant, Hessian and third derivative identically zero."""
    m = tm.Model.from_sympy("3*x - 2*y", params=("x", "y"))
    theta = np.zeros((5, 2))
    np.testing.assert_array_equal(m.grad(theta), np.broadcast_to([3.0, -2.0], (5, 2)))
    np.testing.assert_array_equal(m.hessian(theta), np.zeros((5, 2, 2)))
    np.testing.assert_array_equal(m.loss(theta), np.zeros(5))
    np.testing.assert_array_equal(tm.sharpness(m, theta), np.zeros(5))
    # GD on it moves by exactly η·∇L per step (constant gradient, no state dependence)
    tr = tm.gd(m, [0.0, 0.0], 0.5, 4)
    np.testing.assert_array_equal(tr.theta[:, 0], [0.0, -1.5, -3.0, -4.5, -6.0])
    np.testing.assert_array_equal(tr.theta[:, 1], [0.0, 1.0, 2.0, 3.0, 4.0])


def test_constants_are_substituted():
    m = tm.Model.from_sympy("a*(x - b)**2/2", params=("x",), constants={"a": 4.0, "b": 1})
    np.testing.assert_array_equal(m.loss([[1.0], [2.0]]), [0.0, 2.0])
    np.testing.assert_array_equal(m.grad([2.0]), [4.0])
    np.testing.assert_array_equal(m.hessian([2.0]), [[4.0]])


def test_nonfinite_theta_gives_nan_not_an_error():
    """Diverged trajectories hold NaN; evaluating the twins there is allowed (NaN in, NaN out)."""
    m = tm.Model.from_sympy("x**2*y", params=("x", "y"))
    with np.errstate(invalid="ignore"):
        out = m.loss([np.nan, 1.0])
    assert np.isnan(out)
    assert np.isnan(tm.sharpness(m, [np.nan, 1.0]))
