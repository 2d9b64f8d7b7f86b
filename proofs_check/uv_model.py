"""Exact checks for the scalar uv model at the edge of stability.

f = u v, label y = 1, loss (u v - 1)^2 / 2 (research brief §2.2, "universality": the balanced
line of this two-parameter net carries the Chen et al. cubic map with a = eta; cf. Chen,
Balasubramanian, Ghosal, Agrawalla 2023 and the uv / two-layer linear models of Lewkowycz et al.
2020 and Zhu et al. 2024). The GD step is derived by differentiating the loss with sympy.
"""

from __future__ import annotations

import sympy as sp

from ._exact import is_zero
from .registry import proof

PAPER = "scalar uv model (brief §2.2; Chen et al. 2023 universality)"


@proof(
    paper=PAPER,
    where="brief §2.2 (scalar uv at EoS)",
    statement="GD on (uv-1)^2/2: balanced line u = v = w maps by w(1 + eta(1 - w^2)); "
    "u^2 - v^2 is multiplied by (1 - eta^2 e^2), e = uv - 1",
)
def uv_balanced_line() -> tuple[bool, str]:
    """u' = u - eta e v, v' = v - eta e u with e = u v - 1 (gradient by sympy);
    at u = v = w: u' = v' = w (1 + eta (1 - w^2)) = g_eta(w);
    u'^2 - v'^2 = (1 - eta^2 e^2)(u^2 - v^2); and f = w^2 follows
    F_eta(f) = f (1 + eta(1 - f))^2."""
    u, v, w = sp.symbols("u v w", real=True)
    eta = sp.Symbol("eta", positive=True)
    e = u * v - 1
    loss = e**2 / 2
    u1 = u - eta * sp.diff(loss, u)
    v1 = v - eta * sp.diff(loss, v)
    g_eta = w * (1 + eta * (1 - w**2))
    bal = {u: w, v: w}
    ok1, r1 = is_zero(u1.subs(bal) - g_eta)
    ok2, r2 = is_zero(v1.subs(bal) - g_eta)
    ok3, r3 = is_zero(u1**2 - v1**2 - (1 - eta**2 * e**2) * (u**2 - v**2))
    factored = sp.factor(u1**2 - v1**2)
    f = w**2
    ok4, r4 = is_zero((u1 * v1).subs(bal) - f * (1 + eta * (1 - f)) ** 2)
    detail = (
        f"u' on balanced line - g_eta: {r1}; v': {r2}; u'^2 - v'^2 = {factored} "
        f"(residual {r3}); f' - F_eta(f): {r4}"
    )
    return ok1 and ok2 and ok3 and ok4, detail
