"""Exact checks for deep linear networks (deep matrix factorisation) at the edge of stability.

Ghosh, Kwon, Wang, Ravishankar, Qu, "Learning Dynamics of Deep Linear Networks Beyond the Edge
of Stability" (ICLR 2025, arXiv 2502.20531; ICLR title "... Deep Matrix Factorization ...").

Only the abstract, the public reviews and a second-hand summary of the paper could be read
(research brief linear_models.md §D), so every statement below is a closed form *derived* in the
brief (§D.1-D.3, §D.5, claims D2, D7, D9 of §F); the ``where`` fields say so. Model:
L(W_1..W_L) = 1/2 |W_L ... W_1 - M|_F^2 with 2 x 2 matrices of symbolic entries (d = 2) and
target M = diag(s_1, s_2); gradients and Hessians are obtained by differentiating L with sympy.
To avoid radicals, s_i = t_i^L with t_i > 0, so the balanced minimum is W_l = diag(t_1, t_2).

Reduction to a diagonal target (w.l.o.g.): for M = U diag(s) V^T with orthogonal U, V and any
orthogonal Q_l, the map Phi: W_L -> U^T W_L Q_{L-1}, W_l -> Q_l^T W_l Q_{l-1}, W_1 -> Q_1^T W_1 V
satisfies W'_L ... W'_1 - diag(s) = U^T (W_L ... W_1 - M) V (Q_l Q_l^T = I, U U^T = I, V V^T = I),
so the loss with target M equals the loss with target diag(s) composed with Phi, because
|U^T A V|_F = |A|_F (checked exactly for 2 x 2 rotations and reflections in
:func:`deep_balanced_hessian`). Phi is linear and orthogonal on parameter space (same Frobenius
identity per layer), so Hessian spectra are equal at corresponding points and GD iterates
correspond (gradients transform by Phi too).

The loss is the library's :func:`toymodels.models.deep_linear.deep_linear_loss_expr`, the
balanced-line map its ``balanced_line_expr`` (the string ``balanced_line_family`` compiles) and the
Hessian eigenvalues its ``balanced_minimum_eigenvalue_exprs`` (sympy twin of the numpy
``balanced_minimum_spectrum``); :func:`deep_library_numeric` checks the numpy objects.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.deep_linear import (
    DeepLinear,
    balanced_line_expr,
    balanced_line_family,
    balanced_minimum_eigenvalue_exprs,
    balanced_minimum_spectrum,
    deep_linear_loss_expr,
)

from ._exact import fmt, is_zero, reduce_sqrt
from ._numeric import agree, combine, lambdify, model_agrees, rng
from .cubic_map import F as _library_cubic
from .registry import proof

PAPER = "Ghosh, Kwon, Wang, Ravishankar, Qu 2025 (ICLR)"

DIM = 2
ETA = sp.Symbol("eta", positive=True)
T1, T2 = sp.symbols("t1 t2", positive=True)


def _layers(depth: int, dim: int = DIM) -> list[sp.Matrix]:
    """W_1, ..., W_L as dim x dim matrices of real symbols w{l}_{ij}."""
    return [
        sp.Matrix(dim, dim, lambda i, j, ll=ll: sp.Symbol(f"w{ll}_{i + 1}{j + 1}", real=True))
        for ll in range(1, depth + 1)
    ]


def _product(layers: list[sp.Matrix]) -> sp.Matrix:
    """W_L ... W_1 (layers given in the order W_1, ..., W_L)."""
    out = sp.eye(layers[0].rows)
    for w in layers:
        out = w * out
    return out


def _loss(layers: list[sp.Matrix], target: sp.Matrix) -> sp.Expr:
    """The library's loss 1/2 |W_L ... W_1 - M|_F^2 (deep_linear_loss_expr)."""
    return deep_linear_loss_expr(layers, target)


def _line_map(z: sp.Expr, c: sp.Expr, depth: int) -> sp.Expr:
    """The library's balanced-line map (balanced_line_expr(depth)) at state z, parameter c."""
    expr = sp.sympify(balanced_line_expr(depth))
    lz, lc = sp.symbols("z c")
    if expr.free_symbols - {lz, lc}:
        raise ValueError(f"balanced_line_expr({depth}) has unexpected symbols {expr.free_symbols}")
    return expr.xreplace({lz: z, lc: c})


