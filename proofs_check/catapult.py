"""Exact checks of the catapult-phase maps.

- Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari, "The large learning rate phase of deep
  learning: the catapult mechanism" (arXiv 2003.02218), warm-up model: width-n two-layer linear
  net f = n^{-1/2} v.u, one sample x = 1, loss (f - y)^2 / 2, NTK lambda = (|u|^2 + |v|^2)/n. For
  y = 0 and U = eta^2 f^2 / n, V = eta lambda the GD step is

      U' = U (1 - V + U)^2,    V' = V - U (4 - V).

- Zhu, Liu, Radhakrishnan, Belkin, "Quadratic models for understanding catapult dynamics of
  neural networks" (arXiv 2205.11787, ICLR 2024): the single-example NQM recursion for (g, lambda)
  and its normalised form u' = (1 - v + u + w)^2 u, v' = v - u(4 - v) - 4w.

The (U, V) map is derived from the parameter-space GD step with exact Gram-matrix algebra (valid
for every width n) and cross-checked on explicit symbolic vectors.

The maps are the library's own: ``uv_map`` substitutes into
:data:`toymodels.models.quadratic_regression.CATAPULT_MAP_EXPRS`, the NQM checks use
``NQM_MAP_EXPRS`` and ``NQM_RECURSION_EXPRS`` (the sympy twin of ``NQM.recursion``), and the
explicit-vector loss is :func:`toymodels.models.two_layer_linear.wide_linear_loss_expr`;
:func:`catapult_library_numeric` checks the compiled maps and numpy models against them.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models.quadratic_regression import (
    NQM,
    catapult_map,
    catapult_map_exprs,
    nqm_map,
    nqm_map_exprs,
    nqm_recursion_exprs,
)
from toymodels.models.two_layer_linear import WideLinearNet, wide_linear_loss_expr

from ._exact import fmt, is_zero
from ._numeric import agree, combine, lambdify, model_agrees, rng
from .registry import proof

LEWKOWYCZ = "Lewkowycz, Bahri, Dyer, Sohl-Dickstein, Gur-Ari 2020"
ZHU = "Zhu, Liu, Radhakrishnan, Belkin 2024 (ICLR)"

U, V = sp.symbols("U V", nonnegative=True)


_LIB_U, _LIB_V = sp.symbols("U V")  # the library's symbols (no assumptions)


def _subs_only(expr: sp.Expr, mapping: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """xreplace ``mapping`` into a library expression whose free symbols must all be mapped."""
    extra = expr.free_symbols - set(mapping)
    if extra:
        raise ValueError(f"library expression {expr} has unexpected free symbols {extra}")
    return expr.xreplace(mapping)


def uv_map(u: sp.Expr, v: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """The library's Lewkowycz warm-up map (y = 0), ``CATAPULT_MAP_EXPRS``:
    (U, V) -> (U (1 - V + U)^2, V - U (4 - V))."""
    exprs = catapult_map_exprs()
    return tuple(_subs_only(e, {_LIB_U: u, _LIB_V: v}) for e in exprs)  # type: ignore[return-value]


def nqm_normalised(u: sp.Expr, w: sp.Expr, v: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The library's NQM map ``NQM_MAP_EXPRS``: (u', w', v')."""
    lu, lw, lv = sp.symbols("u w v")
    return tuple(_subs_only(e, {lu: u, lw: w, lv: v}) for e in nqm_map_exprs())  # type: ignore


def nqm_recursion(
    e: sp.Expr, lam: sp.Expr, y: sp.Expr, eta: sp.Expr, kappa: sp.Expr
) -> tuple[sp.Expr, sp.Expr]:
    """The library's sympy twin of ``NQM.recursion`` (``NQM_RECURSION_EXPRS``): (e', lambda')
    for the residual e = g - y."""
    names = sp.symbols("e lam y eta kappa")
    mapping = dict(zip(names, (e, lam, y, eta, kappa), strict=True))
    return tuple(_subs_only(x, mapping) for x in nqm_recursion_exprs())  # type: ignore


