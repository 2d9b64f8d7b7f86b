"""Exact checks for depth-2 single-input / single-output linear networks m = a^T b.

Beneventano & Woodworth, "Gradient descent converges linearly to flatter minima than gradient
flow in shallow linear networks" (arXiv 2501.09137), and the uv catapult model (width 1) of
Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari 2020 (arXiv 2003.02218).

Only the abstracts could be read (research brief linear_models.md §B), so the statements below
are the closed forms *derived* in the brief (§B.1, §B.2, §B.4, claims B1-B3 of §F); the
``where`` fields say so. Model: a, b in R^d with explicit component symbols (d = 3; d = 1 for
the catapult), L = (a^T b - Phi)^2 / 2, r = a^T b - Phi; gradients and the Hessian are obtained by
differentiating L with sympy, and GD is a' = a - eta dL/da = a - eta r b, b' = b - eta r a.

L is the library's :func:`toymodels.models.two_layer_linear.depth2_loss_expr` (what
``Depth2Linear.symbolic`` compiles); :func:`depth2_library_numeric` checks the numpy twins and
invariants of ``Depth2Linear`` against the proven expressions.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.two_layer_linear import Depth2Linear, depth2_loss_expr

from ._exact import fmt, is_zero
from ._numeric import agree, combine, model_agrees, rng
from .registry import proof

PAPER = "Beneventano & Woodworth 2025 (arXiv 2501.09137)"
LEWKOWYCZ = "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari 2020"

DIM = 3
ETA, PHI = sp.symbols("eta Phi", real=True)


def _vectors(dim: int = DIM) -> tuple[sp.Matrix, sp.Matrix]:
    a = sp.Matrix(sp.symbols(f"a1:{dim + 1}", real=True))
    b = sp.Matrix(sp.symbols(f"b1:{dim + 1}", real=True))
    return a, b


def _dot(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
    return sp.expand((x.T * y)[0, 0])


def _model(dim: int = DIM, target: sp.Expr = PHI) -> dict[str, object]:
    """Symbols, loss and one GD step (gradient by sympy) of the depth-2 net."""
    a, b = _vectors(dim)
    m = _dot(a, b)
    r = m - target
    loss = depth2_loss_expr(list(a), list(b), target)  # the library's loss
    grad_a = sp.Matrix([sp.diff(loss, ai) for ai in a])
    grad_b = sp.Matrix([sp.diff(loss, bi) for bi in b])
    return {
        "a": a,
        "b": b,
        "m": m,
        "r": r,
        "loss": loss,
        "grad_a": grad_a,
        "grad_b": grad_b,
        "a1": a - ETA * grad_a,
        "b1": b - ETA * grad_b,
    }


def _zero_vec(v: sp.Matrix) -> bool:
    return all(sp.expand(x) == 0 for x in v)


@proof(
    paper=PAPER,
    where="depth-2 net m = a^T b, d = 3, one GD step (derived, brief B.1 / claim B1)",
    statement="Q = |a|^2 - |b|^2: Q' = (1 - eta^2 r^2) Q; lambda = |a|^2 + |b|^2: "
    "lambda' = lambda - 4 eta r m + eta^2 r^2 lambda; r' = r (1 - eta lambda + eta^2 r m)",
)
def depth2_gd_recursions() -> tuple[bool, str]:
    """With a, b in R^3 (explicit components), gradients dL/da = r b, dL/db = r a (checked), and
    a' = a - eta r b, b' = b - eta r a: the residuals Q' - (1 - eta^2 r^2) Q,
    lambda' - (lambda - 4 eta r m + eta^2 r^2 lambda) and r' - r (1 - eta lambda + eta^2 r m)
    all expand to 0 (m = a^T b, r = m - Phi, Phi symbolic)."""
    s = _model()
    a, b, m, r = s["a"], s["b"], s["m"], s["r"]
    a1, b1 = s["a1"], s["b1"]
    ok_grad = _zero_vec(s["grad_a"] - r * b) and _zero_vec(s["grad_b"] - r * a)
    q, lam = _dot(a, a) - _dot(b, b), _dot(a, a) + _dot(b, b)
    q1, lam1 = _dot(a1, a1) - _dot(b1, b1), _dot(a1, a1) + _dot(b1, b1)
    r1 = _dot(a1, b1) - PHI
    ok1, res1 = is_zero(q1 - (1 - ETA**2 * r**2) * q)
    ok2, res2 = is_zero(lam1 - (lam - 4 * ETA * r * m + ETA**2 * r**2 * lam))
    ok3, res3 = is_zero(r1 - r * (1 - ETA * lam + ETA**2 * r * m))
    detail = (
        f"d={DIM}: gradient (r b, r a) {ok_grad}; Q' residual {res1}; lambda' residual {res2}; "
        f"r' residual {res3}"
    )
    return ok_grad and ok1 and ok2 and ok3, detail


@proof(
    paper=PAPER,
    where="depth-2 net, d = 3, K = |a+b| |a-b| under GD and GF (derived, brief B.1 / claim B2)",
    statement="(a+b)' = (1 - eta r)(a+b), (a-b)' = (1 + eta r)(a-b), hence "
    "K'^2 = (1 - eta^2 r^2)^2 K^2; GF (a_dot = -r b, b_dot = -r a) conserves K^2",
)
def depth2_k_invariant() -> tuple[bool, str]:
    """GD: (a+b)' - (1 - eta r)(a+b) = 0 and (a-b)' - (1 + eta r)(a-b) = 0 componentwise, and
    K^2 = |a+b|^2 |a-b|^2 satisfies K'^2 - (1 - eta^2 r^2)^2 K^2 = 0 (so K' = |1 - eta^2 r^2| K).
    GF: d/dt K^2 = grad_a(K^2) . (-dL/da) + grad_b(K^2) . (-dL/db) expands to 0. For d = 1,
    K^2 = Q^2 (K = |Q|)."""
    s = _model()
    a, b, r = s["a"], s["b"], s["r"]
    a1, b1 = s["a1"], s["b1"]
    ok1 = _zero_vec((a1 + b1) - (1 - ETA * r) * (a + b))
    ok2 = _zero_vec((a1 - b1) - (1 + ETA * r) * (a - b))

    def k_sq(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
        return _dot(x + y, x + y) * _dot(x - y, x - y)

    # the step with the residual replaced by an independent symbol rho (a' = a - eta rho b, ...)
    # satisfies K'^2 = (1 - eta^2 rho^2)^2 K^2 identically; rho = r is the GD step (checked)
    rho = sp.Symbol("rho", real=True)
    a_rho, b_rho = a - ETA * rho * b, b - ETA * rho * a
    ok_sub = _zero_vec(a_rho.subs(rho, r) - a1) and _zero_vec(b_rho.subs(rho, r) - b1)
    ok3, res3 = is_zero(k_sq(a_rho, b_rho) - (1 - ETA**2 * rho**2) ** 2 * k_sq(a, b))
    ok3 = ok3 and ok_sub
    k2 = k_sq(a, b)
    flow = sum(sp.diff(k2, ai) * -gi for ai, gi in zip(a, s["grad_a"], strict=True)) + sum(
        sp.diff(k2, bi) * -gi for bi, gi in zip(b, s["grad_b"], strict=True)
    )
    ok4, res4 = is_zero(flow)
    # d = 1: K^2 = Q^2
    u, v = sp.symbols("u v", real=True)
    ok5, res5 = is_zero((u + v) ** 2 * (u - v) ** 2 - (u**2 - v**2) ** 2)
    detail = (
        f"d={DIM}: (a+b)' = (1-eta r)(a+b) {ok1}; (a-b)' = (1+eta r)(a-b) {ok2}; "
        f"K'^2 - (1-eta^2 rho^2)^2 K^2 = {res3} for a' = a - eta rho b etc. (rho = r) {ok_sub}; "
        f"GF d(K^2)/dt = {res4}; d=1 K^2 - Q^2 = {res5}"
    )
    return ok1 and ok2 and ok3 and ok4 and ok5, detail


@proof(
    paper=PAPER,
    where="depth-2 net, d = 3, Hessian and sharpness at a minimum (derived, brief B.2 / B3)",
    statement="H = [[b b^T, r I + b a^T], [r I + a b^T, a a^T]]; at r = 0 its only nonzero "
    "eigenvalue is lambda = |a|^2 + |b|^2, and lambda^2 = 4 Phi^2 + K^2 when a^T b = Phi",
)
def depth2_min_sharpness() -> tuple[bool, str]:
    """sympy's Hessian of L in (a, b) equals the block form (= J J^T + r [[0, I], [I, 0]] with
    J = (b; a)); at r = 0 (Phi := a^T b) H - J J^T = 0, H J = lambda J and the characteristic
    polynomial is t^5 (t - lambda) (d = 3), so the sharpness is lambda; the identity
    (|a|^2 + |b|^2)^2 - 4 (a^T b)^2 = |a+b|^2 |a-b|^2 holds as polynomials, hence
    lambda^2 = 4 Phi^2 + K^2 at a minimum (also |a+b|^2 - |a-b|^2 = 4 a^T b)."""
    s = _model()
    a, b, m, r = s["a"], s["b"], s["m"], s["r"]
    params = [*a, *b]
    hess = sp.hessian(s["loss"], params)
    eye = sp.eye(DIM)
    block = sp.Matrix(sp.BlockMatrix([[b * b.T, r * eye + b * a.T], [r * eye + a * b.T, a * a.T]]))
    jac = sp.Matrix([*b, *a])
    swap = sp.Matrix(sp.BlockMatrix([[sp.zeros(DIM), eye], [eye, sp.zeros(DIM)]]))
    n = 2 * DIM
    ok1 = (hess - block).applyfunc(sp.expand) == sp.zeros(n, n)
    ok2 = (hess - jac * jac.T - r * swap).applyfunc(sp.expand) == sp.zeros(n, n)
    h_min = hess.subs(PHI, m)
    lam = _dot(a, a) + _dot(b, b)
    ok3 = (h_min - jac * jac.T).applyfunc(sp.expand) == sp.zeros(n, n)
    ok4 = _zero_vec(h_min * jac - lam * jac)
    t = sp.Symbol("t")
    charpoly = (jac * jac.T).charpoly(t).as_expr()
    ok5 = sp.expand(charpoly - t ** (n - 1) * (t - lam)) == 0
    k2 = _dot(a + b, a + b) * _dot(a - b, a - b)
    ok6, res6 = is_zero(lam**2 - 4 * m**2 - k2)
    ok7, res7 = is_zero(_dot(a + b, a + b) - _dot(a - b, a - b) - 4 * m)
    detail = (
        f"d={DIM}: Hessian = block form {ok1} (= J J^T + r[[0,I],[I,0]] {ok2}); at r=0: "
        f"H = J J^T {ok3}, H J = lambda J {ok4}, charpoly = t^{n - 1}(t - lambda) {ok5}; "
        f"lambda^2 - 4(a.b)^2 - |a+b|^2|a-b|^2 = {fmt(res6)}; |a+b|^2 - |a-b|^2 - 4a.b = {res7}"
    )
    return ok1 and ok2 and ok3 and ok4 and ok5 and ok6 and ok7, detail


@proof(
    paper=LEWKOWYCZ,
    where="uv model f = u v, d = 1, target 0: width-1 catapult map (derived, brief B.4)",
    statement="f' = f (1 - eta lambda + eta^2 f^2), lambda' = lambda + eta f^2 (eta lambda - 4), "
    "lambda = u^2 + v^2",
)
def depth2_uv_catapult() -> tuple[bool, str]:
    """GD on (u v)^2 / 2 (gradient by sympy): u' = u - eta f v, v' = v - eta f u; then
    u'v' - f (1 - eta lambda + eta^2 f^2) = 0 and u'^2 + v'^2 - (lambda + eta f^2 (eta lambda - 4))
    = 0, so for f != 0, eta > 0: sign(lambda' - lambda) = sign(eta lambda - 4)."""
    s = _model(dim=1, target=sp.Integer(0))
    u, v = s["a"][0], s["b"][0]
    u1, v1 = s["a1"][0], s["b1"][0]
    f = u * v
    lam = u**2 + v**2
    ok0 = sp.expand(u1 - (u - ETA * f * v)) == 0 and sp.expand(v1 - (v - ETA * f * u)) == 0
    ok1, res1 = is_zero(u1 * v1 - f * (1 - ETA * lam + ETA**2 * f**2))
    ok2, res2 = is_zero(u1**2 + v1**2 - (lam + ETA * f**2 * (ETA * lam - 4)))
    uu, vv = sp.symbols("u v", real=True)
    factored = sp.factor(sp.expand(u1**2 + v1**2 - lam)).subs({u: uu, v: vv})
    detail = (
        f"u' = u - eta f v, v' = v - eta f u: {ok0}; f' residual {res1}; lambda' residual {res2}; "
        f"lambda' - lambda = {factored}"
    )
    return ok0 and ok1 and ok2, detail


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.two_layer_linear.Depth2Linear)",
    statement="Depth2Linear's numpy loss, gradient and Hessian equal the proven loss; one numpy "
    "GD step follows the proven Q', lambda', r' recursions, at random points to 1e-12",
)
def depth2_library_numeric() -> tuple[bool, str]:
    """Depth2Linear(3, Phi) for Phi = 1, -0.7 at 4 random points against the lambdified
    depth2_loss_expr and its sympy derivatives; and after one numpy GD step (eta = 0.4),
    imbalance, norm and residual against (1 - eta^2 r^2) Q, lambda - 4 eta r m + eta^2 r^2
    lambda and r (1 - eta lambda + eta^2 r m) (depth2_gd_recursions)."""
    gen = rng(13)
    out = []
    eta = 0.4
    for phi in (1.0, -0.7):
        net = Depth2Linear(DIM, phi)
        a, b = sp.symbols(f"a0:{DIM}"), sp.symbols(f"b0:{DIM}")
        expr = depth2_loss_expr(a, b, sp.Float(phi, 17))
        pts = [gen.normal(0, 1, 2 * DIM) for _ in range(4)]
        out += model_agrees(f"Phi={phi:g}", net.model, expr, [*a, *b], pts)

        def after(th: np.ndarray, net: Depth2Linear = net) -> np.ndarray:
            t1 = th - eta * net.model.grad(th)
            return np.array([net.imbalance(t1), net.norm(t1), net.residual(t1)])

        def predicted(th: np.ndarray, net: Depth2Linear = net) -> np.ndarray:
            q, lam, r = net.imbalance(th), net.norm(th), net.residual(th)
            m = r + net.Phi
            return np.array(
                [
                    (1 - eta**2 * r**2) * q,
                    lam - 4 * eta * r * m + eta**2 * r**2 * lam,
                    r * (1 - eta * lam + eta**2 * r * m),
                ]
            )

        out.append(agree(f"GD step recursions Phi={phi:g}", after, predicted, pts))
    return combine(out)
