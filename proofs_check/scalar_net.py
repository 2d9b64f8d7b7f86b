"""Exact checks for scalar networks f(w) = w_1 w_2 ... w_D with the squared loss.

Kreisler, Nacson, Soudry, Carmon, "Gradient descent monotonically decreases the sharpness of
gradient flow solutions in scalar networks and beyond" (ICML 2023, arXiv 2305.13064).

Only the abstract of the paper could be read (research brief linear_models.md §A), so every
statement below is a closed form *derived* in the brief (§A.1-A.3, claims A1-A6 of §F) and the
``where`` fields say so; none of them quotes a theorem number. Model: one datum with x = 1,
L(w) = (prod w - y)^2 / 2, residual r = prod w - y, gradient dL/dw_i = r prod_{j != i} w_j
(every gradient and Hessian below is obtained by differentiating L with sympy).

L is the library's :func:`toymodels.models.scalar_net.scalar_net_loss_expr` (what
``ScalarNet.symbolic`` compiles); :func:`scalar_library_numeric` checks the numpy twins of
``ScalarNet`` and its closed forms against the proven expressions.
"""

from __future__ import annotations

import itertools

import numpy as np
import sympy as sp

from toymodels.models.scalar_net import ScalarNet, scalar_net_loss_expr

from ._exact import fmt, is_zero, reduce_sqrt
from ._numeric import agree, combine, model_agrees, rng
from .registry import proof

PAPER = "Kreisler, Nacson, Soudry, Carmon 2023 (ICML)"

ETA, Y = sp.symbols("eta y", real=True)


def _weights(depth: int) -> tuple[sp.Symbol, ...]:
    return sp.symbols(f"w1:{depth + 1}", real=True)


def _loss(w: tuple[sp.Symbol, ...], y: sp.Expr = Y) -> tuple[sp.Expr, sp.Expr]:
    """(L, r) for the scalar net: r = prod w - y, L = the library's scalar_net_loss_expr."""
    r = sp.Mul(*w) - y
    return scalar_net_loss_expr(w, y), r


def _prod_except(w: tuple[sp.Expr, ...], *skip: int) -> sp.Expr:
    return sp.Mul(*[wk for k, wk in enumerate(w) if k not in skip])


@proof(
    paper=PAPER,
    where="scalar net, one GD step, D = 2..5 (derived, brief A.2 / claim A3)",
    statement="w_i'^2 - w_j'^2 = (w_i^2 - w_j^2)(1 - eta^2 r^2 prod_{k != i,j} w_k^2) "
    "for every pair i < j",
)
def scalar_gd_gap_factor() -> tuple[bool, str]:
    """GD step w_i' = w_i - eta dL/dw_i (gradient by sympy, = w_i - eta r prod_{j != i} w_j);
    for D = 2, 3, 4, 5 and every pair i < j, with symbolic w, y, eta the residual
    w_i'^2 - w_j'^2 - (w_i^2 - w_j^2)(1 - eta^2 r^2 prod_{k != i,j} w_k^2) expands to 0."""
    ok_all, parts = True, []
    for depth in range(2, 6):
        w = _weights(depth)
        loss, r = _loss(w)
        w_next = [wi - ETA * sp.diff(loss, wi) for wi in w]
        ok_grad = all(
            sp.expand(sp.diff(loss, w[i]) - r * _prod_except(w, i)) == 0 for i in range(depth)
        )
        n_pairs, bad = 0, []
        for i, j in itertools.combinations(range(depth), 2):
            rest = _prod_except(w, i, j) ** 2
            gap_next = w_next[i] ** 2 - w_next[j] ** 2
            target = (w[i] ** 2 - w[j] ** 2) * (1 - ETA**2 * r**2 * rest)
            res = sp.expand(gap_next - target)
            n_pairs += 1
            if res != 0:
                bad.append(f"({i + 1},{j + 1}): {fmt(res, 60)}")
        ok = ok_grad and not bad
        ok_all &= ok
        parts.append(f"D={depth}: {n_pairs} pairs " + ("residual 0" if ok else "; ".join(bad)))
    return ok_all, "; ".join(parts) + " (gradient = r prod_{j!=i} w_j checked)"