@proof(
    paper=LEWKOWYCZ,
    where="warm-up model, y = 0 (brief §1.3, §2.2)",
    statement="V' - 4 = (V - 4)(1 + U): V < 4 stays < 4, V = 4 is invariant",
)
def catapult_v_threshold() -> tuple[bool, str]:
    """V' - 4 = (V - 4)(1 + U) for the map V' = V - U(4 - V); with U >= 0, V < 4 implies V' < 4
    and V = 4 implies V' = 4 (so the divergence boundary is exactly V0 = eta lambda0 = 4)."""
    _, v_next = uv_map(U, V)
    ok1, r1 = is_zero(v_next - 4 - (V - 4) * (1 + U))
    factored = sp.factor(v_next - 4)
    ok2 = sp.expand(v_next.subs(V, 4)) == 4
    # sign: for 0 <= U and V < 4, V' - 4 < 0 (product of a negative and a positive factor)
    eps = sp.Symbol("epsilon", positive=True)
    below = sp.factor(sp.expand((v_next - 4).subs(V, 4 - eps)))
    ok3 = is_zero(below + eps * (1 + U))[0]
    detail = f"residual {r1}; V'-4 = {factored}; V'(V=4) = {v_next.subs(V, 4)}; V=4-e: {below}"
    return ok1 and ok2 and ok3, detail


@proof(
    paper=LEWKOWYCZ,
    where="warm-up model at eta lambda0 = 4 (brief §2.2)",
    statement="at V = 4 the U-map is u(u-3)^2 and with u = 2 + 2cos p it is 2 + 2cos 3p (T3)",
)
def catapult_boundary_chebyshev() -> tuple[bool, str]:
    """On the invariant line V = 4: U' = U(U - 3)^2, and U = 2 + 2cos p gives
    U' = 2 + 2cos 3p (Chebyshev T3, conjugate to the Chen map at a = 2)."""
    p = sp.Symbol("p", real=True)
    u_next, _ = uv_map(U, 4)
    ok1, r1 = is_zero(u_next - U * (U - 3) ** 2)
    r2 = sp.expand(sp.expand_trig(u_next.subs(U, 2 + 2 * sp.cos(p)) - (2 + 2 * sp.cos(3 * p))))
    # same dynamics as F_2 in z = U/2: U/2 -> F_2(U/2)
    zz = sp.Symbol("z")
    r3 = sp.expand(u_next.subs(U, 2 * zz) / 2 - zz * (1 + 2 * (1 - zz)) ** 2)
    ok = ok1 and r2 == 0 and r3 == 0
    return ok, f"U' - U(U-3)^2 = {r1}; trig residual {r2}; U = 2z gives F_2(z): residual {r3}"


def _gram(x: tuple[sp.Expr, sp.Expr], y: tuple[sp.Expr, sp.Expr], g: sp.Matrix) -> sp.Expr:
    """Inner product of alpha1 u + beta1 v and alpha2 u + beta2 v given the Gram matrix g."""
    return sp.expand(sp.Matrix([x]) * g * sp.Matrix(y))[0, 0]


def _warmup_step(y_label: sp.Expr) -> dict[str, sp.Expr]:
    """One GD step of the width-n warm-up model, in Gram coordinates a = |u|^2, b = |v|^2,
    c = u.v. Returns f, lam, e and their successors f', lam' as expressions in (a, b, c, eta, n)."""
    a, b, c = sp.symbols("a b c", real=True)
    eta, n = sp.symbols("eta n", positive=True)
    f = c / sp.sqrt(n)
    lam = (a + b) / n
    e = f - y_label
    # grad_u (e^2/2) = e v / sqrt(n), grad_v = e u / sqrt(n) (checked in catapult_warmup_derivation)
    step = eta * e / sp.sqrt(n)
    u_new = (sp.Integer(1), -step)  # coefficients of (u, v)
    v_new = (-step, sp.Integer(1))
    g = sp.Matrix([[a, c], [c, b]])
    a1, b1, c1 = _gram(u_new, u_new, g), _gram(v_new, v_new, g), _gram(u_new, v_new, g)
    return {
        "a": a, "b": b, "c": c, "eta": eta, "n": n, "f": f, "lam": lam, "e": e,
        "a1": a1, "b1": b1, "c1": c1, "f1": c1 / sp.sqrt(n), "lam1": (a1 + b1) / n,
    }  # fmt: skip


