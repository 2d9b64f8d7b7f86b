"""Exact checks for the bifurcation brief (``bifurcation.md``): the flip-direction criterion, the
merging crisis of the cubic map, Kalra's uv reduction in Y, Zhu's (A, d) reduction and the
period-2 curve.

The maps are the library's (:data:`toymodels.models.bifurcation.UV_REDUCED_MAP_EXPRS`,
``ZHU_REDUCED_MAP_EXPRS``, the cubic map g_a = ``W_MAP_EXPR`` through
:func:`proofs_check.cubic_map.g_map`); :func:`bifurcation_library_numeric` checks the compiled
maps and :func:`toymodels.models.bifurcation.flip_criterion` against these expressions. The
divergence threshold a = 2 and the 2-cycle multiplier 9 − 2(1 + a)² of the cubic map are proved
in :mod:`proofs_check.cubic_map` (``cubic_invariant_interval``, ``cubic_two_cycle_multiplier``)
and not repeated here.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from toymodels.models import bifurcation as bf

from ._exact import fmt, is_zero, reduce_sqrt
from ._numeric import agree, combine, lambdify, rng
from .cubic_map import g_map
from .registry import proof

CB = "Chen, Bruna 2023 (ICML)"
KALRA = "Kalra, He, Barkeshli 2023 (arXiv 2311.02076)"
ZHU = "Zhu, Wang, Wang, Zhou, Ge 2023 (ICLR)"
SONG = "Song, Yun 2023 (NeurIPS)"
CHEN = "Chen, Balasubramanian, Ghosal, Agrawalla 2023"

a = sp.Symbol("a", positive=True)
ETA = sp.Symbol("eta", positive=True)


def _parse(text: str, names: dict[str, sp.Expr]) -> sp.Expr:
    """A library expression string with its symbols replaced by name (all must be mapped)."""
    expr = sp.sympify(text)
    extra = {s.name for s in expr.free_symbols} - set(names)
    if extra:
        raise ValueError(f"library expression {text!r} has unexpected free symbols {extra}")
    return expr.xreplace({s: names[s.name] for s in expr.free_symbols})


#: the five losses of the brief's §1.2 table: (loss, minimiser, 3f'''² − f''f'''')
BRIEF_LOSSES = (
    ("(x**2 - 1)**2/4", 1, 96),
    ("log(cosh(x))", 0, 2),
    ("x**2/2 - x**3/3", 0, 12),
    ("x**2/2 + x**3 + x**4", 0, 84),
    ("x**2/2 + x**4/4", 0, -6),
)


@proof(
    paper=CB,
    where="local third-order condition for period-2 orbits [SRC-abs]; brief §1.2 [derived]",
    statement="GD g = x − ηf' flips at η₀ = 2/f''; g∘g(x* + h) = x* + (1 + μ)²h − 2c h³ + O(h⁴) "
    "at μ = 0 with c = (g''/2)² + g'''/6 = (3f'''² − f''f'''')/(3f''²) at η₀: a 2-cycle h² ≈ "
    "μ/c, stable iff c > 0",
)
def flip_criterion_derivation() -> tuple[bool, str]:
    """Taylor coefficients f2, f3, f4 of f at x*: g(x* + h) − x* = −(1 + μ)h + αh² + βh³ with
    1 + μ = ηf2 − 1, α = −ηf3/2, β = −ηf4/6. The h² coefficient of g∘g vanishes at μ = 0 and its
    h³ coefficient is −2(α² + β); the 2-cycle of g∘g(h) = h solves 2μh ≈ 2(α² + β)h³; its
    multiplier (g∘g)'(h) = 1 + 2μ − 6(α² + β)h² = 1 − 4μ < 1 when α² + β > 0 (μ > 0)."""
    h, f2, f3, f4, mu = sp.symbols("h f2 f3 f4 mu", real=True)
    f2p = sp.Symbol("f2", positive=True)
    x = sp.Symbol("x", real=True)
    taylor = f2 * x**2 / 2 + f3 * x**3 / 6 + f4 * x**4 / 24
    g = sp.expand(x - ETA * sp.diff(taylor, x))
    al, be = g.coeff(x, 2), g.coeff(x, 3)
    out = []
    ok, res = is_zero(al + ETA * f3 / 2)
    ok2, res2 = is_zero(be + ETA * f4 / 6)
    out.append((ok and ok2, f"g'' / 2 = -eta f3/2, g'''/6 = -eta f4/6: residuals {res}, {res2}"))
    # generic cubic with multiplier -(1 + mu)
    gg = -(1 + mu) * h + al * h**2 + be * h**3
    gg2 = sp.expand(gg.subs(h, gg))
    c2 = gg2.coeff(h, 2).subs(mu, 0)
    c3 = gg2.coeff(h, 3).subs(mu, 0)
    ok, r = is_zero(c2)
    out.append((ok, f"h^2 coefficient of g∘g at mu = 0: {fmt(r)}"))
    ok, r = is_zero(c3 + 2 * (al**2 + be))
    out.append((ok, f"h^3 coefficient of g∘g = -2(alpha^2 + beta): residual {fmt(r)}"))
    ok, r = is_zero(gg2.coeff(h, 1) - (1 + mu) ** 2)
    out.append((ok, f"h coefficient (1 + mu)^2: residual {fmt(r)}"))
    # at eta0 = 2/f2: alpha^2 + beta = (3 f3^2 - f2 f4)/(3 f2^2)
    c_eta0 = (al**2 + be).subs({ETA: 2 / f2p, f2: f2p})
    ok, r = is_zero(c_eta0 - (3 * f3**2 - f2p * f4) / (3 * f2p**2))
    out.append((ok, f"c(eta0) - (3f3^2 - f2 f4)/(3f2^2) = {fmt(r)}"))
    # multiplier of g at x*: 1 - eta f2 = -(1 + mu) with mu = eta f2 - 2
    ok, r = is_zero(g.coeff(x, 1) - (1 - ETA * f2))
    out.append((ok, f"g'(x*) = 1 - eta f2: residual {fmt(r)}"))
    # stability of the truncated 2-cycle: at h^2 = ((1+mu)^2 - 1)/(2c) the multiplier of the
    # truncated g∘g, (1+mu)^2 - 6c h^2, equals 1 - 2((1+mu)^2 - 1) < 1 iff mu > 0 (c > 0 side)
    cc = sp.Symbol("c", positive=True)
    h2 = ((1 + mu) ** 2 - 1) / (2 * cc)
    ok, r = is_zero(((1 + mu) ** 2 - 6 * cc * h2) - (1 - 2 * ((1 + mu) ** 2 - 1)))
    out.append((ok, f"truncated 2-cycle multiplier 1 - 2((1+mu)^2 - 1): residual {fmt(r)}"))
    # the library's criterion on the brief's five losses
    for text, x0, val in BRIEF_LOSSES:
        crit = bf.flip_criterion(text, at=x0)
        f = sp.sympify(text)
        (xs,) = f.free_symbols
        want = 3 * sp.diff(f, xs, 3).subs(xs, x0) ** 2 - sp.diff(f, xs, 2).subs(xs, x0) * sp.diff(
            f, xs, 4
        ).subs(xs, x0)
        good = sp.simplify(crit.value - want) == 0 and sp.simplify(want - val) == 0
        kind = "supercritical" if val > 0 else "subcritical"
        out.append((good and crit.kind == kind, f"{text}: {crit.value} ({crit.kind})"))
    return combine(out)