@proof(
    paper=PAPER,
    where="scalar net Hessian and sharpness at a minimum, D = 2..4 (derived, brief A.1 / A1)",
    statement="H_ij = g_i g_j + r prod_{k != i,j} w_k (i != j), H_ii = g_i^2; at r = 0 H = g g^T, "
    "so S(w*) = sum_i prod_{j != i} w_j^2 = y^2 sum_i 1/w_i^2",
)
def scalar_hessian_rank_one() -> tuple[bool, str]:
    """With g_i = prod_{j != i} w_j: sympy's Hessian of L equals the stated form; substituting
    y = prod w (r = 0) gives H - g g^T = 0, the characteristic polynomial of H is
    t^(D-1) (t - |g|^2) (so the sharpness is |g|^2, the only nonzero eigenvalue), and
    |g|^2 - y^2 sum 1/w_i^2 = 0 as rational functions."""
    ok_all, parts = True, []
    t = sp.Symbol("t")
    for depth in range(2, 5):
        w = _weights(depth)
        loss, r = _loss(w)
        g = sp.Matrix([_prod_except(w, i) for i in range(depth)])
        hess = sp.hessian(loss, w)
        stated = sp.Matrix(
            [
                [
                    g[i] ** 2 if i == j else g[i] * g[j] + r * _prod_except(w, i, j)
                    for j in range(depth)
                ]
                for i in range(depth)
            ]
        )
        ok1 = (hess - stated).applyfunc(sp.expand) == sp.zeros(depth, depth)
        at_min = {Y: sp.Mul(*w)}
        h_min = hess.subs(at_min)
        ok2 = (h_min - g * g.T).applyfunc(sp.expand) == sp.zeros(depth, depth)
        g2 = sp.expand((g.T * g)[0, 0])
        charpoly = h_min.charpoly(t).as_expr()
        ok3 = sp.expand(charpoly - t ** (depth - 1) * (t - g2)) == 0
        ok4, res4 = is_zero(g2 - (Y**2 * sum(1 / wi**2 for wi in w)).subs(at_min))
        ok = ok1 and ok2 and ok3 and ok4
        ok_all &= ok
        parts.append(
            f"D={depth}: Hessian form {ok1}, H(r=0) = g g^T {ok2}, "
            f"charpoly = t^{depth - 1}(t - |g|^2) {ok3}, |g|^2 - y^2 sum 1/w^2 = {res4}"
        )
    return ok_all, "; ".join(parts)


def _amgm_certificate(u: tuple[sp.Symbol, ...]) -> sp.Expr:
    """A sum-of-squares-type certificate C(u) with C = sum u_i^D - D prod u_i (D = 2, 3, 4),
    manifestly >= 0 for u_i >= 0."""
    depth = len(u)
    if depth == 2:
        a, b = u
        return (a - b) ** 2
    if depth == 3:
        a, b, c = u
        return sp.Rational(1, 2) * (a + b + c) * ((a - b) ** 2 + (b - c) ** 2 + (c - a) ** 2)
    if depth == 4:
        a, b, c, d = u
        return (a**2 - b**2) ** 2 + (c**2 - d**2) ** 2 + 2 * (a * b - c * d) ** 2
    raise ValueError(depth)


