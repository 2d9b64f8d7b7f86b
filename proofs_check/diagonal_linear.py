"""Exact checks for diagonal linear networks beta = u (.) v with the square loss.

Even, Pesme, Gunasekar, Flammarion, "(S)GD over Diagonal Linear Networks: Implicit
Regularisation, Large Stepsizes and Edge of Stability" (NeurIPS 2023, arXiv 2302.08982).

Only the abstract of the paper could be read (research brief linear_models.md §C), so every
statement below is a closed form *derived* in the brief (§C.1, claims C1, C2, C7 of §F); the
``where`` fields say so and none quotes a theorem number. Model: L(beta) = |X beta - y|^2 / (2n),
beta = u (.) v, init u0 = sqrt(2) alpha, v0 = 0, g = grad_beta L. Gradients and Hessians are
obtained by differentiating L with sympy, with an explicit small design X (n = 2, d = 3, symbolic
entries); identities that hold coordinatewise for *any* gradient value use a generic symbol g
(resp. x = gamma g) per coordinate and step.

The loss is the library's :func:`toymodels.models.diagonal_linear.diagonal_linear_loss_expr`
(what ``DiagonalLinear.symbolic`` compiles) and the closed form of beta_k its sympy twin
:func:`~toymodels.models.diagonal_linear.closed_form_expr` of the numpy
``DiagonalLinear.closed_form``; :func:`diag_library_numeric` checks the numpy model and closed
form against them.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.diagonal_linear import (
    DiagonalLinear,
    closed_form_expr,
    diagonal_linear_loss_expr,
)

from ._exact import fmt, is_zero, reduce_sqrt
from ._numeric import agree, combine, lambdify, model_agrees, rng
from .registry import proof

PAPER = "Even, Pesme, Gunasekar, Flammarion 2023 (NeurIPS)"

N_SAMPLES, DIM = 2, 3
GAM, ALPHA = sp.Symbol("gamma", real=True), sp.Symbol("alpha", positive=True)


def _model() -> dict[str, object]:
    """Symbols, loss, gradients (by sympy) and one GD step for n = 2, d = 3."""
    x = sp.Matrix(N_SAMPLES, DIM, lambda i, j: sp.Symbol(f"x{i + 1}{j + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{N_SAMPLES + 1}", real=True))
    u = sp.Matrix(sp.symbols(f"u1:{DIM + 1}", real=True))
    v = sp.Matrix(sp.symbols(f"v1:{DIM + 1}", real=True))
    b = sp.Matrix(sp.symbols(f"b1:{DIM + 1}", real=True))  # beta as free symbols

    beta = u.multiply_elementwise(v)
    sub = dict(zip(b, beta, strict=True))
    # the library's loss; as a function of beta alone: u = beta, v = 1
    loss_beta = diagonal_linear_loss_expr(x, list(y), list(b), [1] * DIM)
    g = sp.Matrix([sp.diff(loss_beta, bi) for bi in b]).subs(sub)  # grad_beta L at beta = u v
    loss = diagonal_linear_loss_expr(x, list(y), list(u), list(v))
    grad_u = sp.Matrix([sp.diff(loss, ui) for ui in u])
    grad_v = sp.Matrix([sp.diff(loss, vi) for vi in v])
    return {
        "x": x,
        "y": y,
        "u": u,
        "v": v,
        "beta": beta,
        "loss": loss,
        "g": g,
        "grad_u": grad_u,
        "grad_v": grad_v,
        "u1": u - GAM * grad_u,
        "v1": v - GAM * grad_v,
    }


def _zero_vec(vec: sp.Matrix) -> bool:
    return all(sp.expand(e) == 0 for e in vec)


def _drop_abs(expr: sp.Expr) -> sp.Expr:
    """|e| -> sign(e(0)) e for every |.| in ``expr`` (e(0): all symbols set to 0).

    Valid on the box |x_j| < 1 for the closed form: sympy writes |1 - x^2| and |(1+x)/(1-x)| as
    |x^2 - 1|, |x + 1|/|x - 1|, whose arguments are polynomials without zeros in the open box,
    so each keeps the sign it has at x = 0 there (checked: the sign at 0 must be nonzero).
    """

    def unsign(arg: sp.Expr) -> sp.Expr:
        at0 = arg.subs(dict.fromkeys(arg.free_symbols - {ALPHA}, 0))
        if at0 == 0 or not at0.is_real:
            raise ValueError(f"cannot fix the sign of |{arg}| on the box |x_j| < 1")
        return arg if at0 > 0 else -arg

    return expr.replace(sp.Abs, unsign)


def _iterate(xs: list[sp.Symbol]) -> tuple[sp.Expr, sp.Expr]:
    """Coordinate (u_k, v_k) after the steps u' = u - x v, v' = v - x u from (sqrt2 alpha, 0)."""
    u, v = sp.sqrt(2) * ALPHA, sp.Integer(0)
    for xj in xs:
        u, v = u - xj * v, v - xj * u
    return sp.expand(u), sp.expand(v)


@proof(
    paper=PAPER,
    where="diagonal net beta = u (.) v, n = 2, d = 3, one GD step (derived, brief C.1)",
    statement="grad_u L = g (.) v, grad_v L = g (.) u with g = grad_beta L; hence "
    "(u+v)' = (1 - gamma g)(.)(u+v) and (u-v)' = (1 + gamma g)(.)(u-v) coordinatewise",
)
def diag_gd_step() -> tuple[bool, str]:
    """With explicit X (2 x 3, symbolic entries), y, u, v: sympy's dL/du_i - g_i v_i and
    dL/dv_i - g_i u_i expand to 0 (g = dL/dbeta at beta = u v, also by sympy); the GD step
    u' = u - gamma dL/du, v' = v - gamma dL/dv satisfies (u'+v')_i - (1 - gamma g_i)(u+v)_i = 0 and
    (u'-v')_i - (1 + gamma g_i)(u-v)_i = 0. The same holds coordinatewise for a generic symbol g
    (u' = u - gamma g v, v' = v - gamma g u), i.e. for any gradient value."""
    s = _model()
    u, v, g = s["u"], s["v"], s["g"]
    ok_grad = _zero_vec(s["grad_u"] - g.multiply_elementwise(v)) and _zero_vec(
        s["grad_v"] - g.multiply_elementwise(u)
    )
    u1, v1 = s["u1"], s["v1"]
    one = sp.ones(DIM, 1)
    ok_plus = _zero_vec((u1 + v1) - (one - GAM * g).multiply_elementwise(u + v))
    ok_minus = _zero_vec((u1 - v1) - (one + GAM * g).multiply_elementwise(u - v))
    gg, uu, vv = sp.symbols("g u v", real=True)
    un, vn = uu - GAM * gg * vv, vv - GAM * gg * uu
    ok_c1, r1 = is_zero(un + vn - (1 - GAM * gg) * (uu + vv))
    ok_c2, r2 = is_zero(un - vn - (1 + GAM * gg) * (uu - vv))
    detail = (
        f"n={N_SAMPLES}, d={DIM}: grad_u = g v, grad_v = g u {ok_grad}; (u+v)' factor {ok_plus}; "
        f"(u-v)' factor {ok_minus}; generic g: residuals {r1}, {r2}"
    )
    return ok_grad and ok_plus and ok_minus and ok_c1 and ok_c2, detail


@proof(
    paper=PAPER,
    where="diagonal net, closed form of beta_k from u0 = sqrt2 alpha, v0 = 0 "
    "(derived, brief C.1 / claim C1)",
    statement="beta_k = -alpha^2 prod_j |1 - x_j^2| sinh(sum_j log|(1+x_j)/(1-x_j)|), "
    "x_j = gamma g_j "
    "(= -alpha_k^2 sinh(2 sum_j artanh x_j) while |x_j| < 1)",
)
def diag_closed_form() -> tuple[bool, str]:
    """(a) For A, B > 0: (A^2 - B^2)/2 + A B sinh(log(B/A)) = 0 (sinh rewritten through exp).
    (b) Representation, by induction: u + v = sqrt2 alpha P, u - v = sqrt2 alpha Q with
    P = prod_j (1 - x_j), Q = prod_j (1 + x_j): true at k = 0 (P = Q = 1); one step
    u' = u - x v, v' = v - x u (brief C.1 step, generic x) gives u'+v' = sqrt2 alpha (1-x) P,
    u'-v' = sqrt2 alpha (1+x) Q (residuals 0 for symbolic P, Q, x), and
    beta = u v = ((u+v)^2 - (u-v)^2)/4 = alpha^2 (P^2 - Q^2)/2.
    (c) Phase form of the step: for positive P, Q, p = 1 - x, q = 1 + x (|x| < 1) and
    Phi = log(Q/P), alpha_k^2 = alpha^2 P Q: beta = -alpha_k^2 sinh(Phi), and after the step
    beta' = -alpha_k^2 p q sinh(Phi + log(q/p)) (residual 0).
    (d) k = 1, 2, 3 with symbolic x_j, iterating the step from (sqrt2 alpha, 0):
    u_k v_k + alpha^2 prod(1 - x_j^2) sinh(sum log((1+x_j)/(1-x_j))) = 0 as a rational function
    (exp(log r) = r), which is the claim for |x_j| < 1 (all factors positive, |.| dropped).
    Signs: for any real x_j != +-1, P^2 = |P|^2, Q^2 = |Q|^2, |P||Q| = prod|1 - x_j^2| and
    |Q|/|P| = prod|(1+x_j)/(1-x_j)|, so (a) with A = |P|, B = |Q| gives the |.| form."""
    big_a, big_b = sp.symbols("A B", positive=True)
    res_a = sp.sinh(sp.log(big_b / big_a)).rewrite(sp.exp)
    ok_a, r_a = is_zero((big_a**2 - big_b**2) / 2 + big_a * big_b * res_a)
    # (b) induction step of the representation
    pp, qq, x = sp.Symbol("P", real=True), sp.Symbol("Q", real=True), sp.Symbol("x", real=True)
    root2 = sp.sqrt(2)
    u = ALPHA * (pp + qq) / root2
    v = ALPHA * (pp - qq) / root2
    ok_rep0 = is_zero(u + v - root2 * ALPHA * pp)[0] and is_zero(u - v - root2 * ALPHA * qq)[0]
    u1, v1 = u - x * v, v - x * u
    ok_b1, r_b1 = is_zero(u1 + v1 - root2 * ALPHA * (1 - x) * pp)
    ok_b2, r_b2 = is_zero(u1 - v1 - root2 * ALPHA * (1 + x) * qq)
    ok_b3, r_b3 = is_zero(u1 * v1 - ALPHA**2 * ((1 - x) ** 2 * pp**2 - (1 + x) ** 2 * qq**2) / 2)
    ok_b = ok_rep0 and ok_b1 and ok_b2 and ok_b3
    # (c) phase form before and after one step (positive P, Q, p = 1 - x, q = 1 + x)
    pos_p, pos_q, sp_, sq_ = sp.symbols("P Q p q", positive=True)
    beta_pq = ALPHA**2 * (pos_p**2 - pos_q**2) / 2
    phase = sp.log(pos_q / pos_p)
    ok_c0, r_c0 = is_zero(beta_pq + ALPHA**2 * pos_p * pos_q * sp.sinh(phase).rewrite(sp.exp))
    beta_next = ALPHA**2 * ((sp_ * pos_p) ** 2 - (sq_ * pos_q) ** 2) / 2
    phase_next = sp.expand_log(phase + sp.log(sq_ / sp_), force=False)
    ok_c1, r_c1 = is_zero(
        beta_next + ALPHA**2 * pos_p * pos_q * sp_ * sq_ * sp.sinh(phase_next).rewrite(sp.exp)
    )
    # (d) explicit iterates k = 1, 2, 3
    parts, ok_d = [], True
    for k in (1, 2, 3):
        xs = list(sp.symbols(f"x1:{k + 1}", real=True))
        uk, vk = _iterate(xs)
        # the library's closed form (sympy twin of DiagonalLinear.closed_form); for |x_j| < 1
        # the arguments of |.| keep their sign at x = 0, so |.| is resolved (_drop_abs)
        beta_lib, a2_lib = (_drop_abs(e) for e in closed_form_expr(xs, ALPHA))
        closed = beta_lib.rewrite(sp.exp)
        alpha_k2 = ALPHA**2 * sp.Mul(*[1 - xj**2 for xj in xs])
        ok_k, r_k = is_zero(uk * vk - closed)
        ok_k = ok_k and is_zero(a2_lib - alpha_k2)[0]
        ok_rep = (
            is_zero(uk + vk - root2 * ALPHA * sp.Mul(*[1 - xj for xj in xs]))[0]
            and is_zero(uk - vk - root2 * ALPHA * sp.Mul(*[1 + xj for xj in xs]))[0]
        )
        ok_d = ok_d and ok_k and ok_rep
        parts.append(f"k={k}: u+v, u-v products {ok_rep}, beta_k residual {fmt(r_k, 40)}")
    detail = (
        f"(a) (A^2-B^2)/2 + AB sinh(log(B/A)) = {r_a}; (b) induction step residuals "
        f"{r_b1}, {r_b2}, {r_b3} (k=0 {ok_rep0}); (c) phase form residuals {r_c0}, {r_c1}; "
        f"(d) " + "; ".join(parts)
    )
    return ok_a and ok_b and ok_c0 and ok_c1 and ok_d, detail


@proof(
    paper=PAPER,
    where="diagonal net, invariants along GD (derived, brief C.1 / claim C2)",
    statement="u_k^2 - v_k^2 = 2 alpha_k^2 with alpha_k^2 = alpha^2 prod_j (1 - x_j^2), and "
    "u^2 + v^2 = 2 sqrt(beta^2 + alpha_k^4) since (u^2+v^2)^2 - (2uv)^2 = (u^2-v^2)^2",
)
def diag_invariants() -> tuple[bool, str]:
    """Generic one step u' = u - x v, v' = v - x u: u'^2 - v'^2 - (1 - x^2)(u^2 - v^2) = 0, and
    (u^2+v^2)^2 - (2uv)^2 - (u^2-v^2)^2 = 0 for all real u, v. From (sqrt2 alpha, 0) after
    k = 1, 2, 3 steps (symbolic x_j): u_k^2 - v_k^2 - 2 alpha^2 prod(1 - x_j^2) = 0 and
    (u_k^2 + v_k^2)^2 - 4 (beta_k^2 + alpha_k^4) = 0; since u^2 + v^2 >= 0 this is
    u^2 + v^2 = 2 sqrt(beta^2 + alpha_k^4). (alpha_k^2 = alpha^2 prod|1 - x_j^2| = alpha^2
    exp(-Gain_k) equals alpha^2 prod(1 - x_j^2) when the product is positive, e.g. |x_j| < 1;
    only alpha_k^4 enters the second invariant, so that one holds for every x_j.)"""
    u, v, x = sp.symbols("u v x", real=True)
    ok1, r1 = is_zero((u - x * v) ** 2 - (v - x * u) ** 2 - (1 - x**2) * (u**2 - v**2))
    ok2, r2 = is_zero((u**2 + v**2) ** 2 - (2 * u * v) ** 2 - (u**2 - v**2) ** 2)
    ok3, parts = True, []
    for k in (1, 2, 3):
        xs = list(sp.symbols(f"x1:{k + 1}", real=True))
        uk, vk = _iterate(xs)
        alpha_k2 = ALPHA**2 * sp.Mul(*[1 - xj**2 for xj in xs])
        ok_q, rq = is_zero(uk**2 - vk**2 - 2 * alpha_k2)
        ok_s, rs = is_zero((uk**2 + vk**2) ** 2 - 4 * ((uk * vk) ** 2 + alpha_k2**2))
        ok3 = ok3 and ok_q and ok_s
        parts.append(f"k={k}: {rq}, {rs}")
    detail = (
        f"one step u'^2-v'^2 - (1-x^2)(u^2-v^2) = {r1}; (u^2+v^2)^2 - 4u^2v^2 - (u^2-v^2)^2 = "
        f"{r2}; from init, residuals of u^2-v^2 = 2 alpha_k^2 and (u^2+v^2)^2 = "
        f"4(beta^2+alpha_k^4): " + "; ".join(parts)
    )
    return ok1 and ok2 and ok3, detail


@proof(
    paper=PAPER,
    where="diagonal net, monotone Gain (derived, brief C.1 / claim C7)",
    statement="q(x) = -log|1 - x^2| >= 0 iff |x| <= sqrt2 (x != +-1); so "
    "Gain_k = sum_j q(gamma g_j) "
    "is coordinatewise non-decreasing while |gamma g_j| <= sqrt2, and alpha^2 exp(-Gain_k) = "
    "alpha^2 prod_j |1 - x_j^2|",
)
def diag_gain_monotone() -> tuple[bool, str]:
    """q(x) >= 0 <=> log|1 - x^2| <= 0 <=> |1 - x^2| <= 1 (log increasing on (0, inf)); sympy's
    solveset of |1 - x^2| <= 1 over the reals is [-sqrt2, sqrt2], and of |1 - x^2| = 0 is
    {-1, 1} (where q = +inf, excluded). q(0) = q(+-sqrt2) = 0. The brief's logged form
    -1/2 log((1 - x^2)^2) equals q for real x (1/2 log(m^2) = log m for m = |1 - x^2| > 0).
    Gain_{k+1} - Gain_k = q(gamma g_k) >= 0 under the condition. exp(-Gain_k) with
    m_j = |1 - x_j^2| > 0 (symbols): exp(sum log m_j) - prod m_j = 0."""
    x = sp.Symbol("x", real=True)
    sol = sp.solveset(sp.Abs(1 - x**2) <= 1, x, sp.S.Reals)
    ok1 = sol == sp.Interval(-sp.sqrt(2), sp.sqrt(2))
    poles = sp.solveset(sp.Abs(1 - x**2), x, sp.S.Reals)
    ok2 = poles == sp.FiniteSet(-1, 1)
    q = -sp.log(sp.Abs(1 - x**2))
    zeros = [q.subs(x, val) for val in (0, sp.sqrt(2), -sp.sqrt(2))]
    ok3 = all(zv == 0 for zv in zeros)
    m = sp.Symbol("m", positive=True)
    ok4 = sp.expand_log(sp.log(m**2) / 2) - sp.log(m) == 0
    ms = sp.symbols("m1:4", positive=True)
    gain = sum(-sp.log(mj) for mj in ms)
    ok5, r5 = is_zero(sp.exp(-gain) - sp.Mul(*ms))
    # strict version: q > 0 on (-sqrt2, sqrt2) \ {0} (q = +inf at x = +-1, where 1 - x^2 = 0)
    strict = sp.solveset(sp.Abs(1 - x**2) < 1, x, sp.S.Reals)
    ok6 = strict == sp.Union(sp.Interval.open(-sp.sqrt(2), 0), sp.Interval.open(0, sp.sqrt(2)))
    detail = (
        f"{{x: |1-x^2| <= 1}} = {sol}; {{|1-x^2| = 0}} = {poles}; q(0), q(+-sqrt2) = {zeros}; "
        f"{{|1-x^2| < 1}} = {strict}; log(m^2)/2 = log m {ok4}; exp(-Gain) - prod m_j = {r5}"
    )
    return ok1 and ok2 and ok3 and ok4 and ok5 and ok6, detail


def _canon_radicals(expr: sp.Expr) -> sp.Expr:
    """Put the base of every half-integer power in factored form, so that positive factors
    (e.g. alpha**-4 in sqrt(1 + b^2/alpha^4)) are pulled out of the radical by sympy."""
    return expr.replace(
        lambda e: e.is_Pow and e.exp.is_Rational and e.exp.q == 2,
        lambda e: sp.Pow(sp.factor(sp.together(e.base)), e.exp),
    )


@proof(
    paper=PAPER,
    where="diagonal net, hypentropy implicit bias (derived, brief C.1 / claim C3 potential)",
    statement="psi(beta) = sum_i beta_i asinh(beta_i/alpha_i^2) - sqrt(beta_i^2 + alpha_i^4): "
    "grad psi = asinh(beta/alpha^2), Hess psi = diag(1/sqrt(beta^2 + alpha^4)) > 0, so "
    "argmin_{X beta = y} psi is characterised by asinh(beta/alpha^2) = X^T lambda, i.e. "
    "beta = alpha^2 (.) sinh(X^T lambda)",
)
def diag_hypentropy() -> tuple[bool, str]:
    """d = 3, alpha_i > 0, beta_i real symbols; sympy's gradient and Hessian of psi, radicals
    replaced by R_i = sqrt(beta_i^2 + alpha_i^4) and reduced modulo R_i^2 - (beta_i^2 +
    alpha_i^4): d psi/d beta_i - asinh(beta_i/alpha_i^2) = 0, Hess_ii - 1/R_i = 0, Hess_ij = 0
    (i != j); 1/R_i is positive, so psi is strictly convex and, the constraint being affine, the
    Lagrange condition grad psi(beta) = X^T lambda (sympy gradient of psi - lambda^T(X beta - y),
    X 2 x 3 symbolic) is necessary and sufficient and the minimiser is unique. Solving it:
    sinh(asinh(z)) = z gives beta = alpha^2 sinh(X^T lambda); conversely at
    beta = alpha^2 sinh(w), sinh(d psi/d beta_i) - sinh(w_i) = 0 and sinh is injective
    (sinh' = cosh > 0)."""
    beta = sp.symbols(f"beta1:{DIM + 1}", real=True)
    alphas = sp.symbols(f"alpha1:{DIM + 1}", positive=True)
    rads = sp.symbols(f"R1:{DIM + 1}", positive=True)
    psi = sum(
        bi * sp.asinh(bi / ai**2) - sp.sqrt(bi**2 + ai**4)
        for bi, ai in zip(beta, alphas, strict=True)
    )
    radical = {sp.sqrt(bi**2 + ai**4): ri for bi, ai, ri in zip(beta, alphas, rads, strict=True)}

    def clean(expr: sp.Expr, i: int) -> sp.Expr:
        e = _canon_radicals(expr).subs(radical)
        return reduce_sqrt(e, rads[i], beta[i] ** 2 + alphas[i] ** 4)

    grad = [sp.diff(psi, bi) for bi in beta]
    res_grad = [
        clean(gi - sp.asinh(bi / ai**2), i)
        for i, (gi, bi, ai) in enumerate(zip(grad, beta, alphas, strict=True))
    ]
    hess = sp.hessian(psi, beta)
    res_hess = []
    for i in range(DIM):
        for j in range(DIM):
            target = 1 / rads[i] if i == j else 0
            res_hess.append(clean(hess[i, j] - target, i))
    ok_grad = all(r == 0 for r in res_grad)
    ok_hess = all(r == 0 for r in res_hess)
    ok_pos = all((1 / ri).is_positive for ri in rads)
    # Lagrange condition with an explicit X (n = 2, d = 3)
    x = sp.Matrix(N_SAMPLES, DIM, lambda i, j: sp.Symbol(f"x{i + 1}{j + 1}", real=True))
    y = sp.Matrix(sp.symbols(f"y1:{N_SAMPLES + 1}", real=True))
    lam = sp.Matrix(sp.symbols(f"lambda1:{N_SAMPLES + 1}", real=True))
    bvec = sp.Matrix(beta)
    lagr = psi - (lam.T * (x * bvec - y))[0, 0]
    stat = [sp.diff(lagr, bi) for bi in beta]
    w = x.T * lam
    ok_stat = all(
        clean(stat[i] - (grad[i] - w[i]), i) == 0 for i in range(DIM)
    )  # stationarity <=> grad psi = X^T lambda
    # solve: sinh(asinh(beta/alpha^2)) = beta/alpha^2, so beta_i = alpha_i^2 sinh(w_i)
    ok_solve = all(
        sp.expand(alphas[i] ** 2 * sp.sinh(sp.asinh(beta[i] / alphas[i] ** 2)) - beta[i]) == 0
        for i in range(DIM)
    )
    # converse: at beta = alpha^2 sinh(w), sinh(grad psi_i) = sinh(w_i)
    ok_conv = all(
        sp.expand(
            sp.sinh(sp.asinh(beta[i] / alphas[i] ** 2)).subs(
                beta[i], alphas[i] ** 2 * sp.sinh(w[i])
            )
            - sp.sinh(w[i])
        )
        == 0
        for i in range(DIM)
    )
    ok_inj = (sp.diff(sp.sinh(x[0, 0]), x[0, 0]) - sp.cosh(x[0, 0])) == 0 and sp.cosh(
        x[0, 0]
    ).is_positive
    detail = (
        f"d={DIM}: grad psi - asinh(beta/alpha^2) residuals {res_grad}; Hessian - "
        f"diag(1/R) residuals all 0 {ok_hess}; 1/R_i > 0 {ok_pos}; Lagrange stationarity = "
        f"grad psi - X^T lambda {ok_stat}; beta = alpha^2 sinh(X^T lambda) solves it {ok_solve}, "
        f"converse {ok_conv}, sinh injective (cosh > 0) {ok_inj}"
    )
    return ok_grad and ok_hess and ok_pos and ok_stat and ok_solve and ok_conv and ok_inj, detail


@proof(
    paper=PAPER,
    where="diagonal net, Hessian at an interpolator, n = 2, d = 3 (derived, brief C.1 / C2)",
    statement="at r = X beta - y = 0: Hess L = J^T J / n with J = X [diag v, diag u]; "
    "J J^T = X diag(u^2 + v^2) X^T, so the nonzero spectrum of Hess L is that of "
    "(1/n) X diag(u^2 + v^2) X^T = (2/n) X diag(sqrt(beta^2 + alpha_k^4)) X^T",
)
def diag_hessian_interpolator() -> tuple[bool, str]:
    """X 2 x 3, u, v symbolic, y := X (u (.) v) (an interpolator): sympy's Hessian of L in
    (u, v) minus J^T J / n is 0; J J^T - X diag(u^2 + v^2) X^T = 0; and
    det(t I_6 - J^T J / n) - t^4 det(t I_2 - J J^T / n) = 0 (so the nonzero eigenvalues coincide
    with multiplicity). With u^2 + v^2 = 2 sqrt(beta^2 + alpha_k^4) (check diag_invariants) the
    sharpness is lambda_max((2/n) X diag(sqrt(beta^2 + alpha_k^4)) X^T)."""
    s = _model()
    x, u, v = s["x"], s["u"], s["v"]
    params = [*u, *v]
    hess = sp.hessian(s["loss"], params)
    interp = dict(zip(s["y"], x * s["beta"], strict=True))
    h0 = hess.subs(interp)
    jac = x * sp.Matrix(sp.BlockMatrix([[sp.diag(*v), sp.diag(*u)]]))
    n2 = 2 * DIM
    ok1 = (h0 - jac.T * jac / N_SAMPLES).applyfunc(sp.expand) == sp.zeros(n2, n2)
    small = jac * jac.T - x * sp.diag(*[ui**2 + vi**2 for ui, vi in zip(u, v, strict=True)]) * x.T
    ok2 = small.applyfunc(sp.expand) == sp.zeros(N_SAMPLES, N_SAMPLES)
    t = sp.Symbol("t")
    big_cp = (jac.T * jac / N_SAMPLES).charpoly(t).as_expr()
    small_cp = (jac * jac.T / N_SAMPLES).charpoly(t).as_expr()
    ok3 = sp.expand(big_cp - t ** (n2 - N_SAMPLES) * small_cp) == 0
    detail = (
        f"n={N_SAMPLES}, d={DIM}: Hess L at y = X beta equals J^T J/n {ok1}; "
        f"J J^T = X diag(u^2+v^2) X^T {ok2}; charpoly(J^T J/n) = t^{n2 - N_SAMPLES} "
        f"charpoly(J J^T/n) {ok3}"
    )
    return ok1 and ok2 and ok3, detail


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.diagonal_linear)",
    statement="DiagonalLinear's numpy loss, gradient, Hessian and closed_form equal the proven "
    "expressions, and 3 numpy GD steps from init match the closed form, to 1e-12",
)
def diag_library_numeric() -> tuple[bool, str]:
    """DiagonalLinear(X, y) (n = 2, d = 3, seeded Gaussian X) at 4 random points against the
    lambdified diagonal_linear_loss_expr and its sympy derivatives; closed_form(x history)
    (3 steps, |x_j| < 1 and some > 1) against the lambdified closed_form_expr, per coordinate;
    and beta after 3 numpy GD steps (gamma = 0.3) from init() against closed_form of the recorded
    x_j = gamma g_j (diag_closed_form)."""
    gen = rng(17)
    X = gen.standard_normal((N_SAMPLES, DIM))
    y = gen.standard_normal(N_SAMPLES)
    net = DiagonalLinear(X, y, alpha=0.3)
    u, v = sp.symbols(f"u0:{DIM}"), sp.symbols(f"v0:{DIM}")
    xm = sp.Matrix(N_SAMPLES, DIM, lambda i, j: sp.Float(X[i, j], 17))
    expr = diagonal_linear_loss_expr(xm, [sp.Float(t, 17) for t in y], u, v)
    pts = [gen.normal(0, 1, 2 * DIM) for _ in range(4)]
    out = model_agrees("DiagonalLinear", net.model, expr, [*u, *v], pts)
    xs = sp.symbols("x1:4", real=True)
    beta_e, a2_e = closed_form_expr(xs, sp.Float(net.alpha, 17))
    beta_fn, a2_fn = lambdify(xs, beta_e), lambdify(xs, a2_e)
    hist = [gen.uniform(-0.9, 0.9, (3, DIM)) for _ in range(3)]
    hist.append(gen.uniform(-1.8, 1.8, (3, DIM)))

    def lib_closed(h: np.ndarray) -> np.ndarray:
        return np.concatenate(net.closed_form(h))

    def twin_closed(h: np.ndarray) -> np.ndarray:
        cols = [h[:, i] for i in range(DIM)]
        return np.concatenate([[beta_fn(*c) for c in cols], [a2_fn(*c) for c in cols]])

    out.append(agree("closed_form", lib_closed, twin_closed, hist))
    gamma = 0.3

    def gd_beta(_: np.ndarray) -> np.ndarray:
        th = net.init()
        for _ in range(3):
            th = th - gamma * net.model.grad(th)
        return net.beta(th)

    def closed_beta(_: np.ndarray) -> np.ndarray:
        th, xs_hist = net.init(), []
        for _ in range(3):
            xs_hist.append(gamma * net.beta_gradient(th))
            th = th - gamma * net.model.grad(th)
        return net.closed_form(np.array(xs_hist))[0]

    out.append(agree("GD beta_3 = closed form", gd_beta, closed_beta, [np.zeros(1)]))
    return combine(out)