@proof(
    paper=CHEN,
    where="symmetry-merging crisis of the cubic map, brief §2.1 [derived]",
    statement="g_a(w) = (1 + a)w − aw³, w_c = √((1 + a)/(3a)): g_a(g_a(w_c)) = g_a(w_c)(1 + a)"
    "(27 − 4(1 + a)²)/27, zero at a = 3√3/2 − 1 and > 0 below it",
)
def bifurcation_crisis() -> tuple[bool, str]:
    """g'(w_c) = 0; g(w_c)² = 4(1 + a)³/(27a); g(g(w_c)) = g(w_c)(1 + a − a g(w_c)²); the
    bracket is (1 + a)(27 − 4(1 + a)²)/27, whose only positive root is 3√3/2 − 1."""
    wc = sp.sqrt((1 + a) / (3 * a))
    w = sp.Symbol("w", real=True)
    gw = g_map(w, a)
    out = []
    ok, r = is_zero(sp.diff(gw, w).subs(w, wc))
    out.append((ok, f"g'(w_c) = {fmt(r)}"))
    gc = sp.simplify(gw.subs(w, wc))
    ok, r = is_zero(gc**2 - 4 * (1 + a) ** 3 / (27 * a))
    out.append((ok, f"g(w_c)^2 - 4(1+a)^3/(27a) = {fmt(r)}"))
    # g(t) = t(1 + a - a t^2) (library map), evaluated at t = g(w_c) symbolically via t^2
    t = sp.Symbol("t", positive=True)
    ratio = sp.cancel(g_map(t, a) / t)
    bracket = ratio.subs(t**2, 4 * (1 + a) ** 3 / (27 * a))
    ok, r = is_zero(bracket - (1 + a) * (27 - 4 * (1 + a) ** 2) / 27)
    out.append((ok, f"g(g(w_c))/g(w_c) - (1+a)(27 - 4(1+a)^2)/27 = {fmt(r)}"))
    roots = sp.solveset(27 - 4 * (1 + a) ** 2, a, sp.Interval.open(0, sp.oo))
    ac = 3 * sp.sqrt(3) / 2 - 1
    ok = roots == sp.FiniteSet(ac)
    out.append((ok, f"positive roots of 27 - 4(1+a)^2: {roots}"))
    # direct: g(g(w_c)) = 0 at a_c, exactly (radicals denested by sympy)
    direct = sp.nsimplify(sp.simplify(g_map(gc, a).subs(a, ac)))
    out.append((direct == 0, f"g(g(w_c)) at a = 3√3/2 - 1: {direct}"))
    region = sp.solveset((27 - 4 * (1 + a) ** 2) > 0, a, sp.Interval.open(0, sp.oo))
    ok = region == sp.Interval.open(0, ac)
    out.append((ok, f"{{a > 0: g(g(w_c)) > 0}} = {region}"))
    lib = abs(bf.A_MERGING_CRISIS - float(ac)) <= 1e-15
    out.append((lib, f"library A_MERGING_CRISIS = {bf.A_MERGING_CRISIS!r}"))
    return combine(out)