@proof(
    paper=PAPER,
    where="scalar net, minimum sharpness on the minimiser manifold, D = 2, 3, 4 "
    "(derived, brief A.1 / claim A2)",
    statement="on prod w_i = y: S = y^2 sum 1/w_i^2 >= D |y|^(2-2/D), equality iff "
    "|w_i| = |y|^(1/D) (proved here for D = 2, 3, 4)",
)
def scalar_min_sharpness_bound() -> tuple[bool, str]:
    """Proof for D = 2, 3, 4 (exact polynomial identities; y != 0, so every w_i != 0):
    (i) AM-GM certificate: write |w_i| = p_i^D with p_i > 0 (every positive real is a D-th
    power), so |y| = prod p_i^D, |y|^(2-2/D) = prod p_i^(2D-2), and with
    u_i := prod_{j != i} p_j^2 > 0 the identity S - D|y|^(2-2/D) = sum u_i^D - D prod u_i = C(u)
    holds, where C is (a-b)^2 (D=2), (a+b+c)((a-b)^2+(b-c)^2+(c-a)^2)/2 (D=3),
    (a^2-b^2)^2 + (c^2-d^2)^2 + 2(ab-cd)^2 (D=4): C >= 0 with equality iff all u_i are equal,
    i.e. all p_i (hence |w_i|) equal. D = 2 directly: S - 2|y| = (|w1| - |w2|)^2.
    (ii) Lagrange: for x_i = w_i^2 > 0, sum 1/x_i on prod x_i = c = k^D (k > 0) has the single
    critical point x_i = k = c^(1/D) (sympy solve, plus the identity
    x_i E_i - x_j E_j = 1/x_j - 1/x_i for the stationarity equations E_i), value D c^(-1/D)."""
    ok_all, parts = True, ["[proved for D = 2, 3, 4 only]"]
    for depth in (2, 3, 4):
        p = sp.symbols(f"p1:{depth + 1}", positive=True)
        w_abs = [pi**depth for pi in p]
        y_abs = sp.Mul(*w_abs)
        sharp = sp.expand(sum(_prod_except(tuple(w_abs), i) ** 2 for i in range(depth)))
        ok_s, res_s = is_zero(sharp - (y_abs**2 * sum(1 / wi**2 for wi in w_abs)))
        bound = depth * sp.Mul(*[pi ** (2 * depth - 2) for pi in p])
        ok_b = sp.expand(bound**depth - depth**depth * y_abs ** (2 * depth - 2)) == 0
        u = sp.symbols(f"u1:{depth + 1}", positive=True)
        amgm = sum(ui**depth for ui in u) - depth * sp.Mul(*u)
        ok_c = sp.expand(amgm - _amgm_certificate(u)) == 0
        u_of_p = {u[i]: _prod_except(p, i) ** 2 for i in range(depth)}
        ok_sub = sp.expand(sharp - bound - amgm.subs(u_of_p)) == 0
        # equality case: all p_i = q gives S = D|y|^(2-2/D)
        q = sp.Symbol("q", positive=True)
        ok_eq = sp.expand((sharp - bound).subs({pi: q for pi in p})) == 0
        ok_all &= ok_s and ok_b and ok_c and ok_sub and ok_eq
        parts.append(
            f"D={depth}: S = y^2 sum 1/w^2 ({res_s}), S - D|y|^(2-2/D) = C(u) certificate "
            f"{ok_c and ok_sub}, bound exponent {ok_b}, equality at balanced {ok_eq}"
        )
    # D = 2 in the original variables: |y| = a b, S - 2|y| = (a - b)^2
    a, b = sp.symbols("a b", positive=True)
    ok_d2, res_d2 = is_zero((a * b) ** 2 * (1 / a**2 + 1 / b**2) - 2 * a * b - (a - b) ** 2)
    ok_all &= ok_d2
    parts.append(f"D=2 direct: y^2(1/w1^2 + 1/w2^2) - 2|y| - (|w1|-|w2|)^2 = {res_d2}")
    # Lagrange multipliers
    k = sp.Symbol("k", positive=True)
    mu = sp.Symbol("mu", real=True)
    for depth in (2, 3, 4):
        x = sp.symbols(f"x1:{depth + 1}", positive=True)
        objective = sum(1 / xi for xi in x)
        constraint = sp.Mul(*x) - k**depth
        stat = [sp.diff(objective, xi) - mu * sp.diff(constraint, xi) for xi in x]
        sols = sp.solve([*stat, constraint], [*x, mu], dict=True)
        ok_sol = len(sols) == 1 and all(sp.simplify(sols[0][xi] - k) == 0 for xi in x)
        ok_val = ok_sol and sp.simplify(objective.subs(sols[0]) - depth / k) == 0
        ok_pair = all(
            is_zero(x[i] * stat[i] - x[j] * stat[j] - (1 / x[j] - 1 / x[i]))[0]
            for i, j in itertools.combinations(range(depth), 2)
        )
        ok_all &= ok_sol and ok_val and ok_pair
        found = [{str(var): val for var, val in sol.items()} for sol in sols]
        parts.append(
            f"Lagrange D={depth}, c = k^D: critical points {found}"
            f" (x_i = c^(1/D) {ok_sol}), value D c^(-1/D) {ok_val}, x_i E_i - x_j E_j identity"
            f" {ok_pair}"
        )
    parts.append(
        "y = 0: bound is S >= 0, trivial. NOT machine-checked: D >= 5 (classical AM-GM for D "
        "terms, not verified here)"
    )
    return ok_all, "; ".join(parts)


@proof(
    paper=PAPER,
    where="scalar net, gradient flow invariants, D = 2..5 (derived, brief A.2 / claim A4)",
    statement="under GF dw_i/dt = -dL/dw_i: d(w_i^2)/dt = -2 r prod w for every i, "
    "so every w_i^2 - w_j^2 is conserved",
)
def scalar_gf_conserves_gaps() -> tuple[bool, str]:
    """d(w_i^2)/dt = 2 w_i (-dL/dw_i) = -2 r prod w (gradient by sympy), independent of i,
    hence d(w_i^2 - w_j^2)/dt = 0 for all pairs; D = 2, 3, 4, 5."""
    ok_all, parts = True, []
    for depth in range(2, 6):
        w = _weights(depth)
        loss, r = _loss(w)
        rates = [sp.expand(2 * wi * -sp.diff(loss, wi)) for wi in w]
        ok1 = all(sp.expand(rate + 2 * r * sp.Mul(*w)) == 0 for rate in rates)
        ok2 = all(sp.expand(ri - rj) == 0 for ri, rj in itertools.combinations(rates, 2))
        ok_all &= ok1 and ok2
        parts.append(f"D={depth}: d(w_i^2)/dt + 2 r prod w = 0 {ok1}, gaps conserved {ok2}")
    return ok_all, "; ".join(parts)


