"""Interval certificates (Krawczyk proofs) of cycles and bifurcation points.

Each check runs :func:`toymodels.certificates.certify_cycle` or
:func:`~toymodels.certificates.certify_bifurcation` (ball arithmetic with python-flint's arb on
the library's own sympy expressions) and compares the certified enclosure with the library's
float answer (``find_cycle``, ``period_doubling_points``, ``saddle_node_points``) to 1e-10.

- Chen, Balasubramanian, Ghosal, Agrawalla (TMLR 2024), the cubic map F_a(z) = z(1 + a(1 − z))²:
  the attracting 1-, 2-, 4- and 8-cycles of the cascade, the first flips a = 1, √5 − 1,
  1.288031754483, and the period-3 window (its stable 3-cycle and the saddle-node 1.4504409645).
- The scalar uv net, GD on (xy − 1)²/2: a stable balanced 2-cycle of the full 2-D map at η = 1.1,
  whose xy-coordinates are the 2-cycle of F_η.
- The deep linear balanced line z ↦ z − (c/L)(z^L − 1)z^{L−1}: a stable 2-cycle (L = 3, c = 2.1).
- Negative controls: a box holding three zeros of F² − z, and a marginal multiplier, are not
  certified.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

import toymodels as tm
from toymodels.certificates import (
    BifurcationCertificate,
    CycleCertificate,
    certify_bifurcation,
    certify_cycle,
    interval_contains,
)
from toymodels.models.deep_linear import balanced_line_family
from toymodels.models.quadratic_regression import (
    cubic_map_family,
    two_cycle,
    two_cycle_multiplier,
)

from .registry import proof

CHEN = "Chen, Balasubramanian, Ghosal, Agrawalla 2023"
UV = "scalar uv net (via Chen et al. 2023 and Lewkowycz et al. 2020)"
DEEP = "deep linear networks, balanced line (brief deep_linear)"
TOL = 1e-10


def _attractor(F: tm.Map, z0: object, n: int = 4000) -> np.ndarray:
    return np.asarray(F.iterate(z0, n), dtype=float).reshape(-1)


def _cycle_vs_float(label: str, c: CycleCertificate, F: tm.Map, stable: bool) -> tuple[bool, str]:
    """The certificate holds, with the expected stability, and matches find_cycle to 1e-10."""
    if not c.certified:
        return False, f"{label}: not certified ({c.reason})"
    ref = tm.find_cycle(F, c.point, c.period)
    pts = np.asarray(ref.points, dtype=float).reshape(c.period, -1)
    # the float cycle may start at another point of the orbit: compare as sets
    got = np.array([[(lo + hi) / 2 for lo, hi in box] for box in c.orbit])
    err = max(float(np.min(np.max(np.abs(pts - g), axis=1))) for g in got)
    ok = c.stable is stable and err <= TOL and ref.period == c.period
    rho = c.spectral_radius
    return ok, (
        f"{label}: unique {c.period}-cycle in box of radius {c.radius:.2g}, point "
        f"{_fmt_box(c.enclosure)}, |λ| ∈ [{rho[0]:.12g}, {rho[1]:.12g}]"
        if rho
        else f"{label}: no multiplier enclosure"
    ) + f", stable={c.stable}; find_cycle differs by {err:.1e}" + ("" if ok else " FAIL")


def _fmt_box(box: tuple[tuple[float, float], ...]) -> str:
    return " × ".join(f"[{lo:.15g}, {hi:.15g}]" for lo, hi in box)


def _bif_vs_float(
    label: str, b: BifurcationCertificate, ref: float, exact: sp.Expr | None = None
) -> tuple[bool, str]:
    if not b.certified or b.param is None:
        return False, f"{label}: not certified ({b.reason})"
    err = abs(b.value - ref)
    ok = err <= TOL
    detail = f"{label}: {b.param_name} ∈ [{b.param[0]:.16g}, {b.param[1]:.16g}]"
    if exact is not None:
        inside = interval_contains(b.param, exact)
        ok = ok and inside
        detail += f" ∋ {exact}" if inside else f" ∌ {exact}"
    return ok, detail + f"; float answer differs by {err:.1e}" + ("" if ok else " FAIL")


def _all(results: list[tuple[bool, str]]) -> tuple[bool, str]:
    return all(ok for ok, _ in results), "; ".join(d for _, d in results)


@proof(
    paper=CHEN,
    where="Thm 2.1 / §4 (the period-doubling cascade of F_a) [derived: interval certificate]",
    statement="F_a has a unique, certified stable cycle of period 1, 2, 4, 8 at a = 0.9, 1.1, "
    "1.25, 1.295 (Krawczyk boxes; multipliers enclosed inside the unit disc)",
)
def cert_cubic_cascade_cycles() -> tuple[bool, str]:
    """Krawczyk on F_a^k(z) − z, k = 1, 2, 4, 8; |λ| < 1 proven; points agree with find_cycle."""
    fam = cubic_map_family()
    out = []
    for a, k in [(0.9, 1), (1.1, 2), (1.25, 4), (1.295, 8)]:
        F = fam(a)
        c = certify_cycle(F, _attractor(F, 0.8), k)
        out.append(_cycle_vs_float(f"a={a}, k={k}", c, F, True))
    return _all(out)


@proof(
    paper=CHEN,
    where="§4 (first flips of F_a: 1, √5 − 1, 1.288031754483) [derived: interval certificate]",
    statement="the flip equations {F_a^k(z) = z, F_a^k'(z) = −1} have a unique solution in a "
    "certified box for k = 1, 2, 4, enclosing a = 1, √5 − 1 and 1.288031754483",
)
def cert_cubic_flip_thresholds() -> tuple[bool, str]:
    """certify_bifurcation(F_a, kind='flip') for k = 1, 2, 4 vs period_doubling_points; the
    enclosures contain the closed forms 1 and √5 − 1 (checked in ball arithmetic)."""
    fam = cubic_map_family()
    ref = np.asarray(tm.period_doubling_points(fam, 0.5, (0.9, 1.3), 3), dtype=float)
    if ref.shape != (3,):
        return False, f"period_doubling_points returned {ref}"
    out = []
    exact = [sp.Integer(1), sp.sqrt(5) - 1, None]
    for i, (k, a_near) in enumerate([(1, 1.0), (2, 1.236), (4, 1.288)]):
        z = _attractor(fam(a_near - 0.003), 0.8)
        b = certify_bifurcation(fam, z, a_near, k, kind="flip")
        out.append(_bif_vs_float(f"flip k={k}", b, float(ref[i]), exact[i]))
    return _all(out)


@proof(
    paper=CHEN,
    where="§4 (the period-3 window of F_a, saddle-node 1.4504409645) [derived: interval "
    "certificate]",
    statement="F_a has a certified stable 3-cycle at a = 1.46, and the fold equations "
    "{F_a³(z) = z, F_a³'(z) = 1} a unique solution with a ∈ an interval around 1.4504409645",
)
def cert_cubic_period3_window() -> tuple[bool, str]:
    """certify_cycle(F_1.46, k=3) stable; certify_bifurcation(kind='fold', k=3) vs
    saddle_node_points(F, 0.3, 1.455, 1.44)."""
    fam = cubic_map_family()
    F = fam(1.46)
    c = certify_cycle(F, _attractor(F, 0.3), 3)
    res = [_cycle_vs_float("a=1.46, k=3", c, F, True)]
    ref = float(tm.saddle_node_points(fam, 0.3, 1.455, 1.44))
    b = certify_bifurcation(fam, _attractor(fam(1.4505), 0.3), 1.4505, 3, kind="fold")
    res.append(_bif_vs_float("fold k=3", b, ref))
    return _all(res)


@proof(
    paper=UV,
    where="GD on (xy − 1)²/2, η = 1.1: the balanced 2-cycle [derived: interval certificate]",
    statement="the full 2-D GD map has a unique, certified stable 2-cycle near the balanced line "
    "at η = 1.1; its products xy are the 2-cycle of F_η, and λ(F_η²) = 0.18 is a multiplier",
)
def cert_uv_gd_two_cycle() -> tuple[bool, str]:
    """Krawczyk on the 2-D map (x, y) ↦ (x − η(xy − 1)y, y − η(xy − 1)x), k = 2; xy at the two
    points vs two_cycle(η); the multiplier enclosure holds two_cycle_multiplier(η)."""
    eta = 1.1
    m = tm.Model.from_sympy("(x*y - 1)**2/2", ("x", "y"))
    F = tm.gd_map(m, eta)
    c = certify_cycle(F, _attractor(F, [1.3, 1.2]), 2)
    ok, detail = _cycle_vs_float(f"eta={eta}", c, F, True)
    if not c.certified:
        return ok, detail
    prods = sorted(((x0 + x1) / 2) * ((y0 + y1) / 2) for (x0, x1), (y0, y1) in c.orbit)
    want = sorted(np.asarray(two_cycle(eta), dtype=float).reshape(-1).tolist())
    err = max(abs(a - b) for a, b in zip(prods, want, strict=True))
    lam = float(two_cycle_multiplier(eta))
    hit = any(re[0] <= lam <= re[1] and im[0] <= 0 <= im[1] for re, im in c.multipliers)
    ok = ok and err <= TOL and hit
    return ok, (
        f"{detail}; xy vs two_cycle(η) {err:.1e}; multiplier {lam:.12g} "
        + ("enclosed" if hit else "NOT enclosed")
        + ("" if ok else " FAIL")
    )


@proof(
    paper=DEEP,
    where="balanced line z ↦ z − (c/L)(z^L − 1)z^{L−1}, L = 3, c = 2.1 [derived: interval "
    "certificate]",
    statement="the balanced-line map of a depth-3 linear net has a unique, certified stable "
    "2-cycle at c = 2.1 (past its flip at c = 2)",
)
def cert_deep_linear_two_cycle() -> tuple[bool, str]:
    """Krawczyk on G(z) = F_c²(z) − z for balanced_line_family(3) at c = 2.1."""
    F = balanced_line_family(3)(2.1)
    c = certify_cycle(F, _attractor(F, 0.9), 2)
    return _cycle_vs_float("L=3, c=2.1", c, F, True)


@proof(
    paper=CHEN,
    where="negative controls of the certificates [derived]",
    statement="a box holding three zeros of F_1.1² − z, and the marginal fixed point of F_1 "
    "(λ = −1), are not certified as a unique cycle / a decided stability",
)
def cert_negative_controls() -> tuple[bool, str]:
    """certify_cycle(F_1.1, 1, k=2, radius=0.5, refine=False) fails (box holds the fixed point
    and the 2-cycle); certify_cycle(F_1, 1, k=1) is certified with stable=None."""
    fam = cubic_map_family()
    c1 = certify_cycle(fam(1.1), 1.0, 2, radius=0.5, refine=False)
    c2 = certify_cycle(fam(1.0), 1.0, 1)
    ok1 = not c1.certified and c1.stable is None and bool(c1.reason)
    ok2 = c2.certified and c2.stable is None and bool(c2.reason)
    return ok1 and ok2, (
        f"three zeros in [0.5, 1.5]: certified={c1.certified} ({c1.reason}); "
        f"a=1 fixed point: certified={c2.certified}, stable={c2.stable} ({c2.reason})"
    )