@proof(
    paper=CHEN,
    where="superstable 2-cycle of the cubic map, brief §2.1 [derived]",
    statement="g_a(g_a(w_c)) = w_c (the critical point on a 2-cycle or fixed) iff "
    "8(1 + a)⁴ − 54(1 + a)² + 81 = 0, i.e. a = 1/2 (superstable fixed point) or a = 3/√2 − 1",
)
def bifurcation_superstable_two_cycle() -> tuple[bool, str]:
    """With t = g(w_c), t² = 4(1 + a)³/(27a): g(g(w_c))/w_c − 1 = (2/3)(1 + a)²(1 − 4(1 + a)²/27)
    − 1 = −(8u² − 54u + 81)/81, u = (1 + a)²; the positive roots in a are 1/2 and 3/√2 − 1."""
    wc = sp.sqrt((1 + a) / (3 * a))
    t = sp.Symbol("t", positive=True)
    ratio = sp.cancel(g_map(t, a) / t).subs(t**2, 4 * (1 + a) ** 3 / (27 * a))
    gc_over_wc = sp.cancel(g_map(wc, a) / wc)
    out = []
    ok, r = is_zero(gc_over_wc - sp.Rational(2, 3) * (1 + a))
    out.append((ok, f"g(w_c)/w_c - 2(1+a)/3 = {fmt(r)}"))
    u = (1 + a) ** 2
    ok, r = is_zero(gc_over_wc * ratio - 1 + (8 * u**2 - 54 * u + 81) / 81)
    out.append((ok, f"g(g(w_c))/w_c - 1 + (8u^2 - 54u + 81)/81 = {fmt(r)}"))
    roots = sp.solveset(8 * u**2 - 54 * u + 81, a, sp.Interval.open(0, sp.oo))
    want = sp.FiniteSet(sp.Rational(1, 2), 3 / sp.sqrt(2) - 1)
    ok = sp.simplify(sp.Complement(roots, want)) == sp.S.EmptySet and len(roots) == 2
    out.append((ok, f"positive roots: {roots}"))
    return combine(out)


