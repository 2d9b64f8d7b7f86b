"""Exact per-sample reduction of quadratic regression with orthonormal data.

Chen, Balasubramanian, Ghosal, Agrawalla, "From Stability to Chaos: Analyzing Gradient Descent
Dynamics in Quadratic Regression" (arXiv 2310.01687, TMLR 2024), models (i) generalized phase
retrieval f(x; u) = (x^T u)^2 and (ii) a two-layer network with quadratic activation
f(x; U) = (1/m) sum_j (u_j^T x)^2. With loss (1/(2n)) sum_i (f(x_i) - y_i)^2 and orthonormal x_i,
one GD step acts on p_i = U^T x_i by a scalar factor, and z_i = f(x_i)/y_i follows the cubic map
F_a(z) = z(1 + a(1 - z))^2 with a = eta lambda*/2 (research brief §1.1).

The data vectors have generic symbolic components; orthonormality enters only as polynomial
relations (|x|^2 = 1, x_i . x_j = 0), and identities are proved by Groebner-basis reduction of
the residual's numerator modulo those relations (ideal membership).

Nothing is retyped: the loss is the library's
:func:`toymodels.models.quadratic_regression.quadratic_regression_loss_expr` (the function
``QuadraticRegression.symbolic`` builds with) and F_a its ``CUBIC_MAP_EXPR``;
:func:`chen_library_numeric` checks the numpy model and its per-sample reduction against them.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.quadratic_regression import (
    QuadraticRegression,
    cubic_map_family,
    orthonormal_data,
    quadratic_regression_loss_expr,
)

from ._exact import is_zero, reduce_modulo
from ._numeric import agree, combine, model_agrees, rng
from .cubic_map import F as _library_cubic
from .registry import proof

PAPER = "Chen, Balasubramanian, Ghosal, Agrawalla 2023"
DIM = 3


def _vec(name: str) -> sp.Matrix:
    return sp.Matrix(sp.symbols(f"{name}0:{DIM}", real=True))


def _dot(x: sp.Matrix, y: sp.Matrix) -> sp.Expr:
    return (x.T * y)[0, 0]


def _grad(expr: sp.Expr, params: sp.Matrix) -> sp.Matrix:
    return sp.Matrix([sp.diff(expr, c) for c in params])


def _cubic(zz: sp.Expr, a: sp.Expr) -> sp.Expr:
    """The library's F_a (``CUBIC_MAP_EXPR``) at zz."""
    return _library_cubic(zz, a)


def _loss(rows: list[sp.Matrix], ys: list[sp.Expr], U: sp.Matrix, c: sp.Expr, n: sp.Expr):
    """The library's quadratic-regression loss (1/(2n)) sum_i (c |U^T x_i|^2 - y_i)^2."""
    return quadratic_regression_loss_expr(rows, ys, U, c, n)


@proof(
    paper=PAPER,
    where="model (i) reduction (brief §1.1)",
    statement="f = (x^T u)^2, loss (p^2 - y)^2/(2n): p' = p(1 - (2 eta/n)(p^2 - y)), "
    "z = p^2/y follows F_a with a = 2 eta y/n",
)
def chen_model_a_reduction() -> tuple[bool, str]:
    """u' = u - eta grad L with L = (1/(2n))((x^T u)^2 - y)^2 and |x| = 1 (gradient by sympy):
    p' = x^T u' = p (1 - (2 eta / n)(p^2 - y)), and z = p^2 / y gives z' = F_a(z) with
    a = 2 eta y / n. With two orthonormal samples x1, x2 the projections evolve independently:
    p_i' = p_i (1 - (2 eta/n)(p_i^2 - y_i))."""
    eta, n, y, y2 = sp.symbols("eta n y y2", positive=True)
    uu, x, x2 = _vec("u"), _vec("x"), _vec("w")
    unit = [_dot(x, x) - 1]
    p = _dot(x, uu)
    loss = _loss([x], [y], uu, 1, n)
    u1 = uu - eta * _grad(loss, uu)
    p1 = _dot(x, u1)
    ok1, r1 = reduce_modulo(p1 - p * (1 - 2 * eta / n * (p**2 - y)), unit, list(x))
    a = 2 * eta * y / n  # = eta lambda*/2 with lambda* = 4y/n (chen_model_a_sharpness)
    ok2, r2 = reduce_modulo(p1**2 / y - _cubic(p**2 / y, a), unit, list(x))
    # without the constraint the identity must fail (the relation is really used)
    used = not is_zero(p1 - p * (1 - 2 * eta / n * (p**2 - y)))[0]
    # two orthonormal samples
    ortho = [_dot(x, x) - 1, _dot(x2, x2) - 1, _dot(x, x2)]
    q = _dot(x2, uu)
    loss2 = _loss([x, x2], [y, y2], uu, 1, n)
    u2 = uu - eta * _grad(loss2, uu)
    gens = [*x, *x2]
    ok3, r3 = reduce_modulo(_dot(x, u2) - p * (1 - 2 * eta / n * (p**2 - y)), ortho, gens)
    ok4, r4 = reduce_modulo(_dot(x2, u2) - q * (1 - 2 * eta / n * (q**2 - y2)), ortho, gens)
    ok = ok1 and ok2 and ok3 and ok4 and used
    detail = (
        f"mod |x|^2 = 1: p' residual {r1}, z' - F_a(z) residual {r2} "
        f"(nonzero without the relation: {used}); two orthonormal samples: "
        f"p1' residual {r3}, p2' residual {r4}"
    )
    return ok, detail