@proof(
    paper=PAPER,
    where="scalar net, GFS sharpness closed form for D = 2 (derived, brief A.3 / claim A5)",
    statement="D = 2: with c = w2^2 - w1^2 and s the admissible root of s(s + c) = y^2, "
    "phi = y^2 (1/s + 1/(s + c)) = sqrt((w1^2 - w2^2)^2 + 4 y^2)",
)
def scalar_gfs_closed_form_d2() -> tuple[bool, str]:
    """The GF limit is w_i^inf = sign_i sqrt(s + c_i), c_i = w_i^2 - w_1^2 (the gaps are GF
    invariants), prod (s + c_i) = y^2. For D = 2 (c_1 = 0, c_2 = c): the roots of
    s^2 + c s - y^2 are s_pm = (-c pm R)/2, R = sqrt(c^2 + 4y^2); s_+ s_- = -y^2 < 0 (y != 0), so
    s_- < 0 is inadmissible and s_+ > 0, s_+ + c = (c + R)/2 > 0 (R > |c|). Then
    y^2 (1/s_+ + 1/(s_+ + c)) - R = 0 modulo R^2 = c^2 + 4y^2 (exact reduction, no simplify);
    also (w^inf)^2 satisfies prod = y^2 and y^2 sum 1/(w_i^inf)^2 = phi is the sharpness of
    scalar_hessian_rank_one at that minimum."""
    w1, w2 = _weights(2)
    c_sym, big_r = sp.Symbol("c", real=True), sp.Symbol("R", positive=True)
    radicand = c_sym**2 + 4 * Y**2
    s = sp.Symbol("s")
    roots = sp.solve(s * (s + c_sym) - Y**2, s)
    s_plus = (-c_sym + big_r) / 2
    s_minus = (-c_sym - big_r) / 2
    ok_roots = {sp.expand(rt) for rt in roots} == {
        sp.expand(s_plus.subs(big_r, sp.sqrt(radicand))),
        sp.expand(s_minus.subs(big_r, sp.sqrt(radicand))),
    }
    prod_roots = reduce_sqrt(s_plus * s_minus + Y**2, big_r, radicand)
    both_pos = reduce_sqrt((s_plus + c_sym) - (c_sym + big_r) / 2, big_r, radicand)
    # R^2 - c^2 = 4 y^2 > 0 for y != 0, so R > |c| and s_+ > 0, s_+ + c > 0
    gap = sp.expand(radicand - c_sym**2)
    phi = Y**2 * (1 / s_plus + 1 / (s_plus + c_sym))
    res_phi = reduce_sqrt(phi - big_r, big_r, radicand)
    # in the weights: c = w2^2 - w1^2, R^2 = (w1^2 - w2^2)^2 + 4y^2
    res_w = sp.expand(radicand.subs(c_sym, w2**2 - w1**2) - ((w1**2 - w2**2) ** 2 + 4 * Y**2))
    ok = ok_roots and prod_roots == 0 and both_pos == 0 and gap == 4 * Y**2 and res_phi == 0
    ok = ok and res_w == 0
    detail = (
        f"roots of s(s+c) = y^2 are (-c pm R)/2: {ok_roots}; s_+ s_- + y^2 = {prod_roots} "
        f"(so s_- < 0 inadmissible); R^2 - c^2 = {gap}; "
        f"phi - R mod (R^2 - c^2 - 4y^2) = {res_phi}; R^2 in weights: residual {res_w}"
    )
    return ok, detail