@proof(
    paper=LEWKOWYCZ,
    where="warm-up model derivation (brief §1.3)",
    statement="GD on f = v.u/sqrt(n), loss f^2/2, gives U' = U(1-V+U)^2, V' = V - U(4-V) "
    "with U = eta^2 f^2/n, V = eta lambda",
)
def catapult_warmup_derivation() -> tuple[bool, str]:
    """u' = u - eta (f/sqrt n) v, v' = v - eta (f/sqrt n) u (gradient of f^2/2 by sympy on explicit
    n = 3 vectors); Gram update a' = a - 2 eta f c/sqrt n + eta^2 f^2 b/n, b' likewise,
    c' = c - eta f (a+b)/sqrt n + eta^2 f^2 c/n; hence f' = f - eta f lambda + eta^2 f^3/n,
    lambda' = lambda + (eta f/n)(eta f lambda - 4 f), and (U', V') equals the warm-up map."""
    s = _warmup_step(sp.Integer(0))
    a, b, c, eta, n, f, lam = (s[k] for k in ("a", "b", "c", "eta", "n", "f", "lam"))
    residuals = {
        "a'": s["a1"] - (a - 2 * eta * f * c / sp.sqrt(n) + eta**2 * f**2 * b / n),
        "b'": s["b1"] - (b - 2 * eta * f * c / sp.sqrt(n) + eta**2 * f**2 * a / n),
        "c'": s["c1"] - (c - eta * f * (a + b) / sp.sqrt(n) + eta**2 * f**2 * c / n),
        "f'": s["f1"] - (f - eta * f * lam + eta**2 * f**3 / n),
        "lam'": s["lam1"] - (lam + (eta * f / n) * (eta * f * lam - 4 * f)),
    }
    u_cur, v_cur = eta**2 * f**2 / n, eta * lam
    u_map, v_map = uv_map(u_cur, v_cur)
    residuals["U'"] = eta**2 * s["f1"] ** 2 / n - u_map
    residuals["V'"] = eta * s["lam1"] - v_map
    results = {k: is_zero(r) for k, r in residuals.items()}

    # cross-check on explicit vectors (n = 3): gradient by differentiation, Gram entries
    dim = 3
    uu = sp.Matrix(sp.symbols(f"u0:{dim}", real=True))
    vv = sp.Matrix(sp.symbols(f"v0:{dim}", real=True))
    fx = (vv.T * uu)[0, 0] / sp.sqrt(dim)
    loss = wide_linear_loss_expr(list(uu), list(vv), 0)  # the library's loss, label y = 0
    gu = sp.Matrix([sp.diff(loss, t) for t in uu])
    gv = sp.Matrix([sp.diff(loss, t) for t in vv])
    ok_grad = all(
        is_zero(x)[0] for x in [*(gu - fx * vv / sp.sqrt(dim)), *(gv - fx * uu / sp.sqrt(dim))]
    )
    u1, v1 = uu - eta * gu, vv - eta * gv
    gram_sub = {a: (uu.T * uu)[0, 0], b: (vv.T * vv)[0, 0], c: (uu.T * vv)[0, 0], n: dim}
    explicit = [
        (u1.T * u1)[0, 0] - s["a1"].subs(gram_sub),
        (v1.T * v1)[0, 0] - s["b1"].subs(gram_sub),
        (u1.T * v1)[0, 0] - s["c1"].subs(gram_sub),
    ]
    ok_explicit = all(sp.expand(x) == 0 for x in explicit)
    ok = all(r[0] for r in results.values()) and ok_grad and ok_explicit
    detail = ", ".join(f"{k} res={fmt(r[1], 40)}" for k, r in results.items())
    detail += f"; explicit n=3 gradient ok={ok_grad}, Gram update ok={ok_explicit}"
    return ok, detail