def _uv_scalars() -> dict[str, sp.Expr]:
    """One GD step of f = vᵀUx/√n, ½(f − y)², in the closed scalars p = ‖v‖², q = ‖Ux‖²,
    s = vᵀUx (with ‖x‖² = n k²): v' = v − ηΔ Ux/√n, U'x = Ux − ηΔ‖x‖² v/√n."""
    p, q, k, n, y = sp.symbols("p q k n y", positive=True)
    s = sp.Symbol("s", real=True)
    X = n * k**2
    rn = sp.sqrt(n)
    delta = s / rn - y
    # v'ᵀU'x, ‖v'‖², ‖U'x‖² expanded by hand from the two vector updates
    s1 = s - ETA * delta * X * p / rn - ETA * delta * q / rn + ETA**2 * delta**2 * X * s / n
    p1 = p - 2 * ETA * delta * s / rn + ETA**2 * delta**2 * q / n
    q1 = q - 2 * ETA * delta * X * s / rn + ETA**2 * delta**2 * X**2 * p / n
    return {"p": p, "q": q, "s": s, "k": k, "n": n, "y": y, "X": X, "s1": s1, "p1": p1, "q1": q1}


@proof(
    paper=KALRA,
    where="uv model on one example [SRC-abs]; brief §1.3 [derived]",
    statement="GD on f = vᵀUx/√n, ½(f − y)² closes on F = √c·ηf, Λ = ηλ with Y = ηy‖x‖/√n: "
    "F' = F − ΛD + D²F, Λ' = Λ + D(ΛD − 4F), D = F − Y; Q' = (1 − D²)Q; on Λ = 2F, "
    "w = √(F/Y) follows C_Y; the fixed point (Y, 2Y) has multipliers 1, 1 − 2Y",
)
def bifurcation_uv_reduction() -> tuple[bool, str]:
    """The vector updates give s', p', q' (checked here against explicit vectors with symbolic
    entries), then F', Λ', Q' follow by substitution; the library's map strings are parsed."""
    v = _uv_scalars()
    p, q, s, k, n, y, X = (v[c] for c in ("p", "q", "s", "k", "n", "y", "X"))
    out = []
    # the scalar updates from explicit 2×2 vectors (symbolic entries), n = 2
    u11, u12, u21, u22, v1, v2, x1, x2, yy = sp.symbols("u11 u12 u21 u22 v1 v2 x1 x2 yy", real=True)
    Um = sp.Matrix([[u11, u12], [u21, u22]])
    vm, xm = sp.Matrix([v1, v2]), sp.Matrix([x1, x2])
    r2 = sp.sqrt(2)
    fm = (vm.T * Um * xm)[0] / r2
    dm = fm - yy
    Un = Um - ETA * dm * vm * xm.T / r2
    vn = vm - ETA * dm * Um * xm / r2
    sub = {
        s: (vm.T * Um * xm)[0],
        p: (vm.T * vm)[0],
        q: ((Um * xm).T * (Um * xm))[0],
        n: 2,
        y: yy,
    }
    Xm = (xm.T * xm)[0]
    for name, new, want in (
        ("s'", (vn.T * Un * xm)[0], v["s1"]),
        ("p'", (vn.T * vn)[0], v["p1"]),
        ("q'", ((Un * xm).T * (Un * xm))[0], v["q1"]),
    ):
        ok, r = is_zero(sp.expand(new - want.subs(sub).subs(k**2, Xm / 2)))
        out.append((ok, f"{name} from the vector update: residual {fmt(r)}"))
    # reduced variables (c = ‖x‖²/n = k²)
    F0 = k * ETA * s / sp.sqrt(n)
    L0 = ETA * (X * p + q) / n
    Y = k * ETA * y
    F1 = k * ETA * v["s1"] / sp.sqrt(n)
    L1 = ETA * (X * v["p1"] + v["q1"]) / n
    Fs, Ls, Ys = sp.symbols("F Lam Y")
    fmap, lmap = (_parse(e, {"F": F0, "Lam": L0, "Y": Y}) for e in bf.UV_REDUCED_MAP_EXPRS)
    ok, r = is_zero(F1 - fmap)
    out.append((ok, f"F' - library map: {fmt(r)}"))
    ok, r = is_zero(L1 - lmap)
    out.append((ok, f"Lam' - library map: {fmt(r)}"))
    D = F0 - Y
    Q0, Q1 = X * p - q, X * v["p1"] - v["q1"]
    ok, r = is_zero(Q1 - (1 - D**2) * Q0)
    out.append((ok, f"Q' - (1 - D^2) Q: {fmt(r)}"))
    # balanced set: Λ = 2F is invariant and w = √(F/Y) follows C_Y (w ↦ (1 + Y)w − Y w³)
    wv = sp.Symbol("w", positive=True)
    Yp = sp.Symbol("Y", positive=True)
    bal = {"F": Yp * wv**2, "Lam": 2 * Yp * wv**2, "Y": Yp}
    fb, lb = (_parse(e, bal) for e in bf.UV_REDUCED_MAP_EXPRS)
    ok, r = is_zero(lb - 2 * fb)
    out.append((ok, f"Lam' - 2F' on Lam = 2F: {fmt(r)}"))
    ok, r = is_zero(fb - Yp * g_map(wv, Yp) ** 2)
    out.append((ok, f"F' - Y C_Y(w)^2 on the balanced set: {fmt(r)}"))
    # Jacobian at the fixed point (Y, Λ): eigenvalues 1, 1 − Λ (flip at Λ = 2, i.e. Y = 1 on
    # the balanced set)
    fs, ls = (_parse(e, {"F": Fs, "Lam": Ls, "Y": Ys}) for e in bf.UV_REDUCED_MAP_EXPRS)
    J = sp.Matrix([fs, ls]).jacobian([Fs, Ls]).subs(Fs, Ys)
    lam_ = sp.Symbol("lam")
    charp = sp.factor((J - lam_ * sp.eye(2)).det())
    ok, r = is_zero(charp - (lam_ - 1) * (lam_ - 1 + Ls))
    out.append((ok, f"char. poly at F = Y: {charp}"))
    return combine(out)