def _params(layers: list[sp.Matrix]) -> list[sp.Symbol]:
    return [e for w in layers for e in w]


def _diag_point(layers: list[sp.Matrix], values: list[list[sp.Expr]]) -> dict:
    """Substitution W_l = diag(values[l])."""
    sub = {}
    for w, vals in zip(layers, values, strict=True):
        for i in range(w.rows):
            for j in range(w.cols):
                sub[w[i, j]] = vals[i] if i == j else 0
    return sub


def _orthogonal(c: sp.Symbol, s: sp.Symbol, reflect: bool) -> sp.Matrix:
    """A 2 x 2 rotation [[c, -s], [s, c]] or reflection [[c, s], [s, -c]] (c^2 + s^2 = 1)."""
    return sp.Matrix([[c, s], [s, -c]]) if reflect else sp.Matrix([[c, -s], [s, c]])


def _mod_circle(expr: sp.Expr, pairs: list[tuple[sp.Symbol, sp.Symbol]]) -> sp.Expr:
    """Remainder of the polynomial ``expr`` modulo c^2 + s^2 - 1 for each (c, s) pair (a
    Groebner basis: the leading terms c^2 are coprime), i.e. zero iff it vanishes on the circles."""
    out = sp.expand(expr)
    for c, s in pairs:
        out = sp.expand(sp.rem(out, c**2 + s**2 - 1, c))
    return out