@proof(
    paper=PAPER,
    where="model (i) sharpness at interpolants (brief §1.1)",
    statement="at any interpolant p^2 = y the Hessian is (4y/n) x x^T: top eigenvalue "
    "lambda* = 4y/n along x, so a = 2 eta y/n = eta lambda*/2",
)
def chen_model_a_sharpness() -> tuple[bool, str]:
    """H = (1/n)[(2p x)(2p x)^T + 2(p^2 - y) x x^T] (Hessian by sympy); at p^2 = y,
    H = (4y/n) x x^T exactly, so with |x| = 1: H x = (4y/n) x and the other eigenvalues are 0;
    lambda* = 4y/n and eta lambda*/2 = 2 eta y/n = a."""
    n, y = sp.symbols("n y", positive=True)
    uu, x = _vec("u"), _vec("x")
    p = _dot(x, uu)
    loss = _loss([x], [y], uu, 1, n)
    hess = sp.hessian(loss, list(uu))
    h_formula = (2 * p * x) * (2 * p * x).T / n + 2 * (p**2 - y) * x * x.T / n
    ok1 = all(is_zero(v)[0] for v in hess - h_formula)
    lam_star = 4 * y / n
    # on the interpolation set eliminate y = p^2 (y > 0 is a free parameter)
    ok2 = all(is_zero(v)[0] for v in (hess - lam_star * x * x.T).subs(y, p**2))
    hx = (hess * x).subs(y, p**2) - lam_star.subs(y, p**2) * x
    ok3 = all(reduce_modulo(v, [_dot(x, x) - 1], list(x))[0] for v in hx)
    ok = ok1 and ok2 and ok3
    detail = (
        f"H = (1/n)[4p^2 xx^T + 2(p^2-y) xx^T]: {ok1}; H|_(p^2=y) = (4y/n) x x^T: {ok2} "
        f"(spectrum {{4y/n, 0, 0}}); H x = (4y/n) x mod |x| = 1: {ok3}; "
        "hence a = eta lambda*/2 = 2 eta y/n"
    )
    return ok, detail