@proof(
    paper=ZHU,
    where="minimalist example ¼(x²y² − 1)² [SRC-abs]; brief §1.1 [derived]",
    statement="GD in A = ηx², d = xy: A' = A(1 − rB)², d' = d(1 − rA)(1 − rB), r = d² − 1, "
    "B = η²d²/A; x'² − y'² = (x² − y²)(1 − η²r²x²y²); on d = 1 the multipliers are 1 and "
    "1 − 2(A + η²/A) = 1 − ηS",
)
def bifurcation_zhu_reduction() -> tuple[bool, str]:
    """GD: x' = x − η r x y², y' = y − η r x² y (gradient of the loss by sympy)."""
    x, y = sp.symbols("x y", positive=True)
    loss = (x**2 * y**2 - 1) ** 2 / 4
    x1 = x - ETA * sp.diff(loss, x)
    y1 = y - ETA * sp.diff(loss, y)
    A0, d0 = ETA * x**2, x * y
    amap, dmap = (_parse(e, {"A": A0, "d": d0, "eta": ETA}) for e in bf.ZHU_REDUCED_MAP_EXPRS)
    out = []
    ok, r = is_zero(ETA * x1**2 - amap)
    out.append((ok, f"A' - library map: {fmt(r)}"))
    ok, r = is_zero(x1 * y1 - dmap)
    out.append((ok, f"d' - library map: {fmt(r)}"))
    rr = x**2 * y**2 - 1
    ok, r = is_zero(x1**2 - y1**2 - (x**2 - y**2) * (1 - ETA**2 * rr**2 * x**2 * y**2))
    out.append((ok, f"x'^2 - y'^2 - (x^2 - y^2)(1 - eta^2 r^2 x^2 y^2): {fmt(r)}"))
    # Jacobian of the reduced map on the fixed line d = 1
    As, ds = sp.symbols("A d", positive=True)
    am, dm = (_parse(e, {"A": As, "d": ds, "eta": ETA}) for e in bf.ZHU_REDUCED_MAP_EXPRS)
    J = sp.Matrix([am, dm]).jacobian([As, ds]).subs(ds, 1)
    lam_ = sp.Symbol("lam")
    charp = (J - lam_ * sp.eye(2)).det()
    ok, r = is_zero(charp - (lam_ - 1) * (lam_ - 1 + 2 * (As + ETA**2 / As)))
    out.append((ok, f"char. poly on d = 1 - (lam-1)(lam-1+2(A+eta^2/A)): {fmt(r)}"))
    # 2(A + η²/A) = η·2(x² + y²) = ηS on xy = 1 (S = 2(x² + y²): selfstab_minimalist)
    ok, r = is_zero((2 * (A0 + ETA**2 / A0)).subs(y, 1 / x) - ETA * 2 * (x**2 + 1 / x**2))
    out.append((ok, f"2(A + eta^2/A) - eta S on xy = 1: {fmt(r)}"))
    # the balanced line x = y: u ↦ u − η(u⁴ − 1)u³, multiplier 1 − 4η at u = 1 (flip at 1/2)
    u = sp.Symbol("u", positive=True)
    line = x1.subs({x: u, y: u})
    ok, r = is_zero(line - (u - ETA * (u**4 - 1) * u**3))
    ok2, r2 = is_zero(y1.subs({x: u, y: u}) - line)
    out.append((ok and ok2, f"GD on x = y: u - eta(u^4 - 1)u^3 (residuals {fmt(r)}, {fmt(r2)})"))
    ok, r = is_zero(sp.diff(line, u).subs(u, 1) - (1 - 4 * ETA))
    out.append((ok, f"balanced-line multiplier at u = 1 - (1 - 4 eta): {fmt(r)}"))
    return combine(out)