def _eigs(x: sp.Expr, y: sp.Expr, depth: int) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(lambda_i, lambda_j, mu_ij) from the library's balanced_minimum_eigenvalue_exprs with
    x = s_i^{2/L}, y = s_j^{2/L} (positive symbols, so s_i = x^{L/2} and powers combine)."""
    half = sp.Rational(depth, 2)
    lam, mu = balanced_minimum_eigenvalue_exprs([x**half, y**half], depth)
    if len(lam) != 2 or len(mu) != 2 or sp.expand(mu[0] - mu[1]) != 0:
        raise ValueError(f"unexpected eigenvalue lists {lam}, {mu}")
    return sp.expand(lam[0]), sp.expand(lam[1]), sp.expand(mu[0])


def _mu(x: sp.Expr, y: sp.Expr, depth: int) -> sp.Expr:
    """mu_ij = sum_{l=1}^{L} s_i^{2(L-l)/L} s_j^{2(l-1)/L} with x = s_i^{2/L}, y = s_j^{2/L}
    (the library's expression)."""
    return _eigs(x, y, depth)[2]


@proof(
    paper=PAPER,
    where="Hessian at the balanced minimum, d = 2, L = 2 and 3 (derived, brief D.3 / claim D2)",
    statement="at W_l = diag(s_i^{1/L}) the nonzero Hessian eigenvalues are L s_i^{2-2/L} "
    "(i = 1, 2) and mu_12 = sum_l s_1^{2(L-l)/L} s_2^{2(l-1)/L} (twice); the other 4L - 4 are 0",
)
def deep_balanced_hessian() -> tuple[bool, str]:
    """For L = 2 (8 parameters) and L = 3 (12 parameters), M = diag(t1^L, t2^L): sympy's
    Hessian of L at W_l = diag(t1, t2) has characteristic polynomial exactly
    x^(4L-4) (x - L t1^(2L-2)) (x - L t2^(2L-2)) (x - mu_12)^2 with
    mu_12 = sum_l t1^(2(L-l)) t2^(2(l-1)) (residual of the expanded difference 0); the gradient
    vanishes there (a minimum). W.l.o.g. diagonal target (module docstring): for U, V 2 x 2
    rotations or reflections with entries c, s (c^2 + s^2 = 1) and symbolic A, U^T U - I = 0 and
    |U^T A V|_F^2 - |A|_F^2 = 0 modulo the circle relations (all 4 combinations)."""
    x = sp.Symbol("x")
    ok_all, parts = True, []
    for depth in (2, 3):
        layers = _layers(depth)
        target = sp.diag(T1**depth, T2**depth)
        loss = _loss(layers, target)
        params = _params(layers)
        point = _diag_point(layers, [[T1, T2]] * depth)
        grad0 = [sp.expand(sp.diff(loss, p).subs(point)) for p in params]
        hess = sp.hessian(loss, params).subs(point)
        charpoly = hess.charpoly(x).as_expr()
        lam1, lam2, mu = _eigs(T1**2, T2**2, depth)  # the library's eigenvalue expressions
        expected = x ** (4 * depth - 4) * (x - lam1) * (x - lam2) * (x - mu) ** 2
        ok_cp = sp.expand(charpoly - expected) == 0
        ok_min = all(g == 0 for g in grad0)
        ok_all = ok_all and ok_cp and ok_min
        parts.append(
            f"L={depth} ({len(params)} params): grad 0 {ok_min}, charpoly = x^{4 * depth - 4}"
            f"(x - {lam1})(x - {lam2})(x - ({mu}))^2 {ok_cp}"
        )
    # rotation invariance: for orthogonal U, V (rotations and reflections) |U^T A V|_F = |A|_F
    cs = sp.symbols("c_u s_u c_v s_v", real=True)
    pairs = [(cs[0], cs[1]), (cs[2], cs[3])]
    amat = sp.Matrix(DIM, DIM, sp.symbols("a11 a12 a21 a22", real=True))
    ok_rot, n_combos = True, 0
    for refl_u in (False, True):
        for refl_v in (False, True):
            umat = _orthogonal(cs[0], cs[1], refl_u)
            vmat = _orthogonal(cs[2], cs[3], refl_v)
            orth = [_mod_circle(e, pairs) for e in (umat.T * umat - sp.eye(DIM))]
            frob = _mod_circle(
                sum(e**2 for e in umat.T * amat * vmat) - sum(e**2 for e in amat), pairs
            )
            ok_rot = ok_rot and all(e == 0 for e in orth) and frob == 0
            n_combos += 1
    detail = "; ".join(parts) + (
        f"; w.l.o.g. diagonal target: U^T U = I and |U^T A V|_F^2 - |A|_F^2 = 0 mod "
        f"c^2 + s^2 = 1 for {n_combos} rotation/reflection combinations {ok_rot}"
    )
    return ok_all and ok_rot, detail


@proof(
    paper=PAPER,
    where="mixed Hessian eigenvalue at the balanced minimum (derived, brief D.3 / claim D4)",
    statement="L = 3, x = s_i^{2/3} > y = s_j^{2/3} > 0: mu_ij - lambda_j = (x - y)(x + 2y) and "
    "lambda_i - mu_ij = (x - y)(2x + y), so lambda_j < mu_ij < lambda_i",
)
def deep_mixed_eigenvalue_between() -> tuple[bool, str]:
    """With x = s_i^{2/L}, y = s_j^{2/L}: lambda_i = L x^(L-1), lambda_j = L y^(L-1),
    mu_ij = sum_{l=1}^{L} x^(L-l) y^(l-1). L = 3: mu - lambda_j - (x - y)(x + 2y) = 0 and
    lambda_i - mu - (x - y)(2x + y) = 0; both cofactors are positive for x, y > 0, so
    s_i > s_j > 0 gives lambda_j < mu_ij < lambda_i strictly. Also for L = 2..6:
    mu - lambda_j and lambda_i - mu are divisible by (x - y) with quotients that are nonzero
    polynomials with nonnegative coefficients (so positive for x, y > 0)."""
    x, y = sp.symbols("x y", positive=True)
    lam_i, lam_j, mu3 = _eigs(x, y, 3)
    ok1, r1 = is_zero(mu3 - lam_j - (x - y) * (x + 2 * y))
    ok2, r2 = is_zero(lam_i - mu3 - (x - y) * (2 * x + y))
    ok_pos = (x + 2 * y).is_positive and (2 * x + y).is_positive
    ok_gen, parts = True, []
    for depth in range(2, 7):
        lam_i, lam_j, mu = _eigs(x, y, depth)
        quotients = []
        for diff in (mu - lam_j, lam_i - mu):
            quo, rem = sp.div(sp.expand(diff), x - y, x, y)
            coeffs = sp.Poly(quo, x, y).coeffs()
            ok_q = rem == 0 and quo != 0 and all(cf >= 0 for cf in coeffs)
            ok_gen = ok_gen and ok_q
            quotients.append(sp.factor(quo))
        parts.append(f"L={depth}: {quotients[0]}, {quotients[1]}")
    detail = (
        f"L=3 residuals {r1}, {r2}; cofactors x+2y, 2x+y > 0 {ok_pos}; quotients by (x - y) of "
        f"(mu - lambda_j, lambda_i - mu): " + "; ".join(parts)
    )
    return ok1 and ok2 and ok_pos and ok_gen, detail


@proof(
    paper=PAPER,
    where="SVS decoupling, d = 2, L = 2 and 3, one GD step (derived, brief D.1 / claim D1)",
    statement="with W_l = diag(w_{l,i}) and M = diag(s_i), GD keeps every W_l diagonal and "
    "w_{l,i}' = w_{l,i} - eta (prod_k w_{k,i} - s_i) prod_{k != l} w_{k,i} (a scalar net per i)",
)
def deep_svs_decoupling() -> tuple[bool, str]:
    """Full 2 x 2 matrices (gradient of the matrix loss by sympy), evaluated at W_l =
    diag(w_{l,1}, w_{l,2}), M = diag(s_1, s_2): every off-diagonal gradient entry is 0, so
    W_l' = W_l - eta grad is diagonal; each diagonal entry of W_l' minus the scalar-net step
    (gradient of 1/2 (prod_k w_{k,i} - s_i)^2 by sympy) is 0, and that gradient equals
    (prod_k w_{k,i} - s_i) prod_{k != l} w_{k,i}. L = 2 and L = 3 (12 parameters)."""
    ok_all, parts = True, []
    s_syms = sp.symbols("s1 s2", real=True)
    for depth in (2, 3):
        layers = _layers(depth)
        loss = _loss(layers, sp.diag(*s_syms))
        diag_w = [list(sp.symbols(f"v{ll}_1:3", real=True)) for ll in range(1, depth + 1)]
        point = _diag_point(layers, diag_w)
        off_zero, diag_ok = True, True
        for ll, w in enumerate(layers):
            for i in range(DIM):
                for j in range(DIM):
                    g = sp.expand(sp.diff(loss, w[i, j]).subs(point))
                    if i != j:
                        off_zero = off_zero and g == 0
                        continue
                    ws = [diag_w[k][i] for k in range(depth)]
                    scalar_loss = (sp.Mul(*ws) - s_syms[i]) ** 2 / 2
                    g_scalar = sp.diff(scalar_loss, ws[ll])
                    formula = (sp.Mul(*ws) - s_syms[i]) * sp.Mul(
                        *[wk for k, wk in enumerate(ws) if k != ll]
                    )
                    stepped = ws[ll] - ETA * g
                    diag_ok = (
                        diag_ok
                        and sp.expand(stepped - (ws[ll] - ETA * g_scalar)) == 0
                        and sp.expand(g_scalar - formula) == 0
                    )
        ok_all = ok_all and off_zero and diag_ok
        parts.append(
            f"L={depth}: off-diagonal gradient 0 {off_zero}, diagonal = scalar step {diag_ok}"
        )
    return ok_all, "; ".join(parts) + f" (d={DIM})"


@proof(
    paper=PAPER,
    where="balanced-line reduction, L = 2..5 (derived, brief D.5)",
    statement="w_{l} = s^{1/L} z for all l: the scalar step is z' = z - (c/L)(z^L - 1) z^{L-1}, "
    "c = eta L s^{2-2/L}; for L = 2 this is g_a(z) = (1+a)z - a z^3 with a = c/2, and z^2 "
    "follows Chen et al.'s F_{c/2}(x) = x(1 + (c/2)(1 - x))^2",
)
def deep_balanced_line_map() -> tuple[bool, str]:
    """Scalar depth-L net, target s = t^L (t > 0), GD step by sympy from 1/2 (prod w - s)^2 at
    w_l = t z (all l): every w_l' is the same (the balanced line is invariant) and
    w_l'/t - (z - (c/L)(z^L - 1) z^(L-1)) = 0 with c = eta L t^(2L-2) (= eta L s^(2-2/L)),
    L = 2, 3, 4, 5. For L = 2 the map minus ((1 + a) z - a z^3), a = c/2, is 0 and
    z'^2 - F_a(z^2) = 0 with F_a(x) = x (1 + a (1 - x))^2 (module cubic_map)."""
    t, z = sp.Symbol("t", positive=True), sp.Symbol("z", real=True)
    ok_all, parts = True, []
    for depth in range(2, 6):
        ws = sp.symbols(f"w1:{depth + 1}", real=True)
        loss = (sp.Mul(*ws) - t**depth) ** 2 / 2
        line = dict.fromkeys(ws, t * z)
        new = [sp.expand((wl - ETA * sp.diff(loss, wl)).subs(line)) for wl in ws]
        same = all(sp.expand(nw - new[0]) == 0 for nw in new)
        c = ETA * depth * t ** (2 * depth - 2)
        zmap = _line_map(z, c, depth)  # the library's balanced-line map
        ok_map, res = is_zero(new[0] / t - zmap)
        ok_all = ok_all and same and ok_map
        parts.append(f"L={depth}: balanced {same}, residual {res}")
    a = sp.Symbol("a", positive=True)
    z_next = _line_map(z, 2 * a, 2)  # the library's L = 2 map with c/2 = a
    ok_g, r_g = is_zero(z_next - ((1 + a) * z - a * z**3))
    ok_f, r_f = is_zero(z_next**2 - z**2 * (1 + a * (1 - z**2)) ** 2)
    detail = "; ".join(parts) + f"; L=2: map - g_a = {r_g}, z'^2 - F_a(z^2) = {r_f}"
    return ok_all and ok_g and ok_f, detail


@proof(
    paper=PAPER,
    where="balancing gap along the balanced 2-cycle, L = 2 (derived, brief D.2 / claim D7)",
    statement="for 2 < c (a = c/2 > 1) the map z -> z - (c/2)(z^2 - 1) z has the 2-cycle "
    "z_+- = sqrt(x_+-), x_+- roots of a^2 x^2 - a(1+a) x + 1; the gap multiplier "
    "prod_t (1 - (c/2)^2 (z_t^2 - 1)^2) over one period equals 3 - c exactly",
)
def deep_two_cycle_gap_multiplier() -> tuple[bool, str]:
    """(i) L = 2 scalar net, target s = t^2, GD by sympy: w1'^2 - w2'^2 - (1 - eta^2 r^2)
    (w1^2 - w2^2) = 0 (r = w1 w2 - s), and on the balanced line w = t z, eta^2 r^2 -
    (c/2)^2 (z^2 - 1)^2 = 0 with c = 2 eta t^2. (ii) x = z^2 follows F_a (a = c/2); the
    numerator of (F(F(x)) - x)/(F(x) - x) has the factor a^2 x^2 - a(1+a) x + 1 (sympy factor),
    with roots x_+- = (1 + a +- s)/(2a), s^2 = (a - 1)(a + 3) (real and distinct iff a > 1);
    F(x_+-) = x_-+ (in Q(a)[s]/(s^2 - (a-1)(a+3))), x_+ x_- = 1/a^2 > 0 and x_+ + x_- > 0.
    The z-map sends z_+- = sqrt(x_+-) to sign(1 + a(1 - x_+-)) sqrt(x_-+), and
    1 + a(1 - x_+-) = (1 + a -+ s)/2 > 0 because (1 + a)^2 - s^2 = 4: so (z_+, z_-) is a 2-cycle
    of positive points. (iii) (1 - a^2 (x_+ - 1)^2)(1 - a^2 (x_- - 1)^2) - (3 - 2a) reduces to 0,
    i.e. the multiplier over one period is 3 - c (in (-1, 1) for 2 < c < 4)."""
    # (i) per-step gap factor and its value on the balanced line
    w1, w2 = sp.symbols("w1 w2", real=True)
    t, z = sp.Symbol("t", positive=True), sp.Symbol("z", real=True)
    loss = (w1 * w2 - t**2) ** 2 / 2
    r = w1 * w2 - t**2
    n1, n2 = w1 - ETA * sp.diff(loss, w1), w2 - ETA * sp.diff(loss, w2)
    ok_gap, r_gap = is_zero(n1**2 - n2**2 - (1 - ETA**2 * r**2) * (w1**2 - w2**2))
    c = 2 * ETA * t**2
    ok_line, r_line = is_zero(
        (ETA**2 * r**2).subs({w1: t * z, w2: t * z}) - (c / 2) ** 2 * (z**2 - 1) ** 2
    )
    # (ii) the 2-cycle of F_a in x = z^2
    a, x = sp.Symbol("a", positive=True), sp.Symbol("x")

    def cubic(arg: sp.Expr) -> sp.Expr:
        return _library_cubic(arg, a)  # the library's F_a (CUBIC_MAP_EXPR)

    quo = sp.cancel((cubic(cubic(x)) - x) / (cubic(x) - x))
    factors = sp.factor_list(sp.fraction(quo)[0], x)[1]
    quad = a**2 * x**2 - a * (1 + a) * x + 1
    ok_factor = any(
        sp.degree(f, x) == 2 and is_zero(f * a**2 / sp.Poly(f, x).LC() - quad)[0]
        for f, _ in factors
    )
    s = sp.Symbol("s", positive=True)
    disc = (a - 1) * (a + 3)
    ok_disc = sp.expand(sp.discriminant(quad, x) / a**2 - disc) == 0
    xp, xm = (1 + a + s) / (2 * a), (1 + a - s) / (2 * a)
    cyc = [
        reduce_sqrt(cubic(xp) - xm, s, disc),
        reduce_sqrt(cubic(xm) - xp, s, disc),
        reduce_sqrt(xp * xm - 1 / a**2, s, disc),
    ]
    ok_sum = is_zero(xp + xm - (1 + a) / a)[0]
    signs = [
        reduce_sqrt(1 + a * (1 - xp) - (1 + a - s) / 2, s, disc),
        reduce_sqrt(1 + a * (1 - xm) - (1 + a + s) / 2, s, disc),
    ]
    ok_sign = sp.expand((1 + a) ** 2 - disc) == 4
    ok_cyc = all(v == 0 for v in cyc + signs) and ok_sum and ok_sign
    # (iii) the multiplier over one period
    mult = (1 - a**2 * (xp - 1) ** 2) * (1 - a**2 * (xm - 1) ** 2)
    res_mult = reduce_sqrt(mult - (3 - 2 * a), s, disc)
    ok_mult = res_mult == 0
    cc = sp.Symbol("c", real=True)
    contracting = sp.solveset(sp.Abs(3 - cc) < 1, cc, sp.S.Reals)
    detail = (
        f"(i) gap step residual {r_gap}, on the line {r_line}; (ii) quadratic factor {ok_factor}, "
        f"disc/a^2 = (a-1)(a+3) {ok_disc}, F(x+-) - x-+, x+x- - 1/a^2 residuals {cyc}, "
        f"1 + a(1 - x+-) = (1 + a -+ s)/2 residuals {signs}, (1+a)^2 - s^2 = 4 {ok_sign}; "
        f"(iii) multiplier - (3 - 2a) = {res_mult}; |3 - c| < 1 on {contracting}"
    )
    ok = ok_gap and ok_line and ok_factor and ok_disc and ok_cyc and ok_mult
    return ok and contracting == sp.Interval.open(2, 4), fmt(detail, 600)


@proof(
    paper=PAPER,
    where="depth L = 1, d = 2 (derived, brief claim D9)",
    statement="L = 1: Hessian of 1/2|W - M|^2 is I; GD W' = W - eta (W - M) is linear with "
    "W' - M = (1 - eta)(W - M); stable iff 0 < eta < 2, sharpness constant (no EoS regime)",
)
def deep_depth_one() -> tuple[bool, str]:
    """W, M 2 x 2 symbolic: sympy's Hessian in the 4 entries of W is I_4 (independent of W, so
    the sharpness is 1 everywhere); the GD step by sympy satisfies W' - M - (1 - eta)(W - M) = 0
    and L(W') - (1 - eta)^2 L(W) = 0; {eta : |1 - eta| < 1} = (0, 2)."""
    (w,) = _layers(1)
    m = sp.Matrix(DIM, DIM, lambda i, j: sp.Symbol(f"m{i + 1}{j + 1}", real=True))
    loss = _loss([w], m)
    params = _params([w])
    hess = sp.hessian(loss, params)
    ok_h = hess == sp.eye(DIM * DIM)
    grad = sp.Matrix(DIM, DIM, lambda i, j: sp.diff(loss, w[i, j]))
    w_next = w - ETA * grad
    ok_lin = (w_next - m - (1 - ETA) * (w - m)).applyfunc(sp.expand) == sp.zeros(DIM, DIM)
    ok_loss, r_loss = is_zero(_loss([w_next], m) - (1 - ETA) ** 2 * loss)
    e = sp.Symbol("e", real=True)
    stable = sp.solveset(sp.Abs(1 - e) < 1, e, sp.S.Reals)
    ok_st = stable == sp.Interval.open(0, 2)
    detail = (
        f"Hessian = I_4 {ok_h}; W' - M = (1 - eta)(W - M) {ok_lin}; L(W') - (1-eta)^2 L(W) = "
        f"{r_loss}; {{eta: |1 - eta| < 1}} = {stable}"
    )
    return ok_h and ok_lin and ok_loss and ok_st, detail


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.deep_linear)",
    statement="DeepLinear's numpy loss, gradient, Hessian (d = 2, L = 2, 3), "
    "balanced_line_family and balanced_minimum_spectrum equal the proven expressions to 1e-12",
)
def deep_library_numeric() -> tuple[bool, str]:
    """DeepLinear(M, L) (M a seeded 2 x 2 matrix) at 3 random points against the lambdified
    deep_linear_loss_expr and its sympy derivatives; balanced_line_family(L)(c)(z) for
    L = 2..5 at 5 random (z, c) against the lambdified balanced_line_expr (deep_balanced_line_map);
    balanced_minimum_spectrum(s, L) (L = 2, 3, s = 3 random singular values) against the sorted
    values of the sympy twin, whose 2-direction case deep_balanced_hessian proves."""
    gen = rng(19)
    out = []
    target = gen.standard_normal((DIM, DIM))
    for depth in (2, 3):
        net = DeepLinear(target, depth)
        mats = [
            sp.Matrix(DIM, DIM, lambda a, b, ll=ll: sp.Symbol(f"W{ll + 1}_{a}_{b}"))
            for ll in range(depth)
        ]
        m_sym = sp.Matrix(DIM, DIM, lambda a, b: sp.Float(target[a, b], 17))
        expr = deep_linear_loss_expr(mats, m_sym)
        params = [sp.Symbol(n) for n in net.model.params]
        pts = [gen.normal(0, 0.8, len(params)) for _ in range(3)]
        out += model_agrees(f"DeepLinear L={depth}", net.model, expr, params, pts)
    z, c = sp.symbols("z c")
    for depth in (2, 3, 4, 5):
        fam, line = balanced_line_family(depth), lambdify([z, c], _line_map(z, c, depth))
        pts = [np.array([gen.uniform(0, 1.5), gen.uniform(0.1, 3)]) for _ in range(5)]
        out.append(
            agree(
                f"balanced_line_family L={depth}",
                lambda p, fam=fam: fam(p[1])(np.array([p[0]]))[0],
                lambda p, line=line: line(*p),
                pts,
            )
        )
    for depth in (2, 3):
        pts = [gen.uniform(0.2, 3, 3) for _ in range(3)]

        def twin(s: np.ndarray, depth: int = depth) -> np.ndarray:
            lam, mu = balanced_minimum_eigenvalue_exprs([sp.Float(v, 17) for v in s], depth)
            return np.sort(np.array([float(e) for e in lam + mu]))[::-1]

        out.append(
            agree(
                f"balanced_minimum_spectrum L={depth}",
                lambda s, depth=depth: balanced_minimum_spectrum(s, depth),
                twin,
                pts,
            )
        )
    return combine(out)