@proof(
    paper=PAPER,
    where="model (ii) reduction (brief §1.1)",
    statement="f = (1/m) sum_j (u_j^T x)^2: p_j' = s p_j, s = 1 - (2 eta/(m n))(f - y), "
    "z' = F_a(z), a = 2 eta y/(m n) = eta lambda*/2, lambda* = 4y/(m n)",
)
def chen_model_b_reduction() -> tuple[bool, str]:
    """Model B with m = 2 hidden units, |x| = 1: p_j = u_j^T x, f = |p|^2/m; GD gives
    p_j' = s p_j with s = 1 - (2 eta/(m n))(f - y); z = f/y follows F_a with a = 2 eta y/(m n);
    the Hessian is (1/n) grad f grad f^T + ((f - y)/n) Hess f and |grad f|^2 = 4 f/m, so at an
    interpolant the top eigenvalue is lambda* = 4y/(m n) and a = eta lambda*/2."""
    m = 2
    eta, n, y = sp.symbols("eta n y", positive=True)
    x = _vec("x")
    cols = [_vec(f"u{j}_") for j in range(m)]
    params = sp.Matrix([c for col in cols for c in col])
    unit = [_dot(x, x) - 1]
    ps = [_dot(x, col) for col in cols]
    f = sum(pj**2 for pj in ps) / m
    loss = _loss([x], [y], sp.Matrix.hstack(*cols), sp.Rational(1, m), n)
    new_cols = [col - eta * _grad(loss, col) for col in cols]
    ps1 = [_dot(x, col) for col in new_cols]
    scale = 1 - 2 * eta / (m * n) * (f - y)
    res1 = [reduce_modulo(p1 - scale * p0, unit, list(x)) for p1, p0 in zip(ps1, ps, strict=True)]
    ok1 = all(r[0] for r in res1)
    # hence f' = sum_j (s p_j)^2/m = s^2 f; with f as a free symbol, s^2 f / y = F_a(f / y)
    a = 2 * eta * y / (m * n)
    fs = sp.Symbol("f", positive=True)
    ok2, r2 = is_zero((scale**2 * f).subs(f, fs) / y - _cubic(fs / y, a))
    gf = _grad(f, params)
    ok3, r3 = reduce_modulo(_dot(gf, gf) - 4 * f / m, unit, list(x))
    hess = sp.hessian(loss, list(params))
    ok4 = all(
        is_zero(v)[0] for v in hess - (gf * gf.T / n + (f - y) / n * sp.hessian(f, list(params)))
    )
    # at f = y the Hessian is the rank-one (1/n) gf gf^T, whose nonzero eigenvalue is
    # |gf|^2/n = 4f/(mn) = 4y/(mn) (eigenvector gf)
    # check directly: at an interpolant (y = f) the Hessian maps grad f to (4y/(mn)) grad f
    lam_star = 4 * y / (m * n)
    h_gf = (hess * gf - lam_star * gf).subs(y, f)
    ok5 = all(reduce_modulo(v, unit, list(x))[0] for v in h_gf)
    ok5 = ok5 and is_zero(eta * lam_star / 2 - a)[0]  # a = 2 eta y/(mn) is eta lambda*/2
    ok = ok1 and ok2 and ok3 and ok4 and ok5
    detail = (
        f"mod |x|^2 = 1: p_j' - s p_j residuals {[r[1] for r in res1]}; z' - F_a(z) residual "
        f"{r2}; |grad f|^2 - 4f/m = {r3}; Hessian = (1/n) gf gf^T + (f-y)/n Hess f: {ok4}; "
        f"H grad f = (4y/(mn)) grad f at f = y (so lambda* = 4y/(mn), a = eta lambda*/2): {ok5}"
    )
    return ok, detail


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.quadratic_regression)",
    statement="QuadraticRegression's numpy loss, gradient and Hessian equal the proven loss; one "
    "library GD step maps every z_i = f_i/y_i by the library's F_{a_i}, a_i = eta lambda_i*/2",
)
def chen_library_numeric() -> tuple[bool, str]:
    """Model A (m = 1, c = 1) and model B (m = 2, c = 1/2) on orthonormal data (n = 2, d = 3,
    labels 0.7, 1.3): loss, gradient and Hessian of the numpy model at 4 random points against
    the lambdified quadratic_regression_loss_expr (its sympy derivatives); and
    z(theta - eta grad L(theta)) against cubic_map_family()(a(eta))(z(theta)) (per sample,
    eta = 0.9), the reduction proven in chen_model_a_reduction / chen_model_b_reduction."""
    gen = rng(3)
    out = []
    eta = 0.9
    fam = cubic_map_family()
    for m, c in ((1, 1.0), (2, 0.5)):
        X, y = orthonormal_data(2, 3, seed=1), np.array([0.7, 1.3])
        qr = QuadraticRegression(X, y, m, c)
        U = sp.Matrix(3, m, lambda i, j: sp.Symbol(f"U_{i}_{j}"))
        rows = [sp.Matrix([sp.Float(v, 17) for v in X[i]]) for i in range(2)]
        expr = _loss(rows, [sp.Float(v, 17) for v in y], U, sp.Float(c, 17), 2)
        pts = [gen.normal(0, 0.8, 3 * m) for _ in range(4)]
        out += model_agrees(f"model m={m}", qr.model, expr, list(U), pts)

        def stepped(th: np.ndarray, qr: QuadraticRegression = qr) -> np.ndarray:
            return qr.z(th - eta * qr.model.grad(th))

        def mapped(th: np.ndarray, qr: QuadraticRegression = qr) -> np.ndarray:
            z, a = qr.z(th), qr.a(eta)
            return np.array([fam(a[i])(np.array([z[i]]))[0] for i in range(len(z))])

        out.append(agree(f"GD step z' = F_a(z), m={m}", stepped, mapped, pts))
    return combine(out)