@proof(
    paper=LEWKOWYCZ,
    where="brief §1.3 (general label y)",
    statement="with e = f - y: f' = f - eta e lambda + eta^2 e^2 f/n, "
    "lambda' = lambda + (eta e/n)(eta e lambda - 4 f)",
)
def catapult_general_label() -> tuple[bool, str]:
    """For loss (f - y)^2/2: f' = f - eta e lambda + eta^2 e^2 f / n and
    lambda' = lambda + (eta e / n)(eta e lambda - 4 f), e = f - y (exact Gram algebra)."""
    y = sp.Symbol("y", real=True)
    s = _warmup_step(y)
    eta, n, f, lam, e = (s[k] for k in ("eta", "n", "f", "lam", "e"))
    ok1, r1 = is_zero(s["f1"] - (f - eta * e * lam + eta**2 * e**2 * f / n))
    ok2, r2 = is_zero(s["lam1"] - (lam + (eta * e / n) * (eta * e * lam - 4 * f)))
    return ok1 and ok2, f"f' residual {r1}; lambda' residual {r2}"


@proof(
    paper=ZHU,
    where="single-example NQM equations (brief §1.4)",
    statement="u = k eta^2 (g-y)^2, w = k eta^2 (g-y) y, v = eta lambda turn the (g, lambda) "
    "recursion into u' = (1-v+u+w)^2 u, v' = v - u(4-v) - 4w",
)
def nqm_normalised_map() -> tuple[bool, str]:
    """g' - y = (1 - eta lambda + k eta^2 (g-y) g)(g - y),
    lambda' = lambda - eta k (g-y)^2 (4 g/(g-y) - eta lambda), k = |x|^2/(m d); with
    u = k eta^2 (g-y)^2, w = k eta^2 (g-y) y, v = eta lambda:
    u' = (1 - v + u + w)^2 u, v' = v - u(4 - v) - 4w, w' = (1 - v + u + w) w; y = 0 gives the
    Lewkowycz map."""
    g, y, lam = sp.symbols("g y lambda", real=True)
    eta, kappa = sp.symbols("eta kappa", positive=True)
    # the library's recursion twin in e = g - y, checked against the paper's (g, lambda) form
    e1, lam1 = nqm_recursion(g - y, lam, y, eta, kappa)
    g1 = y + e1
    ok_form = is_zero(g1 - (y + (1 - eta * lam + kappa * eta**2 * (g - y) * g) * (g - y)))[0]
    ok_form &= is_zero(lam1 - (lam - eta * kappa * (g - y) ** 2 * (4 * g / (g - y) - eta * lam)))[0]

    def uvw(gg: sp.Expr, ll: sp.Expr) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        return kappa * eta**2 * (gg - y) ** 2, eta * ll, kappa * eta**2 * (gg - y) * y

    u0, v0, w0 = uvw(g, lam)
    u1, v1, w1 = uvw(g1, lam1)
    nu, nw, nv = nqm_normalised(u0, w0, v0)  # the library's map
    r = {"u'": u1 - nu, "v'": v1 - nv, "w'": w1 - nw}
    res = {k: is_zero(x) for k, x in r.items()}
    # y = 0: w = 0 and (u, v) follows the Lewkowycz warm-up map
    lu, lv = uv_map(u0.subs(y, 0), v0)
    red = [
        is_zero(u1.subs(y, 0) - lu)[1],
        is_zero(v1.subs(y, 0) - lv)[1],
        sp.expand(w0.subs(y, 0)),
    ]
    # the (g, lambda) recursion is the warm-up recursion (general label) with kappa = 1/n
    s = _warmup_step(y)
    link = {g: s["f"], lam: s["lam"], eta: s["eta"], kappa: 1 / s["n"]}
    lnk = [is_zero(g1.subs(link) - s["f1"])[1], is_zero(lam1.subs(link) - s["lam1"])[1]]
    ok = ok_form and all(v[0] for v in res.values()) and all(x == 0 for x in red + lnk)
    detail = ", ".join(f"{k} residual {v[1]}" for k, v in res.items())
    detail += f"; library recursion = paper's (g, lambda) form {ok_form}"
    return ok, (
        detail + f"; y=0 reduction to the (U, V) map: residuals {red}; "
        f"equals warm-up net recursion with kappa = 1/n: residuals {lnk}"
    )