@proof(
    paper=PAPER,
    where="scalar net, D = 2, one GD step of the GFS sharpness (derived, brief A.5 / claim A6)",
    statement="D = 2: phi' <= phi  <=>  eta |r| <= sqrt 2 (for Q = w1^2 - w2^2 != 0), since "
    "phi'^2 - phi^2 = Q^2 ((1 - eta^2 r^2)^2 - 1) = Q^2 eta^2 r^2 (eta^2 r^2 - 2)",
)
def scalar_gfs_monotone_d2() -> tuple[bool, str]:
    """phi(w)^2 = Q^2 + 4y^2 (scalar_gfs_closed_form_d2); the GD step gives Q' = (1 - eta^2 r^2) Q
    exactly, so phi'^2 - phi^2 - Q^2 ((1 - eta^2 r^2)^2 - 1) = 0; (1 - x)^2 - 1 = x (x - 2)
    (factorisation), and x (x - 2) <= 0 with x = eta^2 r^2 >= 0 iff x in [0, 2] (sympy
    inequality solver). As phi, phi' >= 0, phi' <= phi iff phi'^2 <= phi^2 iff
    eta^2 r^2 <= 2 iff eta |r| <= sqrt 2 (when Q != 0; if Q = 0 then phi' = phi)."""
    w = _weights(2)
    loss, r = _loss(w)
    w1n, w2n = (wi - ETA * sp.diff(loss, wi) for wi in w)
    q = w[0] ** 2 - w[1] ** 2
    q_next = w1n**2 - w2n**2
    ok1, r1 = is_zero(q_next - (1 - ETA**2 * r**2) * q)
    phi2 = q**2 + 4 * Y**2
    phi2_next = q_next**2 + 4 * Y**2
    ok2, r2 = is_zero(phi2_next - phi2 - q**2 * ((1 - ETA**2 * r**2) ** 2 - 1))
    x = sp.Symbol("x", nonnegative=True)
    fac = sp.factor((1 - x) ** 2 - 1)
    ok3 = sp.expand(fac - x * (x - 2)) == 0 and fac == sp.factor(x * (x - 2))
    region = sp.solve_univariate_inequality(x * (x - 2) <= 0, x, relational=False)
    ok4 = region == sp.Interval(0, 2)
    # x <= 2 <=> eta |r| <= sqrt 2 for x = (eta |r|)^2, eta |r| >= 0
    z = sp.Symbol("z", nonnegative=True)
    region_z = sp.solve_univariate_inequality(z**2 <= 2, z, relational=False)
    region_z = region_z.intersect(sp.Interval(0, sp.oo))
    ok5 = region_z == sp.Interval(0, sp.sqrt(2))
    detail = (
        f"Q' - (1 - eta^2 r^2) Q = {r1}; phi'^2 - phi^2 - Q^2((1-eta^2r^2)^2 - 1) = {r2}; "
        f"(1-x)^2 - 1 = {fac}; {{x >= 0: x(x-2) <= 0}} = {region}; "
        f"{{z = eta|r| >= 0: z^2 <= 2}} = {region_z}"
    )
    return ok1 and ok2 and ok3 and ok4 and ok5, detail


@proof(
    paper=PAPER,
    where="library cross-check (toymodels.models.scalar_net)",
    statement="ScalarNet's numpy loss, gradient, Hessian (D = 2..4), gfs_sharpness (D = 2) and "
    "balanced_sharpness equal the proven expressions at random points to 1e-12",
)
def scalar_library_numeric() -> tuple[bool, str]:
    """ScalarNet(D, y).model at 4 random points against the lambdified scalar_net_loss_expr and
    its sympy derivatives (D = 2, 3, 4; y = 1.3, -0.8); gfs_sharpness for D = 2 against
    sqrt((w1^2 - w2^2)^2 + 4y^2) (scalar_gfs_closed_form_d2); balanced_sharpness against the
    minimum of y^2 sum 1/w_i^2 on prod w = y, D|y|^(2-2/D) (scalar_min_sharpness_bound)."""
    gen = rng(11)
    out = []
    for depth in (2, 3, 4):
        for yv in (1.3, -0.8):
            net = ScalarNet(depth, yv)
            w = sp.symbols(f"w0:{depth}")
            expr = scalar_net_loss_expr(w, sp.Float(yv, 17))
            pts = [gen.normal(0, 1.1, depth) for _ in range(4)]
            out += model_agrees(f"D={depth},y={yv:g}", net.model, expr, list(w), pts)
            out.append(
                agree(
                    f"balanced_sharpness D={depth},y={yv:g}",
                    lambda _, net=net: net.balanced_sharpness(),
                    lambda _, d=depth, yv=yv: d * abs(yv) ** (2 - 2 / d),
                    [np.zeros(1)],
                )
            )
    net = ScalarNet(2, 1.3)
    pts = [gen.normal(0, 1.1, 2) for _ in range(6)]
    out.append(
        agree(
            "gfs_sharpness D=2",
            net.gfs_sharpness,
            lambda p: np.sqrt((p[0] ** 2 - p[1] ** 2) ** 2 + 4 * 1.3**2),
            pts,
        )
    )
    return combine(out)