@proof(
    paper=SONG,
    where="trajectory alignment [RECALLED]; brief §1.4 [derived]",
    statement="for 0 < d < 2/√3 and 1/a = u± = (d² ± d√(4 − 3d²))/2, C_a(C_a(d)) = d; the "
    "2-cycle {d₁, d₂} has d₁ + d₂ = √(1 + 3/a), d₁d₂ = 1/a",
)
def bifurcation_period_two_curve() -> tuple[bool, str]:
    """Reduce C_a(C_a(d)) − d modulo s² − (4 − 3d²), s = √(4 − 3d²), at a = 1/u±; and the
    partner d₂ = C_a(d) satisfies d + d₂ = √(1 + 3u) (squared: (d + d₂)² = 1 + 3u) and
    d·d₂ = u."""
    d, s = sp.symbols("d s", positive=True)
    out = []
    for sign in (1, -1):
        u = (d**2 + sign * d * s) / 2
        aa = 1 / u
        d2 = g_map(d, aa)
        res = reduce_sqrt(g_map(d2, aa) - d, s, 4 - 3 * d**2)
        out.append((res == 0, f"branch {sign:+d}: C_a(C_a(d)) - d = {fmt(res)}"))
        res = reduce_sqrt(d * d2 - u, s, 4 - 3 * d**2)
        out.append((res == 0, f"branch {sign:+d}: d C_a(d) - 1/a = {fmt(res)}"))
        res = reduce_sqrt((d + d2) ** 2 - (1 + 3 * u), s, 4 - 3 * d**2)
        out.append((res == 0, f"branch {sign:+d}: (d + C_a(d))^2 - (1 + 3/a) = {fmt(res)}"))
    return combine(out)