@proof(
    paper=LEWKOWYCZ,
    where="library cross-check (toymodels.models.quadratic_regression, two_layer_linear)",
    statement="catapult_map, nqm_map, NQM.recursion and WideLinearNet equal the proven "
    "expressions at random points to 1e-12; one WideLinearNet GD step (y = 0) maps "
    "(eta^2 f^2/n, eta lambda) by the library's catapult map",
)
def catapult_library_numeric() -> tuple[bool, str]:
    """catapult_map() and nqm_map() (values) at 6 random states against the lambdified
    CATAPULT_MAP_EXPRS / NQM_MAP_EXPRS proven on above; NQM(x, y, m).recursion for 3 steps at
    eta = 0.3 against the lambdified recursion twin iterated from the same g0, lambda0, kappa;
    WideLinearNet(3, y) loss, gradient and Hessian against wide_linear_loss_expr (y = 0, 0.4);
    and for y = 0, (U, V) of one numpy GD step against catapult_map() at (U, V) of the start
    (catapult_warmup_derivation)."""
    gen = rng(5)
    out = []
    cat, nqm = catapult_map(), nqm_map()
    uu, vv = sp.symbols("U V")
    cat_fn = lambdify([uu, vv], list(uv_map(uu, vv)))
    pts2 = [gen.uniform(0, 3, 2) for _ in range(6)]
    out.append(agree("catapult_map", cat, lambda p: np.array(cat_fn(*p)), pts2))
    su, sw, sv = sp.symbols("u w v")
    nqm_fn = lambdify([su, sw, sv], list(nqm_normalised(su, sw, sv)))
    pts3 = [gen.uniform(-1, 3, 3) for _ in range(6)]
    out.append(agree("nqm_map", nqm, lambda p: np.array(nqm_fn(*p)), pts3))
    # NQM.recursion (numpy) against the proven twin
    e_, l_, y_, eta_, k_ = sp.symbols("e lam y eta kappa")
    rec_fn = lambdify([e_, l_, y_, eta_, k_], list(nqm_recursion(e_, l_, y_, eta_, k_)))
    model = NQM(gen.standard_normal(4), 0.5, 16, seed=2)
    eta, steps = 0.3, 3
    run = model.recursion(eta, steps)

    def twin(_: np.ndarray) -> np.ndarray:
        e, lam = run["g"][0] - model.y, run["lambda"][0]
        es, ls = [e], [lam]
        for _ in range(steps):
            e, lam = rec_fn(e, lam, model.y, eta, model.kappa)
            es.append(e)
            ls.append(lam)
        return np.concatenate([np.array(es) + model.y, ls])

    out.append(
        agree(
            "NQM.recursion",
            lambda _: np.concatenate([run["g"], run["lambda"]]),
            twin,
            [np.zeros(1)],
        )
    )
    for y in (0.0, 0.4):
        net = WideLinearNet(3, y)
        us, vs = sp.symbols("u0:3"), sp.symbols("v0:3")
        expr = wide_linear_loss_expr(us, vs, sp.Float(y, 17))
        pts = [gen.standard_normal(6) for _ in range(4)]
        out += model_agrees(f"WideLinearNet(y={y:g})", net.model, expr, [*us, *vs], pts)
    net = WideLinearNet(3, 0.0)
    eta = 0.7

    def uv_after(th: np.ndarray) -> np.ndarray:
        t1 = th - eta * net.model.grad(th)
        return np.array([eta**2 * net.f(t1) ** 2 / 3, eta * net.ntk(t1)])

    def map_of(th: np.ndarray) -> np.ndarray:
        return cat(np.array([eta**2 * net.f(th) ** 2 / 3, eta * net.ntk(th)]))

    pts = [gen.standard_normal(6) for _ in range(4)]
    out.append(agree("GD step (U, V) = catapult map", uv_after, map_of, pts))
    return combine(out)