@proof(
    paper="Kalra et al. 2023; Zhu et al. 2023; Chen, Bruna 2023",
    where="library cross-check (toymodels.models.bifurcation)",
    statement="the compiled uv and Zhu maps equal the proven expressions; period_two_curve and "
    "flip_criterion's half-amplitude evaluate the proven formulas",
)
def bifurcation_library_numeric() -> tuple[bool, str]:
    """The library's compiled maps against the proven expressions at random points (1e-12):
    Kalra's (F, Λ) ↦ (F', Λ') in Y, Zhu's (A, d) map, the period-2 curve A(d) and the flip
    normal-form half-amplitude √(((1 + μ)² − 1)/(2c(η))) of ``flip_criterion``."""
    r = rng()
    out = []
    Fs, Ls, Ys = sp.symbols("F Lam Y")
    exprs = [_parse(e, {"F": Fs, "Lam": Ls, "Y": Ys}) for e in bf.UV_REDUCED_MAP_EXPRS]
    fn = lambdify((Fs, Ls, Ys), exprs)
    fam = bf.uv_reduced_map()
    pts = [r.uniform([-1, 0, 0.5], [2, 4, 2]) for _ in range(8)]
    out.append(agree("uv map", lambda p: fam(p[2])(p[:2]), lambda p: np.array(fn(*p), float), pts))
    As, ds, es = sp.symbols("A d eta")
    exprs = [_parse(e, {"A": As, "d": ds, "eta": es}) for e in bf.ZHU_REDUCED_MAP_EXPRS]
    fn2 = lambdify((As, ds, es), exprs)
    famz = bf.zhu_reduced_map()
    pts = [r.uniform([0.5, 0.2, 0.01], [2, 1.5, 0.4]) for _ in range(8)]
    out.append(
        agree("Zhu map", lambda p: famz(p[2])(p[:2]), lambda p: np.array(fn2(*p), float), pts)
    )
    d = sp.Symbol("d", positive=True)
    up = lambdify((d,), (d**2 + d * sp.sqrt(4 - 3 * d**2)) / 2)
    um = lambdify((d,), (d**2 - d * sp.sqrt(4 - 3 * d**2)) / 2)
    pts = [r.uniform(0.05, 1.15, size=1) for _ in range(8)]
    out.append(
        agree(
            "period_two_curve",
            lambda p: np.array(bf.period_two_curve(p[0])),
            lambda p: np.array([up(*p), um(*p)]),
            pts,
        )
    )
    crit = bf.flip_criterion("(x**2 - 1)**2/4", at=1)
    etas = [np.array([e]) for e in (1.001, 1.01, 1.1)]
    # f2 = 2, f3 = 6, f4 = 6: c(η) = 9η² − η, μ = 2η − 2
    out.append(
        agree(
            "half_amplitude",
            lambda p: crit.half_amplitude(float(p[0])),
            lambda p: np.sqrt(((2 * p[0] - 1) ** 2 - 1) / (2 * (9 * p[0] ** 2 - p[0]))),
            etas,
        )
    )
    return combine(out)
